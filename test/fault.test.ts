// Fault test, end to end through the real hook scripts (`node dist/hooks/<name>.cjs`, JSON on stdin) and
// the real CLI: one Claude Code session lifecycle run without faults (A) and with the database gone in
// the middle (B). After the database is back and the spool is replayed (by `spool replay`, or by the next
// hook), B's database state must equal A's, modulo ids and timestamps.
import { appendFileSync, copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db/db.js';
import { connectionOf, localPaths, readServerFile, stopLocalServer } from '../src/core/db/localServer.js';
import { openPostgres } from '../src/core/db/pg.js';
import { pendingSpoolCount, spoolPaths } from '../src/core/events/spool.js';
import { createPostgresDatabase, uniqueProject } from './support/backends.js';
import { baseEnv, CLI, hookScript, runNode, type RunResult } from './support/processes.js';
import { reachableTempDir } from './support/embeddedServer.js';
import { tempDirs } from './support/tempDirs.js';

/** In every connection string handed to a child process (trust auth ignores it); must never be printed. */
const SECRET = 'Fault-S3cret-pw';

const tempDir = tempDirs('cf-fault');

type HookName = 'session-start' | 'post-tool-use' | 'session-end';
type Env = Record<string, string | undefined>;

const TODOS_1 = [
  { content: 'Write the fault test', status: 'in_progress', activeForm: 'Writing the fault test' },
  { content: 'Run it on both backends', status: 'pending', activeForm: 'Running it' },
  { content: 'Drop this one', status: 'pending', activeForm: 'Dropping it' },
];
const TODOS_2 = [
  { content: 'Write the fault test', status: 'completed', activeForm: 'Writing the fault test' },
  { content: 'Run it on both backends', status: 'in_progress', activeForm: 'Running it' },
  { content: 'Report', status: 'pending', activeForm: 'Reporting', priority: 'high' },
];

/** The lifecycle as Claude Code fires it: SessionStart, TodoWrite, MCP call, TodoWrite completing one, failing MCP call, SessionEnd. */
function lifecycle(claudeId: string, cwd: string): { hook: HookName; payload: unknown }[] {
  const common = { session_id: claudeId, cwd, transcript_path: join(cwd, 't.jsonl'), permission_mode: 'default' };
  const post = (tool_name: string, tool_input: unknown, tool_response: unknown) => ({
    hook: 'post-tool-use' as const,
    payload: { ...common, hook_event_name: 'PostToolUse', tool_name, tool_input, tool_response },
  });
  return [
    { hook: 'session-start', payload: { ...common, hook_event_name: 'SessionStart', source: 'startup' } },
    post('TodoWrite', { todos: TODOS_1 }, { oldTodos: [], newTodos: TODOS_1 }),
    post('mcp__postgres__execute_sql', { sql: 'select 1' }, [{ type: 'text', text: '1' }]),
    post('TodoWrite', { todos: TODOS_2 }, { oldTodos: TODOS_1, newTodos: TODOS_2 }),
    post('mcp__memory__create_entities', { entities: [] }, { isError: true, content: [{ type: 'text', text: 'entity already exists' }] }),
    { hook: 'session-end', payload: { ...common, hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' } },
  ];
}

const runHook = (hook: HookName, payload: unknown, env: Env) => runNode(hookScript(hook), { stdin: JSON.stringify(payload), env });
const runCli = (args: string[], env: Env) => runNode(CLI, { args, env });

function stderrLines(r: RunResult): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

function expectNoSecret(...runs: RunResult[]): void {
  for (const r of runs) expect(`${r.stdout}\n${r.stderr}`).not.toContain(SECRET);
}

/** An event the hook could not write: exit 0, ONE stderr line saying it was spooled and why, no password. */
function expectSpooled(r: RunResult, why: RegExp): void {
  expect(r.code).toBe(0);
  const lines = stderrLines(r);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(why);
  expect(lines[0]).toMatch(/event kept in .*spool\.jsonl for the next replay$/);
  expectNoSecret(r);
}

function expectClean(r: RunResult): void {
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  expectNoSecret(r);
}

/**
 * What the lifecycle left in the database for one project, with ids replaced by labels (session#1, ...)
 * and timestamps reduced to "set or not", so two runs can be compared.
 */
async function lifecycleState(db: Db, project: string) {
  const sessions = (
    await db.query<{ session_id: string; claude_session_id: string; ended: boolean; session_summary: string | null }>(
      `SELECT s.session_id, s.claude_session_id, s.session_end IS NOT NULL AS ended, s.session_summary
       FROM claude.sessions s JOIN claude.projects p USING (project_id) WHERE p.project_name = $1 ORDER BY s.session_start`,
      [project],
    )
  ).rows;
  const labels = new Map(sessions.map((s, i) => [s.session_id, `session#${i + 1}`]));
  const claudeLabels = new Map(sessions.map((s, i) => [s.claude_session_id, `claude-session#${i + 1}`]));
  const label = (id: string | null) => (id === null ? null : (labels.get(id) ?? 'a session of another project'));
  const todos = (
    await db.query<{ content: string; active_form: string; status: string; priority: number; display_order: number; is_deleted: boolean; created_session_id: string | null; completed_session_id: string | null; has_completed_at: boolean; has_deleted_at: boolean }>(
      `SELECT t.content, t.active_form, t.status, t.priority, t.display_order, t.is_deleted, t.created_session_id, t.completed_session_id,
         t.completed_at IS NOT NULL AS has_completed_at, t.deleted_at IS NOT NULL AS has_deleted_at
       FROM claude.todos t JOIN claude.projects p USING (project_id) WHERE p.project_name = $1 ORDER BY t.content`,
      [project],
    )
  ).rows.map((t) => ({ ...t, created_session_id: label(t.created_session_id), completed_session_id: label(t.completed_session_id) }));
  const usage = (
    await db.query<{ mcp_server: string; tool_name: string; success: boolean; error: string | null; session_id: string | null; claude_session_id: string | null }>(
      `SELECT u.mcp_server, u.tool_name, u.success, u.error, u.session_id, u.claude_session_id
       FROM claude.mcp_usage u WHERE u.session_id = ANY($1::uuid[]) OR u.claude_session_id = ANY($2::text[]) ORDER BY u.called_at, u.mcp_server`,
      [sessions.map((s) => s.session_id), sessions.map((s) => s.claude_session_id)],
    )
  ).rows.map((u) => ({ ...u, session_id: label(u.session_id), claude_session_id: u.claude_session_id === null ? null : (claudeLabels.get(u.claude_session_id) ?? 'unknown') }));
  return {
    sessions: sessions.map((s) => ({
      session: label(s.session_id),
      ended: s.ended,
      summary: s.session_summary,
      todos_created: todos.filter((t) => t.created_session_id === label(s.session_id)).length,
      todos_completed: todos.filter((t) => t.completed_session_id === label(s.session_id)).length,
      mcp_calls: usage.filter((u) => u.session_id === label(s.session_id)).length,
    })),
    todos,
    usage,
  };
}
type LifecycleState = Awaited<ReturnType<typeof lifecycleState>>;

/** What the fault-free lifecycle must produce, whatever the backend (the spec, checked on run A). */
function expectLifecycleOutcome(state: LifecycleState): void {
  expect(state.sessions).toEqual([{ session: 'session#1', ended: true, summary: null, todos_created: 4, todos_completed: 1, mcp_calls: 2 }]);
  expect(state.todos.map((t) => [t.content, t.status, t.is_deleted, t.completed_session_id])).toEqual([
    ['Drop this one', 'pending', true, null],
    ['Report', 'pending', false, null],
    ['Run it on both backends', 'in_progress', false, null],
    ['Write the fault test', 'completed', false, 'session#1'],
  ]);
  expect(state.usage).toEqual([
    { mcp_server: 'postgres', tool_name: 'execute_sql', success: true, error: null, session_id: 'session#1', claude_session_id: 'claude-session#1' },
    { mcp_server: 'memory', tool_name: 'create_entities', success: false, error: 'entity already exists', session_id: 'session#1', claude_session_id: 'claude-session#1' },
  ]);
}

function readRejected(dataDir: string): { reason: string; line: string }[] {
  const path = spoolPaths(dataDir).rejected;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; line: string });
}

describe('fault: database unreachable mid-lifecycle [postgres]', { timeout: 240_000 }, () => {
  let goodUrl: string;
  let badUrl: string;
  let drop: () => Promise<void>;
  let db: Db;
  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    const url = new URL(created.url);
    url.password = SECRET;
    goodUrl = url.toString();
    url.port = '1'; // nothing listens there: the same user, database and password, unreachable
    badUrl = url.toString();
    db = openPostgres({ connectionString: created.url });
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  /** A scenario: its own project, data directory (spool) and home. */
  function scenario(label: string) {
    const home = tempDir(label);
    const project = uniqueProject(label);
    const dataDir = join(home, 'data');
    const env: Env = { ...baseEnv(home), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project, CLAUDE_FAMILY_DATABASE_URL: goodUrl };
    return { home, project, dataDir, env, down: { ...env, CLAUDE_FAMILY_DATABASE_URL: badUrl }, steps: lifecycle(`cc-${project}`, home) };
  }

  async function runA(): Promise<LifecycleState> {
    const a = scenario('fault-a');
    for (const { hook, payload } of a.steps) expectClean(await runHook(hook, payload, a.env));
    expect(pendingSpoolCount(a.dataDir)).toBe(0);
    return lifecycleState(db, a.project);
  }

  /** SessionStart with the database up, the four middle events while it is unreachable: all spooled. */
  async function startAndFailMiddle(s: ReturnType<typeof scenario>): Promise<void> {
    const [start, ...rest] = s.steps;
    const middle = rest.slice(0, 4);
    const startRun = await runHook(start!.hook, start!.payload, s.env);
    expectClean(startRun);
    expect(startRun.stdout).toContain(`Project: ${s.project}`);
    for (const { hook, payload } of middle) {
      expectSpooled(await runHook(hook, payload, s.down), /^claude-family post-tool-use: database unavailable \(Postgres postgres@127\.0\.0\.1:1\/cf_test_\w+\): .*ECONNREFUSED/);
    }
    expect(pendingSpoolCount(s.dataDir)).toBe(4);
    // Nothing of the middle reached the database.
    const now = await lifecycleState(db, s.project);
    expect(now.todos).toEqual([]);
    expect(now.usage).toEqual([]);
  }

  let expected: LifecycleState;
  it('(A) the lifecycle without faults records sessions, todos and MCP usage', async () => {
    expected = await runA();
    expectLifecycleOutcome(expected);
  });

  it('(B) outage mid-lifecycle, then `spool replay`: same state as (A); a corrupt line is set aside; a second replay applies nothing', async () => {
    expect(expected).toBeDefined();
    const b = scenario('fault-b-cli');
    await startAndFailMiddle(b);

    // A torn write among the spooled events: it must be set aside, the rest replayed.
    const lines = readFileSync(spoolPaths(b.dataDir).live, 'utf8').split('\n').filter(Boolean);
    const torn = '{"event_id": "3f1c0b52-torn-wr';
    rmSync(spoolPaths(b.dataDir).live);
    appendFileSync(spoolPaths(b.dataDir).live, [lines[0], lines[1], torn, lines[2], lines[3]].map((l) => `${l}\n`).join(''));
    const spoolCopy = join(b.home, 'spool-copy.jsonl');
    copyFileSync(spoolPaths(b.dataDir).live, spoolCopy);

    // Still down: the CLI fails operationally (exit 1, one line, no password) and keeps everything.
    const stillDown = await runCli(['spool', 'replay', '--json'], b.down);
    expect(stillDown.code).toBe(1);
    expect(stderrLines(stillDown)).toEqual([expect.stringMatching(/^claude-family spool replay: database unavailable \(Postgres postgres@127\.0\.0\.1:1\/cf_test_\w+\): .*ECONNREFUSED/)]);
    expectNoSecret(stillDown);
    expect(pendingSpoolCount(b.dataDir)).toBe(5);

    // The database is back.
    const replay = await runCli(['spool', 'replay', '--json'], b.env);
    expect(replay.code).toBe(0);
    expectNoSecret(replay);
    expect(JSON.parse(replay.stdout)).toMatchObject({ applied: 4, duplicates: 0, rejected: 1, remaining: 0, busy: false });
    expect(stderrLines(replay)).toEqual([`claude-family: 1 spooled event(s) could not be applied; see spool.rejected.jsonl in ${b.dataDir}`]);
    expect(readRejected(b.dataDir)).toEqual([{ rejected_at: expect.any(String), reason: expect.stringMatching(/^not valid JSON \(a torn or corrupted write\)$/), line: torn }]);
    expect(pendingSpoolCount(b.dataDir)).toBe(0);

    const end = await runHook(b.steps[5]!.hook, b.steps[5]!.payload, b.env);
    expectClean(end);
    expect(end.stdout).toContain('closed without a summary');
    const state = await lifecycleState(db, b.project);
    expect(state).toEqual(expected);

    // Exactly once: the same batch replayed again (a crash after commit, before the spool was cleared) changes nothing.
    copyFileSync(spoolCopy, spoolPaths(b.dataDir).live);
    const again = await runCli(['spool', 'replay', '--json'], b.env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: 0, duplicates: 4, rejected: 1, remaining: 0 });
    expect(await lifecycleState(db, b.project)).toEqual(expected);
    const empty = await runCli(['spool', 'replay', '--json'], b.env);
    expect(JSON.parse(empty.stdout)).toMatchObject({ applied: 0, duplicates: 0, rejected: 0, remaining: 0 });
  });

  it('(B) outage mid-lifecycle, then the next hook (SessionEnd) replays the spool before its own event: same state as (A)', async () => {
    expect(expected).toBeDefined();
    const b = scenario('fault-b-hook');
    await startAndFailMiddle(b);
    const end = await runHook(b.steps[5]!.hook, b.steps[5]!.payload, b.env);
    expectClean(end);
    expect(pendingSpoolCount(b.dataDir)).toBe(0);
    expect(readRejected(b.dataDir)).toEqual([]);
    expect(await lifecycleState(db, b.project)).toEqual(expected);
  });
});

