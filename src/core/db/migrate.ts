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

/**
 * Migrations are pending and the connected role may not apply them (an application role with DML
 * rights only): the message names the migrations and says who must run `claude-family migrate`.
 */
export class MigrationNotPermittedError extends MigrationError {
  constructor(
    message: string,
    /** The pending migrations, by file name. */
    readonly pending: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationNotPermittedError';
  }
}

/** 42501 insufficient_privilege: "permission denied for ...", "must be owner of ...". */
const notPermitted = (err: unknown) => (err as { code?: string })?.code === '42501';

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

/**
 * Makes sure the schema and the ledger exist, creating only what is missing: a role that owns (or may
 * create in) a `claude` schema a DBA made for it needs no CREATE right on the database, and a role
 * with DML rights only runs no DDL at all once both exist. (CREATE ... IF NOT EXISTS checks the right to
 * create before it looks, so it is not used.) Returns the connected role's name, for messages.
 */
async function ensureLedger(tx: Queryable, pendingIfRefused: () => string[]): Promise<string> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  const { rows } = await tx.query<{ role: string; database: string; schema: boolean; ledger: boolean }>(
    `SELECT current_user AS role, current_database() AS database,
            EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'claude') AS schema,
            EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'claude' AND c.relname = 'schema_migrations') AS ledger`,
  );
  const { role, database, schema, ledger } = rows[0]!;
  try {
    if (!schema) await tx.query('CREATE SCHEMA claude');
    if (!ledger) {
      await tx.query(`CREATE TABLE claude.schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    }
  } catch (err) {
    if (!notPermitted(err)) throw err;
    const why = schema
      ? `the role "${role}" may not create tables in the claude schema (${(err as Error).message})`
      : `the database ${database} has no claude schema and the role "${role}" may not create one (${(err as Error).message}); ` +
        `a database owner can create it for this role: CREATE SCHEMA claude AUTHORIZATION "${role}"`;
    throw new MigrationNotPermittedError(`the database is not set up for claude-family yet: ${why}`, pendingIfRefused(), { cause: err });
  }
  return role;
}

/**
 * The statement 001 opens with, `CREATE SCHEMA IF NOT EXISTS claude;`: the runner has made sure the
 * schema exists, and the statement would need the CREATE right on the database even so. It is left
 * out when a file is run (the file, and its checksum, stay as shipped).
 */
const CREATE_SCHEMA_STATEMENT = /^[ \t]*CREATE SCHEMA IF NOT EXISTS claude;[ \t]*$/im;

function notPermittedMessage(pending: string[], role: string, err: unknown): string {
  const [first, ...rest] = pending;
  const which = rest.length === 0 ? `migration ${first} is` : `migrations ${first} and ${rest.length} more (${rest.join(', ')}) are`;
  return (
    `the database's claude schema is older than this version of claude-family: ${which} not applied, and the role "${role}" ` +
    `may not apply ${rest.length === 0 ? 'it' : 'them'} (${(err as Error).message}). Someone connected as the owner of the claude schema must run \`claude-family migrate\``
  );
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
  let role = '';
  const recorded = new Set<number>();
  await db.transaction(async (tx) => {
    role = await ensureLedger(tx, () => ordered.map((f) => f.name));
    const { rows } = await tx.query<LedgerRow>('SELECT version, name, checksum FROM claude.schema_migrations ORDER BY version');
    for (const row of rows) recorded.add(row.version);
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
        await tx.exec(file.sql.replace(CREATE_SCHEMA_STATEMENT, ''));
      } catch (err) {
        if (notPermitted(err)) {
          const pending = ordered.filter((f) => f === file || (versionOf(f.name) > version && !recorded.has(versionOf(f.name)))).map((f) => f.name);
          throw new MigrationNotPermittedError(notPermittedMessage(pending, role, err), pending, { cause: err });
        }
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
