import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupAllEndedSessions,
  cleanupOrphans,
  deferredCleanupCommand,
  findClaudePid,
  findOrphans,
  formatCleanup,
  runDeferredCleanup,
  snapshotSessionProcesses,
  spawnDeferredCleanup,
} from '../../src/core/housekeeping/mcpProcesses.js';
import { procfsSource, psSource, type ProcessInfo, type ProcessSource } from '../../src/core/housekeeping/processes.js';
import { readSnapshot, snapshotPath, writeSnapshot, type SessionSnapshot } from '../../src/core/housekeeping/sessionSnapshot.js';
import { bundleScript } from '../support/bundle.js';
import { killAll, killAndWait, mcpArgs, startProcess, startStandInClaude, tempDir, track, until, waitForFiles } from './fixtures.js';

afterEach(() => killAll());

const SOURCES: [string, ProcessSource][] = [
  ['/proc', procfsSource],
  ['ps', psSource],
];

const alive = (source: ProcessSource, pid: number, startTime: string) => source.get(pid)?.startTime === startTime;

describe.each(SOURCES)('orphaned MCP servers, real processes (%s)', (_name, source) => {
  it('a snapshot records the Claude Code process and exactly its children', async () => {
    const dataDir = tempDir();
    const claude = await startStandInClaude([{}, {}]);
    const r = await snapshotSessionProcesses({ dataDir, claudeSessionId: 'sess-1', claudePid: claude.pid, source });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.claude?.pid).toBe(claude.pid);
    expect(r.claude?.startTime).toBe(source.get(claude.pid)?.startTime);
    expect(r.children.map((c) => c.pid).sort()).toEqual([...claude.mcpPids].sort());
    for (const c of r.children) expect(c.command).toContain('setInterval');
    const onDisk = readSnapshot(snapshotPath(dataDir, 'sess-1'));
    expect(onDisk?.owners).toHaveLength(1);
    expect(onDisk?.owners[0]?.children.map((c) => c.pid).sort()).toEqual([...claude.mcpPids].sort());
  });

  it('while Claude Code is alive nothing is an orphan', async () => {
    const dataDir = tempDir();
    const claude = await startStandInClaude([{}, {}]);
    await snapshotSessionProcesses({ dataDir, claudeSessionId: 'sess-alive', claudePid: claude.pid, source });
    const found = findOrphans({ dataDir, claudeSessionId: 'sess-alive', source });
    expect(found.claudeAlive).toBe(true);
    expect(found.orphans).toEqual([]);
    expect(found.skipped.map((s) => s.reason)).toEqual([
      `its Claude Code (pid ${claude.pid}) is still running`,
      `its Claude Code (pid ${claude.pid}) is still running`,
    ]);
    const cleaned = await cleanupOrphans({ dataDir, claudeSessionId: 'sess-alive', graceMs: 500, source });
    expect(cleaned.ended).toEqual([]);
    expect(cleaned.snapshotRemoved).toBe(false);
    for (const pid of claude.mcpPids) expect(source.get(pid)).toBeDefined();
  });

  it('after Claude Code exits: a dry run lists exactly its two servers, a real run ends exactly those; the unrelated twin survives', async () => {
    const dataDir = tempDir();
    const claude = await startStandInClaude([{}, {}]);
    const twin = startProcess(process.execPath, mcpArgs());
    await snapshotSessionProcesses({ dataDir, claudeSessionId: 'sess-end', claudePid: claude.pid, source });
    const recorded = claude.mcpPids.map((pid) => ({ pid, startTime: source.get(pid)!.startTime }));
    const twinStart = source.get(twin.pid!)!.startTime;
    // The twin really has the same command line as the servers.
    expect(source.get(twin.pid!)?.command).toBe(source.get(claude.mcpPids[0]!)?.command);

    await killAndWait(claude.child);

    const dry = await cleanupOrphans({ dataDir, claudeSessionId: 'sess-end', dryRun: true, source });
    expect(dry.problems).toEqual([]);
    expect(dry.claudeAlive).toBe(false);
    expect(dry.wouldEnd.map((o) => o.pid).sort()).toEqual([...claude.mcpPids].sort());
    expect(dry.ended).toEqual([]);
    for (const o of dry.wouldEnd) {
      expect(o.reason).toMatch(new RegExp(`^parent claude pid ${claude.pid} exited; started .+; cmd .*setInterval`));
    }
    expect(formatCleanup(dry)).toContain(`would end pid ${claude.mcpPids[0]}`);
    for (const r of recorded) expect(alive(source, r.pid, r.startTime)).toBe(true);
    expect(existsSync(snapshotPath(dataDir, 'sess-end'))).toBe(true);

    const real = await cleanupOrphans({ dataDir, claudeSessionId: 'sess-end', graceMs: 5000, source });
    expect(real.problems).toEqual([]);
    expect(real.failed).toEqual([]);
    expect(real.ended.map((o) => o.pid).sort()).toEqual([...claude.mcpPids].sort());
    expect(real.ended.every((o) => o.signal === 'SIGTERM')).toBe(true);
    for (const r of recorded) expect(alive(source, r.pid, r.startTime)).toBe(false);
    expect(alive(source, twin.pid!, twinStart)).toBe(true);
    expect(real.snapshotRemoved).toBe(true);
    expect(existsSync(snapshotPath(dataDir, 'sess-end'))).toBe(false);
  });
});

