import pg from 'pg';
import { DbUnavailableError, redact, type Backend, type Db, type ListenOptions, type QueryResult, type Queryable, type Unlisten } from './db.js';
import { parseConnectionString } from './connectionString.js';
import { pgpassLookup } from './pgpass.js';
import { PreferTlsSocket } from './preferTls.js';
import { callsForNextAttempt, describeTlsFailure, isTlsFailure, tlsPlan, type TlsAttempt, type TlsPlan } from './tls.js';

export interface PgOptions {
  /**
   * A URL or libpq key=value pairs, read as libpq reads them (sslmode and friends: tls.ts); when absent,
   * the PG* environment variables say where to connect.
   */
  connectionString?: string;
  /** Instead of a connection string: the fields (the local server: a Unix socket directory as host). */
  connection?: { host: string; port: number; user: string; database: string; password?: string };
  /** What to report as Db.backend: 'embedded' for the local server (default 'postgres'). */
  backend?: Backend;
  /** Give up connecting after this long (hooks use ~1 s so Claude Code never waits on a dead server). */
  connectTimeoutMs?: number;
  /** Pool size; hooks need 1, the plugin a few. */
  max?: number;
  /**
   * Cancels any single statement that runs longer than this (enforced by the server). On a configured
   * server it is set per transaction (SET LOCAL), never for the session or in the startup packet: a
   * pooler in transaction mode refuses startup parameters and would carry session settings over to other
   * clients. The local server (`connection`) has no pooler in front of it: there it is a startup
   * parameter, which saves each statement the round trips of BEGIN, SET LOCAL and COMMIT.
   */
  statementTimeoutMs?: number;
  /**
   * Client-side deadline for each statement: when the server does not answer in time (frozen, or the
   * network dropped without a reset), the socket is destroyed and the statement fails with
   * DbUnavailableError. Hooks use it: a server-side timeout cannot help when the server is not there.
   */
  queryTimeoutMs?: number;
  /** Where libpq's environment variables (PGSSLMODE, PGSSLROOTCERT, PGPASSWORD, ...) are read; default process.env. */
  env?: Record<string, string | undefined>;
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
// 53300: too many connections; 08P01: a pooler refusing a startup parameter or a protocol step.
const UNAVAILABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', '57P01', '57P02', '57P03', '3D000', '28P01', '28000', '53300', '08P01']);

function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code && UNAVAILABLE_CODES.has(e.code)) return true;
  if (isTlsFailure(err)) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(e?.message ?? '');
}

/** Says in plain words why a connection failed (the password redacted); `plan` names the TLS settings. */
export function describe(err: unknown, plan?: TlsPlan): string {
  const e = err as { code?: string; message?: string };
  const msg = redact(e?.message ?? String(err));
  const tls = describeTlsFailure(err, plan);
  if (tls !== undefined) return redact(tls);
  switch (e?.code) {
    case 'ENOENT': return `the local Postgres socket is missing: the server is not running (${msg})`;
    case 'ECONNREFUSED': return `nothing is listening at the Postgres address (${msg})`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `the Postgres host name does not resolve (${msg})`;
    case '3D000': return `the database does not exist (${msg})`;
    case '28P01': case '28000': return `Postgres refused the credentials (${msg})`;
    case '53300': return `the server has no connection slot left (${msg})`;
    case '08P01': return `the server (or a connection pooler in front of it) refused the connection's protocol (${msg})`;
    default:
      if (/client password must be a string/i.test(msg)) return 'the server asks for a password and none is given (in the connection string, PGPASSWORD or a ~/.pgpass only its owner may read)';
      return msg;
  }
}

/** Wraps connection failures in DbUnavailableError; statement errors pass through untouched. */
function wrap(err: unknown, plan?: TlsPlan): never {
  if (err instanceof DbUnavailableError) throw err;
  if (isUnavailable(err)) throw new DbUnavailableError(`Postgres unavailable: ${describe(err, plan)}`, { cause: err });
  throw err;
}

/**
 * Connecting failed: whatever the reason, the database is unavailable (said in words). When libpq's
 * rules made several attempts (sslmode prefer or allow), each one's reason is given, in order.
 */
function wrapConnect(errors: { err: unknown; attempt: TlsAttempt }[], plan: TlsPlan): never {
  const last = errors[errors.length - 1]!.err;
  if (last instanceof DbUnavailableError) throw last;
  const words = errors.map(({ err, attempt }) => (errors.length > 1 ? `${attempt === false ? 'without TLS' : 'with TLS'}: ${describe(err, plan)}` : describe(err, plan)));
  throw new DbUnavailableError(`Postgres unavailable: ${[...new Set(words)].join('; then ')}`, { cause: last });
}

