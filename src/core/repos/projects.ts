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
