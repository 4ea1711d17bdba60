import type { Queryable } from '../db/db.js';
import { ProjectName, parseInput, type ProjectRow } from '../models.js';

/** Finds the project by name or creates it; safe under concurrent callers. */
export async function ensureProject(q: Queryable, name: string): Promise<ProjectRow> {
  const projectName = parseInput(ProjectName, name, 'project name');
  const inserted = await q.query<ProjectRow>(
    `INSERT INTO claude.projects (project_name) VALUES ($1)
     ON CONFLICT (project_name) DO NOTHING
     RETURNING project_id, project_name, created_at`,
    [projectName],
  );
  if (inserted.rows[0]) return inserted.rows[0];
  const existing = await getProjectByName(q, projectName);
  if (!existing) throw new Error(`project ${projectName} vanished while being created`);
  return existing;
}

export async function getProjectByName(q: Queryable, name: string): Promise<ProjectRow | undefined> {
  const { rows } = await q.query<ProjectRow>(
    'SELECT project_id, project_name, created_at FROM claude.projects WHERE project_name = $1',
    [name.trim()],
  );
  return rows[0];
}

export async function listProjects(q: Queryable): Promise<ProjectRow[]> {
  const { rows } = await q.query<ProjectRow>('SELECT project_id, project_name, created_at FROM claude.projects ORDER BY project_name');
  return rows;
}

/** A project name that names no project: the message lists the known ones. */
export class UnknownProjectError extends Error {
  constructor(
    readonly project: string,
    readonly known: readonly string[],
  ) {
    const shown = known.slice(0, 20).map((n) => JSON.stringify(n)).join(', ');
    super(`no project named ${JSON.stringify(project)}; known projects: ${known.length === 0 ? '(none yet)' : `${shown}${known.length > 20 ? ` and ${known.length - 20} more (claude-family projects)` : ''}`}`);
    this.name = 'UnknownProjectError';
  }
}

/** The project by name; an UnknownProjectError naming the known projects when there is none. */
export async function requireProject(q: Queryable, name: string): Promise<ProjectRow> {
  const p = await getProjectByName(q, name);
  if (p) return p;
  throw new UnknownProjectError(name.trim(), (await listProjects(q)).map((r) => r.project_name));
}

export interface ProjectSummary {
  project_name: string;
  sessions: number;
  last_session_at: Date | null;
  active_todos: number;
}

/** Every project with how many sessions it has, when the last one started and its active todos, by name. */
export async function listProjectSummaries(q: Queryable): Promise<ProjectSummary[]> {
  const { rows } = await q.query<{ project_name: string; sessions: number; last_session_at: Date | string | null; active_todos: number }>(
    `SELECT p.project_name,
            (SELECT count(*)::int FROM claude.sessions s WHERE s.project_id = p.project_id) AS sessions,
            (SELECT max(s.session_start) FROM claude.sessions s WHERE s.project_id = p.project_id) AS last_session_at,
            (SELECT count(*)::int FROM claude.todos t WHERE t.project_id = p.project_id AND NOT t.is_deleted AND t.status IN ('pending', 'in_progress')) AS active_todos
       FROM claude.projects p ORDER BY p.project_name`,
  );
  return rows.map((r) => ({ ...r, last_session_at: r.last_session_at === null ? null : new Date(r.last_session_at) }));
}
