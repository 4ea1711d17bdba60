import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { DbUnavailableError, type Db, type QueryResult, type Queryable, type Unlisten } from './db.js';

export interface PgliteOptions {
  /** Data directory; omit for a throw-away in-memory database (tests, demos). */
  dataDir?: string;
  /** How long to wait for another process to release the data directory before giving up. */
  lockWaitMs?: number;
  /**
   * PGlite's binary assets, for hosts where they cannot be loaded from beside its JS (a single-file
   * bundle such as the Obsidian plugin's main.js). Omitted: PGlite loads them from node_modules.
   */
  assets?: PgliteAssets;
}

export interface PgliteAssets {
  pgliteWasmModule?: WebAssembly.Module;
  initdbWasmModule?: WebAssembly.Module;
  fsBundle?: Blob;
}

/**
 * Only one process may have a PGlite data directory open. A lock file beside it holds the owner's pid;
 * a lock whose pid is dead is stale and taken over.
 */
export class DataDirLock {
  private constructor(readonly path: string) {}

  static async acquire(dataDir: string, waitMs: number): Promise<DataDirLock> {
    const path = `${dataDir.replace(/\/+$/, '')}.lock`;
    mkdirSync(dirname(path), { recursive: true });
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new DataDirLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = readOwner(path);
      if (owner === undefined || !isAlive(owner)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new DbUnavailableError(`the embedded database ${dataDir} is in use by process ${owner}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
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

async function run<R>(db: Pick<PGlite, 'query'>, text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
  const res = await db.query<R>(text, params as unknown[] | undefined);
  return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
}

export async function openPglite(options: PgliteOptions = {}): Promise<Db> {
  const lock = options.dataDir ? await DataDirLock.acquire(options.dataDir, options.lockWaitMs ?? 5000) : undefined;
  let pglite: PGlite;
  try {
    // Loaded lazily: hooks that only spool never pay for the wasm module.
    const { PGlite } = await import('@electric-sql/pglite');
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    pglite = options.assets ? new PGlite(options.dataDir, { ...options.assets }) : new PGlite(options.dataDir);
    await pglite.waitReady;
  } catch (err) {
    lock?.release();
    throw new DbUnavailableError(`could not open the embedded database: ${(err as Error).message}`, { cause: err });
  }

  return {
    backend: 'pglite',
    query: (text, params) => run(pglite, text, params),
    exec: async (sql) => {
      await pglite.exec(sql);
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pglite.transaction((tx) =>
        fn({
          query: (text, params) => run(tx, text, params),
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      );
    },
    async listen(channel: string, onNotify: (payload: string) => void): Promise<Unlisten> {
      const unsubscribe = await pglite.listen(channel, onNotify);
      return async () => {
        await unsubscribe();
      };
    },
    async close() {
      try {
        await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}