describe.each(SOURCES)('orphaned MCP servers started through a launcher (%s)', (_name, source) => {
  it('the launcher and the server below it are recorded and ended, also once the launcher is gone', async () => {
    const dataDir = tempDir();
    const claude = await startStandInClaude([{ launcher: true }, { launcher: true }]);
    const launchers = claude.mcpPids;
    const serverOf = (launcher: number) => source.list().find((p) => p.ppid === launcher)?.pid;
    expect(await until(() => launchers.every((l) => serverOf(l) !== undefined))).toBe(true);
    const servers = launchers.map((l) => serverOf(l)!);
    servers.forEach(track);

    const snap = await snapshotSessionProcesses({ dataDir, claudeSessionId: 'sess-launch', claudePid: claude.pid, source });
    expect(snap.problems).toEqual([]);
    expect(snap.children.map((c) => c.pid).sort()).toEqual([...launchers, ...servers].sort());
    const recorded = [...launchers, ...servers].map((pid) => ({ pid, startTime: source.get(pid)!.startTime }));

    await killAndWait(claude.child);
    // The first launcher goes too (as npx does when Claude Code closes its stdin): its server now has another parent.
    process.kill(launchers[0]!, 'SIGKILL');
    expect(await until(() => source.get(launchers[0]!) === undefined && source.get(servers[0]!)?.ppid !== launchers[0])).toBe(true);
    expect(source.get(servers[0]!)).toBeDefined();

    const real = await cleanupOrphans({ dataDir, claudeSessionId: 'sess-launch', graceMs: 5000, source });
    expect(real.problems).toEqual([]);
    expect(real.failed).toEqual([]);
    expect(real.ended.map((o) => o.pid).sort()).toEqual([launchers[1]!, ...servers].sort());
    expect(real.skipped.map((s) => [s.pid, s.reason])).toEqual([[launchers[0], 'already exited']]);
    for (const r of recorded) expect(alive(source, r.pid, r.startTime)).toBe(false);
  });
});

