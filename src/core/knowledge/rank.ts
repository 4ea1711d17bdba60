// Which knowledge entries are relevant to a text, in ONE statement over the full-text index (migration
// 006: title weighted A, tags B, body C). Shared by the UserPromptSubmit hook and SessionStart's knowledge
// lines (relevance: accepted entries only, a threshold, at most 3), and by `search` / MCP `search` (the
// same project filter; pending entries shown there, labelled).
//
// A prompt is not a search query: "how do I end a session and save state for the next one?" has no entry
// containing every word. So the prompt's words (stemmed, stop words dropped) are OR-ed, and an entry is
// scored by ts_rank, which for an OR query is about the mean over the prompt's words of the weight of the
// best place each occurs (1.0 in the title, 0.4 in tags, 0.2 in the body): a weighted coverage. An entry
// must also contain at least MIN_MATCHED_WORDS of the words, so one common word ("thanks", "commit")
// never delivers anything on its own, and one of them in its title, tags or category (head_vector,
// migration 008: with 20,000 entries a prompt's common words are in most bodies, and ranking all of
// those took 300 ms). The threshold was tuned on the relevance table
// (test/knowledge-relevance.test.ts), not by eye.
import type { Queryable } from '../db/db.js';
import { normalizeQuery } from '../search/query.js';

/** Least score an entry needs to be delivered at the prompt (ts_rank, weights below). */
export const RELEVANCE_THRESHOLD = 0.12;
/** Least number of the prompt's distinct words an entry must contain to be delivered. */
export const MIN_MATCHED_WORDS = 2;
/** Most entries one delivery carries. */
export const DELIVERY_LIMIT = 3;
/** ts_rank's weights, in its order {D, C, B, A}: example code, body, tags, title. */
const WEIGHTS = `'{0.05, 0.2, 0.4, 1.0}'::float4[]`;

/** How many candidates, the best by title and tags, are ranked on their whole text. */
export const PRE_RANKED = 24;

/** Characters of an entry's body the statement returns (the renderer trims further). */
export const BODY_CHARS = 4000;

export interface RankedEntry {
  knowledge_id: string;
  title: string;
  category: string;
  projects: string[];
  tags: string[];
  /** The note's path in the vault, when the entry came from one. */
  path: string | null;
  /** The note's body (or an old entry's description, gotchas and example), at most BODY_CHARS. */
  body: string;
  review: 'pending' | 'accepted';
  entry_hash: string;
  score: number;
  /** How many of the text's distinct words the entry contains. */
  matched: number;
}

/**
 * An entry applies to a project when its `projects` is empty (every project) or names it. `param` is the
 * placeholder of the project name. Archived entries never apply. Written as migration 009's index
 * expression (knowledge_scope: the projects, or {''} for every project), so the prompt's candidates are
 * found with the project filter inside the index scan, not row by row on the heap.
 */
export function appliesToProject(alias: string, param: string): string {
  return `${alias}.archived_at IS NULL AND claude.knowledge_scope(${alias}.projects) && ARRAY['', ${param}::text]`;
}

/** The text's words OR-ed into a tsquery: plainto_tsquery's ANDs made ORs (lexemes have no spaces). */
export function orQuery(text: string): string {
  return `replace(plainto_tsquery('english', ${text})::text, ' & ', ' | ')::tsquery`;
}

export interface RankStatementOptions {
  /** Only entries a person accepted (delivery); false: pending ones too (search). */
  acceptedOnly: boolean;
  /**
   * Placeholder of a Claude Code session id: entries already delivered to it, unchanged since (same
   * entry_hash), are left out before the limit is applied.
   */
  notDeliveredTo?: string;
  /** SQL for the text, the project, the limit, the threshold, the least matched words (default $1 to $5). */
  text?: string;
  project?: string;
  limit?: string;
  threshold?: string;
  minMatched?: string;
}

/**
 * The ranking statement: by default $1 the text, $2 the project, $3 the limit, $4 the threshold, $5 the
 * least number of matched words (each can be any SQL expression instead: the handoff passes its focus and
 * next steps). The tsquery is written out in the WHERE so the GIN index is used.
 */
