// Issue 14: one order per project, the hook's own event durable first, a bounded replay, transient
// errors kept for retry, and appends that never land in a batch a replay already took. Child processes
// run the built hooks and CLI against a real Postgres, as Claude Code does.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/core/db/db.js';
import { makeEvent } from '../../src/core/events/events.js';
import { appendToSpool, pendingSpoolCount, spoolPaths } from '../../src/core/events/spool.js';
import { FileLock } from '../../src/core/fs/fileLock.js';
import { BACKENDS, uniqueProject } from '../support/backends.js';
import { createHookBackend, type HookBackend } from '../support/processes.js';
import { cli, hook, liveTodos, mcpCall, rejectedRecords, stderrLines, stopDetachedReplayer, todoWrite, waitFor, type Scenario } from './support.js';

for (const backend of BACKENDS) describe(`faults: order, budget, transient errors, append/claim race [${backend}]`, { timeout: 240_000 }, () => {
  const backends: HookBackend[] = [];
  afterAll(async () => {
    for (const b of backends) {
      await stopDetachedReplayer(b.dataDir);
      await b.dispose();
    }
  });
  /** A scenario on a database of its own (the hooks migrate it), and a way to look into it. */
  const make = async (label: string): Promise<Scenario & { inspect: <T>(fn: (db: Db) => Promise<T>) => Promise<T> }> => {
    const b = await createHookBackend(backend);
    backends.push(b);
    const project = uniqueProject(label);
    return { home: dirname(b.dataDir), dataDir: b.dataDir, project, claudeId: `cc-${project}`, env: { ...b.env, CLAUDE_FAMILY_PROJECT: project }, inspect: b.inspect };
  };

  it('a newer TodoWrite written while older ones wait in the spool is applied after them: the todo is live once, completed', async () => {
    const s = await make('race');
    expect((await hook('session-start', { session_id: s.claudeId, cwd: s.home }, s.env)).code).toBe(0);
    // 400 older events, the last of which says X is in progress, wait in the spool (written during an outage).
    for (let i = 0; i < 399; i++) {
      appendToSpool(s.dataDir, makeEvent({ kind: 'mcp_call', project: s.project, claude_session_id: s.claudeId, server: 'srv', tool: `t${i}`, success: true }));
    }
    appendToSpool(s.dataDir, makeEvent({ kind: 'todo_write', project: s.project, claude_session_id: s.claudeId, todos: [{ content: 'X', status: 'in_progress' }] }));
    // A replay is running (it holds the spool lock) when the newer list comes.
    const replaying = FileLock.tryAcquire(spoolPaths(s.dataDir).lock)!;
    expect(replaying).toBeDefined();
    let r;
    try {
      r = await hook('post-tool-use', todoWrite(s, [{ content: 'X', status: 'completed' }]), s.env);
    } finally {
      replaying.release();
    }
    expect(r.code).toBe(0);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/another process is replaying the spool; event kept in .*spool\.jsonl behind the events before it/)]);
    const replay = await cli(['spool', 'replay', '--json'], s.env);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ applied: 401, rejected: 0, remaining: 0 });
    expect(await s.inspect((db) => liveTodos(db, s.project))).toEqual([{ content: 'X', status: 'completed' }]);
  });

  it('a 5,000-event backlog: PostToolUse keeps its event, returns well inside its 10 s timeout, and a detached replay applies everything once', async () => {
    const s = await make('backlog');
    expect((await hook('session-start', { session_id: s.claudeId, cwd: s.home }, s.env)).code).toBe(0);
    for (let i = 0; i < 5000; i++) {
      appendToSpool(s.dataDir, makeEvent({ kind: 'mcp_call', project: s.project, claude_session_id: s.claudeId, server: 'backlog', tool: `t${i}`, success: true }));
    }
    const r = await hook('post-tool-use', mcpCall(s, 'mcp__backlog__last'), s.env, { timeoutMs: 10_000 });
    expect(r.killed).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(10_000);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/earlier event\(s\) are being replayed in the background; event kept in .*spool\.jsonl behind them$/)]);
    // Nothing lost meanwhile: every event is in the database or still in the spool.
    const count = () => s.inspect(async (db) => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM claude.mcp_usage WHERE mcp_server = 'backlog'")).rows[0]!.n);
    expect((await count()) + pendingSpoolCount(s.dataDir)).toBeGreaterThanOrEqual(5001);
    await waitFor(async () => pendingSpoolCount(s.dataDir) === 0 && FileLock.inspect(spoolPaths(s.dataDir).lock).state === 'free', 120_000, 'the detached replay');
    expect(await count()).toBe(5001);
    expect(rejectedRecords(s.dataDir)).toEqual([]);
  });

  it('a row lock held past the statement timeout: hooks give up after about 1 s, nothing is rejected, the todos arrive once the lock is gone', async () => {
    const s = await make('rowlock');
    expect((await hook('session-start', { session_id: s.claudeId, cwd: s.home }, s.env)).code).toBe(0);
    const runs: Awaited<ReturnType<typeof hook>>[] = [];
    // Another connection holds the project's row lock for the whole time (rolled back at the end).
    await s.inspect((db) =>
      db
        .transaction(async (tx) => {
          await tx.query('SELECT 1 FROM claude.projects WHERE project_name = $1 FOR UPDATE', [s.project]);
          for (const status of ['pending', 'in_progress', 'completed']) {
            runs.push(await hook('post-tool-use', todoWrite(s, [{ content: 'Y', status }]), s.env, { timeoutMs: 10_000 }));
          }
          throw new Error('release the lock');
        })
        .catch((err: Error) => {
          if (err.message !== 'release the lock') throw err;
        }),
    );
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.ms).toBeLessThan(4000);
      expect(stderrLines(r)).toEqual([expect.stringMatching(/event kept in .*spool\.jsonl/)]);
    }
    expect(rejectedRecords(s.dataDir)).toEqual([]);
    expect(pendingSpoolCount(s.dataDir)).toBe(3);
    const replay = await cli(['spool', 'replay', '--json'], s.env);
    expect(JSON.parse(replay.stdout)).toMatchObject({ applied: 3, rejected: 0, remaining: 0 });
    expect(await s.inspect((db) => liveTodos(db, s.project))).toEqual([{ content: 'Y', status: 'completed' }]);
  });

  it('40 hooks at once (14 of them over 64 KB), each appending and replaying: every event applied once, nothing rejected, nothing left', async () => {
    const s = await make('concurrent');
    expect((await hook('session-start', { session_id: s.claudeId, cwd: s.home }, s.env)).code).toBe(0);
    const runs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const payload = { ...mcpCall(s, `mcp__conc__t${i}`), tool_response: i < 14 ? { isError: true, error: `${i}`.padEnd(70_000, 'z') } : {} };
        // 40 Node processes on a small machine: this test is about integrity, not speed.
        return hook('post-tool-use', payload, s.env, { timeoutMs: 60_000 });
      }),
    );
    for (const r of runs) expect(r).toMatchObject({ code: 0 });
    await waitFor(() => pendingSpoolCount(s.dataDir) === 0 && FileLock.inspect(spoolPaths(s.dataDir).lock).state === 'free', 30_000, 'the spool to drain');
    const rows = await s.inspect(async (db) => (await db.query<{ tool_name: string; n: number }>("SELECT tool_name, count(*)::int AS n FROM claude.mcp_usage WHERE mcp_server = 'conc' GROUP BY tool_name")).rows);
    expect(rows).toHaveLength(40);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(rejectedRecords(s.dataDir)).toEqual([]);
  });

  it('an append into a spool file a replay claimed and removed meanwhile is appended again, not lost', async () => {
    const s = await make('claim');
    expect((await hook('session-start', { session_id: s.claudeId, cwd: s.home }, s.env)).code).toBe(0);
    // One older event, so the replay has a batch to claim.
    appendToSpool(s.dataDir, makeEvent({ kind: 'mcp_call', project: s.project, claude_session_id: s.claudeId, server: 'claim', tool: 'older', success: true }));
    const pause = join(s.home, 'pause');
    const running = hook('post-tool-use', mcpCall(s, 'mcp__claim__newer'), { ...s.env, CLAUDE_FAMILY_TEST_PAUSE_AFTER_OPEN: pause }, { timeoutMs: 20_000 });
    // The hook has spool.jsonl open for append; now a replay renames it, applies it and removes it.
    await waitFor(() => existsSync(`${pause}.ready`), 10_000, 'the hook to open the spool');
    const replay = await cli(['spool', 'replay', '--json'], s.env);
    expect(JSON.parse(replay.stdout)).toMatchObject({ applied: 1, remaining: 0 });
    writeFileSync(`${pause}.go`, '');
    const r = await running;
    expect(r.code).toBe(0);
    const tools = await s.inspect(async (db) => (await db.query<{ tool_name: string }>("SELECT tool_name FROM claude.mcp_usage WHERE mcp_server = 'claim' ORDER BY called_at")).rows.map((x) => x.tool_name));
    expect(tools).toEqual(['older', 'newer']);
    expect(pendingSpoolCount(s.dataDir)).toBe(0);
  });
});
