import type { Queryable } from '../db/db.js';
import * as z from 'zod/mini';
import { Priority, Text, TodoStatus, Uuid, parseInput } from '../models.js';

/** One item of Claude Code's TodoWrite list (tool_input.todos[]). */
export const TodoWriteItem = z.object({
  content: Text(),
  status: TodoStatus,
  activeForm: z.optional(Text()),
  /** Older TodoWrite versions sent a priority word; newer ones send none. */
  priority: z.optional(z.union([z.enum(['high', 'medium', 'low']), Priority])),
});
export type TodoWriteItem = z.infer<typeof TodoWriteItem>;

export const TodoWriteSync = z.object({
  projectId: Uuid,
  sessionId: Uuid,
  todos: z.array(TodoWriteItem).check(z.maxLength(2000)),
});
export type TodoWriteSyncInput = z.input<typeof TodoWriteSync>;

export interface TodoSyncResult {
  inserted: number;
  updated: number;
  deleted: number;
  unchanged: number;
}

const PRIORITY_WORDS = { high: 2, medium: 3, low: 4 } as const;

interface Candidate {
  todo_id: string;
  content: string;
  active_form: string;
  status: 'pending' | 'in_progress' | 'completed';
  display_order: number;
  synced_session_id: string | null;
}

/**
 * Applies one TodoWrite list to claude.todos as a diff, in the caller's transaction:
 *  - an item matches the project's live todo with the same content (or, for a completed item, the
 *    completed todo this session last synced); unmatched items are inserted;
 *  - a matched todo is updated only when its status, active form or position changed (completion
 *    records completed_at and completed_session_id; reopening clears them);
 *  - live todos this session's previous list contained but this one does not are soft-deleted.
 *    Todos carried over from other sessions are never deleted by a list that omits them.
 * The same list applied twice changes nothing the second time. Concurrent syncs for one project are
 * serialised by a row lock on the project, so two sessions writing at once lose no update.
 */
