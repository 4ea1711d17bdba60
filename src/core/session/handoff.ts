import type { Queryable } from '../db/db.js';
import type { MessageRow, SessionRow, SessionStateRow, TodoRow } from '../models.js';
import { TODO_COLUMNS } from '../repos/todos.js';
import { MIN_MATCHED_WORDS, RELEVANCE_THRESHOLD, rankStatement } from '../knowledge/rank.js';
import { QUERY_MAX_CHARS } from '../search/query.js';

/** Everything "where we left off" shows for one project, read in one go. */
export interface Handoff {
  projectName: string;
  /** False when the project has no row yet (first session ever). */
  known: boolean;
  state?: SessionStateRow;
  /** In-progress todos, by priority then display order (at most `todoLimit`). */
  inProgress: TodoRow[];
  /** Pending todos, by priority then display order (at most `todoLimit`). */
  pending: TodoRow[];
  /** Totals of live todos, which may exceed the lists' lengths; absent means the lists are complete. */
  totals?: { inProgress: number; pending: number };
  messages: MessageRow[];
  pendingMessageCount: number;
  lastSession?: SessionRow;
  /** Knowledge entries matching the focus and next steps, best first (only when asked for: knowledgeLimit). */
  knowledge?: KnowledgeHint[];
}

/** Enough of a knowledge entry to say it exists; the MCP tool `get` (or `knowledge show`) gives the rest. */
export interface KnowledgeHint {
  knowledge_id: string;
  pattern_name: string;
  category: string;
  /** What the entry said when it was named (for the delivery log), and how well it matched. */
  entry_hash?: string;
  score?: number;
}

export interface LoadHandoffOptions {
  /** Leave the running session out of "last session". */
  currentSessionId?: string;
  messageLimit?: number;
  /** Most todos of each status to load (default 200); totals are always exact. */
  todoLimit?: number;
  /**
   * Most knowledge entries to recall (default 0: none): the current focus and next steps ranked as a
   * prompt is (knowledge/rank.ts).
   */
  knowledgeLimit?: number;
}

/**
 * The recall sub-select ($5: the limit): the knowledge ranking the prompt uses (knowledge/rank.ts: the
 * project's entries and those for every project, accepted ones only, over the relevance threshold), with
 * the focus and next steps as the text, cut like a prompt to QUERY_MAX_CHARS.
 */
const RECALL_TEXT = `(SELECT left(concat_ws(' ', st.current_focus,
            (SELECT string_agg(x, ' ') FROM jsonb_array_elements_text(st.next_steps) x)), ${QUERY_MAX_CHARS})
          FROM claude.session_state st WHERE st.project_name = (SELECT project_name FROM p))`;
const RECALL_SQL = `(SELECT coalesce(json_agg(json_build_object('knowledge_id', k.knowledge_id, 'pattern_name', k.title,
          'category', k.category, 'entry_hash', k.entry_hash, 'score', k.score)), '[]') FROM (
          ${rankStatement({ acceptedOnly: true, text: RECALL_TEXT, project: '(SELECT project_name FROM p)', limit: '$5', threshold: String(RELEVANCE_THRESHOLD), minMatched: String(MIN_MATCHED_WORDS) })}) k) AS knowledge`;

type Json = Record<string, unknown>;

const toDate = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

/** Rows come back as JSON (one statement for everything): turn the timestamp strings back into Dates. */
function withDates<T>(row: Json, fields: readonly string[]): T {
  const out: Json = { ...row };
  for (const f of fields) out[f] = toDate(row[f]);
  return out as T;
}

const TODO_DATES = ['created_at', 'updated_at', 'completed_at', 'deleted_at'] as const;

/**
 * The todo columns, with a task's blocked_by cut to the blockers still open (live, not completed) in its
 * task list: "blocked by #2" disappears once task 2 is done.
 */
const HANDOFF_TODO_COLUMNS = TODO_COLUMNS.replace(
  /\bblocked_by\b/,
  `CASE WHEN cardinality(td.blocked_by) = 0 THEN td.blocked_by ELSE ARRAY(
     SELECT b FROM unnest(td.blocked_by) AS b WHERE EXISTS (
       SELECT 1 FROM claude.todos x WHERE x.task_list_id = td.task_list_id AND x.task_id = b AND NOT x.is_deleted AND x.status <> 'completed')
   ) END AS blocked_by`,
);

