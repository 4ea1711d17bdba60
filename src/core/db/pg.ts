import pg from 'pg';
import { DbUnavailableError, redact, type Backend, type Db, type ListenOptions, type QueryResult, type Queryable, type Unlisten } from './db.js';

export interface PgOptions {
  /** postgres://user:pass@host:port/db; when absent node-postgres reads the PG* environment variables. */
  connectionString?: string;
  /** Instead of a connection string: the fields (the local server: a Unix socket directory as host). */
  connection?: { host: string; port: number; user: string; database: string; password?: string };
  /** What to report as Db.backend: 'embedded' for the local server (default 'postgres'). */
  backend?: Backend;
  /** Give up connecting after this long (hooks use ~1 s so Claude Code never waits on a dead server). */
  connectTimeoutMs?: number;
  /** Pool size; hooks need 1, the plugin a few. */
  max?: number;
  /** Cancels any single statement that runs longer than this. */
  statementTimeoutMs?: number;
}

const UNAVAILABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', '57P03', '3D000', '28P01', '28000']);

function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code && UNAVAILABLE_CODES.has(e.code)) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(e?.message ?? '');
}

/** Says in plain words why a connection failed (the password redacted). */
export function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = redact(e?.message ?? String(err));
  switch (e?.code) {
    case 'ENOENT': return `the local Postgres socket is missing: the server is not running (${msg})`;
    case 'ECONNREFUSED': return `nothing is listening at the Postgres address (${msg})`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `the Postgres host name does not resolve (${msg})`;
    case '3D000': return `the database does not exist (${msg})`;
    case '28P01': case '28000': return `Postgres refused the credentials (${msg})`;
    default: return msg;
  }
}

/** Wraps connection failures in DbUnavailableError; statement errors pass through untouched. */
function wrap(err: unknown): never {
  if (isUnavailable(err)) throw new DbUnavailableError(`Postgres unavailable: ${describe(err)}`, { cause: err });
  throw err;
}

async function run<R>(client: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
  try {
    const res = await client.query(text, params as unknown[] | undefined);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  } catch (err) {
    return wrap(err);
  }
}

export function openPostgres(options: PgOptions = {}): Db {
  const target = options.connection ?? { connectionString: options.connectionString };
  const pool = new pg.Pool({
    ...target,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    max: options.max ?? 4,
    statement_timeout: options.statementTimeoutMs,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // An idle client losing its server must not crash the host process (Obsidian, a hook).
  pool.on('error', () => {});

  return {
    backend: options.backend ?? 'postgres',
    query: (text, params) => run(pool, text, params),
    exec: async (sql) => {
      await run(pool, sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        return wrap(err);
      }
      const tx: Queryable = {
        query: (text, params) => run(client, text, params),
        exec: async (sql) => {
          await run(client, sql);
        },
      };
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(channel: string, onNotify: (payload: string) => void, listenOptions: ListenOptions = {}): Promise<Unlisten> {
      // A dedicated client: LISTEN belongs to one connection for its whole life.
      const client = new pg.Client({ ...target, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000 });
      let closing = false;
      let reported = false;
      const lost = (err?: Error) => {
        if (closing || reported) return;
        reported = true;
        listenOptions.onClose?.(err);
      };
      client.on('error', (err) => lost(err));
      client.on('end', () => lost());
      try {
        await client.connect();
        await client.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (err) {
        closing = true;
        await client.end().catch(() => {});
        return wrap(err);
      }
      client.on('notification', (msg) => {
        if (msg.channel === channel) onNotify(msg.payload ?? '');
      });
      return async () => {
        closing = true;
        await client.end().catch(() => {});
      };
    },
    close: () => pool.end(),
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
