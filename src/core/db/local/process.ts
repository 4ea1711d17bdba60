// The postmaster as a process: is it ours and running, start it, wait for it, stop it. A process is taken
// for our postmaster only when the OS says so exactly: its command line is `postgres -D <this cluster>`
// and, for one we started, its start time (Linux: /proc/<pid>/stat start ticks; macOS: ps lstart) is the
// one recorded when we started it. A pid file whose pid now belongs to another process is stale, and
// that process is never signalled.
import { spawn, type SpawnOptions } from 'node:child_process';
import { closeSync, chownSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../fs/atomicFile.js';
import { defaultProcessSource, type ProcessInfo } from '../../housekeeping/processes.js';
import { DbUnavailableError } from '../db.js';
import { ownedDir, type Account } from './layout.js';

export interface PidFile {
  pid: number;
  /** Seconds since the epoch, as the postmaster wrote it. */
  startedAt: number;
  status: string;
  /** Line 4: the port; line 5: the socket directory (empty when it listens on TCP only). */
  port?: number;
  socketDir?: string;
}

/**
 * postmaster.pid: line 1 the pid, line 3 the start time, line 4 the port, line 5 the socket directory,
 * line 8 the status ("ready", "starting", "stopping").
 */
export function readPidFile(pgData: string): PidFile | undefined {
  let text: string;
  try {
    text = readFileSync(join(pgData, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isFinite(pid) || pid <= 0) return { pid: 0, startedAt: 0, status: 'unreadable' };
  const port = Number.parseInt(lines[3] ?? '', 10);
  const socketDir = (lines[4] ?? '').trim();
  return {
    pid,
    startedAt: Number.parseInt(lines[2] ?? '0', 10) || 0,
    status: (lines[7] ?? '').trim() || 'starting',
    ...(Number.isFinite(port) && port > 0 ? { port } : {}),
    ...(socketDir ? { socketDir } : {}),
  };
}

/** What we recorded about a postmaster we started, beside its cluster (for where command lines cannot be read). */
interface Identity {
  pid: number;
  startTime: string;
}

function identityFile(pgData: string): string {
  return `${pgData}.postmaster.json`;
}

function readIdentity(pgData: string): Identity | undefined {
  try {
    const o = JSON.parse(readFileSync(identityFile(pgData), 'utf8')) as Partial<Identity>;
    return typeof o.pid === 'number' && typeof o.startTime === 'string' ? { pid: o.pid, startTime: o.startTime } : undefined;
  } catch {
    return undefined;
  }
}

function processInfo(pid: number): ProcessInfo | undefined {
  try {
    return defaultProcessSource().get(pid);
  } catch {
    return undefined;
  }
}

/** Whether a command line is a postmaster of `pgData`: `<dir>/postgres -D <pgData> ...`. */
export function isPostmasterCommand(command: string, pgData: string): boolean {
  const flag = ` -D ${pgData}`;
  const at = command.indexOf(flag);
  if (at <= 0) return false;
  const after = command.charAt(at + flag.length);
  return (after === '' || after === ' ') && /(^|[\\/])postgres(\.exe)?"?$/.test(command.slice(0, at));
}

/**
 * Whether the pid file names our running postmaster of `pgData`: the process is alive (not a zombie)
 * and its command line is a postmaster of this cluster. Where the command line cannot be read, its start
 * time must be exactly the one recorded when we started it. Windows has neither to read: signal 0 is
 * all there is.
 */
export function isOurPostmaster(pgData: string, pidFile: PidFile): boolean {
  if (pidFile.pid <= 0) return false;
  if (process.platform === 'win32') return signalable(pidFile.pid);
  const info = processInfo(pidFile.pid);
  if (!info) return false;
  if (info.command !== '' && !info.command.startsWith('[')) return isPostmasterCommand(info.command, pgData);
  const identity = readIdentity(pgData);
  return identity !== undefined && identity.pid === pidFile.pid && identity.startTime === info.startTime;
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is still a live process (a zombie is not). */
function alive(pid: number): boolean {
  if (process.platform === 'win32') return signalable(pid);
  return processInfo(pid) !== undefined;
}

export function logTail(logFile: string, lines = 5): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no log)';
  }
}

export function openLog(logFile: string, account: Account | undefined): number {
  const fd = openSync(logFile, 'a', 0o600);
  if (account) chownSync(logFile, account.uid, account.gid);
  return fd;
}

export function asAccount(account: Account | undefined): SpawnOptions {
  return account ? { uid: account.uid, gid: account.gid, env: { ...process.env, HOME: '/', USER: account.name, LOGNAME: account.name } } : {};
}

/** Runs a binary to completion (initdb, pg_ctl); its output goes to the log. */
export async function runToEnd(command: string, args: string[], account: Account | undefined, logFile: string): Promise<void> {
  const log = openLog(logFile, account);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', log, log], windowsHide: true, ...asAccount(account) });
      child.once('error', (err) => reject(new DbUnavailableError(`cannot run ${command}: ${err.message}`, { cause: err })));
      child.once('exit', (code, signal) => {
        if (code === 0) resolve();
        else reject(new DbUnavailableError(`${command} failed (${signal ?? `exit ${code}`}): ${logTail(logFile)}`));
      });
    });
  } finally {
    closeSync(log);
  }
}