export function rankStatement(options: RankStatementOptions): string {
  const text = `${options.text ?? '$1'}::text`;
  const project = options.project ?? '$2';
  const notDelivered = options.notDeliveredTo
    ? `\n        AND NOT EXISTS (SELECT 1 FROM claude.knowledge_retrievals r
          WHERE r.claude_session_id = ${options.notDeliveredTo}::text AND r.knowledge_id = h.knowledge_id AND r.entry_hash = h.entry_hash)`
    : '';
  // Two steps. The candidates (the text names a word of their title, tags or category: head_vector, and
  // they apply to the project: both in one index, migration 009) are ranked on those alone, reading
  // neither body nor search_vector, and only the best PRE_RANKED are ranked on everything: the full
  // search_vector is large (TOASTed, read only when used), and reading it for every candidate cost 100 ms
  // with 20,000 entries on a fresh backend. Postgres fetches a TOASTed value again for each function
  // that reads it: `s.search_vector || ''` fetches it once per entry (the OFFSET 0 keeps that level
  // apart), and the score and the matched words read that copy. One reference to the table: on the
  // fresh backend every hook runs on, planning is a good part of the cost.
  return `SELECT c.knowledge_id, c.pattern_name AS title, c.category, c.projects, c.tags, c.source_note_path AS path,
      left(coalesce(c.body, concat_ws(E'\\n\\n', c.description, claude.text_list(c.gotchas), c.example_code)), ${BODY_CHARS}) AS body,
      c.review, c.entry_hash, c.score::float8 AS score, c.matched::int AS matched
    FROM (
      SELECT k.*, ts_rank(${WEIGHTS}, k.sv, ${orQuery(text)}) AS score,
        length(k.sv) - length(ts_delete(k.sv, tsvector_to_array(to_tsvector('english', ${text})))) AS matched
      FROM (
        SELECT s.*, s.search_vector || ''::tsvector AS sv
        FROM (
          SELECT h.knowledge_id, h.pattern_name, h.category, h.projects, h.tags, h.source_note_path, h.body, h.description, h.gotchas,
            h.example_code, h.review, h.entry_hash, h.search_vector
          FROM claude.knowledge h
          WHERE h.head_vector @@ ${orQuery(text)} AND ${appliesToProject('h', project)}${options.acceptedOnly ? ` AND h.review = 'accepted'` : ''}${notDelivered}
          ORDER BY ts_rank(${WEIGHTS}, h.head_vector, ${orQuery(text)}) DESC, h.pattern_name
          LIMIT ${PRE_RANKED}
        ) s
        OFFSET 0
      ) k
    ) c
    WHERE c.score >= ${options.threshold ?? '$4'}::float8 AND c.matched >= ${options.minMatched ?? '$5'}::int
    ORDER BY c.score DESC, c.matched DESC, c.pattern_name
    LIMIT ${options.limit ?? '$3'}::int`;
}

export interface RankOptions {
  /** The prompt (or the focus and next steps). */
  text: string;
  project: string;
  /** Default DELIVERY_LIMIT. */
  limit?: number;
  /** Default RELEVANCE_THRESHOLD. */
  threshold?: number;
  /** Default MIN_MATCHED_WORDS. */
  minMatched?: number;
  /** Default true. */
  acceptedOnly?: boolean;
}

/**
 * Postgres' English stop words (snowball's list, as in its english.stop): never lexemes, so never matched.
 * Used to see, without asking the database, that a text cannot reach MIN_MATCHED_WORDS ("thanks!", "ok",
 * "run it again"): the prompt hook then opens no connection at all.
 */
const STOP_WORDS = new Set(
  ('i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself ' +
    'they them their theirs themselves what which who whom this that these those am is are was were be been being have has had having ' +
    'do does did doing a an the and but if or because as until while of at by for with about against between into through during before ' +
    'after above below to from up down in out on off over under again further then once here there when where why how all any both each ' +
    'few more most other some such no nor not only own same so than too very s t can will just don should now').split(' '),
);

/**
 * How many distinct words of the text could be lexemes: at least as many as Postgres finds (stemming may
 * merge two), never fewer, so a text this counts below MIN_MATCHED_WORDS cannot match an entry.
 */
export function contentWordCount(text: string): number {
  const words = new Set<string>();
  for (const w of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (w !== '' && !STOP_WORDS.has(w)) words.add(w);
  return words.size;
}

/** The parameters of rankStatement for these options; undefined when the text has nothing to match. */
export function rankParams(options: RankOptions): unknown[] | undefined {
  const text = normalizeQuery(options.text);
  if (contentWordCount(text) < Math.max(1, options.minMatched ?? MIN_MATCHED_WORDS)) return undefined;
  return [text, options.project.trim(), options.limit ?? DELIVERY_LIMIT, options.threshold ?? RELEVANCE_THRESHOLD, options.minMatched ?? MIN_MATCHED_WORDS];
}

export function toRanked(r: RankedEntry): RankedEntry {
  return { ...r, score: Number(r.score), matched: Number(r.matched) };
}

/** The entries relevant to `text` in `project`, best first; none when nothing passes the threshold. */
export async function rankKnowledge(q: Queryable, options: RankOptions): Promise<RankedEntry[]> {
  const params = rankParams(options);
  if (!params) return [];
  const { rows } = await q.query<RankedEntry>(rankStatement({ acceptedOnly: options.acceptedOnly ?? true }), params);
  return rows.map(toRanked);
}
