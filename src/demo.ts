// `npm run demo`: the main job on the embedded default, end to end. Creates an embedded PGlite
// database under ./.demo (afresh each run, so the output is always the same story), migrates it,
// records a sample session with todos, and prints the "where we left off" handoff as Markdown.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadHandoff } from './core/handoff.js';
import { migrate } from './core/migrate.js';
import { openPglite } from './core/pglite.js';
import { renderHandoffMarkdown } from './core/render/handoff.js';
import { upsertSessionState } from './core/repos/sessionState.js';
import { closeSession, openSession } from './core/repos/sessions.js';
import { addTodo, setTodoStatus } from './core/repos/todos.js';
import { sendMessage } from './core/repos/messages.js';

async function main(): Promise<void> {
  const dataDir = resolve(process.env.DEMO_DATA_DIR ?? '.demo/pglite');
  rmSync(dataDir, { recursive: true, force: true });
  const started = Date.now();
  const db = await openPglite({ dataDir });
  try {
    const report = await migrate(db);
    console.error(`embedded database at ${dataDir} (opened and migrated in ${Date.now() - started} ms; applied: ${report.applied.join(', ') || 'none'})`);
    const project = 'demo-project';
    const { session } = await db.transaction(async (tx) => {
      const opened = await openSession(tx, { projectName: project, claudeSessionId: `demo-${Date.now()}` });
      const projectId = opened.session.project_id;
      const schema = await addTodo(tx, { projectId, content: 'Design the claude schema', status: 'in_progress', activeForm: 'Designing the claude schema', priority: 2, createdSessionId: opened.session.session_id });
      await addTodo(tx, { projectId, content: 'Write the hook scripts', priority: 2, displayOrder: 1, createdSessionId: opened.session.session_id });
      await addTodo(tx, { projectId, content: 'Render the handoff note in Obsidian', priority: 3, displayOrder: 2, createdSessionId: opened.session.session_id });
      await setTodoStatus(tx, { todoId: schema.todo_id, status: 'completed', sessionId: opened.session.session_id });
      await upsertSessionState(tx, { projectName: project, currentFocus: 'Building the session handoff', nextSteps: ['Write the hook scripts', 'Install the Obsidian plugin'] });
      await sendMessage(tx, { fromProject: 'another-project', toProject: project, body: 'The shared schema gained a knowledge table.' });
      await closeSession(tx, { sessionId: opened.session.session_id, summary: 'Designed the schema and migrations.', tasksCompleted: ['Design the claude schema'] });
      return opened;
    });
    const handoff = await loadHandoff(db, project, { currentSessionId: undefined });
    console.log(`# Where we left off: ${project}\n`);
    console.log(renderHandoffMarkdown(handoff));
    console.error(`(sample session ${session.session_id} recorded in ${dataDir})`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exit(1);
});
