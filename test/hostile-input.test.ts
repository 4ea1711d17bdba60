// Hostile input, table-driven, against the real hook scripts and CLI as child processes: malformed and
// mistyped payloads, huge strings, SQL metacharacters, odd tool names and awkward unicode. Every process
// must exit cleanly (hooks 0, CLI 1 or 2) with ONE clear line naming what is wrong, write nothing it should
// not (no half-applied input), keep a rejected hook payload in spool.rejected.jsonl, and never print the
// password from the connection string.
//
// NUL (U+0000) cannot be stored in Postgres text: it is refused at validation, naming the field (an MCP
// tool's error text is the exception: its NULs become U+FFFD so the call is still recorded). A lone
// surrogate is not refused: UTF-8 encoding turns it into U+FFFD on both backends, and the event is kept.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db/db.js';
import { openSession } from '../src/core/repos/sessions.js';
import { pendingSpoolCount, spoolPaths } from '../src/core/events/spool.js';
import { runCli as runCliInProcess } from '../src/cli/run.js';
import { BACKENDS, uniqueProject } from './support/backends.js';
import { CLI, createHookBackend, DIST, hookScript, runNode, type HookBackend, type RunResult } from './support/processes.js';
import { tempDirs } from './support/tempDirs.js';

/** Put into every connection string a child process sees (trust auth ignores it); must never be printed. */
const SECRET = 'Hostile-S3cret-pw';
const TABLES = ['projects', 'sessions', 'session_state', 'todos', 'knowledge', 'messages', 'mcp_usage', 'applied_events', 'schema_migrations'] as const;
const DROP = "'); DROP TABLE claude.todos; --";

const tempDir = tempDirs('cf-hostile');

/** Runs `fn` over `items` with at most `limit` at a time (2 CPU cores are shared: keep it small). */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function stderrLines(r: RunResult): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

function withPassword(url: string): string {
  const u = new URL(url);
  u.password = SECRET;
  return u.toString();
}

