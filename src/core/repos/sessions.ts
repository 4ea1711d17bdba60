import type { Queryable } from '../db/db.js';
import { CloseSessionInput, OpenSessionInput, Uuid, parseInput, type SessionRow } from '../models.js';
import { ensureProject } from './projects.js';

const COLUMNS = `session_id, project_id, claude_session_id, session_start, session_end, session_summary,
  tasks_completed, learnings_gained`;
const S_COLUMNS = COLUMNS.split(',').map((c) => `s.${c.trim()}`).join(', ');

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export interface OpenedSession {
  session: SessionRow;
  /** True when this Claude Code session id already had a row (a resumed or re-run SessionStart). */
  resumed: boolean;
}

/** Opens a session for a project. With a Claude Code session id, opening it again returns the same row. */
export async function openSession(q: Queryable, input: OpenSessionInput): Promise<OpenedSession> {
  const data = parseInput(OpenSessionInput, input, 'session');
  const project = await ensureProject(q, data.projectName);
  const { rows } = await q.query<SessionRow & { inserted: boolean }>(
    `INSERT INTO claude.sessions (project_id, claude_session_id, session_start)
     VALUES ($1, $2, COALESCE($3::timestamptz, now()))
     ON CONFLICT (claude_session_id) DO UPDATE SET claude_session_id = EXCLUDED.claude_session_id
     RETURNING ${COLUMNS}, (xmax = 0) AS inserted`,
    [project.project_id, data.claudeSessionId ?? null, data.startedAt ?? null],
  );
  const { inserted, ...session } = rows[0]!;
  return { session, resumed: !inserted };
}

/**
 * Closes a session: session_end is set once (a second close keeps the first time); a summary, tasks
 * and learnings given replace what was recorded, absent ones keep it.
 */
export async function closeSession(q: Queryable, input: CloseSessionInput): Promise<SessionRow> {
  const data = parseInput(CloseSessionInput, input, 'session end');
  const { rows } = await q.query<SessionRow>(
    `UPDATE claude.sessions SET
       session_end = COALESCE(session_end, GREATEST(session_start, COALESCE($2::timestamptz, now()))),
       session_summary = COALESCE($3, session_summary),
       tasks_completed = CASE WHEN cardinality($4::text[]) > 0 THEN $4::text[] ELSE tasks_completed END,
       learnings_gained = CASE WHEN cardinality($5::text[]) > 0 THEN $5::text[] ELSE learnings_gained END
     WHERE session_id = $1
     RETURNING ${COLUMNS}`,
    [data.sessionId, data.endedAt ?? null, data.summary ?? null, data.tasksCompleted, data.learningsGained],
  );
  if (!rows[0]) throw new NotFoundError(`no session ${data.sessionId}`);
  return rows[0];
}

/** A resumed session is open again: its end is cleared, to be set by the next close. */
export async function reopenSession(q: Queryable, sessionId: string): Promise<SessionRow> {
  const id = parseInput(Uuid, sessionId, 'session id');
  const { rows } = await q.query<SessionRow>(`UPDATE claude.sessions SET session_end = NULL WHERE session_id = $1 RETURNING ${COLUMNS}`, [id]);
  if (!rows[0]) throw new NotFoundError(`no session ${id}`);
  return rows[0];
}

export async function getSession(q: Queryable, sessionId: string): Promise<SessionRow | undefined> {
  const id = parseInput(Uuid, sessionId, 'session id');
  const { rows } = await q.query<SessionRow>(`SELECT ${COLUMNS} FROM claude.sessions WHERE session_id = $1`, [id]);
  return rows[0];
}

export async function findSessionByClaudeId(q: Queryable, claudeSessionId: string): Promise<SessionRow | undefined> {
  const { rows } = await q.query<SessionRow>(`SELECT ${COLUMNS} FROM claude.sessions WHERE claude_session_id = $1`, [
    claudeSessionId,
  ]);
  return rows[0];
}

export interface ListSessionsOptions {
  limit?: number;
  /** Only sessions that have ended. */
  endedOnly?: boolean;
  /** Leave this session out (the one running now). */
  excludeSessionId?: string;
}

/** A project's sessions, newest first. */
export async function listSessions(q: Queryable, projectName: string, options: ListSessionsOptions = {}): Promise<SessionRow[]> {
  const { rows } = await q.query<SessionRow>(
    // The project id by subquery rather than a join: the planner then walks
    // sessions_project_start_idx backwards and stops at LIMIT instead of sorting every session.
    `SELECT ${S_COLUMNS} FROM claude.sessions s
     WHERE s.project_id = (SELECT project_id FROM claude.projects WHERE project_name = $1)
       AND ($2::boolean IS NOT TRUE OR s.session_end IS NOT NULL)
       AND ($3::uuid IS NULL OR s.session_id <> $3::uuid)
     ORDER BY s.session_start DESC
     LIMIT $4`,
    [projectName, options.endedOnly ?? false, options.excludeSessionId ?? null, options.limit ?? 50],
  );
  return rows;
}

/** The most recent session of a project other than `excludeSessionId`. */
export async function lastSession(q: Queryable, projectName: string, excludeSessionId?: string): Promise<SessionRow | undefined> {
  return (await listSessions(q, projectName, { limit: 1, excludeSessionId }))[0];
}
