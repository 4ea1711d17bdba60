import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { defaultProcessSource } from '../housekeeping/processes.js';

export class LockBusyError extends Error {
  constructor(
    readonly path: string,
    /** The holder's pid; 0 when the lock file names none (being written, or unreadable and still young). */
    readonly owner: number,
  ) {
    super(owner > 0 ? `${path} is held by process ${owner}` : `${path} is held (its owner is not known yet)`);
    this.name = 'LockBusyError';
  }
}

/** Who holds a lock, as written into the lock file (one JSON object). */
export interface LockOwner {
  pid: number;
  /** The process's start time (an opaque token, see processes.ts): a reused pid does not match it. */
  start?: string;
  host?: string;
  /** When it was taken (ms since the epoch). */
  at?: number;
  /** Unique per taking: release() removes only the file it wrote. */
  nonce?: string;
}

export interface LockState {
  path: string;
  state: 'free' | 'held' | 'stale';
  owner?: LockOwner;
  /** Why it is held or stale, in words. */
  reason: string;
}

/** Locks this process holds, released when it exits. */
const held = new Set<FileLock>();
let exitHook: (() => void) | undefined;

/** An empty or unreadable lock file older than this is stale (its writer crashed, or the disk filled up). */
export const UNREADABLE_STALE_MS = 3000;

let ownStart: string | undefined | null = null;
/** This process's start-time token (undefined where it cannot be read). */
function myStart(): string | undefined {
  if (ownStart === null) ownStart = startOf(process.pid);
  return ownStart;
}

