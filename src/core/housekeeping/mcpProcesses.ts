import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ancestry, defaultProcessSource, descendantsOf, isSameProcessAlive, isWrapperProcess, type ProcessInfo, type ProcessSource } from './processes.js';
import {
  listSnapshotFiles,
  mergeSnapshot,
  readSnapshot,
  removeSnapshot,
  snapshotPath,
  withSnapshotLock,
  writeSnapshot,
  type ProcessRecord,
  type SessionSnapshot,
} from './sessionSnapshot.js';

/**
 * Orphaned MCP server cleanup (SessionEnd duty).
 *
 * Claude Code starts stdio MCP servers as its child processes, often through a launcher (`npx`, `sh -c`,
 * `uvx`) whose own child is the server; some outlive it. Only processes that THIS session's Claude Code
 * started, directly or below such a launcher, are ever ended, each identified by pid AND start time (so a
 * reused pid is never hit), never by a name match:
 *
 *   SessionStart hook, and the PostToolUse hook on mcp__* calls (cheap, idempotent):
 *     snapshotSessionProcesses({ dataDir: loadConfig().dataDir, claudeSessionId: payload.session_id })
 *     // claudePid defaults to findClaudePid(): the hook's first non-shell ancestor
 *
 *   SessionEnd hook (Claude Code is still alive while it runs, so nothing is an orphan yet):
 *     spawnDeferredCleanup(deferredCleanupCommand({
 *       cliPath: <absolute path of dist/cli.mjs>, claudeSessionId: payload.session_id, claudePid: findClaudePid(),
 *     }))
 *     // starts, detached: node dist/cli.mjs mcp cleanup --session <id> --wait-for-pid <pid>
 *
 *   CLI `mcp cleanup --session <id> --wait-for-pid <pid>` (the watcher the hook starts):
 *     await runDeferredCleanup({ dataDir, claudeSessionId: id, waitForPid: pid })
 *   CLI `mcp cleanup [--dry-run]` (no --session):
 *     await cleanupAllEndedSessions({ dataDir, dryRun })
 *
 * None of the entry functions throws: problems are listed in the result, and the caller exits 0.
 */