interface Target {
  /** What every client of this database is made with, except `ssl`. */
  base: pg.ClientConfig;
  plan: TlsPlan;
}

/**
 * The pool's clients: one whose connecting failed closes its socket at once. pg leaves it open, so a
 * failure on our side of the handshake (no password to answer the server's SCRAM request) would keep a
 * hook or the CLI alive until the server gives up on the login, a minute later.
 */
class PoolMember extends pg.Client {
  constructor(config?: pg.ClientConfig) {
    super(config);
    const self = this as pg.Client;
    const connect = self.connect.bind(self) as (callback?: (err: Error | null) => void) => unknown;
    (self as { connect: unknown }).connect = (callback?: (err: Error | null) => void) =>
      callback
        ? connect((err) => {
            if (err) destroyClient(self);
            callback(err);
          })
        : connect();
  }
}

/**
 * The client settings for one attempt. sslmode=prefer's TLS attempt asks for TLS on its own socket and
 * goes on without on the same one when the server has none, as libpq does (preferTls.ts).
 */
function sslSettings(attempt: TlsAttempt, plan: TlsPlan): Pick<pg.ClientConfig, 'ssl' | 'stream'> {
  if (attempt === false || plan.mode !== 'prefer') return { ssl: attempt };
  return { ssl: false, stream: () => new PreferTlsSocket(attempt) };
}

const PLAIN: TlsPlan = { mode: 'disable', modeFrom: 'the default', attempts: [false] };

