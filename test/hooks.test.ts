// The hook scripts as Claude Code runs them: `node dist/hooks/<name>.cjs` with the JSON payload on stdin,
// against a real Postgres database and against the embedded default (the local server, through a data
// directory's server.json).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingSpoolCount, spoolPaths } from '../src/core/events/spool.js';
import { openPostgres } from '../src/core/db/pg.js';
import { BACKENDS, createPostgresDatabase, uniqueName, uniqueProject } from './support/backends.js';
import { attachDataDir, createEmbeddedDatabase } from './support/embeddedServer.js';
import { createHookBackend, DIST, hookScript, runNode, type HookBackend, type RunResult } from './support/processes.js';

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** A git repository named after a fresh project, so the hooks name the project from cwd. */
function gitProject(): { dir: string; project: string } {
  const parent = mkdtempSync(join(tmpdir(), 'cf-repo-'));
  tmpDirs.push(parent);
  const project = uniqueProject('repo');
  const dir = join(parent, project);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  execFileSync('git', ['init', '-q'], { cwd: dir });
  return { dir, project };
}

function oneStderrLine(r: RunResult): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

for (const backend of BACKENDS) {
  // Child processes on a busy 2-core machine: generous timeouts, no speed claims here (bench/ has those).
  describe(`hook scripts as child processes [${backend}]`, { timeout: 240_000 }, () => {
    let b: HookBackend;
    beforeAll(async () => {
      b = await createHookBackend(backend);
    });
    afterAll(async () => {
      await b?.dispose();
    });

    const hook = (name: 'session-start' | 'post-tool-use' | 'session-end', payload: unknown, env: Record<string, string | undefined> = {}) =>
      runNode(hookScript(name), { stdin: typeof payload === 'string' ? payload : JSON.stringify(payload), env: { ...b.env, ...env } });

    it('records a whole lifecycle and shows where we left off at the next start', async () => {
      const { dir, project } = gitProject();
      const cwd = join(dir, 'sub'); // a subdirectory: the project is still named after the git top level
      const envFile = join(dir, 'env1');
      const first = `cc-first-${project}`;
      const common = { cwd, transcript_path: '/tmp/t.jsonl', permission_mode: 'default', some_future_field: { x: 1 } };

      const start = await hook('session-start', { ...common, session_id: first, hook_event_name: 'SessionStart', source: 'startup' }, { CLAUDE_ENV_FILE: envFile });
      expect(start).toMatchObject({ code: 0, stderr: '' });
      expect(start.stdout).toContain('=== WHERE WE LEFT OFF ===');
      expect(start.stdout).toContain(`Project: ${project}`);
      expect(start.stdout).not.toContain('Last session');
      const env1 = readFileSync(envFile, 'utf8');
      const familyId = /^export CLAUDE_FAMILY_SESSION_ID='([0-9a-f-]{36})'$/m.exec(env1)?.[1];
      expect(env1).toContain(`export CLAUDE_SESSION_ID='${first}'\n`);
      expect(env1).toContain(`export CLAUDE_FAMILY_PROJECT='${project}'\n`);
      expect(familyId).toBeDefined();

      const post = (tool_name: string, tool_input: unknown, tool_response: unknown = {}) =>
        hook('post-tool-use', { ...common, session_id: first, hook_event_name: 'PostToolUse', tool_name, tool_input, tool_response });
      const todos1 = [
        { content: 'Write the hooks', status: 'in_progress', activeForm: 'Writing the hooks' },
        { content: 'Test the hooks', status: 'pending', activeForm: 'Testing the hooks' },
        { content: 'Drop this one', status: 'pending', activeForm: 'Dropping it' },
      ];
      const todos2 = [
        { content: 'Write the hooks', status: 'completed', activeForm: 'Writing the hooks' },
        { content: 'Test the hooks', status: 'in_progress', activeForm: 'Testing the hooks' },
        { content: 'Document the hooks', status: 'pending', activeForm: 'Documenting the hooks' },
      ];
      for (const r of [
        await post('TodoWrite', { todos: todos1 }, { oldTodos: [], newTodos: todos1 }),
        await post('TodoWrite', { todos: todos2 }),
        await post('mcp__postgres__execute_sql', { sql: 'select 1' }, [{ type: 'text', text: '1' }]),
        await post('mcp__memory__create_entities', {}, { isError: true, content: [{ type: 'text', text: 'entity exists' }] }),
      ]) expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });

      // Written directly on both: nothing waits in the spool.
      expect(pendingSpoolCount(b.dataDir)).toBe(0);

      const end = await hook('session-end', { ...common, session_id: first, hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' });
      expect(end).toMatchObject({ code: 0, stderr: '' });
      expect(end.stdout).toContain(`session ${familyId} of ${project} closed without a summary`);
      expect(end.stdout).toContain(`Run /session-end (or \`node ${join(DIST, 'cli.mjs')} session end --session ${familyId} --summary "..."\`)`);
      expect(pendingSpoolCount(b.dataDir)).toBe(0);

      const second = `cc-second-${project}`;
      const envFile2 = join(dir, 'env2');
      const again = await hook('session-start', { ...common, session_id: second, source: 'startup' }, { CLAUDE_ENV_FILE: envFile2 });
      expect(again).toMatchObject({ code: 0, stderr: '' });
      expect(again.stdout).toMatch(/^Last session: \d{4}-\d\d-\d\d \d\d:\d\d UTC \(closed without a summary\)$/m);
      expect(again.stdout).toContain('Active Todos: 2 total (1 in progress, 1 pending)');
      expect(again.stdout).toContain('[>] [P3] Test the hooks');
      expect(again.stdout).toContain('[ ] [P3] Document the hooks');
      expect(again.stdout).not.toContain('Write the hooks');
      expect(again.stdout).not.toContain('Drop this one');
      const env2 = readFileSync(envFile2, 'utf8');
      expect(env2).toContain(`export CLAUDE_SESSION_ID='${second}'\n`);
      expect(env2).not.toContain(familyId!);

      await b.inspect(async (db) => {
        const sessions = await db.query<{ session_id: string; claude_session_id: string; session_end: Date | null }>(
          `SELECT s.session_id, s.claude_session_id, s.session_end FROM claude.sessions s JOIN claude.projects p USING (project_id)
           WHERE p.project_name = $1 ORDER BY s.session_start`,
          [project],
        );
        expect(sessions.rows.map((s) => [s.claude_session_id, s.session_end !== null])).toEqual([[first, true], [second, false]]);
        expect(sessions.rows[0]!.session_id).toBe(familyId);
        const todos = await db.query<{ content: string; status: string; is_deleted: boolean; completed_session_id: string | null }>(
          `SELECT content, status, is_deleted, completed_session_id FROM claude.todos t JOIN claude.projects p USING (project_id)
           WHERE p.project_name = $1 ORDER BY content`,
          [project],
        );
        expect(todos.rows).toEqual([
          { content: 'Document the hooks', status: 'pending', is_deleted: false, completed_session_id: null },
          { content: 'Drop this one', status: 'pending', is_deleted: true, completed_session_id: null },
          { content: 'Test the hooks', status: 'in_progress', is_deleted: false, completed_session_id: null },
          { content: 'Write the hooks', status: 'completed', is_deleted: false, completed_session_id: familyId },
        ]);
        const usage = await db.query<{ mcp_server: string; tool_name: string; success: boolean; session_id: string; claude_session_id: string; error: string | null }>(
          'SELECT mcp_server, tool_name, success, session_id, claude_session_id, error FROM claude.mcp_usage WHERE claude_session_id = $1 ORDER BY called_at',
          [first],
        );
        expect(usage.rows).toEqual([
          { mcp_server: 'postgres', tool_name: 'execute_sql', success: true, session_id: familyId, claude_session_id: first, error: null },
          { mcp_server: 'memory', tool_name: 'create_entities', success: false, session_id: familyId, claude_session_id: first, error: 'entity exists' },
        ]);
      });
    });

    it('a re-run SessionStart for the same session id resumes it instead of duplicating', async () => {
      const project = uniqueProject('rerun');
      const claudeId = `cc-${project}`;
      const env = { CLAUDE_FAMILY_PROJECT: project };
      const dir = mkdtempSync(join(tmpdir(), 'cf-env-'));
      tmpDirs.push(dir);
      const r1 = await hook('session-start', { session_id: claudeId, cwd: dir, source: 'startup' }, { ...env, CLAUDE_ENV_FILE: join(dir, 'a') });
      const r2 = await hook('session-start', { session_id: claudeId, cwd: dir, source: 'resume' }, { ...env, CLAUDE_ENV_FILE: join(dir, 'b') });
      expect([r1.code, r1.stderr, r2.code, r2.stderr]).toEqual([0, '', 0, '']);
      const id = (f: string) => /CLAUDE_FAMILY_SESSION_ID='([^']+)'/.exec(readFileSync(join(dir, f), 'utf8'))?.[1];
      expect(id('a')).toBeDefined();
      expect(id('b')).toBe(id('a'));
      // The session itself is not its own "last session".
      expect(r2.stdout).not.toContain('Last session');
      const n = await b.inspect(async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM claude.sessions WHERE claude_session_id = $1', [claudeId])).rows[0]!.n);
      expect(n).toBe(1);

      // Left (SessionEnd), then `claude --resume`d: the same session is open again, and the next end closes it.
      const endedAt = async () => b.inspect(async (db) => (await db.query<{ session_end: Date | null }>('SELECT session_end FROM claude.sessions WHERE claude_session_id = $1', [claudeId])).rows[0]!.session_end);
      expect((await hook('session-end', { session_id: claudeId, cwd: dir, reason: 'prompt_input_exit' }, env)).code).toBe(0);
      const firstEnd = await endedAt();
      expect(firstEnd).toBeInstanceOf(Date);
      const r3 = await hook('session-start', { session_id: claudeId, cwd: dir, source: 'resume' }, { ...env, CLAUDE_ENV_FILE: join(dir, 'c') });
      expect([r3.code, r3.stderr]).toEqual([0, '']);
      expect(id('c')).toBe(id('a'));
      expect(await endedAt()).toBeNull();
      expect((await hook('session-end', { session_id: claudeId, cwd: dir, reason: 'prompt_input_exit' }, env)).code).toBe(0);
      expect((await endedAt())!.getTime()).toBeGreaterThanOrEqual(firstEnd!.getTime());
    });

    it('bad stdin: exits 0 with one clear stderr line, writes nothing and keeps the input aside', async () => {
      const project = uniqueProject('bad');
      const env = { CLAUDE_FAMILY_PROJECT: project };
      const cases: [Parameters<typeof hook>[0], string, RegExp][] = [
        ['session-start', 'this is not json', /session-start: stdin is not valid JSON/],
        ['session-start', '', /session-start: no SessionStart payload on stdin/],
        ['session-end', JSON.stringify({ reason: 'exit' }), /session-end: invalid SessionEnd payload: session_id:/],
        ['post-tool-use', JSON.stringify({ session_id: 'x', tool_input: {} }), /post-tool-use: invalid PostToolUse payload: tool_name:/],
        ['post-tool-use', JSON.stringify({ session_id: `cc-${project}`, tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'a', status: 'done' }] } }), /invalid TodoWrite input: tool_input\.todos\.0\.status/],
        ['post-tool-use', JSON.stringify({ session_id: `cc-${project}`, tool_name: 'TodoWrite', tool_input: 'nope' }), /invalid TodoWrite input/],
      ];
      const rejectedBefore = existsSync(spoolPaths(b.dataDir).rejected) ? readFileSync(spoolPaths(b.dataDir).rejected, 'utf8').split('\n').length - 1 : 0;
      for (const [name, stdin, message] of cases) {
        const r = await hook(name, stdin, env);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe('');
        expect(oneStderrLine(r)).toMatch(message);
      }
      expect(pendingSpoolCount(b.dataDir)).toBe(0);
      const rejected = readFileSync(spoolPaths(b.dataDir).rejected, 'utf8').trim().split('\n').slice(rejectedBefore).map((l) => JSON.parse(l) as { line: string; reason: string });
      expect(rejected.map((r) => r.line)).toEqual(cases.map(([, stdin]) => stdin));
      const rows = await b.inspect(async (db) => {
        // The database may not even exist yet for this backend's first failing run; it does after the lifecycle test.
        return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM claude.projects WHERE project_name = $1`, [project])).rows[0]!.n;
      });
      expect(rows).toBe(0);
    });

    it('ignores tools it does not record: no output, nothing written', async () => {
      const project = uniqueProject('other');
      // (A malformed mcp__ name is not ignored: it is kept with the reason, see test/faults/input.test.ts.)
      for (const tool_name of ['Bash', 'Read', 'TodoRead']) {
        const r = await hook('post-tool-use', { session_id: `cc-${project}`, tool_name, tool_input: { command: 'ls' }, tool_response: { error: 'x' } }, { CLAUDE_FAMILY_PROJECT: project });
        expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
      }
      expect(pendingSpoolCount(b.dataDir)).toBe(0);
      const n = await b.inspect(async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM claude.sessions WHERE claude_session_id = $1', [`cc-${project}`])).rows[0]!.n);
      expect(n).toBe(0);
    });

    if (backend === 'postgres') {
      it('a PostToolUse against a database never migrated (hooks installed mid-session) creates the schema and records', async () => {
        const fresh = await createPostgresDatabase();
        try {
          const env = { CLAUDE_FAMILY_DATABASE_URL: fresh.url, CLAUDE_FAMILY_PROJECT: uniqueProject('fresh') };
          const r = await hook('post-tool-use', { session_id: 'cc-fresh', tool_name: 'mcp__db__query', tool_response: { content: [] } }, env);
          expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
          const db = openPostgres({ connectionString: fresh.url });
          try {
            expect((await db.query('SELECT mcp_server, tool_name, success FROM claude.mcp_usage')).rows).toEqual([{ mcp_server: 'db', tool_name: 'query', success: true }]);
          } finally {
            await db.close();
          }
        } finally {
          await fresh.drop();
        }
      });

      it('a lock held elsewhere: the hook gives up after its statement timeout and spools instead of hanging', async () => {
        const project = uniqueProject('locked-row');
        const claudeId = `cc-${project}`;
        const env = { CLAUDE_FAMILY_PROJECT: project };
        expect((await hook('session-start', { session_id: claudeId }, env)).code).toBe(0);
        const client = new pg.Client({ connectionString: b.url });
        await client.connect();
        let r: RunResult;
        try {
          await client.query('BEGIN');
          // TodoWrite sync locks the project row: hold that lock from another connection.
          await client.query('SELECT 1 FROM claude.projects WHERE project_name = $1 FOR UPDATE', [project]);
          r = await hook('post-tool-use', { session_id: claudeId, tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'Waited', status: 'pending' }] } }, env);
        } finally {
          await client.query('ROLLBACK');
          await client.end();
        }
        expect(r.code).toBe(0);
        expect(oneStderrLine(r)).toMatch(/post-tool-use: database write failed \(Postgres .*\): canceling statement due to statement timeout \(57014\); event kept in /);
        expect(pendingSpoolCount(b.dataDir)).toBe(1);
        expect((await hook('session-end', { session_id: claudeId }, env)).stderr).toBe('');
        expect(pendingSpoolCount(b.dataDir)).toBe(0);
        const todos = await b.inspect(async (db) => (await db.query('SELECT t.content FROM claude.todos t JOIN claude.projects p USING (project_id) WHERE p.project_name = $1', [project])).rows);
        expect(todos).toEqual([{ content: 'Waited' }]);
      });

      it('unreachable database: exits 0 with one stderr line (no password), spools the event, replayed later', async () => {
        const project = uniqueProject('down');
        const claudeId = `cc-${project}`;
        const down = { CLAUDE_FAMILY_DATABASE_URL: 'postgres://postgres:s3cret-pw@127.0.0.1:1/nowhere', CLAUDE_FAMILY_PROJECT: project };
        const dir = mkdtempSync(join(tmpdir(), 'cf-env-'));
        tmpDirs.push(dir);
        const start = await hook('session-start', { session_id: claudeId, cwd: dir }, { ...down, CLAUDE_ENV_FILE: join(dir, 'env') });
        const todo = await hook('post-tool-use', { session_id: claudeId, cwd: dir, tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'Offline todo', status: 'pending' }] } }, down);
        const mcp = await hook('post-tool-use', { session_id: claudeId, cwd: dir, tool_name: 'mcp__github__create_issue', tool_response: { error: 'rate limited' } }, down);
        for (const r of [start, todo, mcp]) {
          expect(r.code).toBe(0);
          const line = oneStderrLine(r);
          expect(line).toMatch(/database unavailable \(Postgres postgres@127\.0\.0\.1:1\/nowhere\): .*ECONNREFUSED.*event kept in .*spool\.jsonl/);
          expect(r.stderr + r.stdout).not.toContain('s3cret');
        }
        expect(start.stdout).toContain('not available');
        // Without the database we do not know our session uuid, but Claude Code's id and the project are exported.
        expect(readFileSync(join(dir, 'env'), 'utf8')).toBe(`export CLAUDE_SESSION_ID='${claudeId}'\nexport CLAUDE_FAMILY_PROJECT='${project}'\n`);
        expect(pendingSpoolCount(b.dataDir)).toBe(3);
        const before = await b.inspect(async (db) => (await db.query('SELECT 1 FROM claude.sessions WHERE claude_session_id = $1', [claudeId])).rows.length);
        expect(before).toBe(0);

        // The database is back: the next hook replays the spool before its own event.
        const end = await hook('session-end', { session_id: claudeId, cwd: dir }, { CLAUDE_FAMILY_PROJECT: project });
        expect(end).toMatchObject({ code: 0, stderr: '' });
        expect(pendingSpoolCount(b.dataDir)).toBe(0);
        const after = await b.inspect(async (db) => ({
          todos: (await db.query<{ content: string }>('SELECT content FROM claude.todos t JOIN claude.sessions s ON s.session_id = t.created_session_id WHERE s.claude_session_id = $1', [claudeId])).rows,
          usage: (await db.query<{ success: boolean; error: string }>('SELECT success, error FROM claude.mcp_usage WHERE claude_session_id = $1', [claudeId])).rows,
          ended: (await db.query<{ ended: boolean }>('SELECT session_end IS NOT NULL AS ended FROM claude.sessions WHERE claude_session_id = $1', [claudeId])).rows,
        }));
        expect(after).toEqual({ todos: [{ content: 'Offline todo' }], usage: [{ success: false, error: 'rate limited' }], ended: [{ ended: true }] });
      });
    }

    it('quotes CLAUDE_ENV_FILE values safely for a shell', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cf-env-'));
      tmpDirs.push(dir);
      const project = `it's $(touch ${join(dir, 'pwned')}) ${basename(dir)}`;
      const r = await hook('session-start', { session_id: `cc-'quoted' $HOME ${basename(dir)}`, cwd: dir }, { CLAUDE_FAMILY_PROJECT: project, CLAUDE_ENV_FILE: join(dir, 'env') });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const out = execFileSync('sh', ['-c', `. '${join(dir, 'env')}' && printf '%s\\n%s' "$CLAUDE_FAMILY_PROJECT" "$CLAUDE_SESSION_ID"`], { encoding: 'utf8' });
      expect(out).toBe(`${project}\ncc-'quoted' $HOME ${basename(dir)}`);
      expect(existsSync(join(dir, 'pwned'))).toBe(false);
    });
  });
}

