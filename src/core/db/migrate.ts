import { createHash } from 'node:crypto';
import type { Db, Queryable } from './db.js';
import { MIGRATIONS, type MigrationFile } from './migrations.js';

/** Any fixed 64-bit number: the advisory lock that serialises migration runs across processes. */
const MIGRATION_LOCK_KEY = 7_262_022_517_001;

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
  /** Recorded in the database but unknown to this build (a newer version migrated it). */
  unknown: string[];
}

export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

function versionOf(name: string): number {
  const match = /^(\d+)_[\w.-]+\.sql$/.exec(name);
  if (!match) throw new MigrationError(`migration file name ${JSON.stringify(name)} must look like 001_description.sql`);
  return Number(match[1]);
}

async function ensureLedger(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  await tx.query('CREATE SCHEMA IF NOT EXISTS claude');
  await tx.query(`CREATE TABLE IF NOT EXISTS claude.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
}

interface LedgerRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies every pending migration in order, each in its own transaction that also records it in
 * claude.schema_migrations. Refuses to run when an applied file was edited since. Safe to run twice and
 * from several processes at once: each transaction takes the same advisory lock and re-reads the ledger.
 */
export async function migrate(db: Db, files: readonly MigrationFile[] = MIGRATIONS): Promise<MigrationReport> {
  const ordered = [...files].sort((a, b) => versionOf(a.name) - versionOf(b.name));
  const versions = new Set<number>();
  for (const f of ordered) {
    const v = versionOf(f.name);
    if (versions.has(v)) throw new MigrationError(`two migration files share version ${v}`);
    versions.add(v);
  }

  const report: MigrationReport = { applied: [], alreadyApplied: [], unknown: [] };
  await db.transaction(async (tx) => {
    await ensureLedger(tx);
    const { rows } = await tx.query<LedgerRow>('SELECT version, name, checksum FROM claude.schema_migrations ORDER BY version');
    const known = new Map(ordered.map((f) => [versionOf(f.name), f]));
    for (const row of rows) {
      const file = known.get(row.version);
      if (!file) {
        report.unknown.push(row.name);
      } else if (checksum(file.sql) !== row.checksum) {
        throw new MigrationError(
          `migration ${row.name} was edited after it was applied (checksum differs); ` +
            'restore the original file and put the change in a new numbered migration',
        );
      }
    }
  });

  for (const file of ordered) {
    const version = versionOf(file.name);
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const done = await tx.query('SELECT 1 FROM claude.schema_migrations WHERE version = $1', [version]);
      if (done.rows.length > 0) {
        report.alreadyApplied.push(file.name);
        return;
      }
      try {
        await tx.exec(file.sql);
      } catch (err) {
        throw new MigrationError(`migration ${file.name} failed: ${(err as Error).message}`, { cause: err });
      }
      await tx.query('INSERT INTO claude.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        version,
        file.name,
        checksum(file.sql),
      ]);
      report.applied.push(file.name);
    });
  }
  return report;
}


/**
 * How many bundled migrations the database has not applied, in one query (all of them when the ledger
 * does not exist yet). Hooks use it to skip the full migrate() — a handful of transactions and locks —
 * on every start when the schema is already current; the checksum check runs whenever migrate() does.
 */
export async function pendingMigrationCount(db: Queryable, files: readonly MigrationFile[] = MIGRATIONS): Promise<number> {
  let rows: { version: number }[];
  try {
    rows = (await db.query<{ version: number }>('SELECT version FROM claude.schema_migrations')).rows;
  } catch (err) {
    // 42P01 undefined_table, 3F000 invalid_schema_name: a database never migrated.
    if (['42P01', '3F000'].includes((err as { code?: string }).code ?? '')) return files.length;
    throw err;
  }
  const applied = new Set(rows.map((r) => r.version));
  return files.filter((f) => !applied.has(versionOf(f.name))).length;
}
