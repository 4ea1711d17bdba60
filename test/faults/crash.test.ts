// The local server killed (SIGKILL to the postmaster) at random moments while hooks and `spool replay`
// run against it: 50 rounds. Hooks must exit 0 with at most one stderr line, the CLI with exit 0 or 1 and
// no stack trace; no stale lock is left behind; and once the server is back, every event (hook events and
// a spooled backlog) is in the database exactly once, none rejected. Only the postmaster of this file's
// own data directory is ever signalled (checked to be ours first), and it is stopped at the end.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOf, ensureLocalServer, isOurPostmaster, localPaths, readPidFile, readServerFile, stopLocalServer } from '../../src/core/db/localServer.js';
import { openPostgres } from '../../src/core/db/pg.js';
import { makeEvent } from '../../src/core/events/events.js';
import { appendToSpool, pendingSpoolCount, spoolPaths } from '../../src/core/events/spool.js';
import { FileLock } from '../../src/core/fs/fileLock.js';
import { reachableTempDir, resolveHere } from '../support/embeddedServer.js';
import { baseEnv, type RunResult } from '../support/processes.js';
import { cli, hook, stopDetachedReplayer, waitFor, type Env } from './support.js';

const ROUNDS = Number(process.env.CF_CRASH_ROUNDS ?? 50);
const SEED = Number(process.env.CF_CRASH_SEED ?? Date.now() % 1_000_000);

