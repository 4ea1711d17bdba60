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
       AND (content = ANY($3::text[]) OR synced_session_id = $2)
       AND (status <> 'completed' OR synced_session_id = $2)
     ORDER BY updated_at DESC`,
    [data.projectId, data.sessionId, items.map((t) => t.content)],
  );
  // Only the todos this list names, and those this session's previous list had, are candidates: a
  // project's other live todos are neither matched nor deleted, so they need not be read.
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
