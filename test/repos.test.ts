import { expect, it } from 'vitest';
import {
  KnowledgeRow,
  McpUsageRow,
  MessageRow,
  ProjectRow,
  SessionRow,
  SessionStateRow,
  TodoRow,
  ValidationError,
} from '../src/core/models.js';
import { findKnowledgeByName, getKnowledge, listKnowledge, upsertKnowledge } from '../src/core/repos/knowledge.js';
import { parseMcpToolName, recordMcpUsage, summariseMcpUsage, usageForSession } from '../src/core/repos/mcpUsage.js';
import { countPendingMessages, listMessages, markMessageRead, pendingMessages, sendMessage } from '../src/core/repos/messages.js';
import { ensureProject, getProjectByName, listProjects } from '../src/core/repos/projects.js';
import { getSessionState, upsertSessionState } from '../src/core/repos/sessionState.js';
import { closeSession, findSessionByClaudeId, getSession, lastSession, listSessions, NotFoundError, openSession } from '../src/core/repos/sessions.js';
import {
  addTodo,
  archiveStalePendingTodos,
  countTodos,
  DuplicateTodoError,
  getTodo,
  listActiveTodos,
  setTodoStatus,
  softDeleteTodo,
  todosCompletedInSession,
} from '../src/core/repos/todos.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';