/**
 * Everything the handoff shows, in ONE statement: a SessionStart hook runs on a fresh connection, where
 * each statement pays its own parse/plan and round trip (eight separate queries took about 43 ms on a
 * cold backend, this one about 25 ms). Each part still walks its index (the project id comes from an
 * InitPlan, as in listSessions).
 */
export async function loadHandoff(q: Queryable, projectName: string, options: LoadHandoffOptions = {}): Promise<Handoff> {
  const recall = Math.max(0, Math.trunc(options.knowledgeLimit ?? 0));
  const todoList = (status: string) => `(SELECT coalesce(json_agg(t), '[]') FROM (
      SELECT ${HANDOFF_TODO_COLUMNS} FROM claude.todos td
      WHERE project_id = (SELECT project_id FROM p) AND NOT is_deleted AND status = '${status}'
      ORDER BY priority, display_order, created_at LIMIT $2) t)`;
  const { rows } = await q.query<{
    project_name: string | null;
    state: Json | null;
    in_progress: Json[];
    pending: Json[];
    counts: Record<string, number> | null;
    messages: Json[];
    message_count: number;
    last_session: Json | null;
    knowledge?: KnowledgeHint[];
  }>(
    `WITH p AS (SELECT project_id, project_name FROM claude.projects WHERE project_name = $1)
     SELECT
       (SELECT project_name FROM p) AS project_name,
       (SELECT row_to_json(s) FROM (
          SELECT project_name, current_focus, pending_actions, next_steps, files_modified, todo_list, updated_at
          FROM claude.session_state WHERE project_name = (SELECT project_name FROM p)) s) AS state,
       ${todoList('in_progress')} AS in_progress,
       ${todoList('pending')} AS pending,
       -- Active statuses only: todos_active_idx answers it however many completed todos have piled up.
       (SELECT json_object_agg(status, n) FROM (
          SELECT status, count(*)::int AS n FROM claude.todos
          WHERE project_id = (SELECT project_id FROM p) AND NOT is_deleted AND status IN ('pending', 'in_progress')
          GROUP BY status) c) AS counts,
       (SELECT coalesce(json_agg(m), '[]') FROM (
          SELECT message_id, from_project, to_project, body, status, created_at, read_at FROM claude.messages
          WHERE to_project = (SELECT project_name FROM p) AND status = 'pending' ORDER BY created_at LIMIT $3) m) AS messages,
       (SELECT count(*)::int FROM claude.messages WHERE to_project = (SELECT project_name FROM p) AND status = 'pending') AS message_count,
       (SELECT row_to_json(s) FROM (
          SELECT session_id, project_id, claude_session_id, session_start, session_end, session_summary, tasks_completed, learnings_gained
          FROM claude.sessions
          WHERE project_id = (SELECT project_id FROM p) AND ($4::uuid IS NULL OR session_id <> $4::uuid)
          ORDER BY session_start DESC LIMIT 1) s) AS last_session${recall ? `,\n       ${RECALL_SQL}` : ''}`,
    [projectName.trim(), options.todoLimit ?? 200, options.messageLimit ?? 10, options.currentSessionId ?? null, ...(recall ? [recall] : [])],
  );
  const r = rows[0];
  if (!r?.project_name) return { projectName, known: false, inProgress: [], pending: [], messages: [], pendingMessageCount: 0 };
  return {
    projectName: r.project_name,
    known: true,
    state: r.state ? withDates<SessionStateRow>(r.state, ['updated_at']) : undefined,
    inProgress: r.in_progress.map((t) => withDates<TodoRow>(t, TODO_DATES)),
    pending: r.pending.map((t) => withDates<TodoRow>(t, TODO_DATES)),
    totals: { inProgress: r.counts?.in_progress ?? 0, pending: r.counts?.pending ?? 0 },
    messages: r.messages.map((m) => withDates<MessageRow>(m, ['created_at', 'read_at'])),
    pendingMessageCount: r.message_count,
    lastSession: r.last_session ? withDates<SessionRow>(r.last_session, ['session_start', 'session_end']) : undefined,
    ...(recall ? { knowledge: r.knowledge ?? [] } : {}),
  };
}
