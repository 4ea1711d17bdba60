// The cluster on disk: what a directory holds, creating a new cluster, and moving one aside. A directory
// that is not recognisably empty is never removed or initialised over: the caller refuses to start and
// says what to do, and only on the user's word (`db start --new-cluster`) is it renamed aside, kept.
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DbUnavailableError } from '../db.js';
import type { Binaries } from './binaries.js';
import { LOCAL_USER } from './description.js';
import { ownedDir, type Account } from './layout.js';
import { runToEnd } from './process.js';

export type ClusterState =
  | { kind: 'absent' }
  /** A directory with nothing in it (or only a desktop's own files, such as .DS_Store). */
  | { kind: 'empty' }
  | { kind: 'cluster'; major: number }
  /** A cluster with something essential missing (a partial copy, a sync tool, a half-restored backup). */
  | { kind: 'damaged'; reason: string }
  /** Something that is not a cluster at all. */
  | { kind: 'foreign'; reason: string };

/** Files a desktop or file manager may leave in any folder. */
const DESKTOP_FILES = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini', '.directory']);
/** What every cluster has besides PG_VERSION; one of them present marks a (damaged) cluster. */
const CLUSTER_ENTRIES = ['global', 'base', 'pg_wal', 'pg_xact', 'postgresql.conf'];

export function inspectCluster(pgData: string): ClusterState {
  let st;
  try {
    st = lstatSync(pgData);
  } catch {
    return { kind: 'absent' };
  }
  if (!st.isDirectory()) return { kind: 'foreign', reason: `${pgData} is a file, not a directory` };
  let entries: string[];
  try {
    entries = readdirSync(pgData);
  } catch (err) {
    return { kind: 'damaged', reason: `${pgData} cannot be read (${(err as Error).message})` };
  }
  if (entries.every((e) => DESKTOP_FILES.has(e))) return { kind: 'empty' };
  let version: string | undefined;
  try {
    version = readFileSync(join(pgData, 'PG_VERSION'), 'utf8');
  } catch {
    version = undefined;
  }
  const major = version !== undefined && /^\d+(\.\d+)?\s*$/.test(version) ? Number.parseInt(version, 10) : undefined;
  const clusterLike = CLUSTER_ENTRIES.filter((e) => entries.includes(e));
  if (major !== undefined) {
    if (!existsSync(join(pgData, 'global', 'pg_control'))) return { kind: 'damaged', reason: `global/pg_control is missing from ${pgData} (it has PG_VERSION ${major})` };
    if (!entries.includes('base')) return { kind: 'damaged', reason: `base/ is missing from ${pgData} (it has PG_VERSION ${major})` };
    return { kind: 'cluster', major };
  }
  if (version !== undefined) return { kind: 'damaged', reason: `PG_VERSION in ${pgData} does not name a Postgres version` };
  if (clusterLike.length > 0) return { kind: 'damaged', reason: `PG_VERSION is missing from ${pgData}, which has ${clusterLike.join(', ')}` };
  const shown = entries.filter((e) => !DESKTOP_FILES.has(e)).slice(0, 3);
  return { kind: 'foreign', reason: `${pgData} holds files that are not a Postgres cluster (${shown.join(', ')}${entries.length > shown.length ? ', ...' : ''})` };
}

/** A cluster the server cannot use as it is: starting stops, nothing is changed, the user is told what to do. */
export class ClusterProblemError extends DbUnavailableError {
  constructor(readonly pgData: string, readonly reason: string) {
    super(
      `the local Postgres cannot start: ${reason}. Nothing was changed or deleted. Put the cluster back if you can (from a backup, or let the sync finish); ` +
        `or run \`claude-family db start --new-cluster\`, which renames ${basename(pgData)} to ${basename(pgData)}.broken-<time> (kept) and creates a new, empty one`,
    );
    this.name = 'ClusterProblemError';
  }
}

/** Renames `pgData` to `<pgData>.<label>-<time>` beside it, never deleting anything; returns the new path. */
export function moveAside(pgData: string, label: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let target = `${pgData}.${label}-${stamp}`;
  if (existsSync(target)) target = `${target}-${randomBytes(3).toString('hex')}`;
  renameSync(pgData, target);
  return target;
}

/** Removes a directory found recognisably empty (only a desktop's own files in it). */
export function removeEmpty(pgData: string): void {
  for (const e of readdirSync(pgData)) {
    if (!DESKTOP_FILES.has(e)) throw new DbUnavailableError(`${pgData} is no longer empty; not removed`);
    rmSync(join(pgData, e), { force: true });
  }
  rmdirSync(pgData);
}

export interface InitOptions {
  binaries: Binaries;
  account: Account | undefined;
  logFile: string;
  /** Windows: the file with the generated password (scram; no trust on TCP). */
  passwordFile?: string;
}

/**
 * Creates a new cluster at `pgData`, which must not exist. initdb works in a folder beside it, renamed
 * into place when complete: a hook killed at its deadline in the middle leaves no half-made cluster that
 * would pass for one (only the side folder, ours, which the next attempt clears).
 */
export async function initCluster(pgData: string, options: InitOptions): Promise<void> {
  if (existsSync(pgData)) throw new DbUnavailableError(`${pgData} exists: a new cluster is never created over it`);
  const building = `${pgData}.initdb`;
  rmSync(building, { recursive: true, force: true });
  ownedDir(building, options.account);
  const args = ['-D', building, '-U', LOCAL_USER, '-E', 'UTF8', '--locale=C', '--no-instructions'];
  if (options.passwordFile) {
    if (!existsSync(options.passwordFile)) writeFileSync(options.passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
    args.push('--auth=scram-sha-256', `--pwfile=${options.passwordFile}`);
  } else {
    // The socket directory is the user's alone (0700): trust on it is the user's own access.
    args.push('--auth-local=trust', '--auth-host=reject');
  }
  await runToEnd(options.binaries.initdb, args, options.account, options.logFile);
  writeFileSync(
    join(building, 'postgresql.auto.conf'),
    [
      '# Written by claude-family: a small per-user server.',
      "max_connections = '40'",
      "shared_buffers = '16MB'",
      "huge_pages = 'off'",
      "logging_collector = 'off'",
      "log_min_messages = 'warning'",
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  if (options.account) chownSync(join(building, 'postgresql.auto.conf'), options.account.uid, options.account.gid);
  renameSync(building, pgData);
}

/** What was set aside beside a cluster: broken ones (postgres.broken-*) and upgraded ones (postgres.v17-*). */
export function keptAside(pgData: string): string[] {
  try {
    const prefix = `${basename(pgData)}.`;
    return readdirSync(dirname(pgData))
      .filter((n) => n.startsWith(prefix) && /^\.(broken|v\d+)-/.test(n.slice(prefix.length - 1)))
      .sort()
      .map((n) => join(dirname(pgData), n));
  } catch {
    return [];
  }
}
