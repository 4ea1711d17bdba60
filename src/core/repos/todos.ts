import type { Queryable } from '../db/db.js';
import { NewTodoInput, SetTodoStatusInput, Uuid, parseInput, type TodoRow, type TodoStatus } from '../models.js';
import { NotFoundError } from './sessions.js';

export const TODO_COLUMNS = `todo_id, project_id, created_session_id, completed_session_id, content, active_form, status,
  priority, display_order, is_deleted, created_at, updated_at, completed_at, deleted_at, source_message_id, synced_session_id,
  task_list_id, task_id, blocked_by`;

export class DuplicateTodoError extends Error {
  constructor(content: string) {
    super(`the project already has a live todo "${content}"`);
    this.name = 'DuplicateTodoError';
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  return e?.code === '23505' && (e.constraint === constraint || (e.message ?? '').includes(constraint));
}

/** Adds a todo. A second live (pending or in progress) todo with the same content is refused. */
export async function addTodo(q: Queryable, input: NewTodoInput): Promise<TodoRow> {
  const data = parseInput(NewTodoInput, input, 'todo');
  const { rows } = await q.query<TodoRow>(
    `INSERT INTO claude.todos (project_id, created_session_id, content, active_form, status, priority, display_order,
       completed_at, completed_session_id, source_message_id)
     VALUES ($1, $2::uuid, $3, $4, $5::text, $6, $7, CASE WHEN $5::text = 'completed' THEN now() END,
       CASE WHEN $5::text = 'completed' THEN $2::uuid END, $8)
     RETURNING ${TODO_COLUMNS}`,
    [
      data.projectId,
      data.createdSessionId ?? null,
      data.content,
      data.activeForm ?? data.content,
      data.status,
      data.priority,
      data.displayOrder,
      data.sourceMessageId ?? null,
    ],
  ).catch((err: unknown) => {
    if (isUniqueViolation(err, 'todos_live_content_uq')) throw new DuplicateTodoError(data.content);
    throw err;
  });
  return rows[0]!;
}

export async function getTodo(q: Queryable, todoId: string): Promise<TodoRow | undefined> {
  const id = parseInput(Uuid, todoId, 'todo id');
  const { rows } = await q.query<TodoRow>(`SELECT ${TODO_COLUMNS} FROM claude.todos WHERE todo_id = $1`, [id]);
  return rows[0];
}

export interface ActiveTodos {
  inProgress: TodoRow[];
  pending: TodoRow[];
}

/**
 * Live todos of a project (not deleted, not completed), grouped by status, by priority then display
 * order; at most `limitPerStatus` of each (all when absent).
 */
export async function listActiveTodos(q: Queryable, projectId: string, limitPerStatus?: number): Promise<ActiveTodos> {
  const id = parseInput(Uuid, projectId, 'project id');
  const list = async (status: TodoStatus) =>
    (
      await q.query<TodoRow>(
        `SELECT ${TODO_COLUMNS} FROM claude.todos
         WHERE project_id = $1 AND NOT is_deleted AND status = $2
         ORDER BY priority, display_order, created_at
         LIMIT $3`,
        [id, status, limitPerStatus ?? null],
      )
    ).rows;
  const [inProgress, pending] = await Promise.all([list('in_progress'), list('pending')]);
  return { inProgress, pending };
}

/**
 * Moves a todo to a status. Completing records completed_at and completed_session_id; leaving
 * completed clears them. Setting the status it already has changes nothing (not even updated_at).
 */
export async function setTodoStatus(q: Queryable, input: SetTodoStatusInput): Promise<TodoRow> {
  const data = parseInput(SetTodoStatusInput, input, 'todo status');
  const { rows } = await q.query<TodoRow>(
    `UPDATE claude.todos SET
       status = $2::text,
       updated_at = now(),
       completed_at = CASE WHEN $2::text = 'completed' THEN now() END,
       completed_session_id = CASE WHEN $2::text = 'completed' THEN $3::uuid END
     WHERE todo_id = $1 AND NOT is_deleted AND status <> $2::text
     RETURNING ${TODO_COLUMNS}`,
    [data.todoId, data.status, data.sessionId ?? null],
  );
  if (rows[0]) return rows[0];
  const current = await getTodo(q, data.todoId);
  if (!current || current.is_deleted) throw new NotFoundError(`no live todo ${data.todoId}`);
  return current;
}

/** Soft delete: the row stays for history, flagged is_deleted with deleted_at. */
export async function softDeleteTodo(q: Queryable, todoId: string): Promise<boolean> {
  const id = parseInput(Uuid, todoId, 'todo id');
  const res = await q.query(
    `UPDATE claude.todos SET is_deleted = true, deleted_at = now(), updated_at = now()
     WHERE todo_id = $1 AND NOT is_deleted`,
    [id],
  );
  return res.rowCount > 0;
}

/** Soft-deletes pending todos created more than `olderThanDays` days ago; all projects when projectId is absent. */
export async function archiveStalePendingTodos(q: Queryable, olderThanDays: number, projectId?: string): Promise<number> {
  if (!Number.isInteger(olderThanDays) || olderThanDays < 0) throw new RangeError('olderThanDays must be a whole number of days, 0 or more');
  const res = await q.query(
    `UPDATE claude.todos SET is_deleted = true, deleted_at = now(), updated_at = now()
     WHERE NOT is_deleted AND status = 'pending'
       AND created_at < now() - make_interval(days => $1::int)
       AND ($2::uuid IS NULL OR project_id = $2::uuid)`,
    [olderThanDays, projectId === undefined ? null : parseInput(Uuid, projectId, 'project id')],
  );
  return res.rowCount;
}

/** Todos a session completed, for its summary note. */
export async function todosCompletedInSession(q: Queryable, sessionId: string): Promise<TodoRow[]> {
  const { rows } = await q.query<TodoRow>(
    `SELECT ${TODO_COLUMNS} FROM claude.todos WHERE completed_session_id = $1 AND status = 'completed'
     ORDER BY completed_at`,
    [parseInput(Uuid, sessionId, 'session id')],
  );
  return rows;
}

export type TodoCounts = Record<TodoStatus, number>;

export async function countTodos(q: Queryable, projectId: string): Promise<TodoCounts> {
  const { rows } = await q.query<{ status: TodoStatus; n: number }>(
    `SELECT status, count(*)::int AS n FROM claude.todos WHERE project_id = $1 AND NOT is_deleted GROUP BY status`,
    [parseInput(Uuid, projectId, 'project id')],
  );
  const counts: TodoCounts = { pending: 0, in_progress: 0, completed: 0 };
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}

/** A project's most recently completed (not deleted) todos, newest first: what a handoff view can reopen. */
export async function listRecentlyCompletedTodos(q: Queryable, projectId: string, limit = 5): Promise<TodoRow[]> {
  const { rows } = await q.query<TodoRow>(
    `SELECT ${TODO_COLUMNS} FROM claude.todos
     WHERE project_id = $1 AND NOT is_deleted AND status = 'completed'
     ORDER BY completed_at DESC LIMIT $2`,
    [parseInput(Uuid, projectId, 'project id'), limit],
  );
  return rows;
}