describe('orphaned MCP servers: guards and edge cases', () => {
  const source = procfsSource;

  it('a server that ignores SIGTERM is ended with SIGKILL after the grace period', async () => {
    const dataDir = tempDir();
    const ready = join(dataDir, 'stubborn.ready');
    const claude = await startStandInClaude([{ ready, mode: 'ignore-term' }]);
    await waitForFiles([ready]);
    await snapshotSessionProcesses({ dataDir, claudeSessionId: 'stubborn', claudePid: claude.pid, source });
    await killAndWait(claude.child);
    const r = await cleanupOrphans({ dataDir, claudeSessionId: 'stubborn', graceMs: 300, source });
    expect(r.ended).toEqual([expect.objectContaining({ pid: claude.mcpPids[0], signal: 'SIGKILL' })]);
    expect(source.get(claude.mcpPids[0]!)).toBeUndefined();
  });

  it('pid reuse guard: a recorded child whose pid now has another start time is skipped, never signalled', async () => {
    const dataDir = tempDir();
    const bystander = startProcess(process.execPath, mcpArgs());
    const now = source.get(bystander.pid!)!;
    const dead = startProcess(process.execPath, mcpArgs());
    const deadPid = dead.pid!;
    await killAndWait(dead);
    const snapshot: SessionSnapshot = {
      version: 1,
      claudeSessionId: 'reuse',
      owners: [
        {
          claude: { pid: deadPid, startTime: 'proc:1', command: 'claude', firstSeenAt: new Date().toISOString() },
          children: [{ pid: bystander.pid!, startTime: 'proc:2', startedAt: '2020-01-01T00:00:00.000Z', command: now.command, firstSeenAt: new Date().toISOString() }],
        },
      ],
      updatedAt: new Date().toISOString(),
    };
    writeSnapshot(snapshotPath(dataDir, 'reuse'), snapshot);
    const r = await cleanupOrphans({ dataDir, claudeSessionId: 'reuse', graceMs: 300, source });
    expect(r.orphans).toEqual([]);
    expect(r.ended).toEqual([]);
    expect(r.skipped).toEqual([expect.objectContaining({ pid: bystander.pid, reason: expect.stringMatching(/^pid reused: recorded process started 2020-01-01/) })]);
    expect(alive(source, bystander.pid!, now.startTime)).toBe(true);
  });

  it('a Claude Code pid that now names another process counts as exited', async () => {
    const dataDir = tempDir();
    const server = startProcess(process.execPath, mcpArgs());
    const info = source.get(server.pid!)!;
    // The "claude" pid is this test process, but recorded with another start time: the original is gone.
    writeSnapshot(snapshotPath(dataDir, 'claude-reused'), {
      version: 1,
      claudeSessionId: 'claude-reused',
      owners: [
        {
          claude: { pid: process.pid, startTime: 'proc:1', command: 'claude', firstSeenAt: new Date().toISOString() },
          children: [{ pid: info.pid, startTime: info.startTime, command: info.command, firstSeenAt: new Date().toISOString() }],
        },
      ],
      updatedAt: new Date().toISOString(),
    });
    const found = findOrphans({ dataDir, claudeSessionId: 'claude-reused', source });
    expect(found.claudeAlive).toBe(false);
    expect(found.orphans).toEqual([expect.objectContaining({ pid: info.pid, reason: expect.stringContaining(`parent claude pid ${process.pid} exited (the pid now belongs to another process)`) })]);
  });

  it('snapshots merge: children seen at any snapshot are kept, a resumed session gets its own owner entry', async () => {
    const dataDir = tempDir();
    const first = await startStandInClaude([{}]);
    await snapshotSessionProcesses({ dataDir, claudeSessionId: 'merge', claudePid: first.pid, source });
    // The first child exits; a later snapshot does not forget it.
    process.kill(first.mcpPids[0]!, 'SIGKILL');
    await until(() => source.get(first.mcpPids[0]!) === undefined);
    const again = await snapshotSessionProcesses({ dataDir, claudeSessionId: 'merge', claudePid: first.pid, source });
    expect(again.added).toEqual([]);
    expect(again.children.map((c) => c.pid)).toEqual(first.mcpPids);
    // `claude --resume` of the same session id in another Claude Code process.
    const second = await startStandInClaude([{}]);
    await snapshotSessionProcesses({ dataDir, claudeSessionId: 'merge', claudePid: second.pid, source });
    const snap = readSnapshot(snapshotPath(dataDir, 'merge'))!;
    expect(snap.owners.map((o) => o.claude.pid)).toEqual([first.pid, second.pid]);
    expect(snap.owners.map((o) => o.children.map((c) => c.pid))).toEqual([first.mcpPids, second.mcpPids]);
    // With the first Claude Code gone and the second alive, only the second's server is protected.
    await killAndWait(first.child);
    const found = findOrphans({ dataDir, claudeSessionId: 'merge', source });
    expect(found.claudeAlive).toBe(true);
    expect(found.orphans).toEqual([]);
    expect(found.skipped.map((s) => [s.pid, s.reason])).toEqual([
      [first.mcpPids[0], 'already exited'],
      [second.mcpPids[0], `its Claude Code (pid ${second.pid}) is still running`],
    ]);
  });

  it('cleanupAllEndedSessions ends orphans of ended sessions only and removes snapshots with nothing alive', async () => {
    const dataDir = tempDir();
    const ended = await startStandInClaude([{}]);
    const running = await startStandInClaude([{}]);
    const empty = await startStandInClaude([]);
    await snapshotSessionProcesses({ dataDir, claudeSessionId: 'ended', claudePid: ended.pid, source });
    await snapshotSessionProcesses({ dataDir, claudeSessionId: 'running', claudePid: running.pid, source });
    await snapshotSessionProcesses({ dataDir, claudeSessionId: 'empty', claudePid: empty.pid, source });
    await killAndWait(ended.child);
    await killAndWait(empty.child);

    const dry = await cleanupAllEndedSessions({ dataDir, dryRun: true, source });
    expect(dry.stillRunning).toEqual(['running']);
    expect(dry.sessions.map((s) => [s.claudeSessionId, s.wouldEnd.map((o) => o.pid)])).toEqual([
      ['empty', []],
      ['ended', ended.mcpPids],
    ]);
    expect(dry.removedFiles).toEqual([]);
    expect(source.get(ended.mcpPids[0]!)).toBeDefined();

    const real = await cleanupAllEndedSessions({ dataDir, graceMs: 5000, source });
    expect(real.problems).toEqual([]);
    expect(real.sessions.flatMap((s) => s.ended.map((o) => o.pid))).toEqual(ended.mcpPids);
    expect(real.removedFiles.sort()).toEqual([snapshotPath(dataDir, 'empty'), snapshotPath(dataDir, 'ended')].sort());
    expect(existsSync(snapshotPath(dataDir, 'running'))).toBe(true);
    expect(source.get(ended.mcpPids[0]!)).toBeUndefined();
    expect(source.get(running.mcpPids[0]!)).toBeDefined();
  });

  it('the deferred watcher waits for Claude Code to exit, then ends its servers', async () => {
    const dataDir = tempDir();
    const out = join(dataDir, 'deferred-result.json');
    const script = await bundleScript(`
      import { writeFileSync } from 'node:fs';
      import { runDeferredCleanup } from './src/core/housekeeping/mcpProcesses.ts';
      // argv: mcp cleanup --session <id> --wait-for-pid <pid>
      const args = process.argv.slice(2);
      const session = args[args.indexOf('--session') + 1];
      const pid = Number(args[args.indexOf('--wait-for-pid') + 1]);
      const r = await runDeferredCleanup({ dataDir: process.env.CF_TEST_DATA_DIR, claudeSessionId: session, waitForPid: pid, waitTimeoutMs: 30000, pollMs: 50, graceMs: 3000 });
      writeFileSync(process.env.CF_TEST_OUT, JSON.stringify(r));
    `);
    const claude = await startStandInClaude([{}, {}]);
    await snapshotSessionProcesses({ dataDir, claudeSessionId: 'deferred', claudePid: claude.pid, source });
    const cmd = deferredCleanupCommand({ cliPath: script, claudeSessionId: 'deferred', claudePid: claude.pid });
    expect(cmd.args.slice(1)).toEqual(['mcp', 'cleanup', '--session', 'deferred', '--wait-for-pid', String(claude.pid)]);
    const spawned = spawnDeferredCleanup({ ...cmd, env: { ...process.env, CF_TEST_DATA_DIR: dataDir, CF_TEST_OUT: out } });
    expect(spawned.problems).toEqual([]);
    expect(spawned.pid).toBeGreaterThan(0);
    // The watcher is waiting: Claude Code still runs, so nothing has been ended yet.
    expect(existsSync(out)).toBe(false);
    for (const pid of claude.mcpPids) expect(source.get(pid)).toBeDefined();

    await killAndWait(claude.child);
    expect(await until(() => existsSync(out), 30_000)).toBe(true);
    const result = JSON.parse(readFileSync(out, 'utf8')) as { waited: string; ended: { pid: number }[]; problems: string[] };
    expect(result.waited).toBe('exited');
    expect(result.problems).toEqual([]);
    expect(result.ended.map((e) => e.pid).sort()).toEqual([...claude.mcpPids].sort());
    for (const pid of claude.mcpPids) expect(source.get(pid)).toBeUndefined();
  });

  it('runDeferredCleanup after the wait times out ends nothing and says why', async () => {
    const dataDir = tempDir();
    const claude = await startStandInClaude([{}]);
    await snapshotSessionProcesses({ dataDir, claudeSessionId: 'timeout', claudePid: claude.pid, source });
    const r = await runDeferredCleanup({ dataDir, claudeSessionId: 'timeout', waitForPid: claude.pid, waitTimeoutMs: 100, pollMs: 20, source });
    expect(r.waited).toBe('timeout');
    expect(r.ended).toEqual([]);
    expect(r.problems).toEqual([`Claude Code pid ${claude.pid} was still running after the wait; nothing ended`]);
    expect(source.get(claude.mcpPids[0]!)).toBeDefined();
  });

  it('never throws: missing, corrupt and unwritable snapshots come back as problems', async () => {
    const dataDir = tempDir();
    const none = await cleanupOrphans({ dataDir, claudeSessionId: 'nope', source });
    expect(none.snapshotFound).toBe(false);
    expect(none.problems).toEqual(['no process snapshot for session nope']);

    mkdirSync(join(dataDir, 'sessions'), { recursive: true });
    writeFileSync(snapshotPath(dataDir, 'corrupt'), '{not json');
    const corrupt = await cleanupOrphans({ dataDir, claudeSessionId: 'corrupt', source });
    expect(corrupt.problems).toEqual([expect.stringContaining('is not valid JSON')]);
    const all = await cleanupAllEndedSessions({ dataDir, source });
    expect(all.problems).toEqual([expect.stringContaining('is not valid JSON')]);
    expect(existsSync(snapshotPath(dataDir, 'corrupt'))).toBe(true);

    // The data directory is a file: the snapshot cannot be written.
    const fileAsDir = join(dataDir, 'a-file');
    writeFileSync(fileAsDir, 'x');
    const snap = await snapshotSessionProcesses({ dataDir: fileAsDir, claudeSessionId: 's', claudePid: process.pid, source });
    expect(snap.ok).toBe(false);
    expect(snap.problems).toEqual([expect.stringMatching(/^snapshot failed: /)]);

    const gone = await snapshotSessionProcesses({ dataDir, claudeSessionId: 's', claudePid: 2 ** 22 + 7, source });
    expect(gone.ok).toBe(false);
    expect(gone.problems).toEqual([`Claude Code process ${2 ** 22 + 7} is not running: nothing recorded`]);
  });
});