async function tableCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of TABLES) counts[t] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM claude.${t}`)).rows[0]!.n;
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Hooks
// ---------------------------------------------------------------------------------------------

type HookName = 'session-start' | 'post-tool-use' | 'post-tool-use-failure' | 'session-end';
const PAYLOAD_NAME: Record<HookName, string> = { 'session-start': 'SessionStart', 'post-tool-use': 'PostToolUse', 'post-tool-use-failure': 'PostToolUseFailure', 'session-end': 'SessionEnd' };
const HOOKS: readonly HookName[] = ['session-start', 'post-tool-use', 'post-tool-use-failure', 'session-end'];

interface RejectedHookCase {
  name: string;
  hook: HookName;
  stdin: string;
  /** The one stderr line, after "claude-family <hook>: ". */
  message: RegExp;
  env?: Record<string, string | undefined>;
}

const MCP = { tool_name: 'mcp__srv__tool', tool_response: {} };
const todoWrite = (todos: unknown) => ({ tool_name: 'TodoWrite', tool_input: { todos } });
const json = (v: unknown) => JSON.stringify(v);
const big = (n: number, ch = 'x') => ch.repeat(n);

/** Payload shapes every hook must refuse, with the field its message must name. */
function commonRejections(hook: HookName): RejectedHookCase[] {
  const p = PAYLOAD_NAME[hook];
  const extra = hook === 'post-tool-use' ? MCP : hook === 'post-tool-use-failure' ? { tool_name: 'mcp__srv__tool', error: 'failed' } : {};
  const c = (name: string, stdin: string, message: RegExp): RejectedHookCase => ({ name: `${hook}: ${name}`, hook, stdin, message });
  return [
    c('malformed JSON', '{"session_id": "x", ', new RegExp(`^stdin is not valid JSON \\(expected the ${p} payload\\)$`)),
    c('empty stdin', '', new RegExp(`^no ${p} payload on stdin \\(expected a JSON object\\)$`)),
    c('whitespace only', ' \n\t ', new RegExp(`^no ${p} payload on stdin`)),
    c('a JSON array', '[{"session_id": "x"}]', new RegExp(`^invalid ${p} payload: \\(root\\): Invalid input: expected object, received array$`)),
    c('a JSON number', '42', new RegExp(`^invalid ${p} payload: \\(root\\): Invalid input: expected object, received number$`)),
    c('a JSON string', '"session_id"', new RegExp(`^invalid ${p} payload: \\(root\\): Invalid input: expected object, received string$`)),
    c('JSON null', 'null', /expected object, received null$/),
    c('missing session_id', json({ cwd: tmpdir(), ...extra }), /^invalid \w+ payload: session_id: Invalid input: expected string, received undefined$/),
    c('session_id as a number', json({ session_id: 42, ...extra }), /session_id: Invalid input: expected string, received number$/),
    c('session_id blank', json({ session_id: '   ', ...extra }), /session_id: must not be empty$/),
    c('session_id of 2 MB', json({ session_id: big(2_000_000), ...extra }), /session_id: Too big: expected string to have <=200 characters$/),
    c('session_id with a NUL byte', json({ session_id: 'cc-\u0000-nul', ...extra }), /session_id: must not contain NUL characters \(\\u0000\)$/),
    c('cwd with a NUL byte', json({ session_id: 'cc-nul-cwd', cwd: '/tmp/a\u0000b', ...extra }), /cwd: must not contain NUL characters/),
    c('cwd as an object', json({ session_id: 'cc-obj-cwd', cwd: { path: '/tmp' }, ...extra }), /cwd: Invalid input: expected string, received object$/),
    {
      name: `${hook}: a cwd whose name is too long for a project`,
      hook,
      stdin: json({ session_id: 'cc-long-cwd', cwd: `/${big(250, 'd')}`, ...extra }),
      message: /^invalid \w+ event: project: must be at most 200 characters$/,
      env: { CLAUDE_FAMILY_PROJECT: undefined },
    },
  ];
}

const REJECTED_HOOK_CASES: RejectedHookCase[] = [
  ...HOOKS.flatMap(commonRejections),
  { name: 'session-start: source as a number', hook: 'session-start', stdin: json({ session_id: 'cc-src', source: 5 }), message: /source: Invalid input: expected string, received number$/ },
  { name: 'session-end: reason of 1000 characters', hook: 'session-end', stdin: json({ session_id: 'cc-reason', reason: big(1000) }), message: /reason: Too big: expected string to have <=200 characters$/ },
  ...((): RejectedHookCase[] => {
    const c = (name: string, payload: unknown, message: RegExp): RejectedHookCase => ({ name: `post-tool-use: ${name}`, hook: 'post-tool-use', stdin: json({ session_id: 'cc-post', ...(payload as object) }), message });
    return [
      c('tool_name missing', { tool_input: {} }, /^invalid PostToolUse payload: tool_name: Invalid input: expected string, received undefined$/),
      c('tool_name as a number', { tool_name: 7 }, /tool_name: Invalid input: expected string, received number$/),
      c('tool_name of 301 characters', { tool_name: `mcp__s__${big(293)}` }, /tool_name: Too big: expected string to have <=300 characters$/),
      c('tool_name with a NUL byte', { tool_name: 'mcp__srv__to\u0000ol' }, /tool_name: must not contain NUL characters/),
      c('an MCP server name over 200 characters', { tool_name: `mcp__${big(250, 's')}__tool` }, /^invalid mcp_call event: server: must be at most 200 characters$/),
      c('TodoWrite without tool_input', { tool_name: 'TodoWrite' }, /^invalid TodoWrite input: tool_input: Invalid input: expected object, received undefined$/),
      c('TodoWrite todos as a string', todoWrite('[{"content":"a","status":"pending"}]'), /^invalid TodoWrite input: tool_input\.todos: Invalid input: expected array, received string$/),
      c('TodoWrite status unknown', todoWrite([{ content: 'a', status: 'done' }]), /tool_input\.todos\.0\.status: Invalid option: expected one of "pending"\|"in_progress"\|"completed"$/),
      c('TodoWrite content as a number', todoWrite([{ content: 42, status: 'pending' }]), /tool_input\.todos\.0\.content: Invalid input: expected string, received number$/),
      c('TodoWrite content blank', todoWrite([{ content: ' ', status: 'pending' }]), /tool_input\.todos\.0\.content: must not be empty$/),
      c('TodoWrite content of 2 MB', todoWrite([{ content: big(2_000_000), status: 'pending' }]), /tool_input\.todos\.0\.content: must be at most 10000 characters$/),
      c('TodoWrite content with a NUL byte', todoWrite([{ content: 'a\u0000b', status: 'pending' }]), /tool_input\.todos\.0\.content: must not contain NUL characters/),
      c('TodoWrite priority unknown', todoWrite([{ content: 'a', status: 'pending', priority: 'urgent' }]), /tool_input\.todos\.0\.priority: /),
      c('TodoWrite with 10k todos', todoWrite(Array.from({ length: 10_000 }, (_, i) => ({ content: `todo ${i}`, status: 'pending' }))), /tool_input\.todos: Too big: expected array to have <=2000 items$/),
      // A valid item followed by a bad one: the whole list is refused, the valid part is not half-applied.
      c('TodoWrite with one good and one bad item', todoWrite([{ content: 'Half-applied?', status: 'pending' }, { content: 'b', status: 'bogus' }]), /tool_input\.todos\.1\.status: Invalid option/),
    ];
  })(),
];

/** Tools the hook does not record: exit 0, no output, nothing written, nothing spooled or rejected. */
// A malformed mcp__ name is not ignored but kept with the reason (test/faults/input.test.ts).
const IGNORED_TOOL_NAMES = ['Bash', 'NotARealTool', `Bash${DROP}`, 'todowrite'];

for (const backend of BACKENDS) {
  describe(`hostile hook payloads [${backend}]`, { timeout: 300_000 }, () => {
    let b: HookBackend;
    let env: Record<string, string | undefined>;
    beforeAll(async () => {
      b = await createHookBackend(backend);
      env = { ...b.env, ...(b.url ? { CLAUDE_FAMILY_DATABASE_URL: withPassword(b.url) } : {}) };
      // A first, valid session creates the schema, so counts can be compared.
      const first = await runNode(hookScript('session-start'), { stdin: json({ session_id: `cc-${uniqueProject('baseline')}` }), env: { ...env, CLAUDE_FAMILY_PROJECT: uniqueProject('baseline') } });
      expect(first).toMatchObject({ code: 0, stderr: '' });
    });
    afterAll(async () => {
      await b?.dispose();
    });

    it('refuses each malformed or mistyped payload: exit 0, one line naming the problem, input kept, nothing written', async () => {
      const before = await b.inspect(tableCounts);
      // Each case has its own data directory (spool and rejected file), so cases can run in parallel.
      const results = await mapLimit(REJECTED_HOOK_CASES, backend === 'postgres' ? 3 : 2, async (c) => {
        const dataDir = join(tempDir('case'), 'data');
        const project = uniqueProject('hostile');
        const r = await runNode(hookScript(c.hook), { stdin: c.stdin, env: { ...env, CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project, ...c.env } });
        return { c, r, dataDir };
      });
      for (const { c, r, dataDir } of results) {
        expect(r.code, c.name).toBe(0);
        expect(r.stdout, c.name).toBe('');
        const lines = stderrLines(r);
        expect(lines, c.name).toHaveLength(1);
        const prefix = `claude-family ${c.hook}: `;
        expect(lines[0]!.startsWith(prefix), `${c.name}: ${lines[0]}`).toBe(true);
        expect(lines[0]!.slice(prefix.length), c.name).toMatch(c.message);
        expect(lines[0]!.length, `${c.name}: the line stays readable`).toBeLessThan(1000);
        expect(r.stdout + r.stderr, c.name).not.toContain(SECRET);
        // The input is kept (cut at 1 MB), with the reason; nothing was spooled; the embedded database was never opened.
        const rejected = readFileSync(spoolPaths(dataDir).rejected, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; line: string });
        expect(rejected, c.name).toHaveLength(1);
        expect(rejected[0]!.line, c.name).toBe(c.stdin.length > 1_000_000 ? `${c.stdin.slice(0, 1_000_000)}…(truncated)` : c.stdin);
        expect(rejected[0]!.reason, c.name).toBe(`${c.hook}: ${lines[0]!.slice(prefix.length)}`);
        expect(readdirSync(dataDir).sort(), c.name).toEqual(['spool.rejected.jsonl']);
      }
      expect(await b.inspect(tableCounts)).toEqual(before);
      const halfApplied = await b.inspect(async (db) => (await db.query('SELECT 1 FROM claude.todos WHERE content = $1', ['Half-applied?'])).rows);
      expect(halfApplied).toEqual([]);
    });

    it('ignores tools it does not record, whatever their name: exit 0, silent, nothing written', async () => {
      const before = await b.inspect(tableCounts);
      const results = await mapLimit(IGNORED_TOOL_NAMES, 3, async (tool_name) => {
        const dataDir = join(tempDir('ignored'), 'data');
        const r = await runNode(hookScript('post-tool-use'), { stdin: json({ session_id: 'cc-ignored', tool_name, tool_input: { command: DROP }, tool_response: { error: 'x' } }), env: { ...env, CLAUDE_FAMILY_DATA_DIR: dataDir } });
        return { tool_name, r, dataDir };
      });
      for (const { tool_name, r, dataDir } of results) {
        expect(r, tool_name).toMatchObject({ code: 0, stdout: '', stderr: '' });
        expect(existsSync(dataDir), tool_name).toBe(false);
      }
      expect(await b.inspect(tableCounts)).toEqual(before);
    });

    it('stores SQL metacharacters, emoji, RTL text and odd names verbatim; NULs in an MCP error become U+FFFD, a lone surrogate U+FFFD', async () => {
      const project = `${uniqueProject('x')}${DROP} 🚀 שלום`;
      const claudeId = `cc-'); DROP TABLE claude.sessions; -- ${uniqueProject('id')} 🦄`;
      const contents = [
        DROP,
        "Robert'); DROP TABLE claude.projects;-- \\ $1 %s ${x} `id`",
        '🧪 test ✅ with emoji 👩🏽‍💻',
        'مرحبا بالعالم \u202Eevil\u202C and עברית',
        'lone \ud800 surrogate',
        big(10_000, 'z'),
      ];
      const stored = contents.map((s) => s.replace('\ud800', '\uFFFD'));
      const hookEnv = { ...env, CLAUDE_FAMILY_PROJECT: project };
      const run = (hook: HookName, payload: object) => runNode(hookScript(hook), { stdin: json({ session_id: claudeId, cwd: tmpdir(), ...payload }), env: hookEnv });

      const start = await run('session-start', { source: "startup'; --" });
      expect(start).toMatchObject({ code: 0, stderr: '' });
      expect(start.stdout).toContain(`Project: ${project}`);
      const spooledBefore = pendingSpoolCount(b.dataDir);
      for (const r of [
        await run('post-tool-use', todoWrite(contents.map((content, i) => ({ content, status: i === 0 ? 'completed' : 'pending', activeForm: `${content.slice(0, 50)} (doing)` })))),
        await run('post-tool-use', { tool_name: 'mcp__db"); DROP TABLE claude.mcp_usage; --__q🚀 \'x\'', tool_response: { isError: true, error: 'bad\u0000bytes' } }),
      ]) expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
      // Both written directly, on both database kinds: nothing was refused into the spool.
      expect(pendingSpoolCount(b.dataDir)).toBe(spooledBefore);
      const end = await run('session-end', { reason: "other'); --" });
      expect(end).toMatchObject({ code: 0, stderr: '' });
      expect(pendingSpoolCount(b.dataDir)).toBe(0);

      const state = await b.inspect(async (db) => ({
        tables: (await db.query<{ t: string | null }>(`SELECT to_regclass('claude.' || t)::text AS t FROM unnest($1::text[]) AS t`, [TABLES])).rows.map((r) => r.t),
        session: (await db.query('SELECT p.project_name, s.session_end IS NOT NULL AS ended FROM claude.sessions s JOIN claude.projects p USING (project_id) WHERE s.claude_session_id = $1', [claudeId])).rows,
        todos: (await db.query<{ content: string; active_form: string; status: string }>('SELECT t.content, t.active_form, t.status FROM claude.todos t JOIN claude.projects p USING (project_id) WHERE p.project_name = $1 ORDER BY t.display_order', [project])).rows,
        usage: (await db.query('SELECT mcp_server, tool_name, success, error FROM claude.mcp_usage WHERE claude_session_id = $1', [claudeId])).rows,
      }));
      expect(state.tables).toEqual(TABLES.map((t) => `claude.${t}`));
      expect(state.session).toEqual([{ project_name: project, ended: true }]);
      expect(state.todos).toEqual(stored.map((content, i) => ({ content, active_form: `${content.slice(0, 50)} (doing)`, status: i === 0 ? 'completed' : 'pending' })));
      expect(state.usage).toEqual([{ mcp_server: 'db"); DROP TABLE claude.mcp_usage; --', tool_name: "q🚀 'x'", success: false, error: 'bad\uFFFDbytes' }]);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

