// Issue 20's edges, each told the truth: unknown project names, a second session end, one format for
// times and task numbers, and the MCP schemas. In-process (runCli, the MCP tools) on both backends.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { runCli } from '../src/cli/run.js';
import { applyEvent, makeEvent } from '../src/core/events/events.js';
import { ensureProject } from '../src/core/repos/projects.js';
import { openSession } from '../src/core/repos/sessions.js';
import { addTodo } from '../src/core/repos/todos.js';
import { formatTime, projectLine, taskNumber, taskPrefix } from '../src/core/render/format.js';
import { TOOLS, type ToolHost } from '../src/mcp/tools.js';
import { describeEachBackend, uniqueProject, type TestDatabase } from './support/backends.js';
import { DIST } from './support/processes.js';

const tool = (name: string) => TOOLS.find((t) => t.name === name)!;

function cli(t: () => TestDatabase, env: Record<string, string> = {}, cwd?: string) {
  const home = mkdtempSync(join(tmpdir(), 'cf-edges-'));
  return async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, {
      out: (s) => void out.push(s),
      err: (s) => void err.push(s),
      env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), CLAUDE_FAMILY_DATA_DIR: join(home, 'data'), CLAUDE_FAMILY_DATABASE_URL: t().url, ...env },
      cwd: cwd ?? home,
      distDir: DIST,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
}

describe('one format for times and task numbers', () => {
  it('formats a moment to the minute in UTC and a task as #n', () => {
    expect(formatTime(new Date('2026-11-28T07:08:59.123Z'))).toBe('2026-11-28 07:08 UTC');
    expect(taskNumber('3')).toBe('#3');
    expect(taskNumber(null)).toBe('');
    expect(taskPrefix('12')).toBe('#12 ');
    expect(projectLine({ project_name: 'web', sessions: 1, last_session_at: new Date('2026-11-28T07:08:00Z'), active_todos: 2 }, 'web')).toBe('web (this project) · 1 session, last 2026-11-28 07:08 UTC · 2 active todos');
  });
});

describe('the MCP schemas', () => {
  it('refuse empty strings where something is needed', () => {
    const parse = (name: string, args: unknown) => z.object(tool(name).inputSchema).safeParse(args).success;
    expect(parse('send_message', { to: '', body: 'hi' })).toBe(false);
    expect(parse('send_message', { to: 'web', body: '   ' })).toBe(false);
    expect(parse('send_message', { to: 'web', body: 'hi' })).toBe(true);
    expect(parse('search', { query: '' })).toBe(false);
    expect(parse('add_knowledge', { pattern_name: ' ', category: 'x', description: 'y' })).toBe(false);
    expect(parse('handoff', { project: '' })).toBe(false);
  });
});

