// A knowledge entry as a note: its whole body with projects, tags, review and path, and the entries its
// [[wikilinks]] name, resolved as Obsidian does, by title without regard to case (knowledge_lower_name_idx).
// What MCP `get` returns for a knowledge entry.
import type { Queryable } from '../db/db.js';

export interface KnowledgeNote {
  body: string | null;
  projects: string[];
  tags: string[];
  review: 'pending' | 'accepted';
  origin: string;
}

export interface LinkedEntry {
  knowledge_id: string;
  title: string;
  projects: string[];
  review: 'pending' | 'accepted';
  /** The body, or an old entry's description. */
  body: string;
}

/** Most links a note's answer follows. */
export const MAX_LINKS = 20;

/**
 * The note titles a Markdown text links to with [[wikilinks]], in order, each once (case-insensitively):
 * `[[Title]]`, `[[Title|shown text]]`, `[[Title#Heading]]`, and embeds of notes `![[Title]]`. Links to
 * attachments (a name with a file extension other than .md) and to headings of the same note are left out.
 */
export function wikilinks(text: string, max = MAX_LINKS): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const m of text.matchAll(/\[\[([^[\]\n]+?)\]\]/g)) {
    let target = m[1]!.split('|')[0]!.split('#')[0]!.trim();
    if (target === '') continue;
    target = target.replace(/\.md$/i, '');
    // A path: the note's title is its file name.
    target = target.slice(target.lastIndexOf('/') + 1).trim();
    if (/\.[a-z0-9]{1,5}$/i.test(target) || target === '') continue;
    const key = target.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(target);
    if (out.length >= max) break;
  }
  return out;
}

/** The note side of an entry; undefined when there is no such entry. */
export async function getKnowledgeNote(q: Queryable, knowledgeId: string): Promise<KnowledgeNote | undefined> {
  const { rows } = await q.query<KnowledgeNote>(`SELECT body, projects, tags, review, origin FROM claude.knowledge WHERE knowledge_id = $1`, [knowledgeId]);
  return rows[0];
}

/** The live entries with these titles (case-insensitively), in the order of the titles; `except` left out. */
export async function resolveLinks(q: Queryable, titles: readonly string[], except?: string): Promise<LinkedEntry[]> {
  if (titles.length === 0) return [];
  const { rows } = await q.query<LinkedEntry & { at: number }>(
    `SELECT k.knowledge_id, k.pattern_name AS title, k.projects, k.review, coalesce(k.body, k.description) AS body, t.at::int AS at
     FROM unnest($1::text[]) WITH ORDINALITY AS t(name, at)
     JOIN claude.knowledge k ON lower(k.pattern_name) = lower(t.name) AND k.archived_at IS NULL
     WHERE $2::uuid IS NULL OR k.knowledge_id <> $2::uuid
     ORDER BY t.at`,
    [titles, except ?? null],
  );
  return rows.map(({ at: _at, ...r }) => r);
}
