import { openDatabase, type Config, type OpenOptions } from './config.js';
import type { Db } from './db.js';
import { migrate, type MigrationReport } from './migrate.js';
import { replaySpool, spoolHasEvents, type ReplayReport } from './spool.js';

export interface OpenForWorkOptions extends OpenOptions {
  /**
   * true: apply pending migrations (SessionStart, SessionEnd, the CLI). 'if-missing': only when the
   * schema is not there at all, one cheap query otherwise (the PostToolUse hot path: a hook installed
   * mid-session against a fresh database must not have its spooled events rejected for want of tables).
   */
  migrate?: boolean | 'if-missing';
}

export interface OpenedForWork {
  db: Db;
  migrations?: MigrationReport;
  /** Undefined when the spool was empty (nothing was read). */
  replay?: ReplayReport;
}

async function schemaPresent(db: Db): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>(`SELECT to_regclass('claude.applied_events') IS NOT NULL AS present`);
  return rows[0]?.present === true;
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
    const needed = options.migrate === 'if-missing' ? !(await schemaPresent(db)) : options.migrate === true;
    const migrations = needed ? await migrate(db) : undefined;
    const replay = spoolHasEvents(config.dataDir) ? await replaySpool(db, config.dataDir) : undefined;
    return { db, migrations, replay };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}
