// Full-text search over what the projects know (migration 005): knowledge entries, sessions (summary,
// tasks, learnings) and todos. Postgres does the work: each table's generated search_vector column is
// matched by websearch_to_tsquery (GIN index), ranked with ts_rank, and only the hits that are returned get
// a ts_headline snippet. Any text is a valid query: websearch_to_tsquery has no syntax errors, and what
// Postgres cannot take (NUL bytes, control characters) or should not have to (a 100 KB paste) is
// normalised away here first.
import type { Queryable } from '../db/db.js';
import { appliesToProject } from '../knowledge/rank.js';
import { normalizeQuery } from './query.js';

export const SEARCH_KINDS = ['knowledge', 'sessions', 'todos'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

/** What a hit is: one knowledge entry, session or todo. */
export type HitKind = 'knowledge' | 'session' | 'todo';

export interface SearchHit {
  kind: HitKind;
  id: string;
  /** The project of a session or todo; knowledge belongs to every project (null). */
  project: string | null;
  /** Knowledge: last updated; session: ended (else started); todo: last updated. */
  date: Date;
  /** Pattern name, the first words of a session's summary, or a todo's content (one line, short). */
  title: string;
  /** At most SNIPPET_MAX characters, the matching words in **bold**. */
  snippet: string;
  rank: number;
  /** A knowledge entry Claude (or a command) wrote that no person has accepted yet: never delivered at the prompt. */
  pending?: boolean;
}

export interface SearchOptions {
  query: string;
  /** Which tables (default all three). */
  kinds?: readonly SearchKind[];
  /**
   * Sessions and todos of this project only, and the knowledge entries for it (those naming it and those for
   * every project); undefined searches every project.
   */
  project?: string;
  /** How many hits (1 to MAX_SEARCH_LIMIT, default 10). */
  limit?: number;
}

export const MAX_SEARCH_LIMIT = 100;
export const SNIPPET_MAX = 200;
export { normalizeQuery, QUERY_MAX_CHARS, QUERY_MAX_WORDS } from './query.js';

/**
 * `knowledge,sessions` (or repeated flags) as kinds; singular forms are accepted too. Throws a RangeError
 * naming the unknown kind.
 */
export function parseKinds(values: readonly string[]): SearchKind[] {
  const kinds = new Set<SearchKind>();
  for (const part of values.flatMap((v) => v.split(','))) {
    const word = part.trim().toLowerCase();
    if (word === '') continue;
    const kind = SEARCH_KINDS.find((k) => k === word || k === `${word}s` || (k === 'knowledge' && word === 'k'));
    if (!kind) throw new RangeError(`unknown kind ${JSON.stringify(part.trim())}: use ${SEARCH_KINDS.join(', ')}`);
    kinds.add(kind);
  }
  return kinds.size === 0 ? [...SEARCH_KINDS] : SEARCH_KINDS.filter((k) => kinds.has(k));
}

// ts_headline reads the whole text it is given: cap it, it is only for a snippet.
const HEADLINE_INPUT_MAX = 4000;
const HEADLINE_OPTIONS = 'MaxWords=28, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … ", StartSel=**, StopSel=**';

const TSQ = `websearch_to_tsquery('english', $1::text)`;

/**
 * One ranked sub-select per kind, each cut to LIMIT on its own (so a common word in 100k sessions does not
 * carry them all to the outer sort). $1 is the query text (an exact pattern name also ranks first), $2 the
 * limit, $3 the project when there is one. The tsquery is written out in every WHERE (not joined from a
 * CTE) and the project filter only exists when there is a project: both keep the GIN index scans in the
 * plan (a generic "project IS NULL OR ..." made the planner scan every session of every project). Project
 * names are joined in only for the rows returned.
 */
function perKind(kind: SearchKind, byProject: boolean): string {
  const project = (alias: string) => (byProject ? ` AND ${alias}.project_id = (SELECT project_id FROM claude.projects WHERE project_name = $3::text)` : '');
  switch (kind) {
    case 'knowledge':
      return `(SELECT 'knowledge'::text AS kind, k.knowledge_id AS id, NULL::uuid AS project_id, k.updated_at AS date,
        (k.review = 'pending') AS pending, k.pattern_name AS title,
        ts_rank(k.search_vector, ${TSQ}) + CASE WHEN lower(k.pattern_name) = lower($1::text) THEN 1 ELSE 0 END AS rank,
        left(concat_ws(' · ', coalesce(k.body, k.description), claude.text_list(k.gotchas), k.example_code), ${HEADLINE_INPUT_MAX}) AS body
      FROM claude.knowledge k
      WHERE k.search_vector @@ ${TSQ} AND ${byProject ? appliesToProject('k', '$3') : 'k.archived_at IS NULL'}
      ORDER BY rank DESC LIMIT $2)`;
    case 'sessions':
      return `(SELECT 'session'::text AS kind, s.session_id AS id, s.project_id AS project_id, coalesce(s.session_end, s.session_start) AS date,
        NULL::boolean AS pending, coalesce(s.session_summary, 'Session ' || to_char(s.session_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC') AS title,
        ts_rank(s.search_vector, ${TSQ}) AS rank,
        left(concat_ws(' · ', s.session_summary, claude.text_list(s.tasks_completed), claude.text_list(s.learnings_gained)), ${HEADLINE_INPUT_MAX}) AS body
      FROM claude.sessions s
      WHERE s.search_vector @@ ${TSQ}${project('s')}
      ORDER BY rank DESC LIMIT $2)`;
    case 'todos':
      return `(SELECT 'todo'::text AS kind, t.todo_id AS id, t.project_id AS project_id, t.updated_at AS date, NULL::boolean AS pending, t.content AS title,
        ts_rank(t.search_vector, ${TSQ}) AS rank, left(t.content, ${HEADLINE_INPUT_MAX}) AS body
      FROM claude.todos t
      WHERE t.search_vector @@ ${TSQ} AND NOT t.is_deleted${project('t')}
      ORDER BY rank DESC LIMIT $2)`;
  }
}

/** The statement searchMemory runs (the bench EXPLAINs it); `byProject` adds the parameter $3. */
export function searchStatement(kinds: readonly SearchKind[], byProject: boolean): string {
  return `WITH hits AS (${kinds.map((k) => perKind(k, byProject)).join('\n      UNION ALL\n      ')}),
    top AS (SELECT * FROM hits ORDER BY rank DESC, date DESC LIMIT $2)
    SELECT top.kind, top.id, p.project_name AS project, top.date, top.title, top.pending, top.rank::float8 AS rank,
      ts_headline('english', top.body, ${TSQ}, '${HEADLINE_OPTIONS}') AS snippet
    FROM top LEFT JOIN claude.projects p ON p.project_id = top.project_id
    ORDER BY top.rank DESC, top.date DESC`;
}

/** Cuts text to `max` characters on one line, marking the cut with an ellipsis; never leaves half a ** pair. */
export function clip(text: string, max: number): string {
  let flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  flat = flat.slice(0, max - 1);
  if ((flat.match(/\*\*/g)?.length ?? 0) % 2 === 1) flat = `${flat.slice(0, Math.max(0, max - 3))}**`;
  return `${flat.replace(/[\ud800-\udbff]$/, '')}…`;
}

/** Ranked hits for a query; an empty (or empty once normalised) query finds nothing. */
export async function searchMemory(q: Queryable, options: SearchOptions): Promise<SearchHit[]> {
  const text = normalizeQuery(options.query);
  const kinds = options.kinds && options.kinds.length > 0 ? SEARCH_KINDS.filter((k) => options.kinds!.includes(k)) : [...SEARCH_KINDS];
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 10), 1), MAX_SEARCH_LIMIT);
  if (text === '' || kinds.length === 0) return [];
  const project = options.project?.trim();
  const byProject = project !== undefined;
  const { rows } = await q.query<{ kind: HitKind; id: string; project: string | null; date: Date | string; title: string; rank: number; snippet: string | null; pending: boolean | null }>(
    searchStatement(kinds, byProject),
    byProject ? [text, limit, project] : [text, limit],
  );
  return rows.map((r) => ({
    kind: r.kind,
    id: r.id,
    project: r.project,
    date: r.date instanceof Date ? r.date : new Date(r.date),
    title: clip(r.title, 120),
    snippet: clip(r.snippet ?? '', SNIPPET_MAX),
    rank: Number(r.rank),
    ...(r.pending ? { pending: true } : {}),
  }));
}