describe('fault: the local server stops and cannot be started mid-lifecycle [embedded]', { timeout: 300_000 }, () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) {
      await stopLocalServer(join(d, 'data'));
      rmSync(d, { recursive: true, force: true });
    }
  });
  function scenario(label: string) {
    const home = reachableTempDir(`cf-fault-${label}-`);
    dirs.push(home);
    const project = uniqueProject(label);
    const dataDir = join(home, 'data');
    return { project, dataDir, env: { ...baseEnv(home), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project } as Env, steps: lifecycle(`cc-${project}`, home) };
  }
  async function inspect<T>(dataDir: string, fn: (db: Db) => Promise<T>): Promise<T> {
    const server = readServerFile(dataDir)!;
    const db = openPostgres({ connection: connectionOf(server), backend: 'embedded' });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  it('hooks spool while the server is down and will not start; after `spool replay` the state equals the fault-free run', async () => {
    const a = scenario('emb-a');
    // The first hook creates and starts the server (and says so on stderr, once).
    const first = await runHook(a.steps[0]!.hook, a.steps[0]!.payload, a.env);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/creating the local Postgres database in .*postgres \(first use only/);
    for (const { hook, payload } of a.steps.slice(1)) expectClean(await runHook(hook, payload, a.env));
    expect(pendingSpoolCount(a.dataDir)).toBe(0);
    const expected = await inspect(a.dataDir, (db) => lifecycleState(db, a.project));
    expectLifecycleOutcome(expected);

    const b = scenario('emb-b');
    const runs: RunResult[] = [await runHook(b.steps[0]!.hook, b.steps[0]!.payload, b.env)];
    expect(runs[0]!.code).toBe(0);
    // The server goes away, and a setting it cannot start with takes its place (a broken configuration):
    // nothing can start it. (Binaries that are gone are copied again by the next start: see
    // localServer-recovery.test.ts.)
    await stopLocalServer(b.dataDir);
    const autoConf = join(localPaths(b.dataDir).pgData, 'postgresql.auto.conf');
    const good = readFileSync(autoConf, 'utf8');
    writeFileSync(autoConf, `${good}shared_buffers = 'plenty'\n`);
    for (const { hook, payload } of b.steps.slice(1)) runs.push(await runHook(hook, payload, b.env));
    for (const r of runs.slice(1)) expectSpooled(r, /database unavailable \(the local Postgres in .*\): the local Postgres did not start/);
    expect(pendingSpoolCount(b.dataDir)).toBe(5);

    writeFileSync(autoConf, good);
    const replay = await runCli(['spool', 'replay', '--json'], b.env);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ applied: 5, duplicates: 0, rejected: 0, remaining: 0, busy: false });
    expect(pendingSpoolCount(b.dataDir)).toBe(0);
    expect(await inspect(b.dataDir, (db) => lifecycleState(db, b.project))).toEqual(expected);
  });
});
