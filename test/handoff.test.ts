import { expect, it } from 'vitest';
import { loadHandoff } from '../src/core/session/handoff.js';
import { renderHandoffText } from '../src/core/render/handoff.js';
import { MessageRow, SessionStateRow, TodoRow } from '../src/core/models.js';
import { sendMessage } from '../src/core/repos/messages.js';
import { getSessionState, upsertSessionState } from '../src/core/repos/sessionState.js';
import { closeSession, getSession, openSession } from '../src/core/repos/sessions.js';
import { addTodo, getTodo } from '../src/core/repos/todos.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';

describeEachBackend('loadHandoff', (ctx) => {
  it('returns an empty handoff for a project never seen', async () => {
    const h = await loadHandoff(ctx().db, uniqueProject('never'));
    expect(h).toMatchObject({ known: false, inProgress: [], pending: [], pendingMessageCount: 0 });
  });

  it('loads focus, exact totals beyond the list limit, messages and the previous session', async () => {
    const { db } = ctx();
    const project = uniqueProject();
    const { session: previous } = await openSession(db, { projectName: project });
    await closeSession(db, { sessionId: previous.session_id, summary: 'Did the groundwork' });
    const { session: current } = await openSession(db, { projectName: project });
    for (let i = 0; i < 7; i++) await addTodo(db, { projectId: current.project_id, content: `pending ${i}`, priority: 1 + (i % 3), displayOrder: i });
    await addTodo(db, { projectId: current.project_id, content: 'doing', status: 'in_progress' });
    await upsertSessionState(db, { projectName: project, currentFocus: 'Handoff', nextSteps: ['Ship it'] });
    await sendMessage(db, { fromProject: 'elsewhere', toProject: project, body: 'ping' });

    const h = await loadHandoff(db, project, { currentSessionId: current.session_id, todoLimit: 3 });
    expect(h.known).toBe(true);
    expect(h.pending.map((t) => t.content)).toEqual(['pending 0', 'pending 3', 'pending 6']);
    expect(h.totals).toEqual({ inProgress: 1, pending: 7 });
    expect(h.lastSession?.session_id).toBe(previous.session_id);
    expect(h.messages.map((m) => m.body)).toEqual(['ping']);
    // Read in one statement as JSON, the rows are still exactly what the repositories return.
    expect(h.state).toEqual(await getSessionState(db, project));
    expect(h.lastSession).toEqual(await getSession(db, previous.session_id));
    expect(h.pending[0]).toEqual(await getTodo(db, h.pending[0]!.todo_id));
    expect(h.inProgress.map((t) => TodoRow.parse(t))).toEqual(h.inProgress);
    expect(h.messages.map((m) => MessageRow.parse(m))).toEqual(h.messages);
    expect(SessionStateRow.parse(h.state)).toEqual(h.state);
    const text = renderHandoffText(h);
    expect(text).toContain('Active Todos: 8 total (1 in progress, 7 pending)');
    expect(text).toContain('Pending (top 3):');
    expect(text).toContain('Last session:');
    expect(text).toContain('Did the groundwork');
  });
});