export async function syncTodoWrite(tx: Queryable, input: TodoWriteSyncInput): Promise<TodoSyncResult> {
  const data = parseInput(TodoWriteSync, input, 'TodoWrite list');
  const result: TodoSyncResult = { inserted: 0, updated: 0, deleted: 0, unchanged: 0 };

  const locked = await tx.query('SELECT 1 FROM claude.projects WHERE project_id = $1 FOR NO KEY UPDATE', [data.projectId]);
  if (locked.rows.length === 0) throw new Error(`no project ${data.projectId}`);

  // Later duplicates of the same content in one list are ignored: one todo per content.
  const seen = new Set<string>();
  const items = data.todos.filter((t) => (seen.has(t.content) ? false : (seen.add(t.content), true)));

  const { rows } = await tx.query<Candidate>(
    `SELECT todo_id, content, active_form, status, display_order, synced_session_id FROM claude.todos
     WHERE project_id = $1 AND NOT is_deleted
       AND task_list_id IS NULL
       AND (content = ANY($3::text[]) OR synced_session_id = $2)
       AND (status <> 'completed' OR synced_session_id = $2)
     ORDER BY updated_at DESC`,
    [data.projectId, data.sessionId, items.map((t) => t.content)],
  );
  // Only the todos this list names, and those this session's previous list had, are candidates: a
  // project's other live todos (Task tools' rows included) are neither matched nor deleted, so they
  // need not be read.
  const live = new Map<string, Candidate>();
  const completed = new Map<string, Candidate>();
  for (const row of rows) {
    const into = row.status === 'completed' ? completed : live;
    if (!into.has(row.content)) into.set(row.content, row);
  }

  const inserts: { content: string; activeForm: string; status: string; priority: number; order: number }[] = [];
  const updates: { id: string; activeForm: string; status: string; order: number }[] = [];
  const matched = new Set<string>();

  items.forEach((item, order) => {
    const activeForm = item.activeForm ?? item.content;
    const match = live.get(item.content) ?? (item.status === 'completed' ? completed.get(item.content) : undefined);
    if (!match) {
      const priority = typeof item.priority === 'string' ? PRIORITY_WORDS[item.priority] : (item.priority ?? 3);
      inserts.push({ content: item.content, activeForm, status: item.status, priority, order });
      return;
    }
    matched.add(match.todo_id);
    const same =
      match.status === item.status &&
      match.active_form === activeForm &&
      match.display_order === order &&
      match.synced_session_id === data.sessionId;
    if (same) result.unchanged += 1;
    else updates.push({ id: match.todo_id, activeForm, status: item.status, order });
  });

  if (updates.length > 0) {
    const res = await tx.query(
      `UPDATE claude.todos t SET
         status = u.status,
         active_form = u.active_form,
         display_order = u.display_order,
         synced_session_id = $1::uuid,
         updated_at = now(),
         completed_at = CASE WHEN u.status = 'completed' THEN COALESCE(t.completed_at, now()) END,
         completed_session_id = CASE
           WHEN u.status <> 'completed' THEN NULL
           WHEN t.status = 'completed' THEN t.completed_session_id
           ELSE $1::uuid END
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[]) AS u(todo_id, status, active_form, display_order)
       WHERE t.todo_id = u.todo_id`,
      [data.sessionId, updates.map((u) => u.id), updates.map((u) => u.status), updates.map((u) => u.activeForm), updates.map((u) => u.order)],
    );
    result.updated = res.rowCount;
  }

  if (inserts.length > 0) {
    const res = await tx.query(
      `INSERT INTO claude.todos (project_id, created_session_id, synced_session_id, content, active_form, status,
         priority, display_order, completed_at, completed_session_id)
       SELECT $1::uuid, $2::uuid, $2::uuid, i.content, i.active_form, i.status, i.priority, i.display_order,
         CASE WHEN i.status = 'completed' THEN now() END,
         CASE WHEN i.status = 'completed' THEN $2::uuid END
       FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::int[]) AS i(content, active_form, status, priority, display_order)`,
      [
        data.projectId,
        data.sessionId,
        inserts.map((i) => i.content),
        inserts.map((i) => i.activeForm),
        inserts.map((i) => i.status),
        inserts.map((i) => i.priority),
        inserts.map((i) => i.order),
      ],
    );
    result.inserted = res.rowCount;
  }

  const vanished = rows.filter(
    (r) => r.synced_session_id === data.sessionId && r.status !== 'completed' && !matched.has(r.todo_id),
  );
  if (vanished.length > 0) {
    const res = await tx.query(
      `UPDATE claude.todos SET is_deleted = true, deleted_at = now(), updated_at = now()
       WHERE todo_id = ANY($1::uuid[]) AND NOT is_deleted`,
      [vanished.map((r) => r.todo_id)],
    );
    result.deleted = res.rowCount;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Claude Code's Task tools (TaskCreate / TaskUpdate): the same diff, keyed by (task list id, task id).

export const TASK_STATUSES = ['pending', 'in_progress', 'completed', 'deleted'] as const;
const TaskId = Text(100);

/** One task as Claude Code keeps it in ~/.claude/tasks/<task list id>/<id>.json (the fields we use). */
export interface TaskItem {
  id: string;
  subject: string;
  activeForm?: string;
  status: (typeof TASK_STATUSES)[number];
  blockedBy?: string[];
}

const MAX_TASK_ID = 100;
const MAX_TASK_TEXT = 10_000;

function textProblem(v: unknown, max: number): string | undefined {
  if (typeof v !== 'string') return `expected a string, got ${v === null ? 'null' : typeof v}`;
  if (v.trim() === '') return 'must not be empty';
  if (v.length > max) return `must be at most ${max} characters`;
  if (v.includes('\u0000')) return 'must not contain NUL characters (\\u0000)';
  return undefined;
}

/**
 * What is wrong with a task, or undefined. Written by hand rather than as a zod object: a hook validates a
 * 200-task list several times on its way (event, spool, apply), and zod took about 20 ms of it.
 */
export function taskItemProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'expected an object';
  const t = v as Record<string, unknown>;
  for (const key of Object.keys(t)) if (!['id', 'subject', 'activeForm', 'status', 'blockedBy'].includes(key)) return `${key}: unknown field`;
  const id = textProblem(t.id, MAX_TASK_ID);
  if (id) return `id: ${id}`;
  const subject = textProblem(t.subject, MAX_TASK_TEXT);
  if (subject) return `subject: ${subject}`;
  if (t.activeForm !== undefined) {
    const af = textProblem(t.activeForm, MAX_TASK_TEXT);
    if (af) return `activeForm: ${af}`;
  }
  if (!(TASK_STATUSES as readonly unknown[]).includes(t.status)) return `status: expected one of ${TASK_STATUSES.join(', ')}`;
  if (t.blockedBy !== undefined) {
    if (!Array.isArray(t.blockedBy) || t.blockedBy.length > 2000) return 'blockedBy: expected an array of at most 2000 task ids';
    for (const b of t.blockedBy) {
      const p = textProblem(b, MAX_TASK_ID);
      if (p) return `blockedBy: ${p}`;
    }
  }
  return undefined;
}

export const TaskItem = z.custom<TaskItem>((v) => taskItemProblem(v) === undefined, { error: (iss) => `invalid task: ${taskItemProblem(iss.input) ?? 'invalid'}` });

/** What one TaskCreate / TaskUpdate call says about one task, when the task list cannot be read. */
export const TaskChange = z.object({
  id: TaskId,
  subject: z.optional(Text()),
  activeForm: z.optional(Text()),
  status: z.optional(z.enum(TASK_STATUSES)),
  addBlockedBy: z.optional(z.array(TaskId).check(z.maxLength(2000))),
});
export type TaskChange = z.infer<typeof TaskChange>;

const TaskListSync = z.object({
  projectId: Uuid,
  sessionId: Uuid,
  taskListId: Text(200),
  tasks: z.array(TaskItem).check(z.maxLength(5000)),
  /** Ids whose files could not be read: their rows are left as they are, never taken for vanished. */
  keep: z.optional(z.array(TaskId).check(z.maxLength(5000))),
});
export type TaskListSyncInput = z.input<typeof TaskListSync>;

interface TaskRow {
  todo_id: string;
  task_id: string;
  content: string;
  active_form: string;
  status: 'pending' | 'in_progress' | 'completed';
  display_order: number;
  blocked_by: string[];
  synced_session_id: string | null;
}

/** Task ids are numbers as text ("1", "2", ... "10"): order them as numbers, others after, as text. */
export function compareTaskIds(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : Number.POSITIVE_INFINITY;
  const nb = /^\d+$/.test(b) ? Number(b) : Number.POSITIVE_INFINITY;
  return na - nb || (a < b ? -1 : a > b ? 1 : 0);
}

function displayOrderOf(id: string): number {
  return /^\d{1,9}$/.test(id) ? Number(id) : 0;
}

/**
 * Serialises syncs of one task list (two sessions sharing it, or a replay racing a direct write) and
 * returns the project its rows belong to: the project of the rows already recorded for the list, else
 * the session's. A list shared by several sessions thus maps to one project.
 */
async function lockTaskList(tx: Queryable, taskListId: string, sessionProjectId: string): Promise<string> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('claude-family task list ' || $1))`, [taskListId]);
  const home = await tx.query<{ project_id: string }>(
    'SELECT project_id FROM claude.todos WHERE task_list_id = $1 ORDER BY created_at LIMIT 1',
    [taskListId],
  );
  return home.rows[0]?.project_id ?? sessionProjectId;
}

async function liveTaskRows(tx: Queryable, taskListId: string): Promise<Map<string, TaskRow>> {
  const { rows } = await tx.query<TaskRow>(
    `SELECT todo_id, task_id, content, active_form, status, display_order, blocked_by, synced_session_id
     FROM claude.todos WHERE task_list_id = $1 AND NOT is_deleted`,
    [taskListId],
  );
  return new Map(rows.map((r) => [r.task_id, r]));
}

interface TaskWrite {
  id: string;
  content: string;
  activeForm: string;
  status: 'pending' | 'in_progress' | 'completed';
  order: number;
  blockedBy: string[];
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Updates rows in place; completion records completed_at and completed_session_id as TodoWrite's sync does. */
async function updateTaskRows(tx: Queryable, sessionId: string, updates: (TaskWrite & { todoId: string })[]): Promise<number> {
  if (updates.length === 0) return 0;
  const res = await tx.query(
    `UPDATE claude.todos t SET
       content = u.content,
       status = u.status,
       active_form = u.active_form,
       display_order = u.display_order,
       blocked_by = ARRAY(SELECT jsonb_array_elements_text(u.blocked_by::jsonb)),
       synced_session_id = $1::uuid,
       updated_at = now(),
       completed_at = CASE WHEN u.status = 'completed' THEN COALESCE(t.completed_at, now()) END,
       completed_session_id = CASE
         WHEN u.status <> 'completed' THEN NULL
         WHEN t.status = 'completed' THEN t.completed_session_id
         ELSE $1::uuid END
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[])
       AS u(todo_id, content, status, active_form, display_order, blocked_by)
     WHERE t.todo_id = u.todo_id`,
    [
      sessionId,
      updates.map((u) => u.todoId),
      updates.map((u) => u.content),
      updates.map((u) => u.status),
      updates.map((u) => u.activeForm),
      updates.map((u) => u.order),
      updates.map((u) => JSON.stringify(u.blockedBy)),
    ],
  );
  return res.rowCount;
}

async function insertTaskRows(tx: Queryable, projectId: string, sessionId: string, taskListId: string, inserts: TaskWrite[]): Promise<number> {
  if (inserts.length === 0) return 0;
  const res = await tx.query(
    `INSERT INTO claude.todos (project_id, created_session_id, synced_session_id, content, active_form, status,
       priority, display_order, completed_at, completed_session_id, task_list_id, task_id, blocked_by)
     SELECT $1::uuid, $2::uuid, $2::uuid, i.content, i.active_form, i.status, 3, i.display_order,
       CASE WHEN i.status = 'completed' THEN now() END,
       CASE WHEN i.status = 'completed' THEN $2::uuid END,
       $3, i.task_id, ARRAY(SELECT jsonb_array_elements_text(i.blocked_by::jsonb))
     FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[])
       AS i(task_id, content, active_form, status, display_order, blocked_by)`,
    [
      projectId,
      sessionId,
      taskListId,
      inserts.map((i) => i.id),
      inserts.map((i) => i.content),
      inserts.map((i) => i.activeForm),
      inserts.map((i) => i.status),
      inserts.map((i) => i.order),
      inserts.map((i) => JSON.stringify(i.blockedBy)),
    ],
  );
  return res.rowCount;
}

async function softDeleteRows(tx: Queryable, todoIds: string[]): Promise<number> {
  if (todoIds.length === 0) return 0;
  const res = await tx.query(
    `UPDATE claude.todos SET is_deleted = true, deleted_at = now(), updated_at = now()
     WHERE todo_id = ANY($1::uuid[]) AND NOT is_deleted`,
    [todoIds],
  );
  return res.rowCount;
}

/**
 * Applies a whole task list, as read from Claude Code's task directory, to claude.todos, in the caller's
 * transaction, keyed by (task list id, task id):
 *  - a task with no live row is inserted (two tasks with the same subject are two rows);
 *  - a row is updated only when its subject, status, active form, position or blockedBy changed
 *    (completion records completed_at and completed_session_id; reopening clears them);
 *  - a task whose status is `deleted`, or whose file is gone, soft-deletes its row; ids in `keep`
 *    (files that could not be read this time) are left as they are.
 * The same list applied twice changes nothing the second time.
 */
export async function syncTaskList(tx: Queryable, input: TaskListSyncInput): Promise<TodoSyncResult> {
  const data = parseInput(TaskListSync, input, 'task list');
  const result: TodoSyncResult = { inserted: 0, updated: 0, deleted: 0, unchanged: 0 };
  const projectId = await lockTaskList(tx, data.taskListId, data.projectId);
  const live = await liveTaskRows(tx, data.taskListId);

  const seen = new Set<string>();
  const tasks = data.tasks.filter((t) => (seen.has(t.id) ? false : (seen.add(t.id), true))).sort((a, b) => compareTaskIds(a.id, b.id));
  const keep = new Set(data.keep ?? []);
  const inserts: TaskWrite[] = [];
  const updates: (TaskWrite & { todoId: string })[] = [];
  const deletes: string[] = [];
  for (const task of tasks) {
    const row = live.get(task.id);
    if (task.status === 'deleted') {
      if (row) deletes.push(row.todo_id);
      continue;
    }
    const write: TaskWrite = {
      id: task.id,
      content: task.subject,
      activeForm: task.activeForm ?? task.subject,
      status: task.status,
      order: displayOrderOf(task.id),
      blockedBy: [...new Set(task.blockedBy ?? [])].sort(compareTaskIds),
    };
    if (!row) {
      inserts.push(write);
      continue;
    }
    const same =
      row.content === write.content &&
      row.status === write.status &&
      row.active_form === write.activeForm &&
      row.display_order === write.order &&
      sameList(row.blocked_by, write.blockedBy);
    if (same) result.unchanged += 1;
    else updates.push({ ...write, todoId: row.todo_id });
  }
  for (const [id, row] of live) {
    if (!seen.has(id) && !keep.has(id)) deletes.push(row.todo_id);
  }
  result.updated = await updateTaskRows(tx, data.sessionId, updates);
  result.inserted = await insertTaskRows(tx, projectId, data.sessionId, data.taskListId, inserts);
  result.deleted = await softDeleteRows(tx, deletes);
  return result;
}

const TaskChangeSync = z.object({ projectId: Uuid, sessionId: Uuid, taskListId: Text(200), change: TaskChange });
export type TaskChangeSyncInput = z.input<typeof TaskChangeSync>;

/**
 * Applies what one TaskCreate / TaskUpdate call said about one task, when the task list itself could not
 * be read: the fields it names change, the others stay. A task we have no row for is inserted only when
 * the change names its subject (a TaskCreate); an update of an unknown task changes nothing.
 */
export async function applyTaskChange(tx: Queryable, input: TaskChangeSyncInput): Promise<TodoSyncResult> {
  const data = parseInput(TaskChangeSync, input, 'task change');
  const result: TodoSyncResult = { inserted: 0, updated: 0, deleted: 0, unchanged: 0 };
  const c = data.change;
  const projectId = await lockTaskList(tx, data.taskListId, data.projectId);
  const row = (await liveTaskRows(tx, data.taskListId)).get(c.id);
  if (c.status === 'deleted') {
    result.deleted = row ? await softDeleteRows(tx, [row.todo_id]) : 0;
    return result;
  }
  const blockedBy = [...new Set([...(row?.blocked_by ?? []), ...(c.addBlockedBy ?? [])])].sort(compareTaskIds);
  if (!row) {
    if (c.subject === undefined) return result;
    const write = { id: c.id, content: c.subject, activeForm: c.activeForm ?? c.subject, status: c.status ?? 'pending', order: displayOrderOf(c.id), blockedBy };
    result.inserted = await insertTaskRows(tx, projectId, data.sessionId, data.taskListId, [write]);
    return result;
  }
  const write = {
    todoId: row.todo_id,
    id: c.id,
    content: c.subject ?? row.content,
    activeForm: c.activeForm ?? row.active_form,
    status: c.status ?? row.status,
    order: row.display_order,
    blockedBy,
  };
  const same = write.content === row.content && write.activeForm === row.active_form && write.status === row.status && sameList(row.blocked_by, blockedBy);
  if (same) result.unchanged = 1;
  else result.updated = await updateTaskRows(tx, data.sessionId, [write]);
  return result;
}