/** The client settings and TLS attempts for `options` (a connection string read as libpq reads it, or the local server's fields). */
function targetOf(options: PgOptions): Target {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  if (options.connection) return { base: { ...options.connection, connectionTimeoutMillis: connectTimeoutMs }, plan: PLAIN };
  const env = options.env ?? process.env;
  const fields = options.connectionString === undefined ? {} : parseConnectionString(options.connectionString);
  const plan = tlsPlan(fields, env, env.HOME || undefined);
  const own = fields.connect_timeout ? Math.max(2, fields.connect_timeout) * 1000 : Infinity; // libpq: at least 2 s
  const base: pg.ClientConfig = {
    host: fields.hostaddr ?? fields.host ?? env.PGHOSTADDR ?? env.PGHOST,
    port: fields.port ?? (env.PGPORT ? Number(env.PGPORT) : undefined),
    database: fields.database ?? env.PGDATABASE,
    user: fields.user ?? env.PGUSER,
    // libpq's order: the string, PGPASSWORD, the password file (read by us: pg's reader prints warnings).
    // (pg calls the function with the parameters it resolved; undefined means no password.)
    password: fields.password ?? env.PGPASSWORD ?? (((p: pg.ClientConfig) => pgpassLookup({ host: fields.host ?? p.host, port: p.port, database: p.database, user: p.user }, env)) as unknown as () => string),
    ...(fields.application_name !== undefined ? { application_name: fields.application_name } : {}),
    ...(fields.options !== undefined ? { options: fields.options } : {}),
    connectionTimeoutMillis: Math.min(connectTimeoutMs, own),
  };
  return { base, plan };
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
  // A URL or libpq key=value pairs (an unusable one, or a TLS file that cannot be read, fails here
  // saying how to fix it), or the local server's fields.
  const target = targetOf(options);
  const { plan } = target;
  const qt = options.queryTimeoutMs;
  const timeoutMs = options.statementTimeoutMs ? Math.max(1, Math.floor(options.statementTimeoutMs)) : undefined;
  const inStartup = timeoutMs !== undefined && options.connection !== undefined;
  const base: pg.ClientConfig = inStartup ? { ...target.base, options: `-c statement_timeout=${timeoutMs}` } : target.base;
  /** Opens a transaction with the statement timeout of this Db, in one round trip. */
  const begin = timeoutMs && !inStartup ? `BEGIN; SET LOCAL statement_timeout = ${timeoutMs}` : 'BEGIN';
  const clients = new Set<pg.PoolClient>();
  const lost = new WeakSet<pg.PoolClient>();
  // The pool's attempt (TLS or not): libpq tries them in order on every connection; one Db keeps to
  // the one that worked, and moves on (a new pool) when it stops working.
  let current = 0;
  const makePool = (attempt: TlsAttempt): pg.Pool => {
    const p = new pg.Pool({ ...base, ...sslSettings(attempt, plan), max: options.max ?? 4, idleTimeoutMillis: 10_000, allowExitOnIdle: true, Client: PoolMember });
    // A client losing its server must never crash the host process (Obsidian, a hook, the CLI): an
    // idle one reports on the pool, a checked-out one on itself (a server stopped or killed between
    // two statements of a transaction). Either way the client is discarded, not reused; the statement
    // in flight, if any, fails with DbUnavailableError.
    p.on('error', () => {});
    p.on('connect', (c) => {
      clients.add(c);
      c.on('error', () => lost.add(c));
    });
    p.on('remove', (c) => clients.delete(c));
    return p;
  };
  let pool = makePool(plan.attempts[0]!);
  const retired: pg.Pool[] = [];

  const connect = async (): Promise<pg.PoolClient> => {
    const errors: { err: unknown; attempt: TlsAttempt }[] = [];
    for (let tried = 1; ; tried++) {
      const at = current;
      try {
        return await pool.connect();
      } catch (err) {
        errors.push({ err, attempt: plan.attempts[at]! });
        if (tried >= plan.attempts.length || !callsForNextAttempt(err, plan.attempts[at]!)) return wrapConnect(errors, plan);
        if (current === at) {
          current = (at + 1) % plan.attempts.length;
          retired.push(pool);
          void pool.end().catch(() => {});
          pool = makePool(plan.attempts[current]!);
        }
      }
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

  /** Runs `fn` in a transaction on `client` (opened with this Db's statement timeout). */
  const inTransaction = async <T>(client: pg.PoolClient, fn: (tx: Queryable) => Promise<T>): Promise<T> => {
    const tx: Queryable = {
      query: (text, params) => run(client, text, params, qt),
      exec: async (sql) => {
        await run(client, sql, undefined, qt);
      },
    };
    try {
      await run(client, begin, undefined, qt);
      const result = await fn(tx);
      await run(client, 'COMMIT', undefined, qt);
      return result;
    } catch (err) {
      if (!(err instanceof DbUnavailableError)) await withDeadline(client, qt, 'ROLLBACK', client.query('ROLLBACK')).catch(() => {});
      throw err;
    }
  };
  /** One statement (or script): with a statement timeout, in a transaction of its own that sets it (unless the startup packet did). */
  const single = <R>(text: string, params: readonly unknown[] | undefined): Promise<QueryResult<R>> =>
    withClient((c) => (timeoutMs && !inStartup ? inTransaction(c, (tx) => tx.query<R>(text, params)) : run<R>(c, text, params, qt)));

  return {
    backend: options.backend ?? 'postgres',
    query: (text, params) => single(text, params),
    exec: async (sql) => {
      await single(sql, undefined);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return withClient((client) => inTransaction(client, fn));
    },
    async listen(channel: string, onNotify: (payload: string) => void, listenOptions: ListenOptions = {}): Promise<Unlisten> {
      // A dedicated client: LISTEN belongs to one connection for its whole life. It connects with the
      // TLS attempt that works for the pool, and the next ones if that fails as libpq would go on.
      let client!: pg.Client;
      let closing = false;
      let reported = false;
      const ended = (err?: Error) => {
        if (closing || reported) return;
        reported = true;
        listenOptions.onClose?.(err);
      };
      const errors: { err: unknown; attempt: TlsAttempt }[] = [];
      // From the attempt the pool uses (the pool finds out about a change by itself).
      for (let tried = 1, at = current; ; tried++, at = (at + 1) % plan.attempts.length) {
        const attempt = plan.attempts[at]!;
        const candidate = new pg.Client({ ...base, ...sslSettings(attempt, plan) });
        candidate.on('error', (err) => (candidate === client ? ended(err) : undefined));
        try {
          await candidate.connect();
          client = candidate;
          break;
        } catch (err) {
          destroyClient(candidate);
          errors.push({ err, attempt });
          if (tried >= plan.attempts.length || !callsForNextAttempt(err, attempt)) return wrapConnect(errors, plan);
        }
      }
      client.on('end', () => ended());
      try {
        await client.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (err) {
        closing = true;
        await client.end().catch(() => {});
        return wrap(err, plan);
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
      const ended = Promise.all([pool, ...retired].map((p) => p.end().catch(() => {})));
      await Promise.race([ended, new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
      clearTimeout(timer);
      for (const c of clients) destroyClient(c);
    },
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
