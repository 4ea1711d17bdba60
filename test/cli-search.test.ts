// The CLI's recall commands (search, knowledge list/show) and install-hooks' .mcp.json, in-process
// through runCli like test/cli.test.ts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { ensureProject } from '../src/core/repos/projects.js';
import { closeSession, openSession } from '../src/core/repos/sessions.js';
import { addTodo } from '../src/core/repos/todos.js';
import { uniqueProject } from './support/backends.js';
import { createHookBackend, DIST, type HookBackend } from './support/processes.js';
import { tempDirs } from './support/tempDirs.js';

const tempDir = tempDirs('cf-cli-search');

describe('claude-family search and knowledge [postgres]', { timeout: 120_000 }, () => {
  let b: HookBackend;
  beforeAll(async () => {
    b = await createHookBackend('postgres');
  });
  afterAll(async () => {
    await b?.dispose();
  });

  const cli = async (args: string[], options: { distDir?: string } = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { out: (t) => void out.push(t), err: (t) => void err.push(t), env: b.env, cwd: tempDir('cwd'), distDir: options.distDir ?? DIST });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('search prints ranked hits with kind, title, project, date, id and a snippet; --json, --in, --all-projects, --limit', async () => {
    const project = uniqueProject('cli');
    const other = uniqueProject('cli-other');
    const tag = project.replace(/[^a-z0-9]/gi, '');
    expect((await cli(['knowledge', 'add', '--name', `Batch inserts ${tag}`, '--category', 'postgres', '--description', `Use unnest arrays to insert many rows in one statement ${tag}`])).code).toBe(0);
    const ids = await b.inspect(async (db) => {
      const s = (await openSession(db, { projectName: project, claudeSessionId: `cc-${tag}` })).session;
      await closeSession(db, { sessionId: s.session_id, summary: `Batched the inserts ${tag}` });
      const o = (await openSession(db, { projectName: other, claudeSessionId: `cc-o-${tag}` })).session;
      await closeSession(db, { sessionId: o.session_id, summary: `Other batch inserts ${tag}` });
      const t = await addTodo(db, { projectId: (await ensureProject(db, project)).project_id, content: `Benchmark batch inserts ${tag}` });
      return { session: s.session_id, other: o.session_id, todo: t.todo_id };
    });

    const text = await cli(['search', `batch inserts ${tag}`, '--project', project]);
    expect(text.code).toBe(0);
    const lines = text.out.split('\n');
    // Written by a command, not a person: found, labelled, never delivered at the prompt until accepted.
    expect(lines[0]).toMatch(new RegExp(`^\\[knowledge\\] Batch inserts ${tag} \\(pending review\\) · \\d{4}-\\d{2}-\\d{2} · id [0-9a-f-]{36}$`));
    expect(text.out).toContain(`[session] Batched the inserts ${tag} · ${project} · `);
    expect(text.out).toContain(`id ${ids.todo}`);
    expect(text.out).not.toContain(ids.other);

    const json = JSON.parse((await cli(['search', `batch inserts ${tag}`, '--all-projects', '--in', 'sessions', '--json'])).out);
    expect(json.kinds).toEqual(['sessions']);
    expect(json.project).toBeNull();
    expect(json.hits.map((h: { id: string }) => h.id).sort()).toEqual([ids.session, ids.other].sort());
    for (const h of json.hits) {
      expect(Object.keys(h).sort()).toEqual(['date', 'id', 'kind', 'project', 'rank', 'snippet', 'title']);
      expect(h.snippet.length).toBeLessThanOrEqual(200);
    }
    expect(JSON.parse((await cli(['search', `batch inserts ${tag}`, '--all-projects', '--limit', '1', '--json'])).out).hits).toHaveLength(1);
    expect((await cli(['search', `nothing-like-this-${tag}`])).out).toMatch(/^No matches for /);
    // Hostile queries are just queries.
    for (const q of ['a & b | !c <-> d:* (', '"unclosed', "'; DROP TABLE claude.sessions; --", 'x'.repeat(100_000), '\\ \' "']) {
      const r = await cli(['search', '--all-projects', '--', q]);
      expect(r.code, `${q.slice(0, 30)}: ${r.err}`).toBe(0);
    }
    expect((await cli(['search', `batch inserts ${tag}`, '--project', project])).code).toBe(0);
  });

  it('search: usage errors name the option', async () => {
    for (const [args, pattern] of [
      [['search'], /missing argument/],
      [['search', '   '], /must not be empty/],
      [['search', 'x', '--in', 'notes'], /--in: unknown kind "notes"/],
      [['search', 'x', '--limit', '0'], /--limit must be a whole number from 1 to 100/],
      [['search', 'x', '--limit', '1e3'], /--limit must be/],
      [['search', 'x', '--project', 'p', '--all-projects'], /contradict/],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(pattern);
    }
  });

  it('knowledge list and show (by id or exact name)', async () => {
    const tag = uniqueProject('k').replace(/[^a-z0-9]/gi, '');
    const added = await cli(['knowledge', 'add', '--name', `Pattern ${tag}`, '--category', `cat${tag}`, '--description', 'Line one.\nLine two.', '--example', 'code()', '--gotcha', 'careful']);
    const id = /([0-9a-f-]{36})\.$/.exec(added.out)![1]!;
    const listed = await cli(['knowledge', 'list', '--category', `cat${tag}`]);
    expect(listed.out).toBe(`cat${tag}: Pattern ${tag} (confidence 5) ${id}`);
    expect(JSON.parse((await cli(['knowledge', 'list', '--json'])).out).knowledge.map((k: { knowledge_id: string }) => k.knowledge_id)).toContain(id);
    expect((await cli(['knowledge', 'list', '--category', `none${tag}`])).out).toMatch(/^No knowledge entries in category/);
    const shown = await cli(['knowledge', 'show', id]);
    expect(shown.out).toContain(`# Pattern ${tag}`);
    expect(shown.out).toContain('Line one.\nLine two.');
    expect(shown.out).toContain('- careful');
    expect(shown.out).toContain('```\ncode()\n```');
    expect((await cli(['knowledge', 'show', `Pattern ${tag}`])).out).toBe(shown.out);
    expect(JSON.parse((await cli(['knowledge', 'show', id.toUpperCase(), '--json'])).out)).toMatchObject({ knowledge_id: id, gotchas: ['careful'] });
    const missing = await cli(['knowledge', 'show', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no knowledge entry "00000000-0000-4000-8000-000000000000"/);
  });

  it('install-hooks registers the MCP server in .mcp.json: keeps other servers, idempotent, follows a move, refuses invalid JSON', async () => {
    const dir = tempDir('install');
    const mcpPath = join(dir, '.mcp.json');
    const user = { mcpServers: { github: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { TOKEN: '${GITHUB_TOKEN}' } } }, other: true };
    writeFileSync(mcpPath, JSON.stringify(user, null, 2));
    const first = await cli(['install-hooks', '--project-dir', dir]);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain(`Updated ${mcpPath}:\n  mcpServers: added claude-family`);
    const written = JSON.parse(readFileSync(mcpPath, 'utf8'));
    expect(written).toEqual({ ...user, mcpServers: { ...user.mcpServers, 'claude-family': { type: 'stdio', command: 'node', args: [`${DIST}/cli.mjs`, 'mcp', 'serve'] } } });

    const before = readFileSync(mcpPath, 'utf8');
    const second = await cli(['install-hooks', '--project-dir', dir]);
    expect(second.out).toContain(`${mcpPath}: MCP server already registered, unchanged.`);
    expect(readFileSync(mcpPath, 'utf8')).toBe(before);

    // Moved checkout: args updated in place; an env the user added to our entry stays.
    written.mcpServers['claude-family'].env = { CLAUDE_FAMILY_PROJECT: 'mine' };
    writeFileSync(mcpPath, JSON.stringify(written));
    const moved = join(tempDir('moved'), 'dist');
    mkdirSync(join(moved, 'hooks'), { recursive: true });
    for (const h of ['session-start', 'user-prompt-submit', 'post-tool-use', 'post-tool-use-failure', 'session-end']) writeFileSync(join(moved, 'hooks', `${h}.cjs`), '');
    expect((await cli(['install-hooks', '--project-dir', dir], { distDir: moved })).code).toBe(0);
    expect(JSON.parse(readFileSync(mcpPath, 'utf8')).mcpServers['claude-family']).toEqual({ type: 'stdio', command: 'node', args: [`${moved}/cli.mjs`, 'mcp', 'serve'], env: { CLAUDE_FAMILY_PROJECT: 'mine' } });
    expect(JSON.parse(readFileSync(mcpPath, 'utf8')).mcpServers.github).toEqual(user.mcpServers.github);

    const settingsBefore = readFileSync(join(dir, '.claude', 'settings.json'), 'utf8');
    writeFileSync(mcpPath, '{ "mcpServers": { oops');
    const broken = await cli(['install-hooks', '--project-dir', dir]);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/\.mcp\.json is not valid JSON .*; fix it first, nothing was changed$/);
    expect(readFileSync(mcpPath, 'utf8')).toBe('{ "mcpServers": { oops');
    expect(readFileSync(join(dir, '.claude', 'settings.json'), 'utf8')).toBe(settingsBefore);
    writeFileSync(mcpPath, JSON.stringify({ mcpServers: [] }));
    expect((await cli(['install-hooks', '--project-dir', dir])).err).toMatch(/"mcpServers" must be an object/);
  });
});