describe('hook scripts: configuration and bundle shape', () => {
  it('a broken config file: exits 0 with one stderr line and keeps the input', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cf-conf-'));
    tmpDirs.push(home);
    const config = join(home, 'config.json');
    writeFileSync(config, '{"databaseUrl": ');
    const dataDir = join(home, 'data');
    const payload = JSON.stringify({ session_id: 'cc-conf', tool_name: 'mcp__a__b', tool_response: {} });
    const r = await runNode(hookScript('post-tool-use'), { stdin: payload, env: { PATH: process.env.PATH, HOME: home, CLAUDE_FAMILY_CONFIG: config, CLAUDE_FAMILY_DATA_DIR: dataDir } });
    expect(r.code).toBe(0);
    expect(oneStderrLine(r)).toMatch(/^claude-family post-tool-use: configuration error: .*config\.json is not valid JSON \(input kept in .*spool\.rejected\.jsonl\)$/);
    expect(JSON.parse(readFileSync(spoolPaths(dataDir).rejected, 'utf8')).line).toBe(payload);
  });

  it('no hook loads PGlite; PostToolUse does not hold the handoff renderer (modules traced while it runs)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-trace-'));
    tmpDirs.push(dir);
    // The embedded default, on a database of its own on the shared local server.
    const embeddedDb = await createEmbeddedDatabase(uniqueName('cf_trace'));
    mkdirSync(join(dir, 'data'), { mode: 0o700 });
    attachDataDir(join(dir, 'data'), embeddedDb.connection.database);
    const log = join(dir, 'loaded.txt');
    // Preloaded into the hook process: logs every module it requires (the hooks are CommonJS bundles).
    writeFileSync(join(dir, 'trace.cjs'), `const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const load = Module._load;
Module._load = function (request) {
  appendFileSync(${JSON.stringify(log)}, request + '\\n');
  return load.apply(this, arguments);
};
`);
    const traceEnv = { PATH: process.env.PATH, HOME: dir, CLAUDE_FAMILY_DATA_DIR: join(dir, 'data'), CLAUDE_FAMILY_PROJECT: 'trace', NODE_OPTIONS: `--require ${join(dir, 'trace.cjs')}` };
    const traced = async (env: Record<string, string>) => {
      rmSync(log, { force: true });
      const r = await runNode(hookScript('post-tool-use'), {
        stdin: JSON.stringify({ session_id: 'cc-trace', tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'Traced', status: 'pending' }] } }),
        env: { ...traceEnv, ...env },
      });
      expect(r.code).toBe(0);
      return readFileSync(log, 'utf8').split('\n').filter(Boolean);
    };
    const embedded = await traced({});
    expect(embedded).toContain('node:fs'); // the trace sees the hook's own requires
    expect(embedded).toContain('net'); // written through pg to the local server
    expect(pendingSpoolCount(join(dir, 'data'))).toBe(0);
    const postgres = await traced({ CLAUDE_FAMILY_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/closed' });
    expect(postgres).toContain('node:net'); // sslmode=prefer: our socket asks for TLS (src/core/db/preferTls.ts)
    for (const loaded of [embedded, postgres]) {
      expect(loaded.filter((u) => /pglite/i.test(u))).toEqual([]);
    }
    // Each hook is one file (no shared chunks to resolve at start); the handoff renderer is not even in PostToolUse's.
    const body = readFileSync(join(dirname(hookScript('post-tool-use')), 'post-tool-use.body.cjs'), 'utf8');
    expect(body).not.toMatch(/require\(["']\.\.?\//);
    expect(body).not.toContain('WHERE WE LEFT OFF');
    // SessionStart renders the handoff from the same local server, and loads no PGlite either.
    rmSync(log, { force: true });
    const start = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: 'cc-trace' }), env: traceEnv });
    expect(start.stdout).toContain('[ ] [P3] Traced');
    expect(readFileSync(log, 'utf8')).toContain('net');
    expect(readFileSync(log, 'utf8')).not.toMatch(/pglite/i);
    await embeddedDb.drop();
  }, 120_000);
});
