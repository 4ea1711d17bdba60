// How the plugin reaches the database: through pg in both modes, never a database engine inside
// Obsidian. Postgres: the server at the connection string. Embedded: the per-user local server the hooks
// use, found through <data dir>/server.json and started from it when it is down (no node needed: the
// binary's absolute path is in the file). One small pool while the plugin runs, plus a dedicated LISTEN
// connection that reconnects with backoff, in both modes.
import { CHANGES_CHANNEL, parseChangeNotice, type ChangeNotice } from '../core/events/changes.js';
import { ConfigError, defaultDataDir, describeTarget, loadConfig, type Env } from '../core/config.js';
import type { Db, Unlisten } from '../core/db/db.js';
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
  private backoff = 1000;
  private dropped = false;

  constructor(
    private readonly connection: Connection,
    private readonly onChange: (notice: ChangeNotice | undefined) => void | Promise<void>,
    private readonly onError?: (err: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.backoff = 1000;
    void this.listen();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    try {
      const db = await this.connection.database();
      const unlisten = await db.listen(CHANGES_CHANNEL, (payload) => void this.onChange(parseChangeNotice(payload)), {
        onClose: () => this.retry(),
      });
      if (this.stopped) {
        await unlisten();
        return;
      }
      this.unlisten = unlisten;
      this.backoff = 1000;
      // Changes made while the connection was down were never notified: refresh once.
      if (this.dropped) void this.onChange(undefined);
      this.dropped = false;
    } catch (err) {
      this.onError?.(err);
      this.retry();
    }
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
    this.timer = undefined;
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.();
  }
}
