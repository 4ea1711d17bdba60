// The MCP server as Claude Code runs it: install-hooks writes .mcp.json, and an MCP client from the SDK
// starts exactly the command written there, as a child process over stdio, on both database kinds.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { BACKENDS, uniqueProject } from './support/backends.js';
import { createHookBackend, DIST, hookScript, runNode, type HookBackend } from './support/processes.js';
import { tempDirs } from './support/tempDirs.js';

const tempDir = tempDirs('cf-mcp');

type ToolResult = { content: { type: string; text: string }[]; isError?: boolean };
const text = (r: unknown) => (r as ToolResult).content.map((c) => c.text).join('\n');

async function installInto(dir: string, env: Record<string, string | undefined>): Promise<{ command: string; args: string[] }> {
  const out: string[] = [];
  const code = await runCli(['install-hooks', '--project-dir', dir], { out: (t) => void out.push(t), err: (t) => void out.push(t), env, cwd: dir, distDir: DIST });
  expect(code, out.join('\n')).toBe(0);
  return JSON.parse(readFileSync(join(dir, '.mcp.json'), 'utf8')).mcpServers['claude-family'];
}

for (const backend of BACKENDS) {
  describe(`MCP server over stdio [${backend}]`, { timeout: 120_000 }, () => {
    let b: HookBackend;
    let client: Client;
    let transport: StdioClientTransport;
    let project: string;
    let projectDir: string;
    const stderr: string[] = [];

    beforeAll(async () => {
      b = await createHookBackend(backend);
      project = uniqueProject('mcp');
      projectDir = join(tempDir('project'), project);
      mkdirSync(projectDir);
      const entry = await installInto(projectDir, b.env);
      // A Claude Code session in the project, as SessionStart records it.
      const started = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: `cc-${project}`, cwd: projectDir, source: 'startup' }), env: b.env });
      expect(started.code).toBe(0);
      // As Claude Code starts a project-scope server: the command and args from .mcp.json, in the project.
      transport = new StdioClientTransport({ command: entry.command === 'node' ? process.execPath : entry.command, args: entry.args, cwd: projectDir, env: b.env as Record<string, string>, stderr: 'pipe' });
      transport.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
      client = new Client({ name: 'claude-family-test', version: '1.0.0' });
      await client.connect(transport);
    });

    afterAll(async () => {
      await client?.close();
      await b?.dispose();
    });

    it('initializes and lists the six tools, each with an input schema', async () => {
      expect(client.getServerVersion()?.name).toBe('claude-family');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['add_knowledge', 'get', 'handoff', 'list_todos', 'overview', 'projects', 'search', 'send_message']);
      for (const t of tools) {
        expect(t.inputSchema.type).toBe('object');
        expect(t.description!.length).toBeGreaterThan(20);
      }
      expect(tools.find((t) => t.name === 'search')!.inputSchema.required).toEqual(['query']);
    });

    it('adds knowledge, finds it by search and returns it whole by get', async () => {
      const name = `Retry with jitter ${project}`;
      const added = text(await client.callTool({ name: 'add_knowledge', arguments: { pattern_name: name, category: 'networking', description: 'Back off exponentially and add random jitter so clients do not retry in lockstep.', example_code: 'await sleep(base * 2 ** n + Math.random() * base)', gotchas: ['cap the delay'], confidence: 8 } }));
      const id = /id ([0-9a-f-]{36})/.exec(added)?.[1];
      expect(added).toMatch(/^Added knowledge/);
      expect(id).toBeDefined();

      const found = await client.callTool({ name: 'search', arguments: { query: 'jitter lockstep' } });
      expect((found as ToolResult).isError).toBeFalsy();
      const first = text(found).split('\n')[0]!;
      expect(first).toContain(`[knowledge] ${name}`);
      expect(first).toContain(`id ${id}`);
      expect(text(found)).toContain('**jitter**');

      const got = text(await client.callTool({ name: 'get', arguments: { id } }));
      expect(got).toContain(`# ${name}`);
      expect(got).toContain('Math.random() * base');
      expect(got).toContain('- cap the delay');
    });

    it('add_knowledge updates only the fields it is given, and holds what Claude writes for review', async () => {
      const name = `Partial update ${project}`;
      const first = text(await client.callTool({ name: 'add_knowledge', arguments: { pattern_name: name, category: 'postgres', description: 'Use advisory locks.', example_code: 'SELECT pg_advisory_xact_lock(1)', gotchas: ['transaction scoped'], confidence: 7 } }));
      const id = /id ([0-9a-f-]{36})/.exec(first)![1]!;
      const second = text(await client.callTool({ name: 'add_knowledge', arguments: { pattern_name: name, description: 'Use transaction-scoped advisory locks.', tags: ['locks'] } }));
      expect(second).toMatch(/^Updated \(description, tags\) knowledge/);
      expect(second).toContain(`id ${id}`);
      const row = await b.inspect(async (db) => (await db.query(`SELECT category, description, example_code, gotchas, confidence_level, tags, origin, review FROM claude.knowledge WHERE knowledge_id = $1`, [id])).rows[0]);
      expect(row).toEqual({ category: 'postgres', description: 'Use transaction-scoped advisory locks.', example_code: 'SELECT pg_advisory_xact_lock(1)', gotchas: ['transaction scoped'], confidence_level: 7, tags: ['locks'], origin: 'mcp', review: 'pending' });
      const found = text(await client.callTool({ name: 'search', arguments: { query: 'transaction-scoped advisory' } }));
      expect(found.split('\n')[0]).toContain(`[knowledge] ${name} (pending review)`);
      const missing = await client.callTool({ name: 'add_knowledge', arguments: { pattern_name: `Nothing ${project}`, tags: ['x'] } });
      expect((missing as ToolResult).isError).toBe(true);
      expect(text(missing)).toMatch(/a new entry needs a category/);
    });

    it('get returns the whole note and the notes its [[wikilinks]] name, by title whatever the case', async () => {
      const ids = await b.inspect(async (db) => {
        const add = async (title: string, body: string) =>
          (await db.query<{ knowledge_id: string }>(`INSERT INTO claude.knowledge (pattern_name, category, description, body, projects, tags, origin, review, source_note_path)
            VALUES ($1, 'note', 'd', $2, $3, '{session}', 'vault', 'accepted', $4) RETURNING knowledge_id`, [title, body, [project], `40-Procedures/${title}.md`])).rows[0]!.knowledge_id;
        return {
          main: await add(`Lifecycle ${project}`, `# Lifecycle\n\nSee [[overview ${project.toUpperCase()}|the overview]] and [[Handoff ${project}#Steps]], not [[diagram.png]] or [[Missing note]].\n\nStep one: end the session.`),
          overview: await add(`Overview ${project}`, 'The overview of the lifecycle.'),
          handoff: await add(`Handoff ${project}`, 'How the handoff works.'),
        };
      });
      const got = text(await client.callTool({ name: 'get', arguments: { id: ids.main } }));
      expect(got).toContain('Step one: end the session.');
      expect(got).toContain(`Projects: ${project} · Tags: session`);
      expect(got).toContain('## Linked notes (2)');
      expect(got).toContain(`### Overview ${project} (id ${ids.overview}`);
      expect(got).toContain('The overview of the lifecycle.');
      expect(got).toContain(`### Handoff ${project} (id ${ids.handoff}`);
      expect(got.indexOf(`### Overview ${project}`)).toBeLessThan(got.indexOf(`### Handoff ${project}`));
    });

    it('handoff, list_todos and send_message work for the project the server runs in', async () => {
      const sent = text(await client.callTool({ name: 'send_message', arguments: { to: project, body: 'remember the migration' } }));
      expect(sent).toMatch(new RegExp(`^Message sent to ${project}, id [0-9a-f-]{36}\\.$`));
      const handoff = text(await client.callTool({ name: 'handoff', arguments: {} }));
      expect(handoff).toContain(`Project: ${project}`);
      expect(handoff).toContain(`from ${project}: remember the migration`);
      expect(text(await client.callTool({ name: 'list_todos', arguments: {} }))).toBe(`No active todos for ${project}.`);
    });

    it('refuses invalid input with an error result and survives hostile queries', async () => {
      const bad = await client.callTool({ name: 'get', arguments: { id: 'not-a-uuid' } }).catch((err: Error) => ({ content: [{ type: 'text', text: err.message }], isError: true }));
      expect((bad as ToolResult).isError).toBe(true);
      expect(text(bad)).toMatch(/id/i);
      const missing = await client.callTool({ name: 'get', arguments: { id: '00000000-0000-4000-8000-000000000000' } });
      expect((missing as ToolResult).isError).toBe(true);
      expect(text(missing)).toMatch(/no knowledge entry, session or todo has the id/);
      for (const query of ['"unclosed & | ! ( :* <->', 'x'.repeat(100_000), 'nul\u0000byte', "'; DROP TABLE claude.knowledge; --"]) {
        const r = await client.callTool({ name: 'search', arguments: { query } });
        expect((r as ToolResult).isError, text(r)).toBeFalsy();
      }
      const tooMany = await client.callTool({ name: 'search', arguments: { query: 'x', limit: 11 } }).catch((err: Error) => ({ content: [{ type: 'text', text: err.message }], isError: true }));
      expect((tooMany as ToolResult).isError).toBe(true);
      // The knowledge table is still there.
      expect(await b.inspect(async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM claude.knowledge')).rows[0]!.n)).toBeGreaterThan(0);
    });

    it('its calls are recorded by the PostToolUse hook, like any MCP call', async () => {
      const r = await runNode(hookScript('post-tool-use'), {
        stdin: JSON.stringify({ session_id: `cc-${project}`, cwd: projectDir, tool_name: 'mcp__claude-family__search', tool_input: { query: 'jitter' }, tool_response: [{ type: 'text', text: 'hits' }] }),
        env: b.env,
      });
      expect(r.code).toBe(0);
      await client.callTool({ name: 'list_todos', arguments: {} });
      const rows = await b.inspect(async (db) => (await db.query<{ mcp_server: string; tool_name: string; success: boolean }>(`SELECT mcp_server, tool_name, success FROM claude.mcp_usage WHERE claude_session_id = $1`, [`cc-${project}`])).rows);
      expect(rows).toEqual([{ mcp_server: 'claude-family', tool_name: 'search', success: true }]);
      expect(stderr.join('')).toBe('');
    });
  });
}