/** A small seeded PRNG (mulberry32), so a failing round can be replayed with CF_CRASH_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STACK = /^\s+at |Unhandled|node:internal|\n\s+\^/m;

describe(`faults: the local server killed at random points (${ROUNDS} rounds, seed ${SEED}) [embedded]`, { timeout: 900_000 }, () => {
  let root: string;
  let dataDir: string;
  let env: Env;
  const project = `crash-${process.pid}`;

  beforeAll(async () => {
    root = reachableTempDir('cf-crash-');
    dataDir = join(root, 'data');
    env = { ...baseEnv(root), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project };
    const first = await hook('session-start', { session_id: 'cc-crash-setup' }, env);
    expect(first.code).toBe(0);
  });

  afterAll(async () => {
    if (!dataDir) return;
    await stopDetachedReplayer(dataDir);
    await stopLocalServer(dataDir);
    rmSync(root, { recursive: true, force: true });
  });

  /** SIGKILL to this data directory's postmaster, when one of ours is running; its pid, or undefined. */
  function killPostmaster(): number | undefined {
    const pgData = localPaths(dataDir).pgData;
    const pid = readPidFile(pgData);
    if (!pid || !isOurPostmaster(pgData, pid)) return undefined;
    process.kill(pid.pid, 'SIGKILL');
    return pid.pid;
  }

  it('every event exactly once, no hook exits 1, no stack trace, no stale lock', async () => {
    const random = prng(SEED);
    const expected: string[] = [];
    const sessions: string[] = [];
    let kills = 0;
    let cliFailures = 0;
    let spooledHooks = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // A backlog for the replays to work through, as hooks leave one while the server is down.
      const backlog = Math.floor(random() * 60);
      for (let i = 0; i < backlog; i++) {
        const tool = `b${round}_${i}`;
        appendToSpool(dataDir, makeEvent({ kind: 'mcp_call', project, claude_session_id: 'cc-crash-backlog', server: 'crash', tool, success: true }));
        expected.push(tool);
      }
      const runs: { what: string; run: Promise<RunResult> }[] = [];
      for (let j = 0; j < 2; j++) {
        const tool = `h${round}_${j}`;
        expected.push(tool);
        runs.push({ what: `post-tool-use ${tool}`, run: hook('post-tool-use', { session_id: 'cc-crash', tool_name: `mcp__crash__${tool}`, tool_input: {}, tool_response: {} }, env) });
      }
      if (random() < 0.5) runs.push({ what: 'spool replay', run: cli(['spool', 'replay'], env) });
      if (random() < 0.3) {
        const id = `cc-crash-${round}`;
        sessions.push(id);
        runs.push({ what: `session-start ${id}`, run: hook('session-start', { session_id: id }, env) });
      }
      await new Promise((r) => setTimeout(r, Math.floor(random() * 400)));
      if (killPostmaster() !== undefined) kills += 1;
      for (const { what, run } of runs) {
        const r = await run;
        const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
        expect(r.stderr, `${what}, round ${round}`).not.toMatch(STACK);
        if (what === 'spool replay') {
          expect([0, 1], `${what}, round ${round}: ${r.stderr}`).toContain(r.code);
          expect(lines.length, `${what}, round ${round}: ${r.stderr}`).toBeLessThanOrEqual(1);
          if (r.code === 1) cliFailures += 1;
        } else {
          expect(r.code, `${what}, round ${round}: ${r.stderr}`).toBe(0);
          expect(lines.length, `${what}, round ${round}: ${r.stderr}`).toBeLessThanOrEqual(1);
          if (/event kept in .*spool\.jsonl/.test(r.stderr)) spooledHooks += 1;
        }
      }
      // A detached replayer a hook handed the backlog to finishes (or fails) on its own; then the lock is free.
      await waitFor(() => FileLock.inspect(spoolPaths(dataDir).lock).state !== 'held', 60_000, `the spool lock to be released (round ${round})`);
      expect(FileLock.inspect(spoolPaths(dataDir).lock).state, `round ${round}`).toBe('free');
      expect(FileLock.inspect(localPaths(dataDir).lock).state, `round ${round}`).toBe('free');
      expect(readdirSync(dataDir).filter((f) => f.endsWith('.tmp')), `round ${round}`).toEqual([]);
    }

    // The server back (its old backends may take a moment to go), then one replay of whatever waits.
    await ensureLocalServer(dataDir, { resolve: resolveHere, timeoutMs: 60_000 });
    const replay = await cli(['spool', 'replay', '--json'], env, { timeoutMs: 120_000 });
    expect(replay.code, replay.stderr).toBe(0);
    expect(pendingSpoolCount(dataDir)).toBe(0);
    // Events a kill caught between COMMIT and its answer stay in the spool and are found applied: never twice.
    const { duplicates } = JSON.parse(replay.stdout) as { duplicates: number };
    const rejected = spoolPaths(dataDir).rejected;
    expect(existsSync(rejected) ? readFileSync(rejected, 'utf8') : '').toBe('');

    const db = openPostgres({ connection: connectionOf(readServerFile(dataDir)!), backend: 'embedded' });
    try {
      const usage = await db.query<{ tool_name: string; n: number }>("SELECT tool_name, count(*)::int AS n FROM claude.mcp_usage WHERE mcp_server = 'crash' GROUP BY tool_name");
      const counts = new Map(usage.rows.map((r) => [r.tool_name, r.n]));
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
      expect([...counts.keys()].sort()).toEqual([...expected].sort());
      const started = await db.query<{ claude_session_id: string; n: number }>('SELECT claude_session_id, count(*)::int AS n FROM claude.sessions WHERE claude_session_id = ANY($1) GROUP BY 1', [sessions]);
      expect(started.rows.map((r) => r.claude_session_id).sort()).toEqual([...sessions].sort());
      expect(started.rows.every((r) => r.n === 1)).toBe(true);
    } finally {
      await db.close();
    }
    console.log(`crash faults (seed ${SEED}): ${ROUNDS} rounds, ${kills} postmasters killed, ${expected.length} events and ${sessions.length} sessions each recorded once; ${spooledHooks} hook events waited in the spool, ${cliFailures} spool replays exited 1; the last replay found ${duplicates} already applied`);
    expect(kills).toBeGreaterThan(ROUNDS / 2);
  });
});