function startOf(pid: number): string | undefined {
  try {
    return defaultProcessSource().get(pid)?.startTime;
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function ownerText(owner: LockOwner): string {
  return `${JSON.stringify(owner)}\n`;
}

/** Parses a lock file: our JSON, or an older build's bare pid. */
export function parseOwner(text: string): LockOwner | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const pid = Number(trimmed);
    return pid > 0 && Number.isSafeInteger(pid) ? { pid } : undefined;
  }
  try {
    const o = JSON.parse(trimmed) as Partial<LockOwner> | null;
    if (!o || typeof o.pid !== 'number' || !Number.isSafeInteger(o.pid) || o.pid <= 0) return undefined;
    return {
      pid: o.pid,
      ...(typeof o.start === 'string' ? { start: o.start } : {}),
      ...(typeof o.host === 'string' ? { host: o.host } : {}),
      ...(typeof o.at === 'number' ? { at: o.at } : {}),
      ...(typeof o.nonce === 'string' ? { nonce: o.nonce } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Is the process named by `owner` still the one that took the lock? */
function ownerAlive(owner: LockOwner): { alive: boolean; reason: string } {
  if (owner.host !== undefined && owner.host !== hostname()) return { alive: true, reason: `held by process ${owner.pid} on another host (${owner.host}); cannot be checked from here` };
  if (owner.pid === process.pid) {
    const same = owner.start === undefined || myStart() === undefined || owner.start === myStart();
    return same ? { alive: true, reason: `held by this process (${owner.pid})` } : { alive: false, reason: `process ${owner.pid} that took it is gone (its pid is now this process)` };
  }
  if (owner.start !== undefined) {
    const now = startOf(owner.pid);
    if (now === undefined) {
      // No such process, or process information cannot be read here: fall back to a signal probe.
      if (!pidExists(owner.pid)) return { alive: false, reason: `process ${owner.pid} that took it has exited` };
      if (myStart() === undefined) return { alive: true, reason: `held by process ${owner.pid}` };
      return { alive: false, reason: `process ${owner.pid} that took it has exited` };
    }
    if (now !== owner.start) return { alive: false, reason: `process ${owner.pid} that took it has exited (the pid now belongs to another process)` };
    return { alive: true, reason: `held by process ${owner.pid}` };
  }
  return pidExists(owner.pid) ? { alive: true, reason: `held by process ${owner.pid}` } : { alive: false, reason: `process ${owner.pid} that took it has exited` };
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a lock file holds right now, with enough to tell later whether it is still the same file. */
interface Seen {
  state: LockState;
  fingerprint?: string;
}

function look(path: string): Seen {
  let st;
  let text: string;
  try {
    st = lstatSync(path);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: { path, state: 'free', reason: 'no lock file' } };
    // Exists but cannot be read: judge by age like an empty one.
    if (!st) throw err;
    text = '';
  }
  const fingerprint = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${text}`;
  const owner = parseOwner(text);
  if (!owner) {
    const age = Date.now() - st.mtimeMs;
    if (age >= UNREADABLE_STALE_MS) {
      return { fingerprint, state: { path, state: 'stale', reason: `${text.trim() === '' ? 'empty' : 'unreadable'} lock file, ${Math.round(age / 1000)} s old (its writer crashed or the disk was full)` } };
    }
    return { fingerprint, state: { path, state: 'held', reason: `${text.trim() === '' ? 'empty' : 'unreadable'} lock file, only ${age} ms old (may still be being written)` } };
  }
  const { alive, reason } = ownerAlive(owner);
  return { fingerprint, state: { path, state: alive ? 'held' : 'stale', owner, reason } };
}

/**
 * An exclusive lock between processes: the file `path`, holding its owner (pid, process start time,
 * host). It is taken atomically with its owner already inside: the owner is written to a temporary
 * file that is then hard-linked to `path` (which fails when `path` exists), so no process ever sees an
 * empty lock of ours.
 *
 * A lock is stale when its owner has exited (a pid counts only while its start time matches, so a
 * reused pid does not hold it), or when the file is empty or unreadable and older than a few seconds.
 * A stale lock is removed under a second, short-lived lock (`<path>.break`) after checking it is still
 * the same file, so of many processes finding it stale at once exactly one takes it over.
 */
export class FileLock {
  private released = false;
  private constructor(
    readonly path: string,
    private nonce: string,
  ) {
    held.add(this);
    if (!exitHook) {
      // A process that exits holding a lock (a hook at its deadline) leaves none behind for the next to judge.
      exitHook = () => {
        for (const lock of [...held]) lock.release();
      };
      process.once('exit', exitHook);
    }
  }

  static async acquire(path: string, waitMs: number): Promise<FileLock> {
    mkdirSync(dirname(path), { recursive: true });
    const deadline = Date.now() + waitMs;
    for (;;) {
      const lock = FileLock.tryAcquire(path);
      if (lock) return lock;
      if (Date.now() >= deadline) throw new LockBusyError(path, look(path).state.owner?.pid ?? 0);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Takes the lock if it is free (or stale); undefined when a live process holds it. */
  static tryAcquire(path: string): FileLock | undefined {
    mkdirSync(dirname(path), { recursive: true });
    const nonce = randomBytes(8).toString('hex');
    const tmp = `${path}.${process.pid}.${nonce}.tmp`;
    writeOwnerFile(tmp, { pid: process.pid, start: myStart(), host: hostname(), at: Date.now(), nonce });
    try {
      // Bounded in time, not in attempts: a process that has just removed a stale lock must still get to
      // link its own, however long it waited for another breaker.
      const giveUp = Date.now() + 1000;
      for (;;) {
        if (takeWith(tmp, path)) return new FileLock(path, nonce);
        const seen = look(path);
        if (seen.state.state === 'held') return undefined;
        if (seen.state.state === 'stale' && breakStale(path, seen, tmp) !== 'busy') continue;
        // Freed or being broken by another process right now: look again, briefly.
        if (Date.now() > giveUp) return undefined;
        sleepSync(2);
      }
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * For a process started by the holder, which handed the lock over to it (handOver): the lock, when
   * it names this process within `waitMs`.
   */
  static async adopt(path: string, waitMs: number): Promise<FileLock | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const owner = look(path).state.owner;
      if (owner && owner.pid === process.pid && (owner.start === undefined || owner.start === myStart())) return new FileLock(path, owner.nonce ?? '');
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** What the lock file at `path` says: free, held (by whom) or stale (and why). */
  static inspect(path: string): LockState {
    return look(path).state;
  }

  /** Removes the lock at `path` when it is stale (never a held one); true when it was removed. */
  static clearIfStale(path: string): boolean {
    const seen = look(path);
    if (seen.state.state !== 'stale') return false;
    const nonce = randomBytes(8).toString('hex');
    const tmp = `${path}.${process.pid}.${nonce}.tmp`;
    writeOwnerFile(tmp, { pid: process.pid, start: myStart(), host: hostname(), at: Date.now(), nonce });
    try {
      return breakStale(path, seen, tmp) === 'removed';
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** True while the lock file is still the one this holder wrote. */
  isHeld(): boolean {
    return !this.released && look(this.path).state.owner?.nonce === this.nonce;
  }

  /**
   * Passes the lock to another process (a child this one started): the lock file is atomically
   * replaced by one naming it. This holder no longer holds it; the child takes it with adopt().
   */
  handOver(pid: number): void {
    if (this.released) throw new Error(`${this.path}: not held`);
    const nonce = randomBytes(8).toString('hex');
    const tmp = `${this.path}.${process.pid}.${nonce}.tmp`;
    writeOwnerFile(tmp, { pid, start: startOf(pid), host: hostname(), at: Date.now(), nonce });
    try {
      renameSync(tmp, this.path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    this.released = true;
    held.delete(this);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    const owner = look(this.path).state.owner;
    if (owner && (owner.nonce === this.nonce || (owner.nonce === undefined && owner.pid === process.pid))) rmSync(this.path, { force: true });
  }
}

/** Writes a lock's owner to a new temporary file; on failure (a full disk) nothing is left behind. */
function writeOwnerFile(tmp: string, owner: LockOwner): void {
  try {
    writeFileSync(tmp, ownerText(owner), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Links `tmp` (holding our owner) to `path`; false when `path` exists. */
function takeWith(tmp: string, path: string): boolean {
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
  }
  // A file system without hard links: exclusive create, then write (the stale rule covers a crash between).
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, readFileSync(tmp));
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Removes the stale lock `seen` at `path`, unless it changed meanwhile. Only one process at a time does
 * this (it holds `<path>.break`, taken like the lock itself), and it removes the file only when it is
 * still the very file judged stale: a lock a competitor took in between is left alone.
 */
function breakStale(path: string, seen: Seen, tmp: string): 'removed' | 'changed' | 'busy' {
  const guard = `${path}.break`;
  if (!takeWith(tmp, guard)) {
    // Another process is breaking the lock (for microseconds), or died doing it.
    const g = look(guard);
    if (g.state.state === 'stale' && g.fingerprint !== undefined) removeIfSame(guard, g.fingerprint);
    return 'busy';
  }
  try {
    const now = look(path);
    if (now.fingerprint === undefined || now.fingerprint !== seen.fingerprint) return 'changed';
    rmSync(path, { force: true });
    return 'removed';
  } finally {
    rmSync(guard, { force: true });
  }
}

function removeIfSame(path: string, fingerprint: string): void {
  if (look(path).fingerprint === fingerprint) rmSync(path, { force: true });
}
