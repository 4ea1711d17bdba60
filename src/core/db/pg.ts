import pg from 'pg';
import { DbUnavailableError, redact, type Backend, type Db, type ListenOptions, type QueryResult, type Queryable, type Unlisten } from './db.js';
import { parseConnectionString } from './connectionString.js';

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
  /** Cancels any single statement that runs longer than this (enforced by the server). */
  statementTimeoutMs?: number;
  /**
   * Client-side deadline for each statement: when the server does not answer in time (frozen, or the
   * network dropped without a reset), the socket is destroyed and the statement fails with
   * DbUnavailableError. Hooks use it: a server-side timeout cannot help when the server is not there.
   */
  queryTimeoutMs?: number;
}

/** The client-side deadline passed. */
export class DeadlineError extends DbUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineError';
  }
}

/** Ends a client at once, whatever its server does (a frozen server never answers end()). */
function destroyClient(client: pg.Client | pg.PoolClient): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

async function withDeadline<T>(client: pg.Client | pg.PoolClient, ms: number | undefined, what: string, work: Promise<T>): Promise<T> {
  if (!ms) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      destroyClient(client);
      reject(new DeadlineError(`Postgres did not answer ${what} within ${ms} ms (connection closed)`));
    }, ms);
  });
  work.catch(() => {}); // it fails once the socket is destroyed; the deadline already said why
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

// 57P01/57P02: the server is shutting down (db stop) or restarting after a crash, ending our connection.
const UNAVAILABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', '57P01', '57P02', '57P03', '3D000', '28P01', '28000']);

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

async function run<R>(client: pg.PoolClient, text: string, params: readonly unknown[] | undefined, queryTimeoutMs: number | undefined): Promise<QueryResult<R>> {
  try {
    const res = await withDeadline(client, queryTimeoutMs, 'a statement', client.query(text, params as unknown[] | undefined));
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  } catch (err) {
    return wrap(err);
  }
}

export function openPostgres(options: PgOptions = {}): Db {
  // A URL or libpq key=value pairs (an unusable one fails here, saying how to fix it), or the fields.
  const fields = options.connection ?? (options.connectionString === undefined ? {} : parseConnectionString(options.connectionString));
  const qt = options.queryTimeoutMs;
  const pool = new pg.Pool({
    ...fields,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    max: options.max ?? 4,
    statement_timeout: options.statementTimeoutMs,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // A client losing its server must never crash the host process (Obsidian, a hook, the CLI): an idle
  // one reports on the pool, a checked-out one on itself (a server stopped or killed between two
  // statements of a transaction). Either way the client is discarded, not reused; the statement in
  // flight, if any, fails with DbUnavailableError.
  pool.on('error', () => {});
  const clients = new Set<pg.PoolClient>();
  const lost = new WeakSet<pg.PoolClient>();
  pool.on('connect', (c) => {
    clients.add(c);
    c.on('error', () => lost.add(c));
  });
  pool.on('remove', (c) => clients.delete(c));

  const connect = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (err) {
      return wrap(err);
    }
  };
  /** Runs `fn` on one client; a client whose connection failed or timed out is discarded, not reused. */
  const withClient = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await connect();
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      if (err instanceof DbUnavailableError) broken = err;
      throw err;
    } finally {
      client.release(broken ?? (lost.has(client) ? new Error('connection lost') : undefined));
    }
  };

  return {
    backend: options.backend ?? 'postgres',
    query: (text, params) => withClient((c) => run(c, text, params, qt)),
    exec: async (sql) => {
      await withClient((c) => run(c, sql, undefined, qt));
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return withClient(async (client) => {
        const tx: Queryable = {
          query: (text, params) => run(client, text, params, qt),
          exec: async (sql) => {
            await run(client, sql, undefined, qt);
          },
        };
        try {
          await run(client, 'BEGIN', undefined, qt);
          const result = await fn(tx);
          await run(client, 'COMMIT', undefined, qt);
          return result;
        } catch (err) {
          if (!(err instanceof DbUnavailableError)) await withDeadline(client, qt, 'ROLLBACK', client.query('ROLLBACK')).catch(() => {});
          throw err;
        }
      });
    },
    async listen(channel: string, onNotify: (payload: string) => void, listenOptions: ListenOptions = {}): Promise<Unlisten> {
      // A dedicated client: LISTEN belongs to one connection for its whole life.
      const client = new pg.Client({ ...fields, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000 });
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
    async close() {
      // A frozen server never answers the goodbye: after a second, the sockets are destroyed.
      let timer: NodeJS.Timeout | undefined;
      const ended = pool.end().catch(() => {});
      await Promise.race([ended, new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
      clearTimeout(timer);
      for (const c of clients) destroyClient(c);
    },
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
