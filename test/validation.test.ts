import { expect, it } from 'vitest';
import { ValidationError } from '../src/core/models.js';
import { upsertKnowledge } from '../src/core/repos/knowledge.js';
import { recordMcpUsage } from '../src/core/repos/mcpUsage.js';
import { sendMessage } from '../src/core/repos/messages.js';
import { ensureProject } from '../src/core/repos/projects.js';
import { upsertSessionState } from '../src/core/repos/sessionState.js';
import { closeSession, openSession } from '../src/core/repos/sessions.js';
import { addTodo, setTodoStatus } from '../src/core/repos/todos.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';

const TABLES = ['projects', 'sessions', 'session_state', 'todos', 'knowledge', 'messages', 'mcp_usage'];

describeEachBackend('bad input is rejected with the field named, and nothing is written', (ctx) => {
  const cases: { name: string; field: RegExp; run: (projectId: string) => Promise<unknown> }[] = [
    { name: 'unknown todo status', field: /status/, run: (projectId) => addTodo(ctx().db, { projectId, content: 'x', status: 'done' as never }) },
    { name: 'empty todo content', field: /content: must not be empty/, run: (projectId) => addTodo(ctx().db, { projectId, content: '   ' }) },
    { name: 'non-uuid project id', field: /projectId/, run: () => addTodo(ctx().db, { projectId: 'not-a-uuid', content: 'x' }) },
    { name: 'priority out of range', field: /priority/, run: (projectId) => addTodo(ctx().db, { projectId, content: 'x', priority: 9 }) },
    { name: 'non-uuid todo id', field: /todoId/, run: () => setTodoStatus(ctx().db, { todoId: "1'; DROP TABLE claude.todos; --", status: 'completed' }) },
    { name: 'unknown status transition', field: /status/, run: () => setTodoStatus(ctx().db, { todoId: '00000000-0000-4000-8000-000000000000', status: 'cancelled' as never }) },
    { name: 'empty project name', field: /projectName/, run: () => openSession(ctx().db, { projectName: '' }) },
    { name: 'non-uuid session id on close', field: /sessionId/, run: () => closeSession(ctx().db, { sessionId: '42' }) },
    { name: 'empty task in a list', field: /tasksCompleted\.1/, run: () => closeSession(ctx().db, { sessionId: '00000000-0000-4000-8000-000000000000', tasksCompleted: ['ok', ' '] }) },
    { name: 'next steps not text', field: /nextSteps/, run: () => upsertSessionState(ctx().db, { projectName: uniqueProject(), nextSteps: [42 as never] }) },
    { name: 'confidence out of range', field: /confidenceLevel/, run: () => upsertKnowledge(ctx().db, { patternName: 'p', category: 'c', description: 'd', confidenceLevel: 0 }) },
    { name: 'knowledge without description', field: /description/, run: () => upsertKnowledge(ctx().db, { patternName: 'p', category: 'c' } as never) },
    { name: 'empty message body', field: /body/, run: () => sendMessage(ctx().db, { fromProject: 'a', toProject: 'b', body: '' }) },
    { name: 'mcp usage without success flag', field: /success/, run: () => recordMcpUsage(ctx().db, { mcpServer: 's', toolName: 't' } as never) },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const { db } = ctx();
      const project = await ensureProject(db, uniqueProject());
      const before = await snapshot();
      const error = await c.run(project.project_id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(c.field);
      expect(await snapshot()).toEqual(before);
    });
  }

  async function snapshot(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const t of TABLES) {
      const { rows } = await ctx().db.query<{ n: number }>(`SELECT count(*)::int AS n FROM claude.${t}`);
      counts[t] = rows[0]!.n;
    }
    return counts;
  }
});
