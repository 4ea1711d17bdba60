// @vitest-environment happy-dom
// Behind a real PgBouncer in transaction mode (test/support/pgbouncer.ts), in front of the system
// Postgres: the built hooks, the spool replay (foreground and detached) and the CLI work through it with
// nothing spooled, statement timeouts hold per transaction and never stay on a pooled server connection,
// two users migrate an empty database at once; and the plugin finds out that LISTEN cannot work there
// (or is told so), polls at the refresh interval and says so in the status bar's tooltip.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeNotice } from '../src/core/events/changes.js';
import { MIGRATIONS } from '../src/core/db/migrations.js';
import { openPostgres } from '../src/core/db/pg.js';
import type { Db } from '../src/core/db/db.js';
import { makeEvent } from '../src/core/events/events.js';
import { appendToSpool, pendingSpoolCount, spoolPaths } from '../src/core/events/spool.js';
import { FileLock } from '../src/core/fs/fileLock.js';
import { openSession } from '../src/core/repos/sessions.js';
import { addTodo } from '../src/core/repos/todos.js';
import { Connection } from '../src/plugin/connection.js';
import { DEFAULT_SETTINGS, type ClaudeFamilySettings } from '../src/plugin/settings.js';
import { StatusBar } from '../src/plugin/statusBar.js';
import { createPostgresDatabase, PG_ADMIN_URL, uniqueProject } from './support/backends.js';
import { pgbouncerBinary, startPgBouncer, type Bouncer } from './support/pgbouncer.js';
import { baseEnv, CLI, hookScript, runNode, type RunResult } from './support/processes.js';
import { stopDetachedReplayer, waitFor } from './faults/support.js';

// CI installs pgbouncer (.ci/run): there a missing binary fails the run instead of skipping it.
const available = !!pgbouncerBinary() || !!process.env.CI;