describe('mcp serve without a database, and with bad arguments', { timeout: 60_000 }, () => {
  it('answers initialize and tools/list without touching the database; a call then says plainly that it is unavailable', async () => {
    const home = tempDir('nodb');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, CLAUDE_FAMILY_DATA_DIR: join(home, 'data'), CLAUDE_FAMILY_DATABASE_URL: 'postgres://someone:s3cret@127.0.0.1:1/nowhere', CLAUDE_FAMILY_PROJECT: 'p' };
    const transport = new StdioClientTransport({ command: process.execPath, args: [join(DIST, 'cli.mjs'), 'mcp', 'serve'], cwd: home, env, stderr: 'pipe' });
    const client = new Client({ name: 'claude-family-test', version: '1.0.0' });
    try {
      await client.connect(transport);
      expect((await client.listTools()).tools).toHaveLength(8);
      const r = await client.callTool({ name: 'search', arguments: { query: 'anything' } });
      expect((r as ToolResult).isError).toBe(true);
      expect(text(r)).toMatch(/^search failed: database unavailable \(Postgres someone@127\.0\.0\.1:1\/nowhere\): /);
      expect(text(r)).not.toContain('s3cret');
    } finally {
      await client.close();
    }
  });

  it('refuses an unknown argument on one stderr line, exit 1', async () => {
    const r = await runNode(join(DIST, 'cli.mjs'), { args: ['mcp', 'serve', '--bogus'], env: { PATH: process.env.PATH } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('claude-family mcp serve: unknown argument "--bogus" (claude-family mcp serve --help)\n');
    expect(r.stdout).toBe('');
  });
});
