// How the plugin reaches the database. Postgres: one small pool held while the plugin runs, plus a
// dedicated LISTEN connection that reconnects with backoff. Embedded PGlite: the data directory is
// shared with the hooks and only one process may have it open, so it is opened, used and closed per
// refresh or command, one use at a time, and lock contention is retried ("database busy, retrying").
import { CHANGES_CHANNEL, parseChangeNotice, type ChangeNotice } from '../core/events/changes.js';
import { ConfigError, defaultDataDir, describeTarget, loadConfig, pgliteDir, type Env } from '../core/config.js';
import { DbUnavailableError, type Db, type Unlisten } from '../core/db/db.js';
import { migrate } from '../core/db/migrate.js';
import { openPostgres } from '../core/db/pg.js';
import { openPglite, type PgliteAssets } from '../core/db/pglite.js';
import { replaySpool } from '../core/events/spool.js';
import type { ClaudeFamilySettings } from './settings.js';

export const BUSY_MESSAGE = 'Claude Family: database busy, retrying…';

/** The embedded database stayed locked by another process (a hook) through every retry. */
export class DatabaseBusyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseBusyError';
  }
}

export function isBusy(err: unknown): boolean {
  return err instanceof DatabaseBusyError || (err instanceof DbUnavailableError && /in use by process/.test(err.message));
}

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
  /** PGlite's wasm and data when they cannot be loaded from node_modules (the bundled main.js). */
  pgliteAssets?: () => Promise<PgliteAssets | undefined>;
  /** Called once per use when the embedded database is locked and the use is being retried. */
  onBusy?: () => void;
  /** How long one attempt waits for the lock (ms). */
  lockWaitMs?: number;
  /** Attempts after the first before giving up with DatabaseBusyError. */
  busyRetries?: number;
  env?: Env;
}

interface Job {
  fn: (db: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Uses served by one open of the embedded database. */
const MAX_BATCH = 20;
/** The pause between two opens of the embedded database, so other processes can take the lock. */
const BREATHER_MS = 100;

interface Pool {
  connectionString: string;
  db: Db;
  ready: Promise<void>;
}

export class Connection {
  private pool?: Pool;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: Job[] = [];
  private draining = false;
  private readonly migratedDirs = new Set<string>();
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
    const settings = this.settings;
    if (settings.mode === 'postgres') return fn(await this.postgres(settings));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        this.queue = this.drain(settings).finally(() => {
          this.draining = false;
        });
      }
    });
  }

  /**
   * Embedded: opens the database once for everything queued (up to MAX_BATCH uses), closes it, and
   * pauses briefly before opening it again so a hook waiting for the lock gets its turn.
   */
  private async drain(settings: ClaudeFamilySettings): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        await this.embedded(settings, async (db) => {
          for (const job of batch) {
            try {
              job.resolve(await job.fn(db));
            } catch (err) {
              job.reject(err);
            }
          }
        });
      } catch (err) {
        for (const job of batch) job.reject(err);
      }
      await sleep(BREATHER_MS);
    }
  }

  /** Connects, migrates and counts the projects: the settings tab's "Test connection". */
  async test(): Promise<string> {
    const n = await this.run(async (db) => {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM claude.projects');
      return rows[0]?.n ?? 0;
    });
    return `Connected to ${this.describe()}: ${n} project${n === 1 ? '' : 's'}.`;
  }

  /** The shared Postgres pool (created and migrated on first use; replaced when the connection string changes). */
  async postgres(settings: ClaudeFamilySettings = this.settings): Promise<Db> {
    const connectionString = settings.connectionString.trim();
    if (!connectionString) throw new ConfigError('no Postgres connection string: enter one in the settings, or choose the embedded database');
    if (this.pool && this.pool.connectionString !== connectionString) await this.closePool();
    if (!this.pool) {
      const db = openPostgres({ connectionString, max: 2, connectTimeoutMs: 5000 });
      const pool: Pool = { connectionString, db, ready: migrate(db).then(() => {}) };
      this.pool = pool;
      pool.ready.catch(() => {
        // Let the next use try again (the server may come up), without leaking this pool.
        if (this.pool === pool) this.pool = undefined;
        void db.close().catch(() => {});
      });
    }
    const pool = this.pool;
    await pool.ready;
    return pool.db;
  }

  private async embedded<T>(settings: ClaudeFamilySettings, fn: (db: Db) => Promise<T>): Promise<T> {
    const dataDir = embeddedDataDir(settings, this.options.env);
    const assets = await this.options.pgliteAssets?.();
    const retries = this.options.busyRetries ?? 4;
    for (let attempt = 0; ; attempt += 1) {
      let db: Db;
      try {
        db = await openPglite({ dataDir: pgliteDir({ dataDir }), lockWaitMs: this.options.lockWaitMs ?? 1500, assets });
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (attempt >= retries) throw new DatabaseBusyError(`the embedded database is busy (${(err as Error).message}); try again in a moment`, { cause: err });
        if (attempt === 0) this.options.onBusy?.();
        await sleep(Math.min(250 * 2 ** attempt, 2000));
        continue;
      }
      try {
        if (!this.migratedDirs.has(dataDir)) {
          await migrate(db);
          this.migratedDirs.add(dataDir);
        }
        // The hooks' spool (events PostToolUse appended instead of opening the embedded database) first,
        // so the vault never shows a state older than what Claude Code did. replaySpool does nothing when
        // the spool is empty or another process is replaying it.
        await replaySpool(db, dataDir);
        return await fn(db);
      } finally {
        await db.close();
      }
    }
  }

  /**
   * Calls `onChange` when the data may have changed: on each NOTIFY from Postgres (with the change), or
   * every refreshSeconds in embedded mode (without one). Returns a function that stops watching.
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
    await this.queue;
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
    const settings = this.connection.settings;
    if (settings.mode === 'postgres') {
      void this.listen();
    } else {
      // A timeout chain, not an interval: the next poll starts refreshSeconds after the last one finished.
      const poll = async (): Promise<void> => {
        if (this.stopped) return;
        try {
          await this.onChange(undefined);
        } catch (err) {
          this.onError?.(err);
        }
        if (!this.stopped) this.timer = window.setTimeout(() => void poll(), settings.refreshSeconds * 1000);
      };
      this.timer = window.setTimeout(() => void poll(), settings.refreshSeconds * 1000);
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    try {
      const db = await this.connection.postgres();
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}
