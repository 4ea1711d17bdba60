// The Claude Code plugin: its manifests checked against the documented schema (plugin manifest reference,
// marketplace reference, hooks reference), its commands kept equal to what install-hooks writes, and its
// hooks run from a clean copy of the repository (no node_modules, no dist/), as `/plugin install` leaves it.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import * as z from 'zod';
import { HOOKS } from '../src/cli/claudeSettings.js';
import { PLUGIN_CLI, slashCommands } from '../src/cli/slashCommands.js';
import { createPostgresDatabase, uniqueProject } from './support/backends.js';
import { baseEnv, ROOT, runNode } from './support/processes.js';

const json = (file: string): unknown => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
const kebab = z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'kebab-case: lowercase letters, digits and hyphens');
const semver = z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/, 'semantic version');
const relPath = z.string().regex(/^\.\//, 'a path relative to the plugin root, starting with ./');
const person = z.strictObject({ name: z.string().min(1), email: z.optional(z.email()), url: z.optional(z.url()) });
const componentPaths = z.optional(z.union([relPath, z.array(relPath), z.record(z.string(), z.unknown())]));

/** .claude-plugin/plugin.json (Claude Code's plugin manifest reference). */
const PluginManifest = z.strictObject({
  $schema: z.optional(z.string()),
  name: kebab,
  version: z.optional(semver),
  description: z.optional(z.string().min(1)),
  author: z.optional(person),
  homepage: z.optional(z.url()),
  repository: z.optional(z.string()),
  license: z.optional(z.string()),
  keywords: z.optional(z.array(z.string())),
  commands: componentPaths,
  agents: componentPaths,
  skills: componentPaths,
  hooks: componentPaths,
  mcpServers: componentPaths,
});

/** .claude-plugin/marketplace.json (Claude Code's marketplace reference). */
const PluginSource = z.union([
  relPath,
  z.object({ source: z.literal('github'), repo: z.string().regex(/^[^/\s]+\/[^/\s]+$/) }),
  z.object({ source: z.literal('url'), url: z.url() }),
]);
const Marketplace = z.strictObject({
  $schema: z.optional(z.string()),
  name: z.string().regex(/^[A-Za-z0-9._-]+$/).refine((n) => !['official', 'inline', 'builtin', 'npm', 'github'].includes(n), 'reserved marketplace name'),
  owner: person,
  description: z.optional(z.string()),
  version: z.optional(semver),
  metadata: z.optional(z.object({ description: z.optional(z.string()), version: z.optional(z.string()), pluginRoot: z.optional(z.string()) })),
  plugins: z
    .array(
      z.strictObject({
        name: kebab,
        source: PluginSource,
        description: z.optional(z.string()),
        version: z.optional(semver),
        author: z.optional(person),
        category: z.optional(z.string()),
        tags: z.optional(z.array(z.string())),
        keywords: z.optional(z.array(z.string())),
        homepage: z.optional(z.url()),
        repository: z.optional(z.string()),
        license: z.optional(z.string()),
        strict: z.optional(z.boolean()),
      }),
    )
    .min(1),
});

/** hooks/hooks.json (the settings' hooks object, with an optional description). */
const HOOK_EVENTS = ['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'Notification', 'UserPromptSubmit', 'Stop', 'SubagentStop', 'PreCompact', 'SessionStart', 'SessionEnd'] as const;
const HooksFile = z.strictObject({
  description: z.optional(z.string()),
  hooks: z.partialRecord(
    z.enum(HOOK_EVENTS),
    z.array(
      z.strictObject({
        matcher: z.optional(z.string()),
        hooks: z.array(z.strictObject({ type: z.literal('command'), command: z.string().min(1), timeout: z.optional(z.number().positive()), async: z.optional(z.boolean()) })).min(1),
      }),
    ),
  ),
});

describe('the Claude Code plugin manifests', () => {
  it('plugin.json, marketplace.json and hooks.json follow the documented schema and agree with each other', () => {
    const plugin = PluginManifest.parse(json('.claude-plugin/plugin.json'));
    const market = Marketplace.parse(json('.claude-plugin/marketplace.json'));
    const hooks = HooksFile.parse(json('hooks/hooks.json'));
    const pkg = json('package.json') as { version: string };
    expect(plugin.version).toBe(pkg.version);
    // The marketplace lists this repository's root as the plugin, by the manifest's name and version.
    expect(market.plugins).toEqual([expect.objectContaining({ name: plugin.name, source: './', version: plugin.version })]);
    expect(existsSync(join(ROOT, (market.plugins[0]!.source as string), '.claude-plugin', 'plugin.json'))).toBe(true);

    // The same hooks, matchers and timeouts install-hooks writes (SessionStart waits longer: the first
    // one installs the plugin), every command through ${CLAUDE_PLUGIN_ROOT}.
    for (const event of new Set(HOOKS.map((h) => h.event))) {
      const groups = hooks.hooks[event as (typeof HOOK_EVENTS)[number]];
      expect(groups, event).toEqual(
        HOOKS.filter((spec) => spec.event === event).map((spec) => ({
          ...(spec.matcher !== undefined ? { matcher: spec.matcher } : {}),
          hooks: [{ type: 'command', command: `node "\${CLAUDE_PLUGIN_ROOT}/scripts/plugin-run.cjs" ${spec.script}`, timeout: spec.event === 'SessionStart' ? 600 : spec.timeout, ...(spec.async ? { async: true } : {}) }],
        })),
      );
    }
    // Claude waits for the hooks whose order matters (task-list snapshots, SessionStart), not for MCP calls.
    expect(hooks.hooks.PostToolUse!.map((g) => [g.matcher, g.hooks[0]!.async ?? false])).toEqual([['TodoWrite|TaskCreate|TaskUpdate', false], ['mcp__.*', true]]);
    expect(hooks.hooks.SessionStart![0]!.hooks[0]!.async).toBeUndefined();
    expect(Object.keys(hooks.hooks).sort()).toEqual([...new Set(HOOKS.map((h) => h.event))].sort());
    expect(existsSync(join(ROOT, 'scripts', 'plugin-run.cjs'))).toBe(true);
  });

  it('commands/ holds the five /session-* commands, the same as install-hooks writes, running the CLI through the plugin', () => {
    const expected = slashCommands('', { command: PLUGIN_CLI });
    if (process.env.UPDATE_PLUGIN_COMMANDS === '1') for (const c of expected) writeFileSync(join(ROOT, 'commands', c.file), c.text);
    expect(readdirSync(join(ROOT, 'commands')).sort()).toEqual(expected.map((c) => c.file).sort());
    for (const c of expected) expect(readFileSync(join(ROOT, 'commands', c.file), 'utf8'), c.file).toBe(c.text);
    expect(expected.map((c) => c.file)).toEqual(['session-end.md', 'session-commit.md', 'session-save.md', 'session-status.md', 'session-resume.md']);
  });
});

describe('the plugin from a clean copy of the repository', { timeout: 900_000 }, () => {
  const dirs: string[] = [];
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('the first SessionStart installs and builds it into the plugin data directory; the hooks and commands then work', async () => {
    // What /plugin install leaves: the repository's files (tracked, or new and not ignored), nothing built.
    const home = mkdtempSync(join(tmpdir(), 'cf-plugin-'));
    dirs.push(home);
    const root = join(home, 'plugin-checkout');
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)));
    for (const f of files) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      cpSync(join(ROOT, f), join(root, f));
    }
    expect(existsSync(join(root, 'node_modules'))).toBe(false);
    expect(existsSync(join(root, 'dist'))).toBe(false);

    const { url, drop } = await createPostgresDatabase();
    drops.push(drop);
    const project = uniqueProject('plugin');
    const pluginData = join(home, 'plugin-data');
    const env = {
      ...baseEnv(home),
      // npm needs its cache and registry settings; a real user's HOME has them too.
      npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? home, '.npm'),
      CLAUDE_PLUGIN_ROOT: root,
      CLAUDE_PLUGIN_DATA: pluginData,
      CLAUDE_CONFIG_DIR: join(home, '.claude'),
      CLAUDE_FAMILY_DATABASE_URL: url,
      CLAUDE_FAMILY_DATA_DIR: join(home, 'data'),
      CLAUDE_FAMILY_PROJECT: project,
    };
    const runner = join(root, 'scripts', 'plugin-run.cjs');
    const sid = `cc-${project}`;
    const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
    const leftovers = () => (existsSync(pluginData) ? readdirSync(pluginData).filter((d) => d.includes('.tmp-')) : []);

    // Before the install, a PostToolUse waits for it (nothing on stdout or stderr) instead of being dropped.
    const early = await runNode(runner, { args: ['post-tool-use'], stdin: JSON.stringify({ session_id: sid, cwd: home, tool_name: 'mcp__early__call', tool_input: {} }), env, cwd: home });
    expect(early).toMatchObject({ code: 0, stdout: '', stderr: '' });

    // Offline (no npm cache, the registry a closed port): one line on stderr, a note for Claude on stdout,
    // no temporary directory left behind, and the next SessionStart tries again.
    const offline = await runNode(runner, {
      args: ['session-start'],
      stdin: JSON.stringify({ session_id: `${sid}-offline`, cwd: home, source: 'startup' }),
      env: { ...env, npm_config_cache: join(home, 'empty-npm-cache'), npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0' },
      cwd: home,
    });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/^=== WHERE WE LEFT OFF ===\n.*being installed.*retried at the next session start/);
    expect(lines(offline.stderr)).toEqual([expect.stringMatching(/installing this plugin version/), expect.stringMatching(/could not install the plugin \(npm ci failed: .*\); it will be retried at the next SessionStart$/)]);
    expect(leftovers()).toEqual([]);
    expect(readdirSync(pluginData).filter((d) => d.startsWith('build-'))).toEqual([]);

    const start = await runNode(runner, { args: ['session-start'], stdin: JSON.stringify({ session_id: sid, cwd: home, source: 'startup' }), env, cwd: home });
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/^=== WHERE WE LEFT OFF ===\nProject: /);
    expect(lines(start.stderr)).toEqual([expect.stringMatching(/^claude-family: installing this plugin version/), expect.stringMatching(/^claude-family: installed in \d+ s; the CLI is /)]);
    const builds = readdirSync(pluginData).filter((d) => d.startsWith('build-'));
    expect(builds).toHaveLength(1);
    expect(leftovers()).toEqual([]);
    expect(existsSync(join(root, 'dist'))).toBe(false); // the checkout itself stays as it was
    // Lean: what the plugin runs, production dependencies only.
    const build = join(pluginData, builds[0]!);
    expect(existsSync(join(build, 'main.js'))).toBe(false);
    expect(existsSync(join(build, 'dist', 'demo.mjs'))).toBe(false);
    expect(existsSync(join(build, 'dist', 'mcp', 'server.cjs'))).toBe(true);
    expect(existsSync(join(build, 'node_modules', 'esbuild'))).toBe(false);
    expect(existsSync(join(build, 'node_modules', 'vitest'))).toBe(false);
    expect(existsSync(join(build, 'node_modules', 'pg'))).toBe(true);
    // The stable CLI, linked into ~/.local/bin.
    expect(readlinkSync(join(home, '.local', 'bin', 'claude-family'))).toBe(join(pluginData, 'bin', 'claude-family'));
    expect(existsSync(join(pluginData, 'deferred.jsonl'))).toBe(false);

    const taskDir = join(home, '.claude', 'tasks', sid);
    mkdirSync(taskDir, { recursive: true });
    writeFileSync(join(taskDir, '1.json'), JSON.stringify({ id: '1', subject: 'Ship the plugin', status: 'in_progress', blocks: [], blockedBy: [] }));
    const post = await runNode(runner, { args: ['post-tool-use'], stdin: JSON.stringify({ session_id: sid, cwd: home, tool_name: 'TaskCreate', tool_input: { subject: 'Ship the plugin' }, tool_response: { task: { id: '1' } } }), env, cwd: home });
    expect(post).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const fail = await runNode(runner, { args: ['post-tool-use-failure'], stdin: JSON.stringify({ session_id: sid, cwd: home, tool_name: 'mcp__db__query', tool_input: {}, error: 'timeout' }), env, cwd: home });
    expect(fail).toMatchObject({ code: 0, stdout: '', stderr: '' });

    // A slash command's CLI call, as commands/*.md run it.
    const todos = await runNode(runner, { args: ['cli', 'todos', 'list', '--json'], env, cwd: home });
    expect(todos.code).toBe(0);
    expect(JSON.parse(todos.stdout)).toMatchObject({ project, todos: [expect.objectContaining({ content: 'Ship the plugin', status: 'in_progress' })] });
    // The event from before the install was recorded, too, at the time it happened.
    const usage = execFileSync(join(pluginData, 'bin', 'claude-family'), ['mcp', 'usage', '--json'], { env, cwd: home, encoding: 'utf8' });
    expect(JSON.parse(usage).usage).toEqual(
      expect.arrayContaining([expect.objectContaining({ mcp_server: 'db', tool_name: 'query', calls: 1, failures: 1 }), expect.objectContaining({ mcp_server: 'early', tool_name: 'call', calls: 1 })]),
    );

    // No event was lost: the SessionStart that came while offline was recorded once installed, too.
    const pgc = new pg.Client({ connectionString: url });
    await pgc.connect();
    try {
      const { rows } = await pgc.query<{ claude_session_id: string }>('SELECT claude_session_id FROM claude.sessions WHERE claude_session_id LIKE $1 ORDER BY 1', [`${sid}%`]);
      expect(rows.map((r) => r.claude_session_id)).toEqual([sid, `${sid}-offline`]);
    } finally {
      await pgc.end();
    }

    // The MCP server, as Claude Code starts it from the plugin's manifest.
    const manifest = JSON.parse(readFileSync(join(root, '.claude-plugin', 'plugin.json'), 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> };
    const server = manifest.mcpServers['claude-family']!;
    const transport = new StdioClientTransport({
      command: server.command === 'node' ? process.execPath : server.command,
      args: server.args.map((a) => a.replace('${CLAUDE_PLUGIN_ROOT}', root)),
      cwd: home,
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'claude-family-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(expect.arrayContaining(['handoff', 'search', 'get', 'list_todos']));
      const listed = await client.callTool({ name: 'list_todos', arguments: {} });
      expect((listed.content as { text: string }[])[0]!.text).toContain('Ship the plugin');
    } finally {
      await client.close();
    }

    const end = await runNode(runner, { args: ['session-end'], stdin: JSON.stringify({ session_id: sid, cwd: home, reason: 'other' }), env, cwd: home });
    expect(end.code).toBe(0);
    // Its hint names the plugin's command and the stable CLI, never a path inside a build.
    expect(end.stdout).toContain('/claude-family:session-end');
    expect(end.stdout).not.toMatch(/build-[0-9a-f]{16}/);

    // An update (a new version of the plugin): installed afresh, once, and the old build removed.
    const pluginJson = join(root, '.claude-plugin', 'plugin.json');
    writeFileSync(pluginJson, readFileSync(pluginJson, 'utf8').replace(/"version": "[^"]+"/, '"version": "9.9.9"'));
    const updated = await runNode(runner, { args: ['session-start'], stdin: JSON.stringify({ session_id: `${sid}-2`, cwd: home, source: 'startup' }), env, cwd: home });
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(/^=== WHERE WE LEFT OFF ===\nProject: /);
    expect(lines(updated.stderr)).toHaveLength(2);
    const after = readdirSync(pluginData).filter((d) => d.startsWith('build-'));
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(builds[0]);
    expect(leftovers()).toEqual([]);
  });
});
