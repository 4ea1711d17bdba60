import { openDatabase, type Config, type OpenOptions } from './config.js';
import type { Db } from './db.js';
import { migrate, type MigrationReport } from './migrate.js';
import { replaySpool, spoolHasEvents, type ReplayReport } from './spool.js';

export interface OpenForWorkOptions extends OpenOptions {
  /** Apply pending migrations (SessionStart, SessionEnd, the CLI); the PostToolUse hot path skips it. */
  migrate?: boolean;
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
    const migrations = options.migrate ? await migrate(db) : undefined;
    const replay = spoolHasEvents(config.dataDir) ? await replaySpool(db, config.dataDir) : undefined;
    return { db, migrations, replay };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}
