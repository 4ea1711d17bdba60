// Opens the configured database for the Node entry points (hooks, CLI, demo): the user's server when
// one is configured, else the per-user local server, started first when it is down. Both through pg.
// The plugin does not import this module: it reaches the local server through server.json alone.
import { createRequire } from 'node:module';
import type { Config } from '../config.js';
import type { Db } from './db.js';
import { ensureLocalServer, type EnsureResult } from './localServer.js';
import { openPostgres } from './pg.js';

export interface OpenOptions {
  /** Postgres connect timeout; hooks use a short one. */
  connectTimeoutMs?: number;
  max?: number;
  /** Cancel any statement running longer than this (hooks must never hang on a lock). */
  statementTimeoutMs?: number;
  /** Client-side deadline per statement: the socket is destroyed when it passes (a frozen server). */
  queryTimeoutMs?: number;
  /** Embedded: how long starting the local server may take (a hook's budget; first init included). */
  startTimeoutMs?: number;
  /** Embedded: one line for the user when the server is created, started, or old data is imported. */
  onNotice?: (message: string) => void;
  /**
   * Embedded: import an old PGlite data directory found beside the server (default true). The import
   * runs once; the plugin never does it (it would load PGlite inside Obsidian).
   */
  importLegacy?: boolean;
  /** Embedded: whether to upgrade a cluster of an older Postgres major now (see EnsureOptions.upgrade; default true). */
  upgrade?: boolean | 'unless-failed';
}

/** Resolves the platform package of Postgres binaries from where this code is installed. */
export const resolveFromHere = (id: string): string => createRequire(import.meta.url).resolve(id);

export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>, options: OpenOptions = {}): Promise<Db> {
  if (config.databaseUrl) {
    return openPostgres({ connectionString: config.databaseUrl, connectTimeoutMs: options.connectTimeoutMs, max: options.max, statementTimeoutMs: options.statementTimeoutMs, queryTimeoutMs: options.queryTimeoutMs });
  }
  const local = await startLocal(config.dataDir, options);
  const db = openPostgres({ connection: local.connection, backend: 'embedded', connectTimeoutMs: options.connectTimeoutMs, max: options.max, statementTimeoutMs: options.statementTimeoutMs, queryTimeoutMs: options.queryTimeoutMs });
  if (options.importLegacy !== false) {
    const { importLegacyPglite, legacyImportPending } = await import('./legacyImport.js');
    if (legacyImportPending(config.dataDir)) {
      // A connection of its own with a generous timeout: PGlite's work blocks this process's event loop
      // for seconds, which a hook's 1 s connect timeout would take for a dead server.
      const target = openPostgres({ connection: local.connection, backend: 'embedded', connectTimeoutMs: 60_000, max: 1 });
      try {
        const report = await importLegacyPglite(config.dataDir, target, options.onNotice);
        if (report) {
          const { recordLegacyImport } = await import('./localServer.js');
          recordLegacyImport(config.dataDir, { from: report.from, movedTo: report.movedTo, at: report.at, rows: report.rows });
          options.onNotice?.(`imported ${report.rows} rows from the old embedded database; it was kept, renamed to ${report.movedTo}`);
        }
      } catch (err) {
        // The new server works without the old data: say why, go on (db status and db import-legacy show it).
        options.onNotice?.((err as Error).message);
      } finally {
        await target.close().catch(() => {});
      }
    }
  }
  return db;
}

async function startLocal(dataDir: string, options: OpenOptions): Promise<EnsureResult> {
  return ensureLocalServer(dataDir, { resolve: resolveFromHere, timeoutMs: options.startTimeoutMs, onNotice: options.onNotice, upgrade: options.upgrade });
}
