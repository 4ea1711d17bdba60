import type { Config } from '../config.js';
import type { Db } from './db.js';
import { openDatabase, type OpenOptions } from './open.js';
import { migrate, pendingMigrationCount, type MigrationReport } from './migrate.js';
import { replaySpool, spoolHasEvents, type ReplayOptions, type ReplayReport } from '../events/spool.js';

export interface OpenForWorkOptions extends OpenOptions {
  /**
   * true: run migrate() (the CLI: applies what is pending and checks every applied file's checksum).
   * 'if-behind': one cheap query, and migrate() only when a bundled migration is not applied yet (the
   * hooks, on every start and tool call: a hook installed against a fresh database, or upgraded, must
   * not have its events rejected for want of tables).
   */
  migrate?: boolean | 'if-behind';
  /** How to replay the spool (a budget, a lock already held); false: do not replay (read-only commands). */
  replay?: ReplayOptions | false;
}

export interface OpenedForWork {
  db: Db;
  migrations?: MigrationReport;
  /** Undefined when the spool was empty (nothing was read). */
  replay?: ReplayReport;
}

/**
 * Opens the configured database the way every writer must: migrate (when asked), then replay the
 * spool (events hooks could not write yet), so the caller's own work comes after everything older.
 * Migrating first means a fresh database never rejects spooled events for want of tables.
 * The database is closed again if any step fails.
 */
export async function openForWork(config: Config, options: OpenForWorkOptions = {}): Promise<OpenedForWork> {
  const db = await openDatabase(config, options);
  try {
    const needed = options.migrate === 'if-behind' ? (await pendingMigrationCount(db)) > 0 : options.migrate === true;
    const migrations = needed ? await migrate(db) : undefined;
    const replay =
      options.replay !== false && (options.replay?.lock || spoolHasEvents(config.dataDir)) ? await replaySpool(db, config.dataDir, options.replay || {}) : undefined;
    return { db, migrations, replay };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}
