import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class LockBusyError extends Error {
  constructor(
    readonly path: string,
    readonly owner: number,
  ) {
    super(`${path} is held by process ${owner}`);
    this.name = 'LockBusyError';
  }
}

/**
 * An exclusive lock between processes: a file created with O_EXCL that holds the owner's pid.
 * A lock whose owner is dead is stale and taken over.
 */
export class FileLock {
  private constructor(readonly path: string) {}

  static async acquire(path: string, waitMs: number): Promise<FileLock> {
    mkdirSync(dirname(path), { recursive: true });
    const deadline = Date.now() + waitMs;
    for (;;) {
      const lock = FileLock.tryAcquire(path);
      if (lock) return lock;
      const owner = readOwner(path);
      if (owner !== undefined && Date.now() >= deadline) throw new LockBusyError(path, owner);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Takes the lock if it is free (or stale); undefined when a live process holds it. */
  static tryAcquire(path: string): FileLock | undefined {
    mkdirSync(dirname(path), { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        try {
          writeSync(fd, String(process.pid));
        } finally {
          closeSync(fd);
        }
        return new FileLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = readOwner(path);
      // A lock file being written has no pid yet: treat it as held.
      if (owner !== undefined && !isAlive(owner)) rmSync(path, { force: true });
      else return undefined;
    }
    return undefined;
  }

  release(): void {
    if (readOwner(this.path) === process.pid) rmSync(this.path, { force: true });
  }
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
