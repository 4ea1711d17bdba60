// Sessions per day (UTC) over the last N days, per project and in total: one statement, a range scan of
// sessions_start_project_idx grouped by project and day. And, for a chart's hover, the sessions of one day.
import type { Queryable } from '../db/db.js';
import { firstLine } from './text.js';

export const MAX_ACTIVITY_DAYS = 365;

export interface SessionActivity {
  /** The days, oldest first, as YYYY-MM-DD (UTC); the last one is today. */
  days: string[];
  /** Sessions started on each day, every project together. */
  total: number[];
  /** The same per project (only projects with a session in the range), by name. */
  perProject: Record<string, number[]>;
}

/** YYYY-MM-DD of `d` in UTC. */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The `days` UTC days ending with today, oldest first. */
export function dayRange(days: number, now: Date = new Date()): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => utcDay(new Date(today - (days - 1 - i) * 86_400_000)));
}

function checkDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > MAX_ACTIVITY_DAYS) throw new RangeError(`days must be a whole number from 1 to ${MAX_ACTIVITY_DAYS}, got ${days}`);
}

export async function loadSessionActivity(q: Queryable, days = 30, now: Date = new Date()): Promise<SessionActivity> {
  checkDays(days);
  const range = dayRange(days, now);
  const index = new Map(range.map((d, i) => [d, i]));
  const { rows } = await q.query<{ project_name: string; day: string; n: number }>(
    `SELECT p.project_name, a.day, a.n
       FROM (SELECT project_id, (session_start AT TIME ZONE 'UTC')::date::text AS day, count(*)::int AS n
               FROM claude.sessions WHERE session_start >= $1::timestamptz AND session_start < $2::timestamptz
              GROUP BY project_id, (session_start AT TIME ZONE 'UTC')::date) a
       JOIN claude.projects p USING (project_id)`,
    [`${range[0]}T00:00:00Z`, new Date(Date.parse(`${range[range.length - 1]}T00:00:00Z`) + 86_400_000).toISOString()],
  );
  const total = range.map(() => 0);
  const perProject: Record<string, number[]> = {};
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    total[i]! += r.n;
    (perProject[r.project_name] ??= range.map(() => 0))[i] = r.n;
  }
  return { days: range, total, perProject };
}

export interface DaySession {
  sessionId: string;
  project: string;
  start: Date;
  end: Date | null;
  summary: string | null;
}

/** Most sessions listed for one day (the count stays exact). */
export const DAY_SESSIONS_LIMIT = 20;

/** The sessions started on `day` (YYYY-MM-DD, UTC), of one project or of all; the latest first. */
export async function loadDaySessions(q: Queryable, day: string, project?: string, limit = DAY_SESSIONS_LIMIT): Promise<{ sessions: DaySession[]; count: number }> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw new RangeError(`not a day: ${JSON.stringify(day)}`);
  const from = `${day}T00:00:00Z`;
  const to = new Date(Date.parse(from) + 86_400_000).toISOString();
  const { rows } = await q.query<{ session_id: string; project_name: string; session_start: Date; session_end: Date | null; summary: string | null; total: number }>(
    `SELECT s.session_id, p.project_name, s.session_start, s.session_end, left(s.session_summary, 1000) AS summary, count(*) OVER ()::int AS total
       FROM claude.sessions s JOIN claude.projects p USING (project_id)
      WHERE s.session_start >= $1::timestamptz AND s.session_start < $2::timestamptz AND ($3::text IS NULL OR p.project_name = $3)
      ORDER BY s.session_start DESC LIMIT $4`,
    [from, to, project ?? null, limit],
  );
  return {
    sessions: rows.map((r) => ({ sessionId: r.session_id, project: r.project_name, start: r.session_start, end: r.session_end, summary: firstLine(r.summary) })),
    count: rows[0]?.total ?? 0,
  };
}
