// The session commands behind /session-end, /session-save and friends, as single transactions.
import type { Db, Queryable } from '../db/db.js';
import type { SessionRow, SessionStateRow } from '../models.js';
import { upsertSessionState } from '../repos/sessionState.js';
import { closeSession } from '../repos/sessions.js';
import { getProjectByName } from '../repos/projects.js';

export interface EndSessionInput {
  sessionId: string;
  projectName: string;
  summary: string;
  /** When the session ended (default: now); a spooled end keeps the time it was asked for. */
  endedAt?: Date;
  tasksCompleted?: string[];
  learningsGained?: string[];
  currentFocus?: string;
  nextSteps?: string[];
}

export interface EndedSession {
  session: SessionRow;
  /** The project's session_state after the update, when focus or next steps were given. */
  state?: SessionStateRow;
}

/**
 * Closes a session with its summary (session_end is set once; a later end keeps the first time but
 * takes the new summary) and saves focus / next steps for the next session, all in one transaction.
 */
export async function endSession(db: Db, input: EndSessionInput): Promise<EndedSession> {
  return db.transaction((tx) => endSessionIn(tx, input));
}

/** endSession inside a transaction the caller holds (applying a spooled end). */
export async function endSessionIn(tx: Queryable, input: EndSessionInput): Promise<EndedSession> {
  const session = await closeSession(tx, {
    sessionId: input.sessionId,
    summary: input.summary,
    tasksCompleted: input.tasksCompleted ?? [],
    learningsGained: input.learningsGained ?? [],
    ...(input.endedAt ? { endedAt: input.endedAt } : {}),
  });
  const wantsState = input.currentFocus !== undefined || (input.nextSteps?.length ?? 0) > 0;
  const state = wantsState
    ? await upsertSessionState(tx, {
        projectName: input.projectName,
        ...(input.currentFocus !== undefined ? { currentFocus: input.currentFocus } : {}),
        ...((input.nextSteps?.length ?? 0) > 0 ? { nextSteps: input.nextSteps } : {}),
      })
    : undefined;
  return { session, state };
}

/** The most recent session of a project that has not ended. */
export async function latestOpenSession(q: Queryable, projectName: string): Promise<SessionRow | undefined> {
  const project = await getProjectByName(q, projectName);
  if (!project) return undefined;
  const { rows } = await q.query<SessionRow>(
    `SELECT session_id, project_id, claude_session_id, session_start, session_end, session_summary, tasks_completed, learnings_gained
     FROM claude.sessions WHERE project_id = $1 AND session_end IS NULL ORDER BY session_start DESC LIMIT 1`,
    [project.project_id],
  );
  return rows[0];
}
