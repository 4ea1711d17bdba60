// `npm run demo`: the main job on the embedded default, end to end. Creates the local Postgres server
// under ./.demo (afresh each run, so the output is always the same story), migrates it,
// records a sample session with todos and prints the "where we left off" handoff as Markdown. Then it
// runs a whole Claude Code session lifecycle through the REAL hook scripts and CLI (dist/hooks/*.cjs,
// dist/cli.mjs) as child processes, exactly as Claude Code would call them, on the same database, syncs a
// vault of two notes into the knowledge and delivers one at a prompt, and stops the server at the end
// (`claude-family db stop`).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHandoff } from './core/session/handoff.js';
import { migrate } from './core/db/migrate.js';
import { localPaths, stopLocalServer } from './core/db/localServer.js';
import { openDatabase } from './core/db/open.js';
import { renderHandoffMarkdown } from './core/render/handoff.js';
import { upsertSessionState } from './core/repos/sessionState.js';
import { closeSession, openSession } from './core/repos/sessions.js';
import { addTodo, setTodoStatus } from './core/repos/todos.js';
import { sendMessage } from './core/repos/messages.js';

const DIST = dirname(fileURLToPath(import.meta.url));
const PROJECT = 'demo-project';

async function sampleSession(dataDir: string): Promise<void> {
  const started = Date.now();
  const db = await openDatabase({ dataDir }, { onNotice: (m) => console.error(`claude-family: ${m}`) });
  try {
    const report = await migrate(db);
    console.error(`local Postgres in ${localPaths(dataDir).pgData} (created, started and migrated in ${Date.now() - started} ms; applied: ${report.applied.join(', ') || 'none'})`);
    const { session } = await db.transaction(async (tx) => {
      const opened = await openSession(tx, { projectName: PROJECT, claudeSessionId: 'demo-session-0' });
      const projectId = opened.session.project_id;
      const schema = await addTodo(tx, { projectId, content: 'Design the claude schema', status: 'in_progress', activeForm: 'Designing the claude schema', priority: 2, createdSessionId: opened.session.session_id });
      await addTodo(tx, { projectId, content: 'Write the hook scripts', priority: 2, displayOrder: 1, createdSessionId: opened.session.session_id });
      await addTodo(tx, { projectId, content: 'Render the handoff note in Obsidian', priority: 3, displayOrder: 2, createdSessionId: opened.session.session_id });
      await setTodoStatus(tx, { todoId: schema.todo_id, status: 'completed', sessionId: opened.session.session_id });
      await upsertSessionState(tx, { projectName: PROJECT, currentFocus: 'Building the session handoff', nextSteps: ['Write the hook scripts', 'Install the Obsidian plugin'] });
      await sendMessage(tx, { fromProject: 'another-project', toProject: PROJECT, body: 'The shared schema gained a knowledge table.' });
      await closeSession(tx, { sessionId: opened.session.session_id, summary: 'Designed the schema and migrations.', tasksCompleted: ['Design the claude schema'] });
      return opened;
    });
    const handoff = await loadHandoff(db, PROJECT, { currentSessionId: undefined });
    console.log(`# Where we left off: ${PROJECT}\n`);
    console.log(renderHandoffMarkdown(handoff));
    console.error(`(sample session ${session.session_id} recorded in ${dataDir})`);
  } finally {
    await db.close();
  }
}

/** The environment Claude Code would give the hooks, pointed at the demo database only. */
function demoEnv(root: string): NodeJS.ProcessEnv {
  // An empty config file of its own: the user's config file is never read.
  const config = join(root, 'config.json');
  if (!existsSync(config)) writeFileSync(config, '{}\n');
  const env: NodeJS.ProcessEnv = { ...process.env, CLAUDE_FAMILY_DATA_DIR: root, CLAUDE_FAMILY_PROJECT: PROJECT, CLAUDE_FAMILY_CONFIG: config };
  // Never touch a real database configured in the user's environment.
  delete env.CLAUDE_FAMILY_DATABASE_URL;
  delete env.CLAUDE_FAMILY_SESSION_ID;
  delete env.CLAUDE_SESSION_ID;
  return env;
}

function run(step: string, script: string, options: { stdin?: unknown; args?: string[]; env: NodeJS.ProcessEnv }): string {
  const started = Date.now();
  const res = spawnSync(process.execPath, [join(DIST, script), ...(options.args ?? [])], {
    input: options.stdin === undefined ? '' : JSON.stringify(options.stdin),
    env: options.env,
    encoding: 'utf8',
  });
  console.log(`\n$ ${step}  (${Date.now() - started} ms, exit ${res.status})`);
  if (res.stderr.trim()) console.log(res.stderr.trim().replace(/^/gm, '  stderr: '));
  return res.stdout.trim();
}

