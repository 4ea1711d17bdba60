// What `db status` and `doctor` say about the local server: running or not and, when it is not, why, as
// far as that can be told from the files (a binary missing, a data directory of another Postgres major,
// a cluster that cannot be used, a socket path too long, the last start's error).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { copiesIn, installedPackage, majorOf, versionOfBinDir, type InstalledPackage } from './binaries.js';
import { ClusterProblemError, inspectCluster, keptAside, type ClusterState } from './cluster.js';
import { readDescription, readUpgradeAttempt, type ServerFile } from './description.js';
import { localPaths, type LocalPaths } from './layout.js';
import { isOurPostmaster, readPidFile } from './process.js';

export interface LocalStatus {
  /** A usable cluster exists. */
  initialized: boolean;
  running: boolean;
  pid?: number;
  startedAt?: Date;
  /** Bytes under the cluster directory. */
  sizeBytes?: number;
  socket?: string;
  /** A pid file left by a server that is no longer running (or whose pid now belongs to another process). */
  stalePidFile: boolean;
  server?: ServerFile;
  /** The server's home and cluster (root may keep them outside the data directory). */
  home: string;
  pgData: string;
  cluster: ClusterState;
  /** Why it is not running, or will not start, when that can be told. */
  problem?: string;
  /** Worth knowing although nothing stops it (server.json to be written again, binaries to be copied). */
  notes: string[];
  /** The error of the last start that failed, with its time (cleared by the next start that works). */
  lastStartError?: string;
  /** Clusters set aside beside this one: broken ones, and old majors kept after an upgrade. */
  keptAside: string[];
}

/** `resolve` (the CLI's require.resolve) lets it tell whether missing binaries can be copied again. */
export function localStatus(dataDir: string, options: { resolve?: (id: string) => string } = {}): LocalStatus {
  let paths = localPaths(dataDir);
  const description = readDescription(paths.serverJson);
  const server = description.server;
  if (!existsSync(paths.pgData) && server && existsSync(server.pgData)) paths = { ...paths, home: dirname(server.pgData), pgData: server.pgData };
  const cluster = inspectCluster(paths.pgData);
  const pidFile = readPidFile(paths.pgData);
  const running = !!pidFile && isOurPostmaster(paths.pgData, pidFile);
  const notes: string[] = [];
  if (description.problem) notes.push(`${description.problem}; the next start writes it again`);
  let lastStartError: string | undefined;
  try {
    lastStartError = readFileSync(paths.startError, 'utf8').trim() || undefined;
  } catch {
    lastStartError = undefined;
  }
  const status: LocalStatus = {
    initialized: cluster.kind === 'cluster',
    running,
    ...(running && pidFile ? { pid: pidFile.pid, startedAt: new Date(pidFile.startedAt * 1000) } : {}),
    ...(cluster.kind === 'cluster' ? { sizeBytes: directorySize(paths.pgData) } : {}),
    ...(server ? { socket: server.host.startsWith('/') ? join(server.host, `.s.PGSQL.${server.port}`) : `${server.host}:${server.port}`, server } : {}),
    stalePidFile: !!pidFile && !running,
    home: paths.home,
    pgData: paths.pgData,
    cluster,
    notes,
    ...(lastStartError ? { lastStartError } : {}),
    keptAside: keptAside(paths.pgData),
  };
  if (!running) {
    const problem = whyNotRunning(paths, cluster, server, notes, options.resolve);
    if (problem) status.problem = problem;
  } else if (cluster.kind === 'cluster') {
    const pkg = installed(options.resolve);
    if (pkg && pkg.major > cluster.major) {
      notes.push(`it runs Postgres ${cluster.major}; \`claude-family db start\` (or the first SessionStart after it stops) copies every row into a new Postgres ${pkg.major} cluster (the old one is kept)`);
    }
  }
  const attempt = readUpgradeAttempt(paths);
  if (attempt) {
    notes.push(`an upgrade from Postgres ${attempt.from} to ${attempt.to} started ${attempt.at} did not finish (${attempt.error ?? 'cut short'}); the old cluster is kept and used: \`claude-family db start\` tries again`);
  }
  return status;
}

function whyNotRunning(paths: LocalPaths, cluster: ClusterState, server: ServerFile | undefined, notes: string[], resolve: ((id: string) => string) | undefined): string | undefined {
  if (cluster.kind === 'damaged' || cluster.kind === 'foreign') return new ClusterProblemError(paths.pgData, cluster.reason).message;
  if (cluster.kind === 'absent' && server) return new ClusterProblemError(paths.pgData, `the cluster ${server.pgData} that server.json records is gone (a volume not mounted? a folder deleted?)`).message;
  if (cluster.kind !== 'cluster') return undefined;
  if (paths.runDirProblem) return paths.runDirProblem;
  const pkg = installed(resolve);
  const M = cluster.major;
  const present = server !== undefined && existsSync(server.start.command);
  const version = present ? (server.binVersion ?? versionOfBinDir(dirname(server.start.command))) : undefined;
  const binMajor = version === undefined ? undefined : majorOf(version);
  // The binaries that can run this cluster as it is: server.json's when they are of its major, or a copy.
  const runnable = (present && binMajor === M) || copiesIn(paths.binRoot).some((c) => c.major === M);
  const target = pkg?.major ?? binMajor;
  if (target !== undefined && target < M) {
    return `the data directory was made by Postgres ${M}, newer than the Postgres ${target} of this version of claude-family: update claude-family (nothing was changed)`;
  }
  if (target !== undefined && target > M) {
    if (!runnable) {
      return `the data directory was made by Postgres ${M}, and no Postgres ${M} binaries are kept for it (database files are incompatible with Postgres ${target}): \`claude-family db start\` fetches Postgres ${M} once with npm and copies every row into a new Postgres ${target} cluster (the old one is kept)`;
    }
    notes.push(`the cluster was made by Postgres ${M}; the next \`claude-family db start\` or SessionStart copies every row into a new Postgres ${target} cluster (the old one is kept)`);
  }
  if (server && !present) {
    const gone = `the binaries server.json names are gone (${server.start.command})`;
    if (runnable || (pkg && pkg.major === M)) notes.push(`${gone}; the next start ${pkg && pkg.major === M ? `copies the installed Postgres ${pkg.version}` : 'uses the copy kept for it'} and writes server.json again`);
    else if (target === undefined || target === M) return `${gone}; run \`claude-family db start\` from an install of claude-family (it copies the installed binaries)`;
  }
  return undefined;
}

function installed(resolve: ((id: string) => string) | undefined): InstalledPackage | undefined {
  try {
    return resolve ? installedPackage(resolve) : undefined;
  } catch {
    return undefined;
  }
}

function directorySize(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    try {
      if (e.isDirectory()) total += directorySize(p);
      else if (e.isFile()) total += statSync(p).size;
    } catch {
      // vanished while counting
    }
  }
  return total;
}