describeEachBackend('honest edges', (t) => {
  const host = (project: string): ToolHost => ({ project, withDb: (fn) => fn(t().db) });

  it('MCP: an unknown project is an error naming the known ones; projects lists them', async () => {
    const here = uniqueProject('here');
    const there = uniqueProject('there');
    await ensureProject(t().db, here);
    await ensureProject(t().db, there);
    const typo = `${there}x`;
    const known = new RegExp(`no project named "${typo}"; known projects: .*"${there}"`);
    await expect(tool('send_message').run(host(here), { to: typo, body: 'hello' })).rejects.toThrow(known);
    await expect(tool('handoff').run(host(here), { project: typo })).rejects.toThrow(known);
    await expect(tool('list_todos').run(host(here), { project: typo })).rejects.toThrow(known);
    await expect(tool('search').run(host(here), { query: 'x', project: typo })).rejects.toThrow(known);
    expect(await tool('send_message').run(host(here), { to: there, body: 'hello' })).toMatch(/^Message sent to /);
    // The project the server runs in may be new: it is not an error.
    expect(await tool('list_todos').run(host(uniqueProject('fresh')), {})).toMatch(/^No active todos/);
    const listed = await tool('projects').run(host(here), {});
    expect(listed).toContain(`${here} (this project) · 0 sessions · 0 active todos`);
    expect(listed).toContain(`${there} · 0 sessions`);
  });

  it('MCP search refuses project together with all_projects', async () => {
    await expect(tool('search').run(host(uniqueProject()), { query: 'x', project: 'a', all_projects: true })).rejects.toThrow(/project or all_projects, not both/);
  });

  it('CLI: projects, and an unknown project for message send, todos, session status and resume', async () => {
    const here = uniqueProject('here');
    await ensureProject(t().db, here);
    const run = cli(t, { CLAUDE_FAMILY_PROJECT: here });
    const listed = await run(['projects']);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`${here} (this project)`);
    const asJson = JSON.parse((await run(['projects', '--json'])).out) as { projects: { project_name: string; current: boolean }[] };
    expect(asJson.projects).toContainEqual(expect.objectContaining({ project_name: here, current: true }));
    for (const args of [['message', 'send', '--to', 'no-such-project', 'hi'], ['todos', 'list', '--project', 'no-such-project'], ['session', 'status', '--project', 'no-such-project'], ['session', 'resume', '--project', 'no-such-project']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err.split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err, args.join(' ')).toMatch(new RegExp(`no project named "no-such-project"; known projects: .*"${here}"`));
    }
  });

  it('a second session end amends (tasks and learnings added, summary appended); --replace-summary replaces', async () => {
    const project = uniqueProject('end');
    const { session } = await openSession(t().db, { projectName: project, claudeSessionId: `cc-${project}` });
    const run = cli(t, { CLAUDE_FAMILY_PROJECT: project });
    const s = ['--session', session.session_id];
    const first = await run(['session', 'end', ...s, '--summary', 'Built the parser', '--task', 'parser', '--learning', 'peg is fine']);
    expect(first.out).toMatch(/^Session .* closed at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(1 task\(s\), 1 learning\(s\)\)\.$/);
    const second = await run(['session', 'end', ...s, '--summary', 'Then the printer', '--task', 'printer', '--task', 'parser']);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/was ended before .*; amended: the new summary appended to the earlier one \(--replace-summary replaces it instead\), 1 task\(s\) and 0 learning\(s\) added \(now 2 and 1\)\.$/);
    let row = (await t().db.query<{ session_summary: string; tasks_completed: string[]; learnings_gained: string[] }>('SELECT session_summary, tasks_completed, learnings_gained FROM claude.sessions WHERE session_id = $1', [session.session_id])).rows[0]!;
    expect(row).toEqual({ session_summary: 'Built the parser\n\nThen the printer', tasks_completed: ['parser', 'printer'], learnings_gained: ['peg is fine'] });
    const third = await run(['session', 'end', ...s, '--summary', 'Parser and printer', '--replace-summary']);
    expect(third.out).toMatch(/amended: the summary replaced, 0 task\(s\)/);
    row = (await t().db.query<{ session_summary: string; tasks_completed: string[]; learnings_gained: string[] }>('SELECT session_summary, tasks_completed, learnings_gained FROM claude.sessions WHERE session_id = $1', [session.session_id])).rows[0]!;
    expect(row).toEqual({ session_summary: 'Parser and printer', tasks_completed: ['parser', 'printer'], learnings_gained: ['peg is fine'] });
  });

  it('a spooled end amends likewise, and replaces the summary only when asked', async () => {
    const project = uniqueProject('spooled');
    const { session } = await openSession(t().db, { projectName: project, claudeSessionId: `cc-${project}` });
    const end = (summary: string, tasks: string[], replace?: boolean) =>
      applyEvent(t().db, makeEvent({ kind: 'session_summary', project, session_id: session.session_id, summary, tasks_completed: tasks, learnings_gained: [], next_steps: [], ...(replace ? { replace_summary: true } : {}) }));
    await end('First', ['a']);
    await end('Second', ['b']);
    const read = async () => (await t().db.query<{ session_summary: string; tasks_completed: string[] }>('SELECT session_summary, tasks_completed FROM claude.sessions WHERE session_id = $1', [session.session_id])).rows[0];
    expect(await read()).toEqual({ session_summary: 'First\n\nSecond', tasks_completed: ['a', 'b'] });
    await end('Only this', [], true);
    expect(await read()).toEqual({ session_summary: 'Only this', tasks_completed: ['a', 'b'] });
  });

  it('session commit after session end adds its tasks instead of replacing them', async () => {
    const project = uniqueProject('commit');
    const { session } = await openSession(t().db, { projectName: project, claudeSessionId: `cc-${project}` });
    const repo = mkdtempSync(join(tmpdir(), 'cf-edges-repo-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    git('config', 'user.email', 'test@example.com');
    git('config', 'user.name', 'Test');
    writeFileSync(join(repo, 'a.txt'), 'one\n');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'initial');
    writeFileSync(join(repo, 'a.txt'), 'two\n');
    const run = cli(t, { CLAUDE_FAMILY_PROJECT: project }, repo);
    expect((await run(['session', 'end', '--session', session.session_id, '--summary', 'Did the work', '--task', 'first'])).code).toBe(0);
    const committed = await run(['session', 'commit', '--session', session.session_id, '--summary', 'Did the work', '--task', 'second']);
    expect(committed.code).toBe(0);
    expect(committed.out).toMatch(/amended: the summary unchanged, 1 task\(s\) and 0 learning\(s\) added \(now 2 and 0\)/);
    expect(git('log', '-1', '--format=%B').trim()).toBe('Did the work\n\n- first\n- second');
  });

  it('session status, resume and todos list show times and task numbers the way SessionStart does', async () => {
    const project = uniqueProject('fmt');
    const { session } = await openSession(t().db, { projectName: project, claudeSessionId: `cc-${project}` });
    const p = await ensureProject(t().db, project);
    await addTodo(t().db, { projectId: p.project_id, content: 'Plain todo', status: 'pending' });
    await t().db.query("UPDATE claude.todos SET task_id = '7', task_list_id = 'list-' || project_id::text WHERE project_id = $1", [p.project_id]);
    const run = cli(t, { CLAUDE_FAMILY_PROJECT: project });
    const status = await run(['session', 'status', '--session', session.session_id]);
    expect(status.out).toMatch(/^Session: \S+ started \d{4}-\d\d-\d\d \d\d:\d\d UTC \(open\)$/m);
    expect((await run(['todos', 'list'])).out).toMatch(/^\[ \] \[P\d\] #7 Plain todo {2}\(/);
    expect((await run(['session', 'resume'])).out).toMatch(/^ {2}\[ \] \[P\d\] #7 Plain todo$/m);
  });
});