function hooksLifecycle(root: string): void {
  console.log('\n# A Claude Code session through the real hook scripts\n');
  console.log('Each step runs `node dist/...` as a child process with the JSON Claude Code would send on stdin.');
  const envFile = join(root, 'claude-env.sh');
  const env = { ...demoEnv(root), CLAUDE_ENV_FILE: envFile };
  const cwd = process.cwd();
  const session1 = 'demo-session-1';

  let out = run('SessionStart hook (source: startup)', 'hooks/session-start.cjs', { stdin: { session_id: session1, cwd, hook_event_name: 'SessionStart', source: 'startup' }, env });
  console.log(out.replace(/^/gm, '  '));
  console.log(`  CLAUDE_ENV_FILE now exports:\n${readFileSync(envFile, 'utf8').trim().replace(/^/gm, '    ')}`);
  const familyId = /CLAUDE_FAMILY_SESSION_ID='([^']+)'/.exec(readFileSync(envFile, 'utf8'))?.[1];

  const todos = [
    { content: 'Write the hook scripts', status: 'completed', activeForm: 'Writing the hook scripts' },
    { content: 'Test the hooks on both backends', status: 'in_progress', activeForm: 'Testing the hooks' },
    { content: 'Document install-hooks', status: 'pending', activeForm: 'Documenting install-hooks' },
  ];
  run('PostToolUse hook: TodoWrite (written to the local server)', 'hooks/post-tool-use.cjs', {
    stdin: { session_id: session1, cwd, hook_event_name: 'PostToolUse', tool_name: 'TodoWrite', tool_input: { todos }, tool_response: {} },
    env,
  });
  run('PostToolUse hook: mcp__postgres__execute_sql', 'hooks/post-tool-use.cjs', {
    stdin: { session_id: session1, cwd, hook_event_name: 'PostToolUse', tool_name: 'mcp__postgres__execute_sql', tool_input: { sql: 'select 1' }, tool_response: [{ type: 'text', text: '1' }] },
    env,
  });
  const sessionEnv = { ...env, CLAUDE_SESSION_ID: session1, ...(familyId ? { CLAUDE_FAMILY_SESSION_ID: familyId } : {}) };
  out = run('claude-family session save --focus ... --next ...  (/session-save)', 'cli.mjs', {
    args: ['session', 'save', '--focus', 'Shipping the Claude Code hooks', '--next', 'Run install-hooks in a real project', '--next', 'Wire the Obsidian plugin to the same database'],
    env: sessionEnv,
  });
  console.log(`  ${out}`);
  out = run('SessionEnd hook (reason: prompt_input_exit)', 'hooks/session-end.cjs', { stdin: { session_id: session1, cwd, hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' }, env });
  console.log(out.replace(/^/gm, '  '));
  out = run('SessionStart hook for the next session: where we left off', 'hooks/session-start.cjs', { stdin: { session_id: 'demo-session-2', cwd, hook_event_name: 'SessionStart', source: 'startup' }, env });
  console.log(out.replace(/^/gm, '  '));
  knowledgeVault(root, env, cwd);
  out = run('claude-family db status', 'cli.mjs', { args: ['db', 'status'], env });
  console.log(out.replace(/^/gm, '  '));
  out = run('claude-family db stop  (the demo stops its server; yours keeps running between sessions)', 'cli.mjs', { args: ['db', 'stop'], env });
  console.log(out.replace(/^/gm, '  '));
}

/**
 * The knowledge vault: the two design notes this project comes from (test/fixtures/seed-vault, notes of
 * the project claude-family) put into a vault, synced into claude.knowledge, and delivered to Claude at
 * a prompt in that project.
 */
function knowledgeVault(root: string, env: NodeJS.ProcessEnv, cwd: string): void {
  console.log('\n# Your vault as Claude\'s knowledge\n');
  const vault = join(root, 'vault');
  const seeds = join(DIST, '..', 'test', 'fixtures', 'seed-vault');
  mkdirSync(join(vault, '40-Procedures'), { recursive: true });
  for (const name of readdirSync(seeds)) cpSync(join(seeds, name), join(vault, '40-Procedures', name));
  console.log(`Two notes with \`projects: [claude-family]\` and \`synced: false\` in a vault at ${vault}.`);
  const family = { ...env, CLAUDE_FAMILY_PROJECT: 'claude-family' };
  let out = run('claude-family vault sync --vault .demo/vault', 'cli.mjs', { args: ['vault', 'sync', '--vault', vault], env: family });
  console.log(out.replace(/^/gm, '  '));
  const note = readFileSync(join(vault, '40-Procedures', 'Session Lifecycle - Session End.md'), 'utf8');
  console.log(`  its frontmatter now:\n${note.slice(0, note.indexOf('\n---', 4) + 4).replace(/^/gm, '    ')}`);
  const prompt = 'how do I end a session and save state for the next one?';
  out = run(`UserPromptSubmit hook: "${prompt}" (project claude-family)`, 'hooks/user-prompt-submit.cjs', {
    stdin: { session_id: 'demo-session-2', cwd, hook_event_name: 'UserPromptSubmit', prompt },
    env: family,
  });
  const context = out ? (JSON.parse(out) as { hookSpecificOutput: { additionalContext: string } }).hookSpecificOutput.additionalContext : '(nothing)';
  const lines = context.split('\n');
  console.log(`  what Claude is given (${lines.length} lines, the first 8):\n${lines.slice(0, 8).join('\n').replace(/^/gm, '    ')}`);
  out = run('claude-family knowledge retrievals --session demo-session-2', 'cli.mjs', { args: ['knowledge', 'retrievals', '--session', 'demo-session-2'], env: family });
  console.log(out.replace(/^/gm, '  '));
}

async function main(): Promise<void> {
  const root = resolve('.demo');
  // An earlier version of the demo, run as root, kept its data in the temporary directory: it goes.
  await discard(join(tmpdir(), 'claude-family-demo'));
  await discard(root); // the demo starts afresh each run
  mkdirSync(root, { recursive: true, mode: 0o700 });
  try {
    await sampleSession(root);
    hooksLifecycle(root);
  } finally {
    const stopped = await stopLocalServer(root);
    if (stopped.stopped) console.error(`demo: stopped the local Postgres server it had left running (pid ${stopped.pid})`);
  }
}

/**
 * Removes a demo data directory and its server (stopped first, by pid). Running as root, the server of
 * a data directory its account cannot reach (a checkout under /root) lives in /var/lib/claude-family.
 */
async function discard(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await stopLocalServer(dir);
  const home = localPaths(dir).home;
  if (home !== dir) rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exit(1);
});
