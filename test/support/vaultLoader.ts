// Loads a folder of Markdown notes (test/fixtures/relevance-vault) into claude.knowledge with plain SQL, as
// the vault sync stores a note: title (frontmatter `title:`, else the file name), the whole body, projects,
// tags, the note's path, origin 'vault' and review 'accepted'. A small frontmatter reader of its own: the
// fixture uses only `key: [a, b]`, block lists and scalars.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { Queryable } from '../../src/core/db/db.js';

// The bench runs this bundled elsewhere: it names the repository in CF_ROOT.
export const RELEVANCE_VAULT = process.env.CF_ROOT ? join(process.env.CF_ROOT, 'test', 'fixtures', 'relevance-vault') : join(import.meta.dirname, '..', 'fixtures', 'relevance-vault');

export interface FixtureNote {
  path: string;
  title: string;
  projects: string[];
  tags: string[];
  body: string;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : []))
    .sort();
}

function parseFrontmatter(text: string): { fields: Record<string, string | string[]>; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!m) return { fields: {}, body: text };
  const fields: Record<string, string | string[]> = {};
  let listKey: string | undefined;
  for (const line of m[1]!.split(/\r?\n/)) {
    const item = /^\s+-\s+(.*)$/.exec(line);
    if (item && listKey) {
      (fields[listKey] as string[]).push(item[1]!.trim());
      continue;
    }
    const kv = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (!kv) continue;
    const [, key, value] = kv as unknown as [string, string, string];
    if (value === '') {
      fields[key] = [];
      listKey = key;
    } else if (value.startsWith('[')) {
      fields[key] = value.replace(/^\[|\]$/g, '').split(',').map((s) => s.trim()).filter((s) => s !== '');
      listKey = undefined;
    } else {
      fields[key] = value.trim();
      listKey = undefined;
    }
  }
  return { fields, body: text.slice(m[0].length) };
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function readFixtureVault(dir = RELEVANCE_VAULT): FixtureNote[] {
  return markdownFiles(dir).map((file) => {
    const { fields, body } = parseFrontmatter(readFileSync(file, 'utf8'));
    const title = typeof fields.title === 'string' ? fields.title : basename(file, '.md');
    return { path: relative(dir, file), title, projects: asList(fields.projects), tags: asList(fields.tags), body };
  });
}

/** Inserts the notes as accepted vault entries; returns knowledge id by title. */
export async function loadVault(q: Queryable, notes: readonly FixtureNote[] = readFixtureVault()): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const n of notes) {
    const firstParagraph = n.body.replace(/^#.*\n/m, '').trim().split(/\n\s*\n/)[0] ?? n.title;
    const { rows } = await q.query<{ knowledge_id: string }>(
      `INSERT INTO claude.knowledge (pattern_name, category, description, body, projects, tags, source_note_path, origin, review)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'vault', 'accepted') RETURNING knowledge_id`,
      [n.title, n.tags[0] ?? 'note', firstParagraph.slice(0, 300) || n.title, n.body, n.projects, n.tags, n.path],
    );
    ids.set(n.title, rows[0]!.knowledge_id);
  }
  return ids;
}
