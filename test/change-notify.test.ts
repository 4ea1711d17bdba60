import { describe, expect, it } from 'vitest';
import { CHANGES_CHANNEL, parseChangeNotice, type ChangeNotice } from '../src/core/events/changes.js';
import { sendMessage } from '../src/core/repos/messages.js';
import { upsertSessionState } from '../src/core/repos/sessionState.js';
import { openSession } from '../src/core/repos/sessions.js';
import { addTodo, setTodoStatus } from '../src/core/repos/todos.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('parseChangeNotice', () => {
  it('accepts our payloads and ignores anything else', () => {
    expect(parseChangeNotice('{"table":"todos","project":"p","op":"UPDATE"}')).toEqual({ table: 'todos', project: 'p', op: 'UPDATE' });
    expect(parseChangeNotice('not json')).toBeUndefined();
    // Knowledge changes (migration 006) reach the plugin's vault sync; other tables are not ours to notify.
    expect(parseChangeNotice('{"table":"knowledge","project":null,"op":"UPDATE"}')).toEqual({ table: 'knowledge', project: null, op: 'UPDATE' });
    expect(parseChangeNotice('{"table":"mcp_usage","project":"p","op":"UPDATE"}')).toBeUndefined();
  });
});

describeEachBackend('migration 002: change notifications', (ctx) => {
  it('notifies claude_changes with table and project on writes to todos, sessions, session_state and messages', async () => {
    const { db } = ctx();
    const seen: ChangeNotice[] = [];
    const unlisten = await db.listen(CHANGES_CHANNEL, (payload) => {
      const notice = parseChangeNotice(payload);
      if (notice) seen.push(notice);
    });
    try {
      const project = uniqueProject('notify');
      const { session } = await openSession(db, { projectName: project });
      const todo = await addTodo(db, { projectId: session.project_id, content: 'notify me' });
      await setTodoStatus(db, { todoId: todo.todo_id, status: 'completed' });
      await upsertSessionState(db, { projectName: project, currentFocus: 'listening' });
      await sendMessage(db, { fromProject: 'elsewhere', toProject: project, body: 'hello' });
      await until(() => seen.filter((n) => n.project === project).length >= 5);
      const mine = seen.filter((n) => n.project === project).map((n) => `${n.table}:${n.op}`);
      expect(mine).toEqual(['sessions:INSERT', 'todos:INSERT', 'todos:UPDATE', 'session_state:INSERT', 'messages:INSERT']);
    } finally {
      await unlisten();
    }
  });
});