interface CliCase {
  name: string;
  args: string[] | ((ctx: CliCaseContext) => string[]);
  code: 1 | 2;
  /** The one stderr line. */
  message: RegExp;
  env?: Record<string, string | undefined>;
}
interface CliCaseContext {
  sessionId: string;
  dir: string;
}

const CLI_CASES: CliCase[] = [
  { name: 'no command', args: [], code: 2, message: /^claude-family: no command given$/ },
  { name: 'unknown command', args: ['frobnicate'], code: 2, message: /^claude-family: unknown command "frobnicate"; try claude-family --help$/ },
  { name: 'unknown command with SQL', args: [DROP], code: 2, message: /^claude-family: unknown command "'\); DROP TABLE claude\.todos; --"/ },
  { name: 'unknown subcommand', args: ['session', 'nuke'], code: 2, message: /unknown session command "nuke"/ },
  { name: 'unknown flag', args: ['session', 'end', '--summary', 'x', '--force'], code: 2, message: /^claude-family session end: Unknown option '--force'/ },
  { name: 'flag without its value', args: ['session', 'end', '--summary'], code: 2, message: /Option '--summary <value>' argument missing/ },
  { name: 'session end: blank summary', args: ['session', 'end', '--summary', '  '], code: 2, message: /--summary is required/ },
  { name: 'session end: --session not a uuid', args: ['session', 'end', '--summary', 'x', '--session', "1' OR '1'='1"], code: 2, message: /--session must be a session uuid, got "1' OR '1'='1"/ },
  // Valid focus, invalid summary: one transaction, so neither the end nor the focus is written.
  { name: 'session end: summary over 20000 characters', args: (c) => ['session', 'end', '--session', c.sessionId, '--summary', big(20_001), '--focus', 'Half-applied focus'], code: 2, message: /^claude-family session end: invalid session end: summary: must be at most 20000 characters$/ },
  { name: 'session end: a blank task', args: (c) => ['session', 'end', '--session', c.sessionId, '--summary', 'ok', '--task', 'fine', '--task', ' ', '--focus', 'Half-applied focus'], code: 2, message: /invalid session end: tasksCompleted\.1: must not be empty$/ },
  { name: 'session end: unknown session', args: ['session', 'end', '--summary', 'x', '--session', '00000000-0000-4000-8000-000000000000'], code: 1, message: /no session 00000000-0000-4000-8000-000000000000 \(from --session\)$/ },
  { name: 'session commit: blank summary', args: ['session', 'commit', '--summary', ''], code: 2, message: /^claude-family session commit: --summary is required/ },
  { name: 'session commit: summary over 20000 characters', args: (c) => ['session', 'commit', '--session', c.sessionId, '--summary', big(20_001)], code: 2, message: /invalid session end: summary: must be at most 20000 characters$/ },
  { name: 'session save: nothing to save', args: ['session', 'save'], code: 2, message: /give at least one of --focus, --next, --pending/ },
  { name: 'session save: empty focus', args: ['session', 'save', '--focus', ''], code: 2, message: /invalid session state: currentFocus: must not be empty$/ },
  { name: 'session save: focus over 10000 characters', args: ['session', 'save', '--focus', big(10_001)], code: 2, message: /currentFocus: must be at most 10000 characters$/ },
  { name: 'session save: a blank next step after a good one', args: ['session', 'save', '--focus', 'Half-applied focus', '--next', 'ok', '--next', ''], code: 2, message: /nextSteps\.1: must not be empty$/ },
  { name: 'session save: project name over 200 characters', args: ['session', 'save', '--focus', 'x', '--project', big(201, 'p')], code: 2, message: /projectName: must be at most 200 characters$/ },
  { name: 'session save: empty --project', args: ['session', 'save', '--focus', 'Half-applied focus', '--project', ''], code: 2, message: /^claude-family session save: --project must not be empty/ },
  { name: 'todos archive: no age', args: ['todos', 'archive'], code: 2, message: /--older-than is required/ },
  { name: 'todos archive: SQL as the age', args: ['todos', 'archive', '--older-than', `30d${DROP}`], code: 2, message: /--older-than must look like 30d or 2w, got "30d'\); DROP TABLE claude\.todos; --"/ },
  { name: 'todos archive: negative age', args: ['todos', 'archive', '--older-than=-1d'], code: 2, message: /--older-than must look like 30d or 2w, got "-1d"/ },
  { name: 'todos archive: an age beyond any date', args: ['todos', 'archive', '--older-than', '99999999999d'], code: 2, message: /--older-than must be at most 36500 days \(100 years\), got "99999999999d"/ },
  { name: 'knowledge add: no name', args: ['knowledge', 'add', '--category', 'c', '--description', 'd'], code: 2, message: /--name is required/ },
  { name: 'knowledge add: description over 50000 characters', args: ['knowledge', 'add', '--name', 'hostile-long', '--category', 'c', '--description', big(50_001)], code: 2, message: /invalid knowledge: description: must be at most 50000 characters$/ },
  { name: 'knowledge add: confidence not a number', args: ['knowledge', 'add', '--name', 'hostile-conf', '--category', 'c', '--description', 'd', '--confidence', "5'; --"], code: 2, message: /--confidence must be a whole number from 1 to 10, got "5'; --"/ },
  { name: 'knowledge add: a blank gotcha', args: ['knowledge', 'add', '--name', 'hostile-gotcha', '--category', 'c', '--description', 'd', '--gotcha', ''], code: 2, message: /gotchas\.0: must not be empty$/ },
  { name: 'message send: no recipient', args: ['message', 'send', 'hi'], code: 2, message: /--to is required/ },
  { name: 'message send: empty body', args: ['message', 'send', '--to', 'someone', ''], code: 2, message: /invalid message: body: must not be empty$/ },
  { name: 'message send: body over 20000 characters', args: ['message', 'send', '--to', 'someone', big(20_001)], code: 2, message: /body: must be at most 20000 characters$/ },
  { name: 'message send: recipient over 200 characters', args: ['message', 'send', '--to', big(201, 't'), 'hi'], code: 2, message: /toProject: must be at most 200 characters$/ },
  { name: 'message send: two bodies', args: ['message', 'send', '--to', 'someone', 'one', 'two'], code: 2, message: /unexpected argument "two"/ },
  { name: 'message read: SQL as the id', args: ['message', 'read', DROP], code: 2, message: /MESSAGE_ID must be a uuid, got "'\); DROP TABLE claude\.todos; --"/ },
  { name: 'message read: no id', args: ['message', 'read'], code: 2, message: /missing argument/ },
  { name: 'message read: unknown id', args: ['message', 'read', '00000000-0000-4000-8000-000000000000'], code: 1, message: /no unarchived message 00000000-0000-4000-8000-000000000000$/ },
  { name: 'install-hooks: a directory that does not exist', args: ['install-hooks', '--project-dir', "/nonexistent/'; rm -rf ~ #"], code: 1, message: /^claude-family install-hooks: project directory \/nonexistent\/'; rm -rf ~ # does not exist$/ },
  { name: 'install-hooks: empty --project-dir', args: ['install-hooks', '--project-dir', ''], code: 2, message: /--project-dir must not be empty/ },
  { name: 'install-hooks: a file, not a directory', args: (c) => ['install-hooks', '--project-dir', join(c.dir, 'a-file')], code: 1, message: /^claude-family install-hooks: failed: ENOTDIR: not a directory, mkdir '.*\/a-file\/\.claude\/commands'$/ },
  { name: 'database unreachable', args: ['todos', 'list'], code: 1, message: /^claude-family todos list: database unavailable \(Postgres postgres@127\.0\.0\.1:1\/\w+\): .*ECONNREFUSED/, env: { CLAUDE_FAMILY_DATABASE_URL: `postgres://postgres:${SECRET}@127.0.0.1:1/nowhere` } },
  // With the database down, session end goes to the spool: the same checks, and no password either.
  { name: 'session end, database down: Claude Code session id over 200 characters', args: ['session', 'end', '--summary', 'x'], code: 2, message: /^claude-family session end: invalid session_summary event: claude_session_id: must be at most 200 characters$/, env: { CLAUDE_FAMILY_DATABASE_URL: `postgres://postgres:${SECRET}@127.0.0.1:1/nowhere`, CLAUDE_SESSION_ID: big(201, 'c') } },
  { name: 'session end, database down: no way to name the session', args: ['session', 'end', '--summary', 'x'], code: 1, message: /database unavailable .*the session end was NOT recorded/, env: { CLAUDE_FAMILY_DATABASE_URL: `postgres://postgres:${SECRET}@127.0.0.1:1/nowhere`, CLAUDE_SESSION_ID: undefined, CLAUDE_FAMILY_SESSION_ID: undefined } },
  { name: 'a connection string that is not a URL', args: ['todos', 'list'], code: 1, message: /^claude-family todos list: /, env: { CLAUDE_FAMILY_DATABASE_URL: `postgres://postgres:${SECRET}@127.0.0.1:notaport/db` } },
];

describe('hostile CLI input [postgres]', { timeout: 300_000 }, () => {
  let b: HookBackend;
  let env: Record<string, string | undefined>;
  let project: string;
  let sessionId: string;
  let dir: string;
  beforeAll(async () => {
    b = await createHookBackend('postgres');
    project = uniqueProject('cli-hostile');
    env = { ...b.env, CLAUDE_FAMILY_DATABASE_URL: withPassword(b.url!), CLAUDE_FAMILY_PROJECT: project };
    expect((await runNode(CLI, { args: ['migrate'], env })).code).toBe(0);
    sessionId = await b.inspect(async (db) => (await openSession(db, { projectName: project, claudeSessionId: `cc-${project}` })).session.session_id);
    dir = tempDir('cli');
    writeFileSync(join(dir, 'a-file'), 'not a directory\n');
  });
  afterAll(async () => {
    await b?.dispose();
  });

  it('refuses each bad command line: exit 1 or 2, one line naming the problem, nothing written, no password', async () => {
    const before = await b.inspect(tableCounts);
    const results = await mapLimit(CLI_CASES, 3, async (c) => {
      const cwd = tempDir('cwd');
      const args = typeof c.args === 'function' ? c.args({ sessionId, dir }) : c.args;
      return { c, cwd, r: await runNode(CLI, { args, env: { ...env, ...c.env }, cwd }) };
    });
    for (const { c, cwd, r } of results) {
      expect(r.code, `${c.name}: ${r.stderr}`).toBe(c.code);
      const lines = stderrLines(r);
      expect(lines, c.name).toHaveLength(1);
      expect(lines[0], c.name).toMatch(c.message);
      expect(lines[0]!.length, `${c.name}: the line stays readable`).toBeLessThan(1000);
      expect(r.stdout + r.stderr, c.name).not.toContain(SECRET);
      expect(readdirSync(cwd), `${c.name}: nothing written into the working directory`).toEqual([]);
    }
    expect(await b.inspect(tableCounts)).toEqual(before);
    const after = await b.inspect(async (db) => ({
      session: (await db.query('SELECT session_end, session_summary FROM claude.sessions WHERE session_id = $1', [sessionId])).rows,
      focus: (await db.query("SELECT 1 FROM claude.session_state WHERE current_focus = 'Half-applied focus'")).rows,
    }));
    expect(after).toEqual({ session: [{ session_end: null, session_summary: null }], focus: [] });
    expect(readdirSync(dir)).toEqual(['a-file']);
  });

  it('takes SQL metacharacters, unicode and hostile directory names as plain data', async () => {
    const other = `${uniqueProject('to')}${DROP} 🚀 مرحبا`;
    const pattern = `${uniqueProject('pattern')}'); DROP TABLE claude.knowledge; --`;
    const projectDir = join(tempDir('install'), "$(touch pwned); `touch pwned2` 'q' \"dq\" 🚀");
    mkdirSync(projectDir);
    const cli = (args: string[]) => runNode(CLI, { args, env, cwd: tempDir('cwd') });
    const runs = await mapLimit(
      [
        ['session', 'save', '--focus', `${DROP} ‮rtl‬ 👩🏽‍💻`, '--next', "a'b", '--next', '\\x00 not a NUL'],
        ['message', 'send', '--new-project', '--to', other, `hi ${DROP}`],
        ['knowledge', 'add', '--name', pattern, '--category', "c'; --", '--description', 'd 🦄', '--example', "SELECT '; DROP"],
        ['install-hooks', '--project-dir', projectDir],
      ],
      3,
      cli,
    );
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).not.toContain(SECRET);
    }
    const state = await b.inspect(async (db) => ({
      focus: (await db.query('SELECT current_focus, next_steps FROM claude.session_state WHERE project_name = $1', [project])).rows,
      message: (await db.query('SELECT from_project, body FROM claude.messages WHERE to_project = $1', [other])).rows,
      knowledge: (await db.query('SELECT category, description, example_code FROM claude.knowledge WHERE pattern_name = $1', [pattern])).rows,
      tables: (await db.query<{ t: string | null }>(`SELECT to_regclass('claude.' || t)::text AS t FROM unnest($1::text[]) AS t`, [TABLES])).rows.map((r) => r.t),
    }));
    expect(state).toEqual({
      focus: [{ current_focus: `${DROP} ‮rtl‬ 👩🏽‍💻`, next_steps: ["a'b", '\\x00 not a NUL'] }],
      message: [{ from_project: project, body: `hi ${DROP}` }],
      knowledge: [{ category: "c'; --", description: 'd 🦄', example_code: "SELECT '; DROP" }],
      tables: TABLES.map((t) => `claude.${t}`),
    });
    expect(JSON.parse(readFileSync(join(projectDir, '.claude', 'settings.json'), 'utf8')).hooks.SessionStart[0].hooks[0].command).toBe(`node ${DIST}/hooks/session-start.cjs`);
    expect(readdirSync(join(projectDir, '..')).sort()).toEqual([projectDir.split('/').pop()]);
  });

  it('NUL characters (which no real argv can carry) are refused naming the field, in-process through runCli', async () => {
    const before = await b.inspect(tableCounts);
    const cases: [string[], RegExp][] = [
      [['message', 'send', '--to', 'someone', 'a\u0000b'], /^claude-family message send: invalid message: body: must not contain NUL characters \(\\u0000\)$/],
      [['session', 'save', '--focus', 'a\u0000b'], /currentFocus: must not contain NUL characters/],
      [['knowledge', 'add', '--name', 'nul', '--category', 'c', '--description', 'd', '--example', 'a\u0000b'], /exampleCode: must not contain NUL characters/],
      [['session', 'save', '--focus', 'x', '--project', 'p\u0000q'], /projectName: must not contain NUL characters/],
    ];
    for (const [args, message] of cases) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCliInProcess(args, { out: (t) => void out.push(t), err: (t) => void err.push(t), env, cwd: tempDir('cwd'), distDir: DIST });
      expect(code, args.join(' ')).toBe(2);
      expect(err, args.join(' ')).toEqual([expect.stringMatching(message)]);
      expect(out.join('\n') + err.join('\n')).not.toContain(SECRET);
    }
    expect(await b.inspect(tableCounts)).toEqual(before);
  });
});
