// How the plugin reaches the database: through pg in both modes, never a database engine inside
// Obsidian. Postgres: the server at the connection string. Embedded: the per-user local server the hooks
// use, found through <data dir>/server.json and started from it when it is down (no node needed: the
// binary's absolute path is in the file). One small pool while the plugin runs, plus a dedicated LISTEN
// connection that reconnects with backoff, in both modes. Where LISTEN cannot work (a connection pooler
// in transaction mode hands each transaction to any server connection, so notifications go astray),
// the plugin polls at the refresh interval instead: when the settings say the server is behind a
// pooler, or when a test notification sent after LISTEN does not arrive.
import { CHANGES_CHANNEL, parseChangeNotice, type ChangeNotice } from '../core/events/changes.js';
import { ConfigError, defaultDataDir, describeTarget, loadConfig, type Env } from '../core/config.js';
import { DbUnavailableError, redact, type Db, type Unlisten } from '../core/db/db.js';
import { ensureLocalServer, localServerExists } from '../core/db/localServer.js';
import { migrate } from '../core/db/migrate.js';
import { openPostgres } from '../core/db/pg.js';
import { replaySpool } from '../core/events/spool.js';
import type { ClaudeFamilySettings } from './settings.js';

/** The hooks' data directory: the setting when given, else the hooks' own configuration and default. */
export function embeddedDataDir(settings: Pick<ClaudeFamilySettings, 'dataDir'>, env: Env = process.env): string {
  if (settings.dataDir) return settings.dataDir;
  try {
    return loadConfig(env).dataDir;
  } catch (err) {
    if (err instanceof ConfigError) return defaultDataDir(env);
    throw err;
  }
}

/** Where the plugin's data lives, in words safe to show (never the password). */
export function describeConnection(settings: ClaudeFamilySettings, env: Env = process.env): string {
  if (settings.mode === 'postgres') return describeTarget({ databaseUrl: settings.connectionString || undefined, dataDir: '' });
  return describeTarget({ dataDir: embeddedDataDir(settings, env) });
}

export interface ConnectionOptions {
  settings: () => ClaudeFamilySettings;
  env?: Env;
  /** Embedded: how long starting the local server may take (default 15 s). */
  startTimeoutMs?: number;
}

/** How the plugin learns of changes, for the status bar's tooltip. */
export type UpdateMode = { kind: 'listen' } | { kind: 'polling'; everySeconds: number; reason: string };

/** How long a test notification may take to arrive on the LISTEN connection before polling takes over. */
export const LISTEN_PROBE_MS = 3000;

interface Pool {
  /** What the pool was made for: a connection string, or the embedded data directory. */
  key: string;
  db: Db;
  ready: Promise<void>;
}

export class Connection {
  private pool?: Pool;
  private readonly watches = new Set<Watch>();

  constructor(private readonly options: ConnectionOptions) {}

  get settings(): ClaudeFamilySettings {
    return this.options.settings();
  }

  describe(): string {
    return describeConnection(this.settings, this.options.env);
  }

  /** How changes arrive now (undefined before the first watch has found out). */
  updateMode(): UpdateMode | undefined {
    for (const w of this.watches) if (w.mode) return w.mode;
    return undefined;
  }

  /** Runs `fn` with an open, migrated database. */
  async run<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return fn(await this.database());
  }

  /** Connects, migrates and counts the projects: the settings tab's "Test connection". */
  async test(): Promise<string> {
    const n = await this.run(async (db) => {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM claude.projects');
      return rows[0]?.n ?? 0;
    });
    return `Connected to ${this.describe()}: ${n} project${n === 1 ? '' : 's'}.`;
  }

  /**
   * The shared pool, created and migrated on first use and replaced when the settings point elsewhere.
   * Embedded: the local server is started first when it is down, and the hooks' spool (events kept while
   * the server could not be reached) is replayed, so the vault never shows a state older than Claude Code's.
   */
  async database(settings: ClaudeFamilySettings = this.settings): Promise<Db> {
    const key = settings.mode === 'postgres' ? `postgres:${settings.connectionString.trim()}` : `embedded:${embeddedDataDir(settings, this.options.env)}`;
    if (this.pool && this.pool.key !== key) await this.closePool();
    if (!this.pool) {
      const pool: Pool = settings.mode === 'postgres' ? this.openServer(settings, key) : this.openEmbedded(embeddedDataDir(settings, this.options.env), key);
      this.pool = pool;
      pool.ready.catch(() => {
        // Let the next use try again (the server may come up), without leaking this pool.
        if (this.pool === pool) this.pool = undefined;
        void pool.db.close().catch(() => {});
      });
    }
    const pool = this.pool;
    await pool.ready;
    return pool.db;
  }

  private openServer(settings: ClaudeFamilySettings, key: string): Pool {
    const connectionString = settings.connectionString.trim();
    if (!connectionString) throw new ConfigError('no Postgres connection string: enter one in the settings, or choose the embedded database');
    const db = openPostgres({ connectionString, max: 2, connectTimeoutMs: 5000 });
    return { key, db, ready: migrate(db).then(() => {}) };
  }

  private openEmbedded(dataDir: string, key: string): Pool {
    if (!localServerExists(dataDir)) {
      throw new ConfigError(`no local database in ${dataDir} yet: run \`claude-family db start\` once (or start a Claude Code session with the hooks installed), which creates it`);
    }
    // The pool is created at once; it connects on first use, after `ready` has started the server.
    let db: Db | undefined;
    const lazy: Db = {
      backend: 'embedded',
      query: (text, params) => ready.then(() => db!.query(text, params)),
      exec: (sql) => ready.then(() => db!.exec(sql)),
      transaction: (fn) => ready.then(() => db!.transaction(fn)),
      listen: (channel, onNotify, options) => ready.then(() => db!.listen(channel, onNotify, options)),
      close: async () => {
        await ready.catch(() => {});
        await db?.close();
      },
    };
    const ready = (async () => {
      const local = await ensureLocalServer(dataDir, { timeoutMs: this.options.startTimeoutMs ?? 15_000 });
      db = openPostgres({ connection: local.connection, backend: 'embedded', max: 2, connectTimeoutMs: 5000 });
      await migrate(db);
      await replaySpool(db, dataDir);
    })();
    return { key, db: lazy, ready };
  }

  /**
   * Calls `onChange` when the data may have changed: on each NOTIFY (with the change), and once after a
   * dropped LISTEN connection is back (without one). Returns a function that stops watching.
   */
  watch(onChange: (notice: ChangeNotice | undefined) => void | Promise<void>, onError?: (err: unknown) => void): () => Promise<void> {
    const watch = new Watch(this, onChange, onError);
    this.watches.add(watch);
    watch.start();
    return async () => {
      this.watches.delete(watch);
      await watch.stop();
    };
  }

  /** After the settings changed: drop the pool and restart every watch with the new settings. */
  async reconfigure(): Promise<void> {
    for (const w of this.watches) await w.stop();
    await this.closePool();
    for (const w of this.watches) w.start();
  }

  async close(): Promise<void> {
    for (const w of this.watches) await w.stop();
    this.watches.clear();
    await this.closePool();
  }

  private async closePool(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.db.close().catch(() => {});
  }
}

