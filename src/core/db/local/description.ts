// server.json: how to reach the local server and how to start it, in absolute paths. The plugin starts the
// server from this file alone (no node on PATH, no node_modules). It only ever describes what is on disk:
// when it is missing, truncated, garbage, or names binaries or a socket directory that are gone, the next
// start writes it again from what it finds (localServer.ts); nobody has to edit or delete it by hand.
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { writeFileAtomic } from '../../fs/atomicFile.js';
import type { Binaries } from './binaries.js';
import { UNIX_PORT, type Account, type LocalPaths } from './layout.js';

/** The database role and database clients use on the local server. */
export const LOCAL_USER = 'claude_family';
export const LOCAL_DATABASE = 'postgres';

const Upgrade = z.object({ from: z.number(), to: z.number(), keptAs: z.string(), at: z.string(), rows: z.number() });

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
  /** The binaries' version (the npm package's), e.g. 18.4.0-beta.17. */
  binVersion: z.optional(z.string()),
  runAs: z.optional(z.object({ name: z.string(), uid: z.number(), gid: z.number() })),
  initializedAt: z.string(),
  legacyImport: z.optional(z.object({ from: z.string(), movedTo: z.string(), at: z.string(), rows: z.number() })),
  /** Major-version upgrades done on this data directory, oldest first. */
  upgrades: z.optional(z.array(Upgrade)),
});
export type ServerFile = z.infer<typeof ServerFile>;
export type UpgradeRecord = z.infer<typeof Upgrade>;

export interface Description {
  server?: ServerFile;
  /** Why server.json could not be used (it exists but is unreadable, truncated or not ours). */
  problem?: string;
}

/** Reads server.json; never throws: a file that cannot be used comes back as a problem, in words. */
export function readDescription(serverJson: string): Description {
  let text: string;
  try {
    text = readFileSync(serverJson, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: `${serverJson} cannot be read (${(err as Error).message})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: `${serverJson} is not valid JSON (${text.trim() === '' ? 'empty' : 'truncated or overwritten'})` };
  }
  const parsed = ServerFile.safeParse(json);
  if (!parsed.success) return { problem: `${serverJson} is not a server description of this version` };
  return { server: parsed.data };
}

export function writeServerFile(serverJson: string, server: ServerFile): void {
  writeFileAtomic(serverJson, `${JSON.stringify(server, null, 2)}\n`, 0o600);
}

/** What a client needs to connect (pg's ClientConfig fields). */
export interface LocalConnection {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
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

/** Where a server listens: a Unix socket directory and port, or (Windows) a TCP port on 127.0.0.1. */
export type Listen = { socketDir: string; port: number } | { tcpPort: number };

/** The command that starts a cluster's postmaster. */
export function startCommand(binaries: Binaries, pgData: string, listen: Listen, logFile: string): ServerFile['start'] {
  if ('tcpPort' in listen) {
    // Windows: postgres.exe refuses an administrator's token, which pg_ctl drops; it starts the server
    // in the background and returns.
    return { command: binaries.pgCtl, args: ['start', '-D', pgData, '-l', logFile, '-W', '-o', `-c listen_addresses=127.0.0.1 -p ${listen.tcpPort}`] };
  }
  return {
    command: binaries.postgres,
    args: ['-D', pgData, '-k', listen.socketDir, '-c', 'listen_addresses=', '-c', 'unix_socket_permissions=0700', '-p', String(listen.port)],
  };
}

/** The description of the server of `paths`, run from `binaries`. `keep` carries what a rewrite must not lose. */
export function describeServer(
  paths: LocalPaths,
  binaries: Binaries,
  account: Account | undefined,
  keep: Pick<ServerFile, 'initializedAt'> & Partial<Pick<ServerFile, 'legacyImport' | 'upgrades' | 'port'>>,
): ServerFile {
  const windows = process.platform === 'win32';
  const listen: Listen = windows ? { tcpPort: keep.port ?? 0 } : { socketDir: paths.runDir, port: UNIX_PORT };
  return {
    version: 1,
    pgData: paths.pgData,
    logFile: paths.logFile,
    host: windows ? '127.0.0.1' : paths.runDir,
    port: windows ? (keep.port ?? 0) : UNIX_PORT,
    user: LOCAL_USER,
    database: LOCAL_DATABASE,
    ...(windows ? { passwordFile: paths.passwordFile } : {}),
    start: startCommand(binaries, paths.pgData, listen, paths.logFile),
    binDir: binaries.binDir,
    binVersion: binaries.version,
    ...(account ? { runAs: account } : {}),
    initializedAt: keep.initializedAt,
    ...(keep.legacyImport ? { legacyImport: keep.legacyImport } : {}),
    ...(keep.upgrades ? { upgrades: keep.upgrades } : {}),
  };
}

/** The same server, described the same way (a rewrite would change nothing). */
export function sameDescription(a: ServerFile, b: ServerFile): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** An upgrade that started and has not succeeded (it failed, or its process was cut short): upgrade.attempt. */
export interface UpgradeAttempt {
  from: number;
  to: number;
  at: string;
  pid: number;
  error?: string;
}

export function readUpgradeAttempt(paths: { upgradeAttempt: string }): UpgradeAttempt | undefined {
  try {
    return JSON.parse(readFileSync(paths.upgradeAttempt, 'utf8')) as UpgradeAttempt;
  } catch {
    return undefined;
  }
}