describe.skipIf(!available)('behind PgBouncer in transaction mode [postgres]', { timeout: 240_000 }, () => {
  let bouncer: Bouncer;
  let direct: Db;
  let drop: () => Promise<void>;
  let url: string;
  let pooled: string;
  const homes: string[] = [];

  beforeAll(async () => {
    bouncer = await startPgBouncer(PG_ADMIN_URL);
    const made = await createPostgresDatabase();
    url = made.url;
    drop = made.drop;
    pooled = bouncer.through(url);
    direct = openPostgres({ connectionString: url });
  });
  afterAll(async () => {
    for (const h of homes) {
      await stopDetachedReplayer(join(h, 'data'));
      rmSync(h, { recursive: true, force: true });
    }
    await direct?.close();
    await bouncer?.stop();
    await drop?.();
  });

  /** A user's machine pointed at the pooler. */
  const machine = (project = uniqueProject('pool')) => {
    const home = mkdtempSync(join(tmpdir(), 'cf-pool-'));
    homes.push(home);
    const dataDir = join(home, 'data');
    const env = { ...baseEnv(home), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_DATABASE_URL: pooled, CLAUDE_FAMILY_PROJECT: project };
    const claudeId = `cc-${project}`;
    return {
      home,
      dataDir,
      project,
      claudeId,
      cli: (args: string[]) => runNode(CLI, { args, env, cwd: home }),
      hook: (name: 'session-start' | 'post-tool-use' | 'session-end', payload: object = {}, timeoutMs?: number) =>
        runNode(hookScript(name), { env, cwd: home, timeoutMs, stdin: JSON.stringify({ session_id: claudeId, cwd: home, ...payload }) }),
      mcp: (tool: string) => ({ hook_event_name: 'PostToolUse', tool_name: tool, tool_input: {}, tool_response: {} }),
    };
  };
  const ok = (r: RunResult, what: string) => expect({ what, code: r.code, stderr: r.stderr }).toEqual({ what, code: 0, stderr: '' });
  const count = async (sql: string, params: unknown[] = []) => (await direct.query<{ n: number }>(sql, params)).rows[0]!.n;

  it('refuses a statement_timeout startup parameter, as PgBouncer does by default (what the hooks used to send)', async () => {
    const c = new pg.Client({ connectionString: pooled, statement_timeout: 1000 });
    c.on('error', () => {});
    await expect(c.connect()).rejects.toThrow(/unsupported startup parameter/);
    await c.end().catch(() => {});
  });

  it('two users start sessions on an empty database at the same moment: migrations once, both events once; hooks and the CLI work, nothing spooled', async () => {
    const [a, b] = [machine(), machine()];
    const started = await Promise.all([a.hook('session-start', { source: 'startup' }), b.hook('session-start', { source: 'startup' })]);
    started.forEach((r, i) => ok(r, `SessionStart ${i}`));
    expect(await count('SELECT count(*)::int AS n FROM claude.schema_migrations')).toBe(MIGRATIONS.length);
    expect(await count('SELECT count(*)::int AS n FROM claude.sessions WHERE claude_session_id = ANY($1)', [[a.claudeId, b.claudeId]])).toBe(2);

    ok(await a.hook('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'through the pooler', status: 'in_progress', activeForm: 'Pooling' }] }, tool_response: {} }), 'TodoWrite');
    ok(await a.hook('post-tool-use', a.mcp('mcp__pool__tool')), 'PostToolUse');
    for (const [what, args] of [
      ['migrate', ['migrate']],
      ['todos list', ['todos', 'list']],
      ['session status', ['session', 'status']],
      ['session save', ['session', 'save', '--focus', 'poolers']],
      ['search', ['search', 'pooler']],
      ['knowledge add', ['knowledge', 'add', '--name', `Pooler ${a.project}`, '--category', 'ops', '--description', 'Transaction mode: no session state.']],
      ['knowledge list', ['knowledge', 'list']],
      ['message send', ['message', 'send', '--to', b.project, 'hi through the pooler']],
      ['mcp usage', ['mcp', 'usage']],
      ['spool replay', ['spool', 'replay']],
      ['session end', ['session', 'end', '--summary', 'pooled']],
    ] as [string, string[]][]) {
      ok(await a.cli(args), what);
    }
    ok(await b.hook('session-end', { reason: 'exit' }), 'SessionEnd');
    expect(pendingSpoolCount(a.dataDir) + pendingSpoolCount(b.dataDir)).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM claude.mcp_usage WHERE mcp_server = 'pool'")).toBe(1);
    // Nothing stays on the pooled server connections: every one of them has the server's default timeout.
    const probes = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const c = new pg.Client({ connectionString: pooled });
        await c.connect();
        try {
          await c.query('BEGIN');
          const { rows } = await c.query<{ statement_timeout: string }>('SHOW statement_timeout');
          await c.query('COMMIT');
          return rows[0]!.statement_timeout;
        } finally {
          await c.end();
        }
      }),
    );
    expect(new Set(probes)).toEqual(new Set(['0']));
  });

  it('spool replay through the pooler: 300 events in the foreground, 1,500 by the detached replayer a hook starts', async () => {
    const m = machine();
    ok(await m.hook('session-start', { source: 'startup' }), 'SessionStart');
    for (let i = 0; i < 300; i++) appendToSpool(m.dataDir, makeEvent({ kind: 'mcp_call', project: m.project, claude_session_id: m.claudeId, server: 'fg', tool: `t${i}`, success: true }));
    const replay = await m.cli(['spool', 'replay', '--json']);
    ok(replay, 'spool replay');
    expect(JSON.parse(replay.stdout)).toMatchObject({ applied: 300, rejected: 0, remaining: 0 });
    for (let i = 0; i < 1500; i++) appendToSpool(m.dataDir, makeEvent({ kind: 'mcp_call', project: m.project, claude_session_id: m.claudeId, server: 'bg', tool: `t${i}`, success: true }));
    expect((await m.hook('post-tool-use', m.mcp('mcp__bg__last'))).code).toBe(0);
    await waitFor(() => pendingSpoolCount(m.dataDir) === 0 && FileLock.inspect(spoolPaths(m.dataDir).lock).state === 'free', 90_000, 'the detached replay');
    expect(await count("SELECT count(*)::int AS n FROM claude.mcp_usage WHERE mcp_server = 'bg'")).toBe(1501);
  });

  it('an ACCESS EXCLUSIVE lock held elsewhere: hooks through the pooler give up at their statement timeout, keep their events, and they arrive once it is gone', async () => {
    const m = machine();
    ok(await m.hook('session-start', { source: 'startup' }), 'SessionStart');
    const runs: RunResult[] = [];
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE claude.sessions, claude.mcp_usage IN ACCESS EXCLUSIVE MODE');
      for (let i = 0; i < 4; i++) runs.push(await m.hook('post-tool-use', m.mcp(`mcp__locked__t${i}`), 10_000));
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await locker.end();
    }
    for (const r of runs) {
      expect(r.code).toBe(0);
      // One statement timeout (1 s) plus starting Node, on a busy machine.
      expect(r.ms).toBeLessThan(4000);
      expect(r.stderr).toMatch(/canceling statement due to statement timeout.*event kept in .*spool\.jsonl/);
    }
    expect(pendingSpoolCount(m.dataDir)).toBe(4);
    ok(await m.hook('post-tool-use', m.mcp('mcp__locked__after')), 'PostToolUse after the lock');
    expect(pendingSpoolCount(m.dataDir)).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM claude.mcp_usage WHERE mcp_server = 'locked'")).toBe(5);
  });

  describe('the Obsidian plugin', () => {
    const settings = (patch: Partial<ClaudeFamilySettings>): ClaudeFamilySettings => ({ ...DEFAULT_SETTINGS, mode: 'postgres', refreshSeconds: 1, ...patch });
    async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
      await waitFor(check, ms, what);
    }

    it('finds out that LISTEN cannot work through the pooler, polls at the refresh interval and says so in the tooltip', async () => {
      const project = uniqueProject('plugin-pool');
      const { session } = await openSession(direct, { projectName: project });
      const connection = new Connection({ settings: () => settings({ connectionString: pooled, projects: project }) });
      const seen: (ChangeNotice | undefined)[] = [];
      const stop = connection.watch((n) => {
        seen.push(n);
      });
      const el = document.createElement('div');
      const bar = new StatusBar(el, connection, () => project);
      try {
        await until(() => connection.updateMode()?.kind === 'polling', 'the switch to polling');
        expect(connection.updateMode()).toEqual({ kind: 'polling', everySeconds: 1, reason: expect.stringMatching(/a test notification did not arrive within 3 s/) });
        // A change made elsewhere shows at the next poll.
        await addTodo(direct, { projectId: session.project_id, content: 'polled', status: 'in_progress' });
        const before = seen.length;
        await until(() => seen.slice(before).filter((n) => n === undefined).length >= 2, 'two polls', 5000);
        await bar.refresh();
        expect(el.textContent).toBe(`Claude ${project}: 1 active session · 1 in progress, 0 pending`);
        expect(el.getAttribute('aria-label')).toMatch(/^Updates by polling every 1 s: a test notification did not arrive within 3 s, so LISTEN does not work through this connection/);
      } finally {
        bar.stop();
        await stop();
        await connection.close();
      }
    });

    it('with "Server is behind a pooler" on, polls from the start; connected directly, it listens', async () => {
      const told = new Connection({ settings: () => settings({ connectionString: pooled, behindPooler: true }) });
      const stopTold = told.watch(() => {});
      expect(told.updateMode()).toEqual({ kind: 'polling', everySeconds: 1, reason: 'the setting "Server is behind a pooler" is on' });
      await stopTold();
      await told.close();

      const straight = new Connection({ settings: () => settings({ connectionString: url }) });
      const stopStraight = straight.watch(() => {});
      try {
        await until(() => straight.updateMode() !== undefined, 'the LISTEN check');
        expect(straight.updateMode()).toEqual({ kind: 'listen' });
      } finally {
        await stopStraight();
        await straight.close();
      }
    });
  });
});
