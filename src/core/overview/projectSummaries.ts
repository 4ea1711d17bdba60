// One row per project for the overview: current focus, live todo counts, next steps, the last session
// (the latest that ended or has a summary, among the 5 latest: a session just started says nothing yet),
// with its summary's first line, pending messages and the sessions running now. One statement: the live
// todos are counted in one pass over todos_active_idx; every other per-project figure is a LATERAL lookup
// on an index (sessions_project_start_idx, sessions_open_idx, messages_pending_idx), so its cost grows with
// the number of projects and live todos, not with the sessions' history.
import type { Queryable } from '../db/db.js';
import { firstLine } from './text.js';

/** A session still open (no end) that started within this many hours counts as running now. */
export const LIVE_WITHIN_HOURS = 24;
/** A project with no activity for this many days is idle: the overview folds it, like an archived one. */
export const IDLE_DAYS = 14;

export interface LastSession {
  sessionId: string;
  start: Date;
  end: Date | null;
  /** The first line of its summary (null when none was recorded). */
  summary: string | null;
}

export interface ProjectSummary {
  projectId: string;
  name: string;
  archivedAt: Date | null;
  focus: string | null;
  inProgress: number;
  pending: number;
  nextSteps: number;
  lastSession: LastSession | null;
  pendingMessages: number;
  /** Sessions open (no end) that started within LIVE_WITHIN_HOURS. */
  liveSessions: number;
  /** The latest of the latest session's start, the last session's end and the session state's update; null for a project never used. */
  lastActivity: Date | null;
  /** No activity for IDLE_DAYS (and nothing running now). */
  idle: boolean;
}

interface Row {
  project_id: string;
  project_name: string;
  archived_at: Date | null;
  current_focus: string | null;
  next_steps: number;
  in_progress: number;
  pending: number;
  last_session_id: string | null;
  last_session_start: Date | null;
  last_session_end: Date | null;
  last_summary: string | null;
  pending_messages: number;
  live_sessions: number;
  last_activity: Date | null;
}

export const PROJECT_SUMMARIES_SQL = `
SELECT p.project_id, p.project_name, p.archived_at,
       left(ss.current_focus, 1000) AS current_focus,
       COALESCE(jsonb_array_length(ss.next_steps), 0)::int AS next_steps,
       COALESCE(t.in_progress, 0) AS in_progress, COALESCE(t.pending, 0) AS pending,
       ls.session_id AS last_session_id, ls.session_start AS last_session_start, ls.session_end AS last_session_end,
       left(ls.session_summary, 1000) AS last_summary,
       m.n AS pending_messages, live.n AS live_sessions,
       greatest(ls.latest_start, ls.session_end, ss.updated_at) AS last_activity
  FROM claude.projects p
  LEFT JOIN claude.session_state ss ON ss.project_name = p.project_name
  LEFT JOIN (
    SELECT project_id, count(*) FILTER (WHERE status = 'in_progress')::int AS in_progress, count(*) FILTER (WHERE status = 'pending')::int AS pending
      FROM claude.todos WHERE NOT is_deleted AND status IN ('pending', 'in_progress') GROUP BY project_id) t ON t.project_id = p.project_id
  LEFT JOIN LATERAL (
    SELECT *, max(session_start) OVER () AS latest_start FROM (
      SELECT session_id, session_start, session_end, session_summary FROM claude.sessions
       WHERE project_id = p.project_id ORDER BY session_start DESC LIMIT 5) recent
     ORDER BY (session_end IS NULL AND session_summary IS NULL), session_start DESC LIMIT 1) ls ON true
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS n FROM claude.messages WHERE to_project = p.project_name AND status = 'pending') m
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS n FROM claude.sessions
     WHERE project_id = p.project_id AND session_end IS NULL AND session_start > now() - make_interval(hours => ${LIVE_WITHIN_HOURS})) live
 ORDER BY last_activity DESC NULLS LAST, p.project_name`;

/** Every project, most recently active first. */
export async function loadProjectSummaries(q: Queryable, now: Date = new Date()): Promise<ProjectSummary[]> {
  const { rows } = await q.query<Row>(PROJECT_SUMMARIES_SQL);
  const idleBefore = now.getTime() - IDLE_DAYS * 86_400_000;
  return rows.map((r) => ({
    projectId: r.project_id,
    name: r.project_name,
    archivedAt: r.archived_at,
    focus: firstLine(r.current_focus, 300),
    inProgress: r.in_progress,
    pending: r.pending,
    nextSteps: r.next_steps,
    lastSession: r.last_session_id
      ? { sessionId: r.last_session_id, start: r.last_session_start!, end: r.last_session_end, summary: firstLine(r.last_summary) }
      : null,
    pendingMessages: r.pending_messages,
    liveSessions: r.live_sessions,
    lastActivity: r.last_activity,
    idle: r.live_sessions === 0 && (r.last_activity === null || r.last_activity.getTime() < idleBefore),
  }));
}
