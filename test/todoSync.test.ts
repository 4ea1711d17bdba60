import { expect, it } from 'vitest';
import { ValidationError } from '../src/core/models.js';
import { openSession } from '../src/core/repos/sessions.js';
import { addTodo, getTodo, listActiveTodos } from '../src/core/repos/todos.js';
import { applyTaskChange, syncTaskList, syncTodoWrite, type TaskItem, type TodoWriteItem } from '../src/core/session/todoSync.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';

describeEachBackend('TodoWrite sync', (ctx) => {
  async function setup() {
    const { db } = ctx();
    const project = uniqueProject();
    const { session } = await openSession(db, { projectName: project, claudeSessionId: `cc-${project}` });
    const sync = (todos: TodoWriteItem[], sessionId = session.session_id) =>
      db.transaction((tx) => syncTodoWrite(tx, { projectId: session.project_id, sessionId, todos }));
    const rows = async () =>
      (await db.query<{ content: string; status: string; is_deleted: boolean; display_order: number; completed_session_id: string | null; updated_at: Date }>(
        'SELECT content, status, is_deleted, display_order, completed_session_id, updated_at FROM claude.todos WHERE project_id = $1 ORDER BY content',
        [session.project_id],
      )).rows;
    return { db, project, session, sync, rows };
  }

  it('inserts new items, records transitions, soft-deletes what vanished and leaves the rest untouched', async () => {
    const { sync, rows, session } = await setup();
    expect(await sync([
      { content: 'A', status: 'pending', activeForm: 'Doing A' },
      { content: 'B', status: 'in_progress', activeForm: 'Doing B' },
      { content: 'C', status: 'pending', activeForm: 'Doing C' },
    ])).toEqual({ inserted: 3, updated: 0, deleted: 0, unchanged: 0 });
    const before = await rows();

    const second = await sync([
      { content: 'A', status: 'pending', activeForm: 'Doing A' },
      { content: 'B', status: 'completed', activeForm: 'Doing B' },
    ]);
    expect(second).toEqual({ inserted: 0, updated: 1, deleted: 1, unchanged: 1 });
    const after = await rows();
    expect(after.find((r) => r.content === 'A')!.updated_at.getTime()).toBe(before.find((r) => r.content === 'A')!.updated_at.getTime());
    expect(after.find((r) => r.content === 'B')).toMatchObject({ status: 'completed', completed_session_id: session.session_id });
    expect(after.find((r) => r.content === 'C')).toMatchObject({ is_deleted: true, status: 'pending' });
  });

  it('is idempotent: the same payload twice changes nothing the second time', async () => {
    const { sync, rows } = await setup();
    const payload: TodoWriteItem[] = [
      { content: 'One', status: 'completed', activeForm: 'Doing one' },
      { content: 'Two', status: 'in_progress', activeForm: 'Doing two' },
      { content: 'Three', status: 'pending', activeForm: 'Doing three' },
    ];
    await sync(payload);
    const once = await rows();
    expect(await sync(payload)).toEqual({ inserted: 0, updated: 0, deleted: 0, unchanged: 3 });
    expect(await rows()).toEqual(once);
  });

  it('never deletes todos carried over from another session that this list omits', async () => {
    const { db, sync, session, project } = await setup();
    const carried = await addTodo(db, { projectId: session.project_id, content: 'Carried over' });
    const { session: next } = await openSession(db, { projectName: project, claudeSessionId: `cc-next-${project}` });
    await sync([{ content: 'New in next session', status: 'pending' }], next.session_id);
    await sync([{ content: 'Newer', status: 'pending' }], next.session_id);
    expect((await getTodo(db, carried.todo_id))?.is_deleted).toBe(false);
    const active = await listActiveTodos(db, session.project_id);
    expect(active.pending.map((t) => t.content).sort()).toEqual(['Carried over', 'Newer']);
  });

  it('adopts a carried-over todo when the list names it, then completes it for this session', async () => {
    const { db, sync, session, project } = await setup();
    const carried = await addTodo(db, { projectId: session.project_id, content: 'Fix the bug' });
    const { session: next } = await openSession(db, { projectName: project, claudeSessionId: `cc-adopt-${project}` });
    expect(await sync([{ content: 'Fix the bug', status: 'completed' }], next.session_id)).toMatchObject({ inserted: 0, updated: 1 });
    const row = await getTodo(db, carried.todo_id);
    expect(row).toMatchObject({ status: 'completed', completed_session_id: next.session_id });
  });

  it('duplicates in one list count once; a completed item listed again as open becomes a new live todo, history kept', async () => {
    const { sync, rows } = await setup();
    await sync([{ content: 'X', status: 'completed' }, { content: 'X', status: 'pending' }]);
    expect((await rows()).map((r) => [r.content, r.status])).toEqual([['X', 'completed']]);
    await sync([{ content: 'X', status: 'in_progress' }]);
    const all = await rows();
    expect(all.filter((r) => !r.is_deleted).map((r) => r.status).sort()).toEqual(['completed', 'in_progress']);
  });

  it('keeps the list order as display_order', async () => {
    const { sync, rows } = await setup();
    await sync([{ content: 'b', status: 'pending' }, { content: 'a', status: 'pending' }]);
    await sync([{ content: 'a', status: 'pending' }, { content: 'b', status: 'pending' }]);
    expect((await rows()).map((r) => [r.content, r.display_order])).toEqual([['a', 0], ['b', 1]]);
  });

  it('rejects a bad list naming the field, writing nothing', async () => {
    const { sync, rows } = await setup();
    const err = await sync([{ content: 'ok', status: 'pending' }, { content: 'bad', status: 'done' as never }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/todos\.1\.status/);
    expect(await rows()).toEqual([]);
  });
});

describeEachBackend('Task list sync', (ctx) => {
  it('is keyed by task id, idempotent, leaves unreadable files alone and soft-deletes vanished tasks', async () => {
    const { db } = ctx();
    const project = uniqueProject('tasks');
    const { session } = await openSession(db, { projectName: project, claudeSessionId: `cc-${project}` });
    const listId = `list-${project}`;
    const sync = (tasks: TaskItem[], keep?: string[]) =>
      db.transaction((tx) => syncTaskList(tx, { projectId: session.project_id, sessionId: session.session_id, taskListId: listId, tasks, keep }));
    const rows = async () =>
      (await db.query<{ task_id: string; content: string; status: string; is_deleted: boolean; display_order: number; blocked_by: string[] }>(
        'SELECT task_id, content, status, is_deleted, display_order, blocked_by FROM claude.todos WHERE task_list_id = $1 ORDER BY display_order, is_deleted',
        [listId],
      )).rows;
    const tasks: TaskItem[] = [
      { id: '10', subject: 'Same', status: 'pending', blockedBy: ['2'] },
      { id: '2', subject: 'Same', status: 'in_progress' },
      { id: '1', subject: 'First', status: 'pending' },
    ];
    expect(await sync(tasks)).toEqual({ inserted: 3, updated: 0, deleted: 0, unchanged: 0 });
    expect(await sync(tasks)).toEqual({ inserted: 0, updated: 0, deleted: 0, unchanged: 3 });
    // Task 10's file is unreadable this time and task 1's is gone.
    expect(await sync([tasks[1]!], ['10'])).toEqual({ inserted: 0, updated: 0, deleted: 1, unchanged: 1 });
    expect(await rows()).toEqual([
      { task_id: '1', content: 'First', status: 'pending', is_deleted: true, display_order: 1, blocked_by: [] },
      { task_id: '2', content: 'Same', status: 'in_progress', is_deleted: false, display_order: 2, blocked_by: [] },
      { task_id: '10', content: 'Same', status: 'pending', is_deleted: false, display_order: 10, blocked_by: ['2'] },
    ]);
    // A change from the payload alone: the named fields change, the others stay.
    const change = (c: Parameters<typeof applyTaskChange>[1]['change']) =>
      db.transaction((tx) => applyTaskChange(tx, { projectId: session.project_id, sessionId: session.session_id, taskListId: listId, change: c }));
    expect(await change({ id: '10', status: 'completed', addBlockedBy: ['3'] })).toEqual({ inserted: 0, updated: 1, deleted: 0, unchanged: 0 });
    expect(await change({ id: '99', status: 'completed' })).toEqual({ inserted: 0, updated: 0, deleted: 0, unchanged: 0 });
    expect(await change({ id: '2', status: 'deleted' })).toEqual({ inserted: 0, updated: 0, deleted: 1, unchanged: 0 });
    expect((await rows()).filter((r) => !r.is_deleted)).toEqual([{ task_id: '10', content: 'Same', status: 'completed', is_deleted: false, display_order: 10, blocked_by: ['2', '3'] }]);
  });
});