/** A pid file (and socket lock) whose postmaster is gone: postgres would refuse to start over them. */
export function removeStaleFiles(pgData: string, host: string, port: number): void {
  rmSync(join(pgData, 'postmaster.pid'), { force: true });
  if (host.startsWith('/')) {
    rmSync(join(host, `.s.PGSQL.${port}`), { force: true });
    rmSync(join(host, `.s.PGSQL.${port}.lock`), { force: true });
  }
}

/** What starting a postmaster needs (a server.json, or the temporary servers of an upgrade). */
export interface StartSpec {
  pgData: string;
  logFile: string;
  host: string;
  port: number;
  start: { command: string; args: string[] };
  runAs?: Account;
}

/** Log lines of a start refused only because the last postmaster's processes are still exiting. */
const STILL_EXITING = /pre-existing shared memory block .* is still in use|lock file ".*" already exists/;

/**
 * Starts the postmaster of `spec` detached (it outlives the hook, CLI or Obsidian that started it, and a
 * signal to their process group does not reach it), waits until it accepts connections, and records
 * its identity. After a crash, the old postmaster's backends take a moment to notice and exit; until
 * then Postgres refuses to start, and the start is tried again within `timeoutMs`.
 */
export async function startPostmaster(spec: StartSpec, timeoutMs: number): Promise<PidFile> {
  if (spec.host.startsWith('/')) ownedDir(spec.host, spec.runAs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = openLog(spec.logFile, spec.runAs);
    let exited: string | undefined;
    let child;
    try {
      child = spawn(spec.start.command, spec.start.args, { detached: true, stdio: ['ignore', log, log], windowsHide: true, ...asAccount(spec.runAs) });
      child.once('error', (err) => {
        exited = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${spec.start.command} does not exist` : err.message;
      });
      child.once('exit', (code, signal) => {
        // postgres itself never exits 0 while starting; pg_ctl (Windows) does once it has launched it.
        if (code !== 0) exited = signal ?? `exit ${code}`;
      });
      child.unref();
    } finally {
      closeSync(log);
    }
    const ownPid = process.platform === 'win32' ? undefined : child.pid;
    try {
      const ready = await waitReady(spec, ownPid, Math.max(0, deadline - Date.now()), () => exited);
      recordIdentity(spec.pgData, ready.pid);
      return ready;
    } catch (err) {
      if (exited && STILL_EXITING.test(logTail(spec.logFile, 3)) && Date.now() + 200 < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      throw err;
    }
  }
}

function recordIdentity(pgData: string, pid: number): void {
  const info = process.platform === 'win32' ? undefined : processInfo(pid);
  try {
    if (info) writeFileAtomic(identityFile(pgData), `${JSON.stringify({ pid, startTime: info.startTime, command: info.command })}\n`, 0o600);
    else rmSync(identityFile(pgData), { force: true });
  } catch {
    // the command line check still holds
  }
}

/** Waits until the postmaster of `spec` (pid `pid`, when known) says it is ready. */
export async function waitReady(spec: Pick<StartSpec, 'pgData' | 'logFile'>, pid: number | undefined, timeoutMs: number, exited?: () => string | undefined): Promise<PidFile> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited?.();
    if (gone) throw new DbUnavailableError(`the local Postgres did not start (${gone}): ${logTail(spec.logFile)}`);
    const current = readPidFile(spec.pgData);
    if (current?.status === 'ready' && (pid === undefined || current.pid === pid)) return current;
    if (pid !== undefined && !exited && !alive(pid)) throw new DbUnavailableError(`the local Postgres (pid ${pid}) stopped while starting: ${logTail(spec.logFile)}`);
    if (Date.now() >= deadline) throw new DbUnavailableError(`the local Postgres did not accept connections within ${timeoutMs} ms: ${logTail(spec.logFile)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface StopResult {
  stopped: boolean;
  pid?: number;
  /** What was found instead of a running server. */
  note?: string;
}

/**
 * Stops the postmaster of `pgData` (fast shutdown: open sessions are ended, data is flushed) and waits
 * for it. A pid file that does not name our postmaster is stale: it is removed, and nothing is signalled.
 * `pgCtl` (Windows) asks the server to stop, where signals would terminate it outright.
 */
export async function stopPostmaster(pgData: string, stale: { host: string; port: number } | undefined, options: { timeoutMs?: number; pgCtl?: string; logFile?: string } = {}): Promise<StopResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pidFile = readPidFile(pgData);
  if (!pidFile) return { stopped: false, note: 'not running' };
  if (!isOurPostmaster(pgData, pidFile)) {
    if (stale) removeStaleFiles(pgData, stale.host, stale.port);
    else rmSync(join(pgData, 'postmaster.pid'), { force: true });
    return { stopped: false, note: `not running (removed a stale pid file of process ${pidFile.pid}, which is not this server's postmaster)` };
  }
  if (process.platform === 'win32' && options.pgCtl && options.logFile) await runToEnd(options.pgCtl, ['stop', '-D', pgData, '-m', 'fast', '-W'], undefined, options.logFile);
  else process.kill(pidFile.pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  // Postgres removes its pid file as the last step of a clean shutdown.
  while (alive(pidFile.pid) && existsSync(join(pgData, 'postmaster.pid'))) {
    if (Date.now() >= deadline) {
      // Checked again right before the harder signal: never one to a process that is not ours.
      if (!isOurPostmaster(pgData, pidFile)) break;
      process.kill(pidFile.pid, 'SIGQUIT');
      return { stopped: true, pid: pidFile.pid, note: `did not stop within ${timeoutMs} ms: sent SIGQUIT` };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { stopped: true, pid: pidFile.pid };
}
