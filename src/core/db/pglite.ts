import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { FileLock, LockBusyError } from '../fs/fileLock.js';
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

/** Only one process may have a PGlite data directory open: a lock file beside it says which. */
async function lockDataDir(dataDir: string, waitMs: number): Promise<FileLock> {
  try {
    return await FileLock.acquire(`${dataDir.replace(/\/+$/, '')}.lock`, waitMs);
  } catch (err) {
    if (err instanceof LockBusyError) {
      throw new DbUnavailableError(`the embedded database ${dataDir} is in use by process ${err.owner}`, { cause: err });
    }
    throw err;
  }
}

async function run<R>(db: Pick<PGlite, 'query'>, text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
  const res = await db.query<R>(text, params as unknown[] | undefined);
  return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
}

export async function openPglite(options: PgliteOptions = {}): Promise<Db> {
  const lock = options.dataDir ? await lockDataDir(options.dataDir, options.lockWaitMs ?? 5000) : undefined;
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