export interface Problems {
  problems: string[];
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function record(p: ProcessInfo, now: string): ProcessRecord {
  return { pid: p.pid, startTime: p.startTime, ...(p.startedAt ? { startedAt: p.startedAt } : {}), command: p.command, firstSeenAt: now };
}

// ---------------------------------------------------------------------------------------------
// Finding Claude Code
// ---------------------------------------------------------------------------------------------

/**
 * The Claude Code process a hook runs under: walks up from `startPid` (default: this process's parent)
 * through wrappers (`sh -c ...`, and npm/npx launchers) to the first process that is not one.
 * Undefined when the chain cannot be read or ends at init.
 */
export function findClaudePid(
  startPid: number = process.ppid,
  source: ProcessSource = defaultProcessSource(),
  isWrapper: (p: ProcessInfo) => boolean = isWrapperProcess,
): number | undefined {
  try {
    return ancestry(source, startPid).find((p) => !isWrapper(p))?.pid;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

export interface SnapshotOptions {
  dataDir: string;
  claudeSessionId: string;
  /** Default: findClaudePid(). */
  claudePid?: number;
  source?: ProcessSource;
  /**
   * Pids never to record. Default: this process and its ancestors (the hook and its `sh -c` wrapper are
   * short-lived children of Claude Code, not MCP servers).
   */
  excludePids?: number[];
  now?: Date;
}

export interface SnapshotResult extends Problems {
  ok: boolean;
  file?: string;
  claude?: ProcessRecord;
  /** Processes recorded for the first time by this call. */
  added: ProcessRecord[];
  /** The processes below this Claude Code process recorded so far (this call included). */
  children: ProcessRecord[];
}

/**
 * Records the Claude Code process (pid, start time) and every process below it now (children and their
 * descendants, but not this hook's own chain) in `<dataDir>/sessions/<id>.json`, merged with what earlier
 * snapshots saw.
 */
export async function snapshotSessionProcesses(options: SnapshotOptions): Promise<SnapshotResult> {
  const result: SnapshotResult = { ok: false, added: [], children: [], problems: [] };
  try {
    if (!options.claudeSessionId.trim()) {
      result.problems.push('no Claude session id: nothing recorded');
      return result;
    }
    const source = options.source ?? defaultProcessSource();
    const claudePid = options.claudePid ?? findClaudePid(process.ppid, source);
    if (claudePid === undefined) {
      result.problems.push('could not find the Claude Code process among this process\'s ancestors: nothing recorded');
      return result;
    }
    const claude = source.get(claudePid);
    if (!claude) {
      result.problems.push(`Claude Code process ${claudePid} is not running: nothing recorded`);
      return result;
    }
    const exclude = new Set(options.excludePids ?? ancestry(source, process.pid).map((p) => p.pid));
    const now = (options.now ?? new Date()).toISOString();
    // Descendants, not only children: a server started through `npx` or `sh -c` is the launcher's child,
    // and is left behind with another parent (init) when the launcher exits with Claude Code.
    const children = descendantsOf(source, claude.pid, exclude).map((p) => record(p, now));
    const file = snapshotPath(options.dataDir, options.claudeSessionId);
    result.file = file;
    const merged = await withSnapshotLock(file, () => {
      let existing: SessionSnapshot | undefined;
      try {
        existing = readSnapshot(file);
      } catch (err) {
        result.problems.push(`${message(err)}; starting a new snapshot`);
      }
      const m = mergeSnapshot(existing, options.claudeSessionId, record(claude, now), children, now);
      writeSnapshot(file, m.snapshot);
      return m;
    });
    const owner = merged.snapshot.owners.find((o) => o.claude.pid === claude.pid && o.claude.startTime === claude.startTime);
    result.claude = owner?.claude;
    result.children = owner?.children ?? [];
    result.added = merged.added;
    result.ok = true;
  } catch (err) {
    result.problems.push(`snapshot failed: ${message(err)}`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Orphans
// ---------------------------------------------------------------------------------------------

export interface Orphan {
  pid: number;
  startTime: string;
  startedAt?: string;
  command: string;
  claudePid: number;
  reason: string;
}

export interface SkippedProcess {
  pid: number;
  command: string;
  reason: string;
}

export interface FindOrphansResult extends Problems {
  claudeSessionId: string;
  file: string;
  snapshotFound: boolean;
  /** A recorded Claude Code process of this session is still running. */
  claudeAlive: boolean;
  orphans: Orphan[];
  skipped: SkippedProcess[];
}

export interface FindOrphansOptions {
  dataDir: string;
  claudeSessionId: string;
  source?: ProcessSource;
}

function describeStart(p: { startedAt?: string; startTime: string }): string {
  return p.startedAt ?? p.startTime;
}

/** Pure over a snapshot and a process source. */
function orphansIn(snapshot: SessionSnapshot, source: ProcessSource, file: string): FindOrphansResult {
  const result: FindOrphansResult = {
    claudeSessionId: snapshot.claudeSessionId,
    file,
    snapshotFound: true,
    claudeAlive: false,
    orphans: [],
    skipped: [],
    problems: [],
  };
  // Never this process or the chain above it (the cleanup watcher itself, the CLI's shell).
  const protectedPids = new Set(ancestry(source, process.pid).map((p) => p.pid));
  const seen = new Set<string>();
  for (const owner of snapshot.owners) {
    const claudeNow = source.get(owner.claude.pid);
    const claudeGone = !claudeNow || claudeNow.startTime !== owner.claude.startTime;
    if (!claudeGone) result.claudeAlive = true;
    const why = !claudeNow
      ? `parent claude pid ${owner.claude.pid} exited`
      : `parent claude pid ${owner.claude.pid} exited (the pid now belongs to another process)`;
    for (const child of owner.children) {
      const key = `${child.pid}@${child.startTime}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const now = source.get(child.pid);
      if (!now) {
        result.skipped.push({ pid: child.pid, command: child.command, reason: 'already exited' });
      } else if (now.startTime !== child.startTime) {
        result.skipped.push({
          pid: child.pid,
          command: now.command,
          reason: `pid reused: recorded process started ${describeStart(child)}, the running one ${describeStart(now)}`,
        });
      } else if (!claudeGone) {
        result.skipped.push({ pid: child.pid, command: child.command, reason: `its Claude Code (pid ${owner.claude.pid}) is still running` });
      } else if (protectedPids.has(child.pid)) {
        result.skipped.push({ pid: child.pid, command: child.command, reason: 'it is this cleanup process or one of its ancestors' });
      } else {
        result.orphans.push({
          pid: child.pid,
          startTime: child.startTime,
          ...(child.startedAt ? { startedAt: child.startedAt } : {}),
          command: child.command,
          claudePid: owner.claude.pid,
          reason: `${why}; started ${describeStart(child)}; cmd ${child.command}`,
        });
      }
    }
  }
  return result;
}

function emptyFind(claudeSessionId: string, file: string): FindOrphansResult {
  return { claudeSessionId, file, snapshotFound: false, claudeAlive: false, orphans: [], skipped: [], problems: [] };
}

function findInFile(file: string, claudeSessionId: string | undefined, source: ProcessSource): FindOrphansResult {
  let snapshot: SessionSnapshot | undefined;
  try {
    snapshot = readSnapshot(file);
  } catch (err) {
    const r = emptyFind(claudeSessionId ?? '', file);
    r.problems.push(message(err));
    return r;
  }
  if (!snapshot) return emptyFind(claudeSessionId ?? '', file);
  return orphansIn(snapshot, source, file);
}

/**
 * The recorded children of this session's Claude Code that are still running with the same start time
 * while the recorded Claude Code process is gone (exited, or its pid now names another process).
 */
export function findOrphans(options: FindOrphansOptions): FindOrphansResult {
  let file = '';
  try {
    file = snapshotPath(options.dataDir, options.claudeSessionId);
    const r = findInFile(file, options.claudeSessionId, options.source ?? defaultProcessSource());
    if (!r.snapshotFound && r.problems.length === 0) r.problems.push(`no process snapshot for session ${options.claudeSessionId}`);
    return r;
  } catch (err) {
    const r = emptyFind(options.claudeSessionId, file);
    r.problems.push(`finding orphans failed: ${message(err)}`);
    return r;
  }
}

// ---------------------------------------------------------------------------------------------
// Ending them
// ---------------------------------------------------------------------------------------------

export interface EndedProcess extends Orphan {
  /** The signal that ended it: SIGTERM, or SIGKILL when it outlived the grace period. */
  signal: 'SIGTERM' | 'SIGKILL';
}

export interface CleanupResult extends FindOrphansResult {
  dryRun: boolean;
  /** Ended by this call. */
  ended: EndedProcess[];
  /** What a real run would end (dry run only). */
  wouldEnd: Orphan[];
  /** Orphans that could not be ended, with the reason. */
  failed: SkippedProcess[];
  /** The snapshot file was deleted: nothing it recorded is alive any more. */
  snapshotRemoved: boolean;
}

export interface CleanupOptions {
  dataDir: string;
  claudeSessionId: string;
  dryRun?: boolean;
  /** How long SIGTERM'd processes get to exit before SIGKILL (default 3000 ms). */
  graceMs?: number;
  source?: ProcessSource;
}

const POLL_MS = 50;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** 'sent', 'gone', or why the signal could not be sent. */
function signal(pid: number, sig: NodeJS.Signals): string {
  try {
    process.kill(pid, sig);
    return 'sent';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    return `${sig} failed: ${code ?? message(err)}`;
  }
}

async function waitUntilGone(source: ProcessSource, targets: Orphan[], ms: number): Promise<Orphan[]> {
  const deadline = Date.now() + ms;
  let alive = targets.filter((o) => isSameProcessAlive(source, o));
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
    alive = alive.filter((o) => isSameProcessAlive(source, o));
  }
  return alive;
}

/** SIGTERM, wait up to graceMs, SIGKILL the survivors; every signal re-checks the start time first. */
async function endProcesses(source: ProcessSource, orphans: Orphan[], graceMs: number, result: CleanupResult): Promise<void> {
  const termed: Orphan[] = [];
  for (const o of orphans) {
    if (!isSameProcessAlive(source, o)) {
      result.skipped.push({ pid: o.pid, command: o.command, reason: 'exited (or its pid was reused) before it was signalled' });
      continue;
    }
    const r = signal(o.pid, 'SIGTERM');
    if (r === 'sent') termed.push(o);
    else if (r === 'gone') result.skipped.push({ pid: o.pid, command: o.command, reason: 'exited before it was signalled' });
    else result.failed.push({ pid: o.pid, command: o.command, reason: r });
  }
  const survivors = new Set(await waitUntilGone(source, termed, graceMs));
  const killed: Orphan[] = [];
  for (const o of termed) {
    if (!survivors.has(o)) {
      result.ended.push({ ...o, signal: 'SIGTERM' });
      continue;
    }
    if (!isSameProcessAlive(source, o)) {
      result.ended.push({ ...o, signal: 'SIGTERM' });
      continue;
    }
    const r = signal(o.pid, 'SIGKILL');
    if (r === 'sent') killed.push(o);
    else if (r === 'gone') result.ended.push({ ...o, signal: 'SIGTERM' });
    else result.failed.push({ pid: o.pid, command: o.command, reason: r });
  }
  const stubborn = new Set(await waitUntilGone(source, killed, 2000));
  for (const o of killed) {
    if (stubborn.has(o)) result.failed.push({ pid: o.pid, command: o.command, reason: 'still running after SIGKILL' });
    else result.ended.push({ ...o, signal: 'SIGKILL' });
  }
}

/**
 * Drops owners whose Claude Code is gone and whose children are all gone; deletes the file when no owner
 * is left. Returns true when the file was deleted.
 */
async function pruneSnapshot(file: string, source: ProcessSource): Promise<boolean> {
  return withSnapshotLock(file, () => {
    const snapshot = readSnapshot(file);
    if (!snapshot) return false;
    const alive = (r: ProcessRecord) => isSameProcessAlive(source, r);
    const owners = snapshot.owners.filter((o) => alive(o.claude) || o.children.some(alive));
    if (owners.length === 0) {
      removeSnapshot(file);
      return true;
    }
    if (owners.length !== snapshot.owners.length) writeSnapshot(file, { ...snapshot, owners, updatedAt: new Date().toISOString() });
    return false;
  });
}

async function cleanupFile(file: string, claudeSessionId: string | undefined, dryRun: boolean, graceMs: number, source: ProcessSource): Promise<CleanupResult> {
  const found = findInFile(file, claudeSessionId, source);
  const result: CleanupResult = { ...found, dryRun, ended: [], wouldEnd: [], failed: [], snapshotRemoved: false };
  if (dryRun) {
    result.wouldEnd = [...found.orphans];
    return result;
  }
  try {
    await endProcesses(source, found.orphans, graceMs, result);
  } catch (err) {
    result.problems.push(`ending processes failed: ${message(err)}`);
  }
  if (found.snapshotFound) {
    try {
      result.snapshotRemoved = await pruneSnapshot(file, source);
    } catch (err) {
      result.problems.push(`could not tidy ${file}: ${message(err)}`);
    }
  }
  return result;
}

/**
 * Ends this session's orphaned MCP servers (SIGTERM, then SIGKILL after graceMs), or with dryRun lists
 * what it would end. Also deletes the snapshot once nothing it recorded is alive (not in a dry run).
 */
export async function cleanupOrphans(options: CleanupOptions): Promise<CleanupResult> {
  const dryRun = options.dryRun ?? false;
  let file = '';
  try {
    file = snapshotPath(options.dataDir, options.claudeSessionId);
    const r = await cleanupFile(file, options.claudeSessionId, dryRun, options.graceMs ?? 3000, options.source ?? defaultProcessSource());
    if (!r.snapshotFound && r.problems.length === 0) r.problems.push(`no process snapshot for session ${options.claudeSessionId}`);
    return r;
  } catch (err) {
    return { ...emptyFind(options.claudeSessionId, file), dryRun, ended: [], wouldEnd: [], failed: [], snapshotRemoved: false, problems: [`cleanup failed: ${message(err)}`] };
  }
}

export interface CleanupAllResult extends Problems {
  dryRun: boolean;
  /** Sessions whose Claude Code is gone: what was (or would be) ended. */
  sessions: CleanupResult[];
  /** Sessions left alone because their Claude Code is still running. */
  stillRunning: string[];
  /** Snapshot files deleted because nothing they recorded is alive. */
  removedFiles: string[];
}

/**
 * For the CLI `mcp cleanup [--dry-run]`: every snapshot whose Claude Code processes are all gone is
 * cleaned up; snapshots with nothing left alive are deleted (not in a dry run).
 */
export async function cleanupAllEndedSessions(options: { dataDir: string; dryRun?: boolean; graceMs?: number; source?: ProcessSource }): Promise<CleanupAllResult> {
  const dryRun = options.dryRun ?? false;
  const out: CleanupAllResult = { dryRun, sessions: [], stillRunning: [], removedFiles: [], problems: [] };
  try {
    const source = options.source ?? defaultProcessSource();
    for (const file of listSnapshotFiles(options.dataDir)) {
      const found = findInFile(file, undefined, source);
      if (found.problems.length > 0) {
        out.problems.push(...found.problems.map((p) => `${p} (left alone)`));
        continue;
      }
      if (found.claudeAlive) {
        out.stillRunning.push(found.claudeSessionId);
        continue;
      }
      const r = await cleanupFile(file, found.claudeSessionId, dryRun, options.graceMs ?? 3000, source);
      out.sessions.push(r);
      if (r.snapshotRemoved) out.removedFiles.push(file);
    }
  } catch (err) {
    out.problems.push(`cleanup failed: ${message(err)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Deferred cleanup (the SessionEnd hook runs while Claude Code is still alive)
// ---------------------------------------------------------------------------------------------

/**
 * Waits until `pid` has exited (or now names a different process), polling; 'timeout' after timeoutMs.
 */
export async function waitForProcessExit(
  pid: number,
  options: { timeoutMs?: number; pollMs?: number; source?: ProcessSource } = {},
): Promise<'exited' | 'timeout'> {
  const source = options.source ?? defaultProcessSource();
  const first = source.get(pid);
  if (!first) return 'exited';
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const poll = options.pollMs ?? 200;
  while (Date.now() < deadline) {
    await sleep(Math.min(poll, Math.max(1, deadline - Date.now())));
    if (!isSameProcessAlive(source, first)) return 'exited';
  }
  return 'timeout';
}

export interface DeferredCleanupResult extends CleanupResult {
  waited: 'exited' | 'timeout';
}

/**
 * The body of `mcp cleanup --session <id> --wait-for-pid <pid>`: waits (capped, default 30 s) for that
 * Claude Code process to exit, then runs cleanupOrphans. After a timeout Claude Code still runs, so
 * nothing is an orphan and nothing is ended; a later `mcp cleanup` catches up.
 */
export async function runDeferredCleanup(options: CleanupOptions & { waitForPid?: number; waitTimeoutMs?: number; pollMs?: number }): Promise<DeferredCleanupResult> {
  let waited: 'exited' | 'timeout' = 'exited';
  const problems: string[] = [];
  if (options.waitForPid !== undefined) {
    try {
      waited = await waitForProcessExit(options.waitForPid, { timeoutMs: options.waitTimeoutMs, pollMs: options.pollMs, source: options.source });
    } catch (err) {
      problems.push(`waiting for pid ${options.waitForPid} failed: ${message(err)}`);
    }
  }
  const r = await cleanupOrphans(options);
  if (waited === 'timeout') r.problems.push(`Claude Code pid ${options.waitForPid} was still running after the wait; nothing ended`);
  r.problems.unshift(...problems);
  return { ...r, waited };
}

export interface DeferredCommand {
  command: string;
  args: string[];
}

/** `node <cliPath> mcp cleanup --session <id> --wait-for-pid <pid>` (the CLI's argument spelling). */
export function deferredCleanupCommand(options: { cliPath: string; claudeSessionId: string; claudePid: number; nodePath?: string; extraArgs?: string[] }): DeferredCommand {
  return {
    command: options.nodePath ?? process.execPath,
    args: [options.cliPath, 'mcp', 'cleanup', '--session', options.claudeSessionId, '--wait-for-pid', String(options.claudePid), ...(options.extraArgs ?? [])],
  };
}

export interface SpawnResult extends Problems {
  /** The watcher's pid, when it started. */
  pid?: number;
}

/**
 * Starts `command args` detached from this process (own session and process group, no stdio, unref'd),
 * so it outlives the hook and Claude Code. Returns at once; never throws. A start failure reported
 * asynchronously by Node (e.g. ENOENT) is appended to `problems` after the return and otherwise ignored.
 */
export function spawnDeferredCleanup(cmd: DeferredCommand & { env?: NodeJS.ProcessEnv; cwd?: string }): SpawnResult {
  try {
    if (cmd.args[0] && cmd.command === process.execPath && !existsSync(cmd.args[0])) {
      return { problems: [`cleanup script ${cmd.args[0]} does not exist: no deferred cleanup`] };
    }
    const child = spawn(cmd.command, cmd.args, { detached: true, stdio: 'ignore', env: cmd.env ?? process.env, cwd: cmd.cwd, windowsHide: true });
    const problems: string[] = [];
    child.on('error', (err) => problems.push(`deferred cleanup failed to start: ${err.message}`));
    child.unref();
    return child.pid === undefined ? { problems: ['deferred cleanup failed to start'] } : { pid: child.pid, problems };
  } catch (err) {
    return { problems: [`deferred cleanup failed to start: ${message(err)}`] };
  }
}

// ---------------------------------------------------------------------------------------------
// Text for the hook / CLI
// ---------------------------------------------------------------------------------------------

/** Human-readable lines for a cleanup result (empty string when there is nothing to say). */
export function formatCleanup(r: CleanupResult): string {
  const lines: string[] = [];
  const verb = r.dryRun ? 'would end' : 'ended';
  for (const o of r.dryRun ? r.wouldEnd : r.ended) {
    lines.push(`${verb} pid ${o.pid}${'signal' in o ? ` (${(o as EndedProcess).signal})` : ''}: ${o.reason}`);
  }
  for (const f of r.failed) lines.push(`could not end pid ${f.pid}: ${f.reason}; cmd ${f.command}`);
  for (const p of r.problems) lines.push(`note: ${p}`);
  return lines.join('\n');
}
