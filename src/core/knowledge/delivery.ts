// Knowledge delivered to Claude, and the log of it (claude.knowledge_retrievals). At the prompt an entry is
// delivered once per Claude Code session, again only when it changed since (its entry_hash): the ranking
// leaves out what this session already has, before the limit, and the rows delivered are logged in the
// same statement. SessionStart's knowledge lines are logged too (logDeliveries).
import type { Queryable } from '../db/db.js';
import { rankParams, rankStatement, toRanked, type RankedEntry, type RankOptions } from './rank.js';

export type DeliveryChannel = 'prompt' | 'session_start';

export interface DeliverOptions extends RankOptions {
  /** Claude Code's session id (the hook payload's session_id). */
  claudeSessionId: string;
}

/** The columns of a logged delivery for the entries given, ranks 1.. in order. */
const LOG_INSERT = `INSERT INTO claude.knowledge_retrievals (knowledge_id, claude_session_id, session_id, project_id, channel, rank, score, entry_hash)`;
const SESSION_OF = (param: string) => `(SELECT session_id FROM claude.sessions WHERE claude_session_id = ${param}::text)`;
const PROJECT_OF = (param: string) => `(SELECT project_id FROM claude.projects WHERE project_name = ${param}::text)`;

/**
 * The entries relevant to the prompt that this session was not given yet (or that changed since), best
 * first, at most options.limit; each is logged as a 'prompt' retrieval. One statement.
 */
export async function deliverAtPrompt(q: Queryable, options: DeliverOptions): Promise<RankedEntry[]> {
  const params = rankParams(options);
  if (!params) return [];
  const { rows } = await q.query<RankedEntry>(
    `WITH ranked AS (${rankStatement({ acceptedOnly: true, notDeliveredTo: '$6' })}),
     logged AS (${LOG_INSERT}
       SELECT knowledge_id, $6::text, ${SESSION_OF('$6')}, ${PROJECT_OF('$2')}, 'prompt',
         row_number() OVER (ORDER BY score DESC, matched DESC, title), score, entry_hash FROM ranked
       RETURNING 1)
     SELECT * FROM ranked ORDER BY score DESC, matched DESC, title`,
    [...params, options.claudeSessionId.trim()],
  );
  return rows.map(toRanked);
}

export interface LoggedEntry {
  knowledge_id: string;
  entry_hash: string;
  score?: number | null;
}

/** Logs entries delivered some other way (SessionStart's lines), ranks 1.. in the order given. */
export async function logDeliveries(q: Queryable, entries: readonly LoggedEntry[], options: { channel: DeliveryChannel; claudeSessionId: string; project: string }): Promise<void> {
  if (entries.length === 0) return;
  await q.query(
    `${LOG_INSERT}
     SELECT e.knowledge_id, $2::text, ${SESSION_OF('$2')}, ${PROJECT_OF('$3')}, $4, e.ord::int, e.score, e.entry_hash
     FROM unnest($1::uuid[], $5::text[], $6::float4[]) WITH ORDINALITY AS e(knowledge_id, entry_hash, score, ord)`,
    [entries.map((e) => e.knowledge_id), options.claudeSessionId.trim(), options.project.trim(), options.channel, entries.map((e) => e.entry_hash), entries.map((e) => e.score ?? null)],
  );
}

export interface RetrievalRow {
  retrieval_id: string;
  retrieved_at: Date;
  channel: DeliveryChannel;
  rank: number;
  score: number | null;
  claude_session_id: string | null;
  session_id: string | null;
  project: string | null;
  knowledge_id: string;
  title: string;
  /** The entry changed since it was delivered. */
  changed: boolean;
}

/**
 * The delivery log, newest first: of one session (Claude Code's session id, or our session uuid) or of
 * every session; at most `limit` rows.
 */
export async function listRetrievals(q: Queryable, options: { session?: string; limit?: number } = {}): Promise<RetrievalRow[]> {
  const session = options.session?.trim() || null;
  const { rows } = await q.query<RetrievalRow>(
    `SELECT r.retrieval_id, r.retrieved_at, r.channel, r.rank, r.score::float8 AS score, r.claude_session_id, r.session_id,
       p.project_name AS project, r.knowledge_id, k.pattern_name AS title, (k.entry_hash <> r.entry_hash) AS changed
     FROM claude.knowledge_retrievals r
     JOIN claude.knowledge k ON k.knowledge_id = r.knowledge_id
     LEFT JOIN claude.projects p ON p.project_id = r.project_id
     WHERE $1::text IS NULL OR r.claude_session_id = $1::text OR r.session_id::text = lower($1::text)
     ORDER BY r.retrieved_at DESC, r.rank
     LIMIT $2`,
    [session, Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 10_000)],
  );
  return rows.map((r) => ({ ...r, score: r.score === null ? null : Number(r.score), retrieved_at: r.retrieved_at instanceof Date ? r.retrieved_at : new Date(r.retrieved_at) }));
}
