// The two roles a DBA sets up (README "Two roles: owner and application"), made from the SQL in the
// README itself, on the system Postgres: an owner without CREATE on the database migrates the schema
// the DBA made for it; an application role with DML only runs the hooks, the spool replay (in the
// foreground and detached), every CLI command that uses the database, the MCP server and the plugin's
// connection without any DDL; a migration the application may not apply is said once, events wait in
// the spool, and are applied after the owner migrated. Roles and databases are dropped afterwards.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/core/db/migrations.js';
import { migrate, MigrationNotPermittedError } from '../src/core/db/migrate.js';
import { openPostgres } from '../src/core/db/pg.js';
import { makeEvent } from '../src/core/events/events.js';
import { appendToSpool, pendingSpoolCount, spoolPaths } from '../src/core/events/spool.js';
import { FileLock } from '../src/core/fs/fileLock.js';
import { Connection } from '../src/plugin/connection.js';
import { DEFAULT_SETTINGS } from '../src/plugin/settings.js';
import { PG_ADMIN_URL, uniqueName, uniqueProject } from './support/backends.js';
import { baseEnv, CLI, hookScript, ROOT, runNode, type RunResult } from './support/processes.js';
import { stopDetachedReplayer, waitFor } from './faults/support.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The SQL block after `<!-- roles:<marker> -->` in the README, split into statements. */
function readmeSql(marker: string): string[] {
  const m = new RegExp(`<!-- roles:${marker} -->\\s*\`\`\`sql\\n([\\s\\S]*?)\`\`\``).exec(README);
  if (!m) throw new Error(`README.md has no SQL block marked <!-- roles:${marker} -->`);
  return m[1]!
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

interface Roles {
  db: string;
  owner: string;
  app: string;
  url(role: string): string;
  /** Runs README SQL as the superuser in this database, with this test's role and database names. */
  asSuperuser(statements: string[]): Promise<void>;
  query<R>(sql: string, params?: unknown[]): Promise<R[]>;
}

const made: { db: string; roles: string[] }[] = [];
const homes: string[] = [];

async function admin<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh database and a pair of roles named for this test (README's claude_owner / claude_app). */
async function makeRoles(label: string): Promise<Roles> {
  const db = uniqueName(`cf_lp_${label}`);
  const owner = `${db}_owner`;
  const app = `${db}_app`;
  await admin('postgres', (c) => c.query(`CREATE DATABASE ${db}`));
  made.push({ db, roles: [owner, app] });
  const rename = (sql: string) => sql.replace(/\bclaude_owner\b/g, owner).replace(/\bclaude_app\b/g, app).replace(/\bDATABASE claude\b/g, `DATABASE ${db}`);
  return {
    db,
    owner,
    app,
    url: (role) => `postgres://${role}@127.0.0.1:5432/${db}`,
    asSuperuser: (statements) =>
      admin(db, async (c) => {
        for (const s of statements) await c.query(rename(s));
      }),
    query: (sql, params) => admin(db, async (c) => (await c.query(sql, params)).rows),
  };
}

afterAll(async () => {
  for (const h of homes) {
    await stopDetachedReplayer(join(h, 'data'));
    rmSync(h, { recursive: true, force: true });
  }
  for (const { db, roles } of made) {
    await admin('postgres', async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      for (const r of roles) await c.query(`DROP ROLE IF EXISTS ${r}`);
    });
  }
});

/** A user's machine: a home with a data directory (the spool), connected as `role`. */
function machine(r: Roles, role: string, project = uniqueProject('lp')) {
  const home = mkdtempSync(join(tmpdir(), 'cf-lp-'));
  homes.push(home);
  const dataDir = join(home, 'data');
  const env = { ...baseEnv(home), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_DATABASE_URL: r.url(role), CLAUDE_FAMILY_PROJECT: project };
  const claudeId = `cc-${project}`;
  return {
    home,
    dataDir,
    env,
    project,
    claudeId,
    cli: (args: string[]) => runNode(CLI, { args, env, cwd: home }),
    hook: (name: 'session-start' | 'post-tool-use' | 'session-end', payload: object = {}) =>
      runNode(hookScript(name), { env, cwd: home, stdin: JSON.stringify({ session_id: claudeId, cwd: home, ...payload }) }),
    mcpCall: (tool: string) => ({ hook_event_name: 'PostToolUse', tool_name: tool, tool_input: {}, tool_response: {} }),
  };
}

const ok = (r: RunResult, what: string) => {
  expect({ what, code: r.code, stderr: r.stderr }).toEqual({ what, code: 0, stderr: '' });
};

describe('least privilege: owner and application roles from the README [postgres]', { timeout: 240_000 }, () => {
  it('the owner migrates a schema the DBA made for it, without CREATE on the database; then the application role does everything else with DML only', async () => {
    const r = await makeRoles('main');
    await r.asSuperuser(readmeSql('setup'));
    const [rights] = await r.query<Record<string, boolean>>(
      `SELECT has_database_privilege($1, current_database(), 'CREATE') AS owner_db_create,
              has_database_privilege($2, current_database(), 'CREATE') AS app_db_create,
              has_schema_privilege($2, 'claude', 'CREATE') AS app_schema_create`,
      [r.owner, r.app],
    );
    expect(rights).toEqual({ owner_db_create: false, app_db_create: false, app_schema_create: false });

    const owner = machine(r, r.owner);
    const m = await owner.cli(['migrate']);
    ok(m, 'owner migrate');
    expect(m.stdout).toContain(`applied ${MIGRATIONS.map((f) => f.name).join(', ')}`);
    await r.asSuperuser(readmeSql('after-migrate'));
    // A second run as the owner changes nothing and needs nothing more.
    ok(await owner.cli(['migrate']), 'owner migrate again');

    const app = machine(r, r.app);
    ok(await app.hook('session-start', { source: 'startup' }), 'SessionStart');
    ok(await app.hook('post-tool-use', app.mcpCall('mcp__lp__tool')), 'PostToolUse');
    ok(await app.hook('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'least privilege', status: 'in_progress', activeForm: 'Checking' }] }, tool_response: {} }), 'TodoWrite');
    const cli: [string, string[]][] = [
      ['migrate', ['migrate']],
      ['session status', ['session', 'status']],
      ['session save', ['session', 'save', '--focus', 'roles', '--next', 'pooler']],
      ['session resume', ['session', 'resume']],
      ['todos list', ['todos', 'list']],
      ['search', ['search', 'least']],
      ['knowledge add', ['knowledge', 'add', '--name', `Grant DML ${app.project}`, '--category', 'ops', '--description', 'The application role reads and writes, never alters.']],
      ['knowledge list', ['knowledge', 'list']],
      ['knowledge show', ['knowledge', 'show', `Grant DML ${app.project}`]],
      ['message send', ['message', 'send', '--to', app.project, 'hello from the app role']],
      ['message list', ['message', 'list']],
      ['mcp usage', ['mcp', 'usage']],
      ['overview', ['overview', '--days', '7']],
      ['spool replay', ['spool', 'replay']],
      ['doctor', ['doctor']],
      ['todos archive', ['todos', 'archive', '--older-than', '0d', '--yes']],
      ['session end', ['session', 'end', '--summary', 'checked the roles', '--task', 'least privilege']],
    ];
    for (const [what, args] of cli) ok(await app.cli(args), what);
    const msgs = await app.cli(['message', 'list']);
    const id = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(msgs.stdout)?.[1];
    expect(id).toBeDefined();
    ok(await app.cli(['message', 'read', id!]), 'message read');
    ok(await app.hook('session-end', { reason: 'exit' }), 'SessionEnd');
    const [row] = await r.query<{ n: number; summary: string }>(
      `SELECT count(*)::int AS n, max(s.session_summary) AS summary FROM claude.sessions s JOIN claude.projects p USING (project_id) WHERE p.project_name = $1`,
      [app.project],
    );
    expect(row).toEqual({ n: 1, summary: 'checked the roles' });
    // The ledger is the owner's: the application may read it, not write it.
    const appDb = openPostgres({ connectionString: r.url(r.app) });
    try {
      await expect(appDb.query('DELETE FROM claude.schema_migrations WHERE version = 1')).rejects.toThrow(/permission denied for table schema_migrations/);
    } finally {
      await appDb.close();
    }

    // A backlog replayed by the detached `spool replay` a hook hands over to.
    for (let i = 0; i < 1500; i++) appendToSpool(app.dataDir, makeEvent({ kind: 'mcp_call', project: app.project, claude_session_id: app.claudeId, server: 'backlog', tool: `t${i}`, success: true }));
    const hot = await app.hook('post-tool-use', app.mcpCall('mcp__backlog__last'));
    expect(hot.code).toBe(0);
    await waitFor(() => pendingSpoolCount(app.dataDir) === 0 && FileLock.inspect(spoolPaths(app.dataDir).lock).state === 'free', 60_000, 'the detached replay as the application role');
    const [usage] = await r.query<{ n: number }>("SELECT count(*)::int AS n FROM claude.mcp_usage WHERE mcp_server = 'backlog'");
    expect(usage!.n).toBe(1501);

    // The MCP server, as Claude Code starts it.
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', 'serve'], cwd: app.home, env: app.env as Record<string, string>, stderr: 'pipe' });
    const client = new Client({ name: 'least-privilege-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      for (const [name, args] of [['handoff', {}], ['list_todos', {}], ['search', { query: 'privilege' }], ['send_message', { to: app.project, body: 'from mcp' }]] as const) {
        const res = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text: string }[] };
        expect({ name, isError: res.isError ?? false, text: res.content[0]?.text.slice(0, 200) }).toMatchObject({ name, isError: false });
      }
    } finally {
      await client.close();
    }

    // The Obsidian plugin's connection (its Test connection migrates and counts the projects).
    const connection = new Connection({ settings: () => ({ ...DEFAULT_SETTINGS, mode: 'postgres', connectionString: r.url(r.app) }) });
    try {
      expect(await connection.test()).toMatch(/^Connected to Postgres .*: \d+ projects?\.$/);
    } finally {
      await connection.close();
    }
  });

  it('a migration the application role may not apply: said once, hooks exit 0, events wait, and arrive after the owner migrates', async () => {
    const r = await makeRoles('behind');
    await r.asSuperuser(readmeSql('setup'));
    // The owner migrated with an older version (everything up to 005).
    const ownerDb = openPostgres({ connectionString: r.url(r.owner) });
    try {
      await migrate(ownerDb, MIGRATIONS.slice(0, 5));
    } finally {
      await ownerDb.close();
    }
    await r.asSuperuser(readmeSql('after-migrate'));

    const app = machine(r, r.app);
    const said = new RegExp(`migrations? 006_knowledge_vault\\.sql(?: and \\d+ more \\(.*\\))? (?:is|are) not applied, and the role "${r.app}" may not apply (?:it|them) \\(.*\\)\\. Someone connected as the owner of the claude schema must run \`claude-family migrate\`; until then events wait in .*spool\\.jsonl`);
    const first = await app.hook('session-start', { source: 'startup' });
    expect(first.code).toBe(0);
    expect(first.stderr.trim().split('\n')).toEqual([expect.stringMatching(said)]);
    expect(first.stdout).toMatch(/not available: the database's claude schema is older than this version/);
    // Said once: the next hooks are quiet while nothing changes.
    for (const tool of ['mcp__behind__a', 'mcp__behind__b']) {
      const h = await app.hook('post-tool-use', app.mcpCall(tool));
      expect({ code: h.code, stderr: h.stderr }).toEqual({ code: 0, stderr: '' });
    }
    expect(pendingSpoolCount(app.dataDir)).toBe(3);
    // The CLI says it when asked, and changes nothing.
    for (const args of [['todos', 'list'], ['spool', 'replay']]) {
      const c = await app.cli(args);
      expect(c.code).toBe(1);
      expect(c.stderr).toMatch(/migrations? 006_knowledge_vault\.sql(?: and \d+ more \(.*\))? (?:is|are) not applied, and the role .* must run `claude-family migrate`/);
      expect(c.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(pendingSpoolCount(app.dataDir)).toBe(3);
    // So does the plugin's connection.
    const connection = new Connection({ settings: () => ({ ...DEFAULT_SETTINGS, mode: 'postgres', connectionString: r.url(r.app) }) });
    try {
      await expect(connection.test()).rejects.toBeInstanceOf(MigrationNotPermittedError);
    } finally {
      await connection.close();
    }
    // The owner migrates with this version; the next hook applies everything that waited, in order.
    const m = await machine(r, r.owner).cli(['migrate']);
    ok(m, 'owner migrate');
    expect(m.stdout).toContain('applied 006_knowledge_vault.sql');
    expect(m.stdout).toContain('007_overview.sql');
    const [grant] = await r.query<{ ok: boolean }>("SELECT has_table_privilege($1, 'claude.knowledge_retrievals', 'SELECT, INSERT, UPDATE, DELETE') AS ok", [r.app]);
    expect(grant!.ok).toBe(true);
    ok(await app.hook('post-tool-use', app.mcpCall('mcp__behind__c')), 'PostToolUse after the owner migrated');
    expect(pendingSpoolCount(app.dataDir)).toBe(0);
    const [usage] = await r.query<{ n: number }>("SELECT count(*)::int AS n FROM claude.mcp_usage WHERE mcp_server = 'behind'");
    expect(usage!.n).toBe(3);
  });

  it("the README's table-by-table GRANTs for a schema migrated before the roles existed", async () => {
    const r = await makeRoles('explicit');
    // Roles, CONNECT and the schema as in the setup, but no default privileges.
    await r.asSuperuser(readmeSql('setup').filter((s) => !/ALTER DEFAULT PRIVILEGES/.test(s)));
    ok(await machine(r, r.owner).cli(['migrate']), 'owner migrate');
    const app = machine(r, r.app);
    const before = await app.cli(['todos', 'list']);
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(/permission denied/);
    await r.asSuperuser(readmeSql('explicit-grants'));
    ok(await app.hook('session-start', { source: 'startup' }), 'SessionStart');
    ok(await app.hook('post-tool-use', app.mcpCall('mcp__explicit__tool')), 'PostToolUse');
    ok(await app.cli(['knowledge', 'add', '--name', `Explicit ${app.project}`, '--category', 'ops', '--description', 'Granted table by table.']), 'knowledge add');
    ok(await app.cli(['session', 'end', '--summary', 'explicit grants']), 'session end');
    // Every table but the ledger is the application's to write; the ledger only to read.
    const tables = await r.query<{ table_name: string; dml: boolean; ledger_write: boolean }>(
      `SELECT table_name, has_table_privilege($1, 'claude.' || table_name, 'SELECT, INSERT, UPDATE, DELETE') AS dml,
              has_table_privilege($1, 'claude.' || table_name, 'INSERT') AS ledger_write
         FROM information_schema.tables WHERE table_schema = 'claude' ORDER BY table_name`,
      [r.app],
    );
    for (const t of tables) {
      if (t.table_name === 'schema_migrations') expect(t.ledger_write).toBe(false);
      else expect({ table: t.table_name, dml: t.dml }).toEqual({ table: t.table_name, dml: true });
    }
  });
});