describeEachBackend('repositories', (ctx) => {
  it('projects: ensureProject is idempotent and rows match the zod model', async () => {
    const { db } = ctx();
    const name = uniqueProject();
    const a = await ensureProject(db, name);
    const b = await ensureProject(db, `  ${name}  `);
    expect(b.project_id).toBe(a.project_id);
    expect(ProjectRow.parse(a)).toEqual(a);
    expect((await getProjectByName(db, name))?.project_id).toBe(a.project_id);
    expect((await listProjects(db)).map((p) => p.project_name)).toContain(name);
    await expect(ensureProject(db, '   ')).rejects.toThrow(ValidationError);
  });

  it('sessions: open keyed by the Claude Code id resumes instead of duplicating; close sets session_end once', async () => {
    const { db } = ctx();
    const project = uniqueProject();
    const claudeId = `cc-${project}`;
    const first = await openSession(db, { projectName: project, claudeSessionId: claudeId });
    expect(first.resumed).toBe(false);
    const again = await openSession(db, { projectName: project, claudeSessionId: claudeId });
    expect(again.resumed).toBe(true);
    expect(again.session.session_id).toBe(first.session.session_id);
    expect(SessionRow.parse(first.session)).toEqual(first.session);
    expect((await findSessionByClaudeId(db, claudeId))?.session_id).toBe(first.session.session_id);

    const closed = await closeSession(db, {
      sessionId: first.session.session_id,
      summary: 'Built the core',
      tasksCompleted: ['schema', 'repos'],
      learningsGained: ['PGlite needs exec() for scripts'],
    });
    expect(closed.session_end).toBeInstanceOf(Date);
    expect(closed.tasks_completed).toEqual(['schema', 'repos']);
    const closedAgain = await closeSession(db, { sessionId: first.session.session_id, summary: 'Revised summary' });
    expect(closedAgain.session_end!.getTime()).toBe(closed.session_end!.getTime());
    expect(closedAgain.session_summary).toBe('Revised summary');
    expect(closedAgain.tasks_completed).toEqual(['schema', 'repos']);

    const second = await openSession(db, { projectName: project });
    expect((await lastSession(db, project, second.session.session_id))?.session_id).toBe(first.session.session_id);
    expect((await listSessions(db, project, { endedOnly: true })).map((s) => s.session_id)).toEqual([first.session.session_id]);
    expect((await getSession(db, second.session.session_id))?.session_end).toBeNull();
    await expect(closeSession(db, { sessionId: '00000000-0000-4000-8000-000000000000' })).rejects.toThrow(NotFoundError);
  });

  it('session_state: partial upserts keep the fields not given and never write todo_list', async () => {
    const { db } = ctx();
    const project = uniqueProject();
    const a = await upsertSessionState(db, { projectName: project, currentFocus: 'Schema', nextSteps: ['Write repos', 'Test'] });
    expect(a.next_steps).toEqual(['Write repos', 'Test']);
    expect(a.pending_actions).toEqual([]);
    const b = await upsertSessionState(db, { projectName: project, pendingActions: ['Review PR'] });
    expect(b.current_focus).toBe('Schema');
    expect(b.next_steps).toEqual(['Write repos', 'Test']);
    expect(b.pending_actions).toEqual(['Review PR']);
    expect(b.todo_list).toBeNull();
    expect(b.updated_at.getTime()).toBeGreaterThanOrEqual(a.updated_at.getTime());
    const c = await upsertSessionState(db, { projectName: project, currentFocus: null, filesModified: ['src/a.ts'] });
    expect(c.current_focus).toBeNull();
    expect(c.files_modified).toEqual(['src/a.ts']);
    expect(SessionStateRow.parse(await getSessionState(db, project))).toEqual(c);
  });

  it('todos: grouped by status, ordered by priority then display_order; transitions record completion', async () => {
    const { db } = ctx();
    const project = await ensureProject(db, uniqueProject());
    const { session } = await openSession(db, { projectName: project.project_name });
    const low = await addTodo(db, { projectId: project.project_id, content: 'Low', priority: 4, displayOrder: 0 });
    const high2 = await addTodo(db, { projectId: project.project_id, content: 'High second', priority: 1, displayOrder: 2 });
    const high1 = await addTodo(db, { projectId: project.project_id, content: 'High first', priority: 1, displayOrder: 1 });
    const doing = await addTodo(db, { projectId: project.project_id, content: 'Doing', status: 'in_progress', activeForm: 'Doing it' });
    expect(TodoRow.parse(low)).toEqual(low);
    await expect(addTodo(db, { projectId: project.project_id, content: 'Low' })).rejects.toThrow(DuplicateTodoError);
    expect(low.active_form).toBe('Low');

    let active = await listActiveTodos(db, project.project_id);
    expect(active.pending.map((t) => t.content)).toEqual(['High first', 'High second', 'Low']);
    expect(active.inProgress.map((t) => t.todo_id)).toEqual([doing.todo_id]);

    const done = await setTodoStatus(db, { todoId: high1.todo_id, status: 'completed', sessionId: session.session_id });
    expect(done.completed_at).toBeInstanceOf(Date);
    expect(done.completed_session_id).toBe(session.session_id);
    const same = await setTodoStatus(db, { todoId: high1.todo_id, status: 'completed' });
    expect(same.updated_at.getTime()).toBe(done.updated_at.getTime());
    expect((await todosCompletedInSession(db, session.session_id)).map((t) => t.todo_id)).toEqual([high1.todo_id]);

    const reopened = await setTodoStatus(db, { todoId: high1.todo_id, status: 'pending' });
    expect(reopened.completed_at).toBeNull();
    expect(reopened.completed_session_id).toBeNull();

    expect(await softDeleteTodo(db, high2.todo_id)).toBe(true);
    expect(await softDeleteTodo(db, high2.todo_id)).toBe(false);
    const deleted = await getTodo(db, high2.todo_id);
    expect(deleted?.is_deleted).toBe(true);
    expect(deleted?.deleted_at).toBeInstanceOf(Date);
    await expect(setTodoStatus(db, { todoId: high2.todo_id, status: 'in_progress' })).rejects.toThrow(NotFoundError);

    active = await listActiveTodos(db, project.project_id);
    expect(active.pending.map((t) => t.content)).toEqual(['High first', 'Low']);
    expect(await countTodos(db, project.project_id)).toEqual({ pending: 2, in_progress: 1, completed: 0 });
  });

  it('todos: archives pending todos older than N days and nothing else', async () => {
    const { db } = ctx();
    const project = await ensureProject(db, uniqueProject());
    const other = await ensureProject(db, uniqueProject());
    const old = await addTodo(db, { projectId: project.project_id, content: 'Old pending' });
    const oldDoing = await addTodo(db, { projectId: project.project_id, content: 'Old in progress', status: 'in_progress' });
    const fresh = await addTodo(db, { projectId: project.project_id, content: 'Fresh pending' });
    const otherOld = await addTodo(db, { projectId: other.project_id, content: 'Other project old' });
    await db.query(`UPDATE claude.todos SET created_at = now() - interval '45 days' WHERE todo_id = ANY($1::uuid[])`, [
      [old.todo_id, oldDoing.todo_id, otherOld.todo_id],
    ]);
    expect(await archiveStalePendingTodos(db, 30, project.project_id)).toBe(1);
    expect((await getTodo(db, old.todo_id))?.is_deleted).toBe(true);
    expect((await getTodo(db, oldDoing.todo_id))?.is_deleted).toBe(false);
    expect((await getTodo(db, fresh.todo_id))?.is_deleted).toBe(false);
    expect((await getTodo(db, otherOld.todo_id))?.is_deleted).toBe(false);
    await expect(archiveStalePendingTodos(db, -1)).rejects.toThrow(RangeError);
  });

  it('knowledge: upsert by pattern name, then by id; updates instead of duplicating', async () => {
    const { db } = ctx();
    const name = `Pattern ${uniqueProject()}`;
    const a = await upsertKnowledge(db, { patternName: name, category: 'database', description: 'Use advisory locks', gotchas: ['xact lock'], confidenceLevel: 8 });
    expect(a.created).toBe(true);
    expect(KnowledgeRow.parse(a.knowledge)).toEqual(a.knowledge);
    const b = await upsertKnowledge(db, { patternName: name, category: 'database', description: 'Use transaction-level advisory locks' });
    expect(b.created).toBe(false);
    expect(b.knowledge.knowledge_id).toBe(a.knowledge.knowledge_id);
    const renamed = await upsertKnowledge(db, { knowledgeId: a.knowledge.knowledge_id, patternName: `${name} (renamed)`, category: 'db', description: 'x', sourceNotePath: 'notes/p.md' });
    expect(renamed.created).toBe(false);
    expect((await getKnowledge(db, a.knowledge.knowledge_id))?.pattern_name).toBe(`${name} (renamed)`);
    expect(await findKnowledgeByName(db, name)).toBeUndefined();
    expect((await listKnowledge(db, 'db')).map((k) => k.knowledge_id)).toContain(a.knowledge.knowledge_id);
    await expect(upsertKnowledge(db, { patternName: 'x', category: 'y', description: 'z', confidenceLevel: 11 })).rejects.toThrow(/confidenceLevel/);
  });

  it('messages: pending until marked read; read_at set once', async () => {
    const { db } = ctx();
    const to = uniqueProject('to');
    const m = await sendMessage(db, { fromProject: 'sender', toProject: to, body: 'Schema changed, re-run migrate' });
    expect(MessageRow.parse(m)).toEqual(m);
    expect((await pendingMessages(db, to)).map((x) => x.message_id)).toEqual([m.message_id]);
    expect(await countPendingMessages(db, to)).toBe(1);
    const read = await markMessageRead(db, m.message_id);
    expect(read.status).toBe('read');
    const readAgain = await markMessageRead(db, m.message_id);
    expect(readAgain.read_at!.getTime()).toBe(read.read_at!.getTime());
    expect(await pendingMessages(db, to)).toEqual([]);
    expect((await listMessages(db, to)).map((x) => x.message_id)).toEqual([m.message_id]);
    await expect(markMessageRead(db, '00000000-0000-4000-8000-000000000000')).rejects.toThrow(NotFoundError);
  });

  it('mcp_usage: parses mcp__server__tool and records the session id', async () => {
    expect(parseMcpToolName('mcp__postgres__execute_sql')).toEqual({ server: 'postgres', tool: 'execute_sql' });
    expect(parseMcpToolName('mcp__my-server__do__thing')).toEqual({ server: 'my-server', tool: 'do__thing' });
    expect(parseMcpToolName('TodoWrite')).toBeUndefined();
    expect(parseMcpToolName('mcp__onlyserver')).toBeUndefined();

    const { db } = ctx();
    const { session } = await openSession(db, { projectName: uniqueProject(), claudeSessionId: `cc-${uniqueProject()}` });
    const row = await recordMcpUsage(db, { mcpServer: 'postgres', toolName: 'execute_sql', sessionId: session.session_id, claudeSessionId: session.claude_session_id, success: true, durationMs: 12 });
    expect(McpUsageRow.parse(row)).toEqual(row);
    await recordMcpUsage(db, { mcpServer: 'postgres', toolName: 'execute_sql', sessionId: session.session_id, success: false, error: 'timeout' });
    expect((await usageForSession(db, session.session_id)).map((r) => r.success)).toEqual([true, false]);
    const summary = await summariseMcpUsage(db);
    expect(summary.find((s) => s.mcp_server === 'postgres' && s.tool_name === 'execute_sql')).toMatchObject({ calls: expect.any(Number), failures: expect.any(Number) });
  });
});
