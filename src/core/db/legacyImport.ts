// Before the local server, the embedded default was PGlite (Postgres in WebAssembly, in process), kept
// in <data dir>/pglite. Its data is imported once into the local server, then the directory is renamed
// aside (never deleted). This is the only module that loads PGlite, and only when such a directory exists.
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileLock, LockBusyError } from '../fs/fileLock.js';
import { copyClaudeSchema } from './copy.js';
import { DbUnavailableError, type Db, type Queryable } from './db.js';
import { migrate } from './migrate.js';

export interface LegacyImportReport {
  from: string;
  movedTo: string;
  at: string;
  rows: number;
  tables: Record<string, number>;
}

export function legacyDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}

/** The file that records a failed import, so hooks do not retry it on every start (`db import-legacy` does). */
export function legacyErrorFile(dataDir: string): string {
  return join(dataDir, 'pglite.import-error.txt');
}

/** Whether an old PGlite directory is waiting to be imported (and no earlier attempt failed). */
export function legacyImportPending(dataDir: string, options: { retryFailed?: boolean } = {}): boolean {
  const dir = legacyDir(dataDir);
  if (!existsSync(dir)) return false;
  if (!options.retryFailed && existsSync(legacyErrorFile(dataDir))) return false;
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

interface PgliteLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
  waitReady: Promise<void>;
}

/** The old database seen through the Db port, for the migrations runner. */
function asDb(pglite: PgliteLike): Db {
  const queryable: Queryable = {
    query: async <R,>(text: string, params?: readonly unknown[]) => {
      const res = await pglite.query<R>(text, params as unknown[] | undefined);
      return { rows: res.rows, rowCount: res.rows.length };
    },
    exec: async (sql) => {
      await pglite.exec(sql);
    },
  };
  return {
    ...queryable,
    backend: 'embedded',
    transaction: async (fn) => {
      await pglite.exec('BEGIN');
      try {
        const result = await fn(queryable);
        await pglite.exec('COMMIT');
        return result;
      } catch (err) {
        await pglite.exec('ROLLBACK');
        throw err;
      }
    },
    listen: () => Promise.reject(new Error('not supported on the legacy database')),
    close: () => pglite.close(),
  };
}

/**
 * Copies every row of the old PGlite database into `target` (migrated first), in one transaction, then
 * renames the PGlite directory to pglite.imported-<time>. Rows the target already has (same key) are
 * kept as they are: the target is newer. A project the target already knows by name keeps the target's
 * id, and the imported rows are attached to it.
 */
export async function importLegacyPglite(dataDir: string, target: Db, onNotice?: (message: string) => void): Promise<LegacyImportReport | undefined> {
  const from = legacyDir(dataDir);
  let lock: FileLock;
  try {
    // The lock the PGlite adapter took: an older hook still holding the directory is waited for.
    lock = await FileLock.acquire(`${from}.lock`, 10_000);
  } catch (err) {
    if (err instanceof LockBusyError) throw new DbUnavailableError(`the old embedded database ${from} is in use by process ${err.owner}; the import will be tried again`, { cause: err });
    throw err;
  }
  try {
    if (!legacyImportPending(dataDir, { retryFailed: true })) return undefined;
    onNotice?.(`importing the old embedded database (${from}) into the local Postgres, once`);
    let report: LegacyImportReport;
    try {
      report = await copyAll(from, target);
    } catch (err) {
      writeFileSync(legacyErrorFile(dataDir), `${new Date().toISOString()} ${(err as Error).message}\n`, { mode: 0o600 });
      throw new Error(`could not import ${from}: ${(err as Error).message} (nothing was changed; run \`claude-family db import-legacy\` to try again)`, { cause: err });
    }
    renameSync(from, report.movedTo);
    return report;
  } finally {
    lock.release();
  }
}

/** Opens an old PGlite data directory through the Db port (the import, and tests that make one). */
export async function openLegacyPglite(dir: string): Promise<Db> {
  const { PGlite } = (await import('@electric-sql/pglite')) as unknown as { PGlite: new (dir: string) => PgliteLike };
  const pglite = new PGlite(dir);
  await pglite.waitReady;
  return asDb(pglite);
}

async function copyAll(from: string, target: Db): Promise<LegacyImportReport> {
  const source = await openLegacyPglite(from);
  try {
    await migrate(source);
    await migrate(target);
    const { rows, tables } = await copyClaudeSchema(source, target);
    const at = new Date().toISOString();
    return { from, movedTo: `${from}.imported-${at.replace(/[:.]/g, '-')}`, at, rows, tables };
  } finally {
    await source.close().catch(() => {});
  }
}
