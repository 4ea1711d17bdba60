import type { Queryable } from '../db/db.js';
import { SessionStateInput, parseInput, type SessionStateRow } from '../models.js';
import { ensureProject } from './projects.js';

const COLUMNS = 'project_name, current_focus, pending_actions, next_steps, files_modified, todo_list, updated_at';

/**
 * Upserts a project's session_state. Only the fields present in the input change; the deprecated
 * todo_list column is never written (claude.todos is the source of truth).
 */
export async function upsertSessionState(q: Queryable, input: SessionStateInput): Promise<SessionStateRow> {
  const data = parseInput(SessionStateInput, input, 'session state');
  await ensureProject(q, data.projectName);
  const given = {
    current_focus: data.currentFocus,
    pending_actions: data.pendingActions,
    next_steps: data.nextSteps === undefined ? undefined : JSON.stringify(data.nextSteps),
    files_modified: data.filesModified,
  };
  const casts: Record<keyof typeof given, string> = {
    current_focus: 'text',
    pending_actions: 'text[]',
    next_steps: 'jsonb',
    files_modified: 'text[]',
  };
  const columns = (Object.keys(given) as (keyof typeof given)[]).filter((c) => given[c] !== undefined);
  const params: unknown[] = [data.projectName, ...columns.map((c) => given[c])];
  const insertCols = ['project_name', ...columns, 'updated_at'].join(', ');
  const insertVals = ['$1', ...columns.map((c, i) => `$${i + 2}::${casts[c]}`), 'now()'].join(', ');
  const updates = [...columns.map((c) => `${c} = EXCLUDED.${c}`), 'updated_at = now()'].join(', ');
  const { rows } = await q.query<SessionStateRow>(
    `INSERT INTO claude.session_state (${insertCols}) VALUES (${insertVals})
     ON CONFLICT (project_name) DO UPDATE SET ${updates}
     RETURNING ${COLUMNS}`,
    params,
  );
  return rows[0]!;
}

export async function getSessionState(q: Queryable, projectName: string): Promise<SessionStateRow | undefined> {
  const { rows } = await q.query<SessionStateRow>(`SELECT ${COLUMNS} FROM claude.session_state WHERE project_name = $1`, [
    projectName.trim(),
  ]);
  return rows[0];
}