const MAX_BACKOFF_MS = 30_000;

class Watch {
  private stopped = true;
  private unlisten?: Unlisten;
  private timer?: number;
  private poller?: number;
  private backoff = 1000;
  private dropped = false;
  /** How changes arrive, once known. */
  mode?: UpdateMode;

  constructor(
    private readonly connection: Connection,
    private readonly onChange: (notice: ChangeNotice | undefined) => void | Promise<void>,
    private readonly onError?: (err: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.backoff = 1000;
    this.mode = undefined;
    if (this.connection.settings.behindPooler && this.connection.settings.mode !== 'embedded') {
      this.poll('the setting "Server is behind a pooler" is on');
      return;
    }
    void this.listen();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    let db: Db;
    let unlisten: Unlisten;
    try {
      db = await this.connection.database();
      unlisten = await db.listen(CHANGES_CHANNEL, (payload) => void this.onChange(parseChangeNotice(payload)), {
        onClose: () => this.retry(),
      });
    } catch (err) {
      this.onError?.(err);
      // LISTEN itself refused (not a lost connection): a pooler that does not pass it on.
      if (!(err instanceof DbUnavailableError) && err instanceof Error && /LISTEN|not supported|unsupported/i.test(err.message)) {
        this.poll(`LISTEN failed on this server (${redact(err.message)})`);
        return;
      }
      this.retry();
      return;
    }
    if (this.stopped) {
      await unlisten();
      return;
    }
    this.unlisten = unlisten;
    if (db.backend !== 'embedded' && !(await this.notificationsArrive(db))) {
      this.unlisten = undefined;
      await unlisten().catch(() => {});
      if (!this.stopped) this.poll(`a test notification did not arrive within ${LISTEN_PROBE_MS / 1000} s, so LISTEN does not work through this connection (a pooler in transaction mode?)`);
      return;
    }
    if (this.stopped) return;
    this.mode = { kind: 'listen' };
    this.backoff = 1000;
    // Changes made while the connection was down were never notified: refresh once.
    if (this.dropped) void this.onChange(undefined);
    this.dropped = false;
  }

  /**
   * Sends a notification on a channel of its own and waits for it on a LISTEN connection made the same
   * way as the real one. Through a pooler in transaction mode it never arrives: the LISTEN ran on a
   * server connection that went back to the pool, and the NOTIFY on whichever one the pool gave next.
   */
  private async notificationsArrive(db: Db): Promise<boolean> {
    const channel = `claude_probe_${Math.random().toString(36).slice(2, 12)}`;
    let arrived: () => void = () => {};
    const got = new Promise<boolean>((resolve) => (arrived = () => resolve(true)));
    let stop: Unlisten | undefined;
    let timer: number | undefined;
    try {
      stop = await db.listen(channel, arrived);
      await db.query('SELECT pg_notify($1, $2)', [channel, 'probe']);
      return await Promise.race([got, new Promise<boolean>((resolve) => (timer = window.setTimeout(() => resolve(false), LISTEN_PROBE_MS)))]);
    } catch {
      // The probe could not be made (the server went away): keep LISTEN; a lost connection is retried anyway.
      return true;
    } finally {
      window.clearTimeout(timer);
      await stop?.().catch(() => {});
    }
  }

  /** Polls at the refresh interval: every change source refreshes as if notified of "something". */
  private poll(reason: string): void {
    const everySeconds = this.connection.settings.refreshSeconds;
    this.mode = { kind: 'polling', everySeconds, reason };
    window.clearInterval(this.poller);
    this.poller = window.setInterval(() => void this.onChange(undefined), everySeconds * 1000);
    // Now, once: what was missed while finding out, and the status bar's tooltip.
    void this.onChange(undefined);
  }

  private retry(): void {
    this.unlisten = undefined;
    if (this.stopped) return;
    this.dropped = true;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.listen(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    window.clearTimeout(this.timer);
    window.clearInterval(this.poller);
    this.timer = undefined;
    this.poller = undefined;
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.();
  }
}
