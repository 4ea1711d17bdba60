// Where the local server's files live, and whom it runs as.
//
// Everything that is the user's own stays in the data directory D (0700): server.json, the server's log,
// server.lock, and the spool. The server's own files (the cluster, its socket, the binaries it runs) are
// in its home H:
//   - D itself for a normal user (and for root when the server's account can reach D);
//   - running as root with D where the server's account cannot reach it (a private 0700 home):
//     /var/lib/claude-family/<uid>/<hash of D>, owned by that account, 0700. Nothing of root's home
//     is opened up.
//
//   H/postgres/          the cluster (PGDATA)
//   H/run/               the Unix socket directory (0700); nothing listens on TCP (Linux, macOS)
//   H/bin/<pkg>-<ver>/   the platform's binaries, copied once per version (binaries.ts)
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DbUnavailableError } from '../db.js';

export const UNIX_PORT = 5432;
/** Where root keeps the servers of data directories its server account cannot reach. */
export const SERVER_HOMES = '/var/lib/claude-family';

export interface Account {
  name: string;
  uid: number;
  gid: number;
}

/** The account the server runs as when we are root (initdb and postgres refuse root); undefined otherwise. */
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

/** serverAccount, or undefined where it would throw (the error comes again when the server is started). */
export function serverAccountIfAny(env?: Record<string, string | undefined>): Account | undefined {
  try {
    return serverAccount(env);
  } catch {
    return undefined;
  }
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

/** The files that stay in the data directory whoever runs the server. */
export interface DataPaths {
  dataDir: string;
  serverJson: string;
  logFile: string;
  lock: string;
  passwordFile: string;
  /** Why the last start failed (cleared by the next successful one); db status and doctor show it. */
  startError: string;
  /** Written while a major-version upgrade swaps clusters (upgrade.ts). */
  upgradeState: string;
  /** Written when an upgrade starts, removed when it succeeds: an attempt that failed or was cut short. */
  upgradeAttempt: string;
}

export function dataPaths(dataDir: string): DataPaths {
  return {
    dataDir,
    serverJson: join(dataDir, 'server.json'),
    logFile: join(dataDir, 'postgres.log'),
    lock: join(dataDir, 'server.lock'),
    passwordFile: join(dataDir, 'postgres.password'),
    startError: join(dataDir, 'server.error'),
    upgradeState: join(dataDir, 'upgrade.json'),
    upgradeAttempt: join(dataDir, 'upgrade.attempt'),
  };
}

export interface LocalPaths extends DataPaths {
  /** The server's home: the data directory, or root's separate home for it (see above). */
  home: string;
  pgData: string;
  /** The socket directory: <home>/run unless its path would be too long (see socketDirFor). */
  runDir: string;
  /** Set when no socket directory short enough could be found. */
  runDirProblem?: string;
  /** Where the binaries are copied: <home>/bin. */
  binRoot: string;
}

/** Root's separate home for the server of `dataDir`: /var/lib/claude-family/<uid>/<hash>. */
export function rootServerHome(dataDir: string): string {
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return join(SERVER_HOMES, String(process.getuid?.() ?? 0), hash);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The server's home for `dataDir`: where a cluster already is (the data directory first), else where a
 * new one goes (the data directory, unless we are root and the server's account cannot reach it).
 */
export function serverHome(dataDir: string, account: Account | undefined): string {
  if (!account || exists(join(dataDir, 'postgres'))) return dataDir;
  const separate = rootServerHome(dataDir);
  if (exists(join(separate, 'postgres'))) return separate;
  return reachableBy(nearestExisting(dirname(dataDir)), account) ? dataDir : separate;
}

/** `dir`, or its nearest ancestor that exists (the folders between are created as the home's: traversable). */
function nearestExisting(dir: string): string {
  let at = dir;
  while (!exists(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

export function localPaths(dataDir: string, account: Account | undefined = serverAccountIfAny()): LocalPaths {
  const home = serverHome(dataDir, account);
  const socket = socketDirFor(home);
  return {
    ...dataPaths(dataDir),
    home,
    pgData: join(home, 'postgres'),
    runDir: socket.dir,
    ...(socket.problem ? { runDirProblem: socket.problem } : {}),
    binRoot: join(home, 'bin'),
  };
}

/** The longest socket path Postgres accepts everywhere (macOS: 103 bytes; Linux: 107). */
export const MAX_SOCKET_PATH = 103;

/** Whether a socket directory leaves room for `.s.PGSQL.<port>` with any port up to 5 digits. */
export function socketDirFits(dir: string): boolean {
  return Buffer.byteLength(join(dir, '.s.PGSQL.65535')) <= MAX_SOCKET_PATH;
}

/**
 * `<home>/run`, unless the socket's path would pass the Unix limit: then a directory named after the
 * home in the temporary directory, or in /tmp when TMPDIR itself is too long; still 0700 and the user's.
 * Worked out afresh at every start, so a long TMPDIR that has since been fixed is not kept.
 */
export function socketDirFor(home: string): { dir: string; problem?: string } {
  const preferred = join(home, 'run');
  if (socketDirFits(preferred) || process.platform === 'win32') return { dir: preferred };
  const name = `claude-family-${process.getuid?.() ?? 'u'}-${createHash('sha256').update(home).digest('hex').slice(0, 12)}`;
  for (const base of [tmpdir(), '/tmp']) {
    const dir = join(base, name);
    if (socketDirFits(dir)) return { dir };
  }
  return {
    dir: preferred,
    problem: `the socket path ${join(preferred, `.s.PGSQL.${UNIX_PORT}`)} is longer than the ${MAX_SOCKET_PATH} bytes Unix allows, and so is one in TMPDIR (${tmpdir()}); choose a shorter data directory (CLAUDE_FAMILY_DATA_DIR)`,
  };
}

/**
 * The data directory is the user's alone (0700). Running as root with the cluster inside it, it is 0711,
 * so the server's account can reach its own directories inside. One made more open earlier is tightened.
 */
export function makePrivateDir(dir: string, mode: number): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode });
    chmodSync(dir, mode); // the umask may have taken bits off
    return;
  }
  const st = statSync(dir);
  if (st.uid === process.getuid?.() && (st.mode & 0o777) !== mode) chmodSync(dir, mode);
}

/** A directory of the server's own: 0700, owned by the account it runs as. */
export function ownedDir(dir: string, account: Account | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (account) chownSync(dir, account.uid, account.gid);
}

/**
 * Makes the data directory and the server's home ready. The data directory is 0700, or 0711 when root
 * keeps the cluster inside it. Root's separate home: /var/lib/claude-family (root's, 0755), <uid>/
 * (root's, 0711) and the home itself (the account's, 0700), with a note naming the data directory it
 * belongs to. A cluster elsewhere (server.json names one outside both) is left as it is.
 */
export function prepareHome(paths: LocalPaths, account: Account | undefined): void {
  makePrivateDir(paths.dataDir, account && paths.home === paths.dataDir ? 0o711 : 0o700);
  if (!account || paths.home !== rootServerHome(paths.dataDir)) return;
  for (const [dir, mode] of [[SERVER_HOMES, 0o755], [dirname(paths.home), 0o711]] as const) {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode });
    const st = statSync(dir);
    if (st.uid !== 0) throw new DbUnavailableError(`${dir} is not owned by root: refusing to keep the local Postgres under it`);
    if ((st.mode & 0o777) !== mode) chmodSync(dir, mode);
  }
  ownedDir(paths.home, account);
  const note = join(paths.home, 'data-dir.txt');
  if (!existsSync(note)) writeFileSync(note, `${paths.dataDir}\n`, { mode: 0o644 });
}