describe('findClaudePid', () => {
  it('walks up through a real sh -c wrapper to the first non-shell process', async () => {
    const wrapper = startProcess('sh', ['-c', 'sleep 30; exit 0']);
    const sh = wrapper.pid!;
    expect(await until(() => procfsSource.list().some((p) => p.ppid === sh && p.name === 'sleep'))).toBe(true);
    const sleep = procfsSource.list().find((p) => p.ppid === sh && p.name === 'sleep')!;
    // From the wrapper: the shell is skipped, this test process (node) is "claude".
    expect(findClaudePid(sh, procfsSource)).toBe(process.pid);
    // A non-shell start is itself the answer.
    expect(findClaudePid(sleep.pid, procfsSource)).toBe(sleep.pid);
  });

  it('skips nested wrappers and stops at init', () => {
    const table: ProcessInfo[] = [
      { pid: 50, ppid: 40, startTime: 't', name: 'sh', command: 'sh -c node hook.mjs' },
      { pid: 40, ppid: 30, startTime: 't', name: 'bash', command: '/bin/bash -c sh -c node hook.mjs' },
      { pid: 30, ppid: 1, startTime: 't', name: 'claude', command: 'claude --resume' },
      { pid: 60, ppid: 1, startTime: 't', name: 'sh', command: 'sh' },
      // npx claude-family hook ... : node (hook) <- npm exec <- sh -c <- claude
      { pid: 73, ppid: 72, startTime: 't', name: 'node', command: 'node /home/u/.npm/_npx/abc/node_modules/.bin/claude-family hook' },
      { pid: 72, ppid: 71, startTime: 't', name: 'npm exec claude', command: 'npm exec claude-family hook' },
      { pid: 71, ppid: 30, startTime: 't', name: 'sh', command: '/bin/sh -c npx claude-family hook' },
      { pid: 82, ppid: 30, startTime: 't', name: 'node', command: 'node /usr/lib/node_modules/npm/bin/npx-cli.js claude-family hook' },
    ];
    const fake: ProcessSource = { get: (pid) => table.find((p) => p.pid === pid), list: () => table };
    expect(findClaudePid(50, fake)).toBe(30);
    expect(findClaudePid(60, fake)).toBeUndefined();
    expect(findClaudePid(999, fake)).toBeUndefined();
    expect(findClaudePid(72, fake)).toBe(30);
    expect(findClaudePid(82, fake)).toBe(30);
    // The hook process itself is node, not a wrapper: hooks start from their parent (process.ppid).
    expect(findClaudePid(73, fake)).toBe(73);
    // A caller can decide what counts as a wrapper.
    expect(findClaudePid(50, fake, (p) => p.name === 'sh')).toBe(40);
  });
});
