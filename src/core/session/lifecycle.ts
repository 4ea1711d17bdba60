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
  /** Replace a summary recorded by an earlier end (default: the new one is appended to it). */
  replaceSummary?: boolean;
}

/** What a second end (or commit) of a session did to what the first one recorded. */
export interface Amendment {
  summary: 'appended' | 'replaced' | 'unchanged';
  tasksAdded: number;
  learningsAdded: number;
}

export interface EndedSession {
  session: SessionRow;
  /** Set when the session had a summary already: how this end amended it (it never silently replaces). */
  amended?: Amendment;
  /** The project's session_state after the update, when focus or next steps were given. */
  state?: SessionStateRow;
}

/**
 * Closes a session with its summary (session_end is set once) and saves focus / next steps for the next
 * session, all in one transaction. A session that has a summary already is amended: its tasks and
 * learnings get the new ones appended, and the new summary is appended to the old, unless replaceSummary.
 */
export async function endSession(db: Db, input: EndSessionInput): Promise<EndedSession> {
  return db.transaction((tx) => endSessionIn(tx, input));
}

/** endSession inside a transaction the caller holds (applying a spooled end). */
export async function endSessionIn(tx: Queryable, input: EndSessionInput): Promise<EndedSession> {
  const before = (await tx.query<Pick<SessionRow, 'session_summary' | 'tasks_completed' | 'learnings_gained'>>(
    'SELECT session_summary, tasks_completed, learnings_gained FROM claude.sessions WHERE session_id = $1 FOR UPDATE',
    [input.sessionId],
  )).rows[0];
  const newTasks = input.tasksCompleted ?? [];
  const newLearnings = input.learningsGained ?? [];
  let summary = input.summary;
  let tasksCompleted = newTasks;
  let learningsGained = newLearnings;
  let amended: Amendment | undefined;
  if (before?.session_summary) {
    const old = before.session_summary;
    const kind: Amendment['summary'] = input.replaceSummary ? 'replaced' : old.trim() === summary.trim() || old.includes(summary.trim()) ? 'unchanged' : 'appended';
    if (kind === 'unchanged') summary = old;
    if (kind === 'appended') summary = cap(`${old}\n\n${summary}`, SUMMARY_MAX);
    const added = (had: string[], more: string[]) => more.filter((x, i) => !had.includes(x) && more.indexOf(x) === i);
    const tasks = added(before.tasks_completed, newTasks);
    const learnings = added(before.learnings_gained, newLearnings);
    tasksCompleted = tasks.length > 0 ? [...before.tasks_completed, ...tasks] : [];
    learningsGained = learnings.length > 0 ? [...before.learnings_gained, ...learnings] : [];
    amended = { summary: kind, tasksAdded: tasks.length, learningsAdded: learnings.length };
  }
  const session = await closeSession(tx, {
    sessionId: input.sessionId,
    summary,
    tasksCompleted,
    learningsGained,
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
  return amended ? { session, state, amended } : { session, state };
}

/** The longest summary a session keeps (models.ts CloseSessionInput). */
const SUMMARY_MAX = 20_000;

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
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
