// The claude-family CLI: every subcommand's happy path and a usage error, run in-process through runCli
// (the same code dist/cli.mjs runs) against Postgres, a lifecycle on the embedded default, and the bundled
// script as a child process for exit codes.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../src/core/events/events.js';
import { MIGRATIONS } from '../src/core/db/migrations.js';
import { openSession } from '../src/core/repos/sessions.js';
import { addTodo } from '../src/core/repos/todos.js';
import { ensureProject } from '../src/core/repos/projects.js';
import { appendToSpool, pendingSpoolCount } from '../src/core/events/spool.js';
import { COMMANDS, runCli } from '../src/cli/run.js';
import { uniqueProject } from './support/backends.js';
import { CLI, createHookBackend, DIST, hookScript, ROOT, runNode, type HookBackend } from './support/processes.js';
import { tempDirs } from './support/tempDirs.js';

const tempDir = tempDirs('cf-cli');

interface CliRun {
  code: number;
  out: string;
  err: string;
}

function makeCli(b: () => HookBackend) {
  return async (args: string[], options: { env?: Record<string, string | undefined>; cwd?: string; distDir?: string } = {}): Promise<CliRun> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, {
      out: (t) => {
        out.push(t);
      },
      err: (t) => {
        err.push(t);
      },
      env: { ...b().env, ...options.env },
      cwd: options.cwd ?? tempDir('cwd'),
      distDir: options.distDir ?? DIST,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
}

function usageError(r: CliRun, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.err.split('\n')).toHaveLength(1);
  expect(r.err).toMatch(pattern);
}

function gitRepo(): string {
  const dir = tempDir('repo');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'Test');
  writeFileSync(join(dir, 'a.txt'), 'one\n');
  git('add', 'a.txt');
  git('commit', '-q', '-m', 'initial');
  return dir;
}

describe('claude-family CLI [postgres]', { timeout: 120_000 }, () => {
  let b: HookBackend;
  beforeAll(async () => {
    b = await createHookBackend('postgres');
  });
  afterAll(async () => {
    await b?.dispose();
  });
  const cli = makeCli(() => b);

  async function openFor(project: string, claudeId = `cc-${project}`) {
    await cli(['migrate']);
    return b.inspect(async (db) => (await openSession(db, { projectName: project, claudeSessionId: claudeId })).session);
  }

  it('--help works on every command and group; unknown commands are usage errors', async () => {
    for (const c of COMMANDS) {
      const r = await cli([...c.name.split(' '), '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: claude-family ${c.name}`);
    }
    expect((await cli(['--help'])).out).toContain('install-hooks');
    expect((await cli(['session', '--help'])).out).toMatch(/session <end\|commit\|save\|status\|resume>/);
    usageError(await cli([]), /no command given/);
    usageError(await cli(['session']), /no session command given/);
    usageError(await cli(['frobnicate']), /unknown command "frobnicate"/);
    usageError(await cli(['session', 'frobnicate']), /unknown session command "frobnicate"/);
    usageError(await cli(['todos', 'list', '--bogus']), /Unknown option '--bogus'/);
  });

  it('session save, status and resume', async () => {
    const project = uniqueProject('save');
    const env = { CLAUDE_FAMILY_PROJECT: project };
    const session = await openFor(project);
    usageError(await cli(['session', 'save'], { env }), /give at least one of --focus, --next, --pending/);
    const saved = await cli(['session', 'save', '--focus', 'Hooks', '--next', 'one', '--next', 'two', '--next', 'three', '--next', 'four', '--pending', 'review'], { env });
    expect(saved).toEqual({ code: 0, out: `Saved state for ${project}: focus "Hooks", 4 next step(s), 1 pending action(s).`, err: '' });

    const status = await cli(['session', 'status', '--json'], { env });
    expect(status.err).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({
      project,
      database: expect.stringMatching(/^Postgres postgres@127\.0\.0\.1:5432\/cf_test_/),
      session: { session_id: session.session_id, session_end: null },
      current_focus: 'Hooks',
      todos: { pending: 0, in_progress: 0, completed: 0 },
      pending_messages: 0,
    });
    expect((await cli(['session', 'status'], { env })).out).toContain(`Session: ${session.session_id} started`);

    const resume = await cli(['session', 'resume', '--json'], { env });
    expect(JSON.parse(resume.out)).toMatchObject({ project, current_focus: 'Hooks', next_steps: ['one', 'two', 'three'], last_session: null, uncommitted_files: null });
    usageError(await cli(['session', 'status', '--session', 'nope'], { env }), /--session must be a session uuid/);
    usageError(await cli(['session', 'resume', '--json', 'extra'], { env }), /unexpected argument "extra"/);
  });

  it('session end closes the session and saves state; the session comes from --session, the environment or the latest open one', async () => {
    const project = uniqueProject('end');
    const env = { CLAUDE_FAMILY_PROJECT: project };
    const s1 = await openFor(project, `cc-1-${project}`);
    usageError(await cli(['session', 'end', '--task', 'x'], { env }), /--summary is required/);
    usageError(await cli(['session', 'end', '--summary', '   '], { env }), /--summary is required/);

    const ended = await cli(['session', 'end', '--summary', 'Built the CLI', '--task', 'parse args', '--task', 'tests', '--learning', 'parseArgs is enough', '--focus', 'Docs', '--next', 'README', '--session', s1.session_id], { env });
    expect(ended.code).toBe(0);
    expect(ended.out).toMatch(new RegExp(`^Session ${s1.session_id} closed at .* \\(2 task\\(s\\), 1 learning\\(s\\), focus/next steps saved\\)\\.$`));
    const row = await b.inspect(async (db) => (await db.query('SELECT session_end IS NOT NULL AS ended, session_summary, tasks_completed, learnings_gained FROM claude.sessions WHERE session_id = $1', [s1.session_id])).rows[0]);
    expect(row).toEqual({ ended: true, session_summary: 'Built the CLI', tasks_completed: ['parse args', 'tests'], learnings_gained: ['parseArgs is enough'] });

    // No open session left: a clear operational error.
    const none = await cli(['session', 'end', '--summary', 'x'], { env });
    expect(none).toMatchObject({ code: 1, err: `claude-family session end: no open session for project ${project}; pass --session <uuid>` });

    // By Claude Code's id (exported by the SessionStart hook), and by our uuid.
    const s2 = await openFor(project, `cc-2-${project}`);
    const s3 = await openFor(project, `cc-3-${project}`);
    expect((await cli(['session', 'end', '--summary', 'two'], { env: { ...env, CLAUDE_SESSION_ID: `cc-2-${project}` } })).out).toContain(s2.session_id);
    expect((await cli(['session', 'end', '--summary', 'three'], { env: { ...env, CLAUDE_FAMILY_SESSION_ID: s3.session_id } })).out).toContain(s3.session_id);
    const missing = await cli(['session', 'end', '--summary', 'x'], { env: { ...env, CLAUDE_FAMILY_SESSION_ID: '00000000-0000-4000-8000-000000000000' } });
    expect(missing).toMatchObject({ code: 1, err: expect.stringMatching(/no session 00000000-0000-4000-8000-000000000000 \(from CLAUDE_FAMILY_SESSION_ID\)/) });

    const s4 = await openFor(project, `cc-4-${project}`);
    const resume = JSON.parse((await cli(['session', 'resume', '--json'], { env })).out);
    expect(resume).toMatchObject({ current_focus: 'Docs', next_steps: ['README'] });
    expect(resume.last_session.session_summary).toBe('three');
    expect(resume.last_session.session_id).not.toBe(s4.session_id);
  });

  it('session commit ends the session and commits tracked changes; without a repository or changes it fails clearly, the end still counts', async () => {
    const project = uniqueProject('commit');
    const env = { CLAUDE_FAMILY_PROJECT: project };
    const repo = gitRepo();
    appendFileSync(join(repo, 'a.txt'), 'two\n');
    writeFileSync(join(repo, 'untracked.txt'), 'not mine\n');
    await openFor(project);
    usageError(await cli(['session', 'commit', '--task', 'edit a.txt'], { env, cwd: repo }), /--summary is required/);
    const r = await cli(['session', 'commit', '--summary', 'Add line two', '--task', 'edit a.txt'], { env, cwd: repo });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Committed [0-9a-f]+: Add line two/);
    expect(execFileSync('git', ['log', '-1', '--format=%B'], { cwd: repo, encoding: 'utf8' }).trim()).toBe('Add line two\n\n- edit a.txt');
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' })).toBe('?? untracked.txt\n');

    const s2 = await openFor(project, `cc-2-${project}`);
    const nothing = await cli(['session', 'commit', '--summary', 'Nothing'], { env, cwd: repo });
    expect(nothing).toMatchObject({ code: 1, err: 'claude-family session commit: nothing to commit: no staged or modified tracked files (the session end was recorded)' });
    const s3 = await openFor(project, `cc-3-${project}`);
    const noRepo = await cli(['session', 'commit', '--summary', 'No repo'], { env });
    expect(noRepo.code).toBe(1);
    expect(noRepo.err).toMatch(/is not inside a git repository: nothing committed \(the session end was recorded\)$/);
    const ended = await b.inspect(async (db) => (await db.query<{ session_summary: string }>('SELECT session_summary FROM claude.sessions WHERE session_id = ANY($1::uuid[]) AND session_end IS NOT NULL ORDER BY session_start', [[s2.session_id, s3.session_id]])).rows);
    expect(ended.map((s) => s.session_summary)).toEqual(['Nothing', 'No repo']);
  });

  it('todos list and archive', async () => {
    const project = uniqueProject('todos');
    const env = { CLAUDE_FAMILY_PROJECT: project };
    const session = await openFor(project);
    await b.inspect(async (db) => {
      await addTodo(db, { projectId: session.project_id, content: 'Fresh', status: 'in_progress', priority: 2 });
      const old = await addTodo(db, { projectId: session.project_id, content: 'Stale', priority: 4 });
      await db.query(`UPDATE claude.todos SET created_at = now() - interval '40 days' WHERE todo_id = $1`, [old.todo_id]);
    });
    const listed = JSON.parse((await cli(['todos', 'list', '--json'], { env })).out);
    expect(listed.todos.map((t: { content: string; status: string; priority: number }) => [t.content, t.status, t.priority])).toEqual([['Fresh', 'in_progress', 2], ['Stale', 'pending', 4]]);
    usageError(await cli(['todos', 'archive'], { env }), /--older-than is required/);
    usageError(await cli(['todos', 'archive', '--older-than', 'a month'], { env }), /--older-than must look like 30d/);
    expect((await cli(['todos', 'archive', '--older-than', '30d'], { env })).out).toBe(`Archived 1 pending todo(s) older than 30 day(s) in ${project}.`);
    expect((await cli(['todos', 'list'], { env })).out).toMatch(/^\[>\] \[P2\] Fresh {2}\([0-9a-f-]{36}\)$/);
  });

  it('knowledge add', async () => {
    const name = uniqueProject('pattern');
    const add = (...extra: string[]) => cli(['knowledge', 'add', '--name', name, '--category', 'testing', '--description', 'Run hooks as child processes', ...extra]);
    expect((await add('--gotcha', 'PGlite is single-process', '--gotcha', 'close it', '--confidence', '8', '--example', 'node dist/hooks/x.mjs')).out).toMatch(new RegExp(`^Added knowledge "${name}" \\(testing, confidence 8\\)`));
    expect((await add()).out).toMatch(/^Updated knowledge/);
    const row = await b.inspect(async (db) => (await db.query('SELECT gotchas, confidence_level, example_code FROM claude.knowledge WHERE pattern_name = $1', [name])).rows[0]);
    expect(row).toEqual({ gotchas: [], confidence_level: 5, example_code: null });
    for (const bad of ['11', '0', '1e1', '0x5', ' 7', '7.0']) usageError(await add('--confidence', bad), /--confidence must be a whole number from 1 to 10/);
    usageError(await cli(['knowledge', 'add', '--category', 'c', '--description', 'd']), /--name is required/);
  });

  it('message send, list and read', async () => {
    const from = uniqueProject('from');
    const to = uniqueProject('to');
    const sent = await cli(['message', 'send', '--new-project', '--to', to, 'Schema changed: rerun migrate'], { env: { CLAUDE_FAMILY_PROJECT: from } });
    const id = /^Sent message ([0-9a-f-]{36}) /.exec(sent.out)?.[1];
    expect(id).toBeDefined();
    usageError(await cli(['message', 'send', '--to', to], { env: { CLAUDE_FAMILY_PROJECT: from } }), /missing argument/);
    usageError(await cli(['message', 'send', 'text'], { env: { CLAUDE_FAMILY_PROJECT: from } }), /--to is required/);
    const listed = JSON.parse((await cli(['message', 'list', '--json'], { env: { CLAUDE_FAMILY_PROJECT: to } })).out);
    expect(listed.messages).toEqual([expect.objectContaining({ message_id: id, from_project: from, to_project: to, body: 'Schema changed: rerun migrate', status: 'pending', read_at: null })]);
    const read = await cli(['message', 'read', id!], { env: { CLAUDE_FAMILY_PROJECT: to } });
    expect(read.out).toContain(`From: ${from}`);
    expect(read.out.endsWith('Schema changed: rerun migrate')).toBe(true);
    expect(JSON.parse((await cli(['message', 'list', '--json'], { env: { CLAUDE_FAMILY_PROJECT: to } })).out).messages[0].status).toBe('read');
    usageError(await cli(['message', 'read', 'x1']), /MESSAGE_ID must be a uuid/);
    usageError(await cli(['message', 'list', 'all']), /unexpected argument "all"/);
    expect(await cli(['message', 'read', '00000000-0000-4000-8000-000000000000'])).toMatchObject({ code: 1, err: 'claude-family message read: no unarchived message 00000000-0000-4000-8000-000000000000' });
  });

  it('migrate and spool replay', async () => {
    usageError(await cli(['migrate', '--force']), /Unknown option '--force'/);
    expect((await cli(['migrate'])).out).toMatch(new RegExp(`^Postgres postgres@127\\.0\\.0\\.1:5432/cf_test_\\w+: applied nothing; ${MIGRATIONS.length} already applied\\.$`));
    const project = uniqueProject('spool');
    const claudeId = `cc-${project}`;
    appendToSpool(b.dataDir, makeEvent({ kind: 'session_start', project, claude_session_id: claudeId }));
    appendToSpool(b.dataDir, makeEvent({ kind: 'mcp_call', project, claude_session_id: claudeId, server: 's', tool: 't', success: true }));
    const replay = await cli(['spool', 'replay', '--json']);
    expect(JSON.parse(replay.out)).toMatchObject({ applied: 2, duplicates: 0, rejected: 0, remaining: 0, busy: false });
    expect((await cli(['spool', 'replay'])).out).toMatch(/^Replayed 0 event\(s\)/);
    usageError(await cli(['spool', 'replay', 'now']), /unexpected argument "now"/);
  });

  it('session end with the database down keeps the end in the spool; the next replay records it once', async () => {
    const project = uniqueProject('end-down');
    const claudeId = `cc-${project}`;
    const session = await openFor(project, claudeId);
    const other = await openFor(`${project}-b`, `${claudeId}-b`);
    await cli(['spool', 'replay']); // start from an empty spool
    const down = { CLAUDE_FAMILY_DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/closed', CLAUDE_FAMILY_PROJECT: project };

    const kept = await cli(['session', 'end', '--summary', 'Wrote the spool', '--task', 'spool', '--learning', 'fsync', '--focus', 'Replay', '--next', 'one', '--next', 'two'], { env: { ...down, CLAUDE_SESSION_ID: claudeId } });
    expect(kept.code).toBe(0);
    expect(kept.out).toMatch(/^Session end kept in .*spool\.jsonl \(database unavailable \(Postgres postgres@127\.0\.0\.1:1\/closed\): .*\); the next hook run or `claude-family spool replay` records it\.$/);
    // Named by its claude-family id instead (as --session, or CLAUDE_FAMILY_SESSION_ID, give it).
    expect((await cli(['session', 'end', '--summary', 'By family id', '--session', other.session_id], { env: { ...down, CLAUDE_FAMILY_PROJECT: `${project}-b` } })).code).toBe(0);
    expect(pendingSpoolCount(b.dataDir)).toBe(2);

    // Without a way to name the session it cannot be kept: a clear failure, nothing spooled.
    const unnamed = await cli(['session', 'end', '--summary', 'Lost?'], { env: down });
    expect(unnamed.code).toBe(1);
    expect(unnamed.err).toMatch(/database unavailable .*the session end was NOT recorded \(to keep it until the database is back, name the session with --session or CLAUDE_SESSION_ID\)$/);
    usageError(await cli(['session', 'end', '--summary', 'x', '--session', 'nope'], { env: down }), /--session must be a session uuid, got "nope"/);
    for (const r of [kept, unnamed]) expect(`${r.out}${r.err}`).not.toContain('hunter2');
    expect(pendingSpoolCount(b.dataDir)).toBe(2);

    const replay = await cli(['spool', 'replay', '--json']);
    expect(JSON.parse(replay.out)).toMatchObject({ applied: 2, duplicates: 0, rejected: 0, remaining: 0 });
    const after = await b.inspect(async (db) => ({
      session: (await db.query<{ session_summary: string; tasks_completed: string[]; learnings_gained: string[]; session_end: Date | null }>('SELECT * FROM claude.sessions WHERE session_id = $1', [session.session_id])).rows[0]!,
      other: (await db.query<{ session_summary: string; session_end: Date | null }>('SELECT * FROM claude.sessions WHERE session_id = $1', [other.session_id])).rows[0]!,
      state: (await db.query<{ current_focus: string; next_steps: string[] }>('SELECT * FROM claude.session_state WHERE project_name = $1', [project])).rows[0],
    }));
    expect(after.session).toMatchObject({ session_summary: 'Wrote the spool', tasks_completed: ['spool'], learnings_gained: ['fsync'] });
    expect(after.session.session_end).toBeInstanceOf(Date);
    expect(after.other).toMatchObject({ session_summary: 'By family id' });
    expect(after.state).toMatchObject({ current_focus: 'Replay', next_steps: ['one', 'two'] });
    expect(JSON.parse((await cli(['spool', 'replay', '--json'])).out)).toMatchObject({ applied: 0, remaining: 0 });
  });

  it('session save with the database down keeps the state in the spool; the next replay saves it', async () => {
    const project = uniqueProject('save-down');
    await cli(['spool', 'replay']);
    const down = { CLAUDE_FAMILY_DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/closed', CLAUDE_FAMILY_PROJECT: project };
    const kept = await cli(['session', 'save', '--focus', 'Offline focus', '--next', 'a', '--next', 'b', '--pending', 'check'], { env: down });
    expect(kept.code).toBe(0);
    expect(kept.out).toMatch(/^State kept in .*spool\.jsonl \(database unavailable \(Postgres postgres@127\.0\.0\.1:1\/closed\): .*\); the next hook run or `claude-family spool replay` records it\.$/);
    expect(kept.out).not.toContain('hunter2');
    // Only what was given is saved: a later focus-only save keeps the steps.
    expect((await cli(['session', 'save', '--focus', 'Later focus'], { env: down })).code).toBe(0);
    expect(pendingSpoolCount(b.dataDir)).toBe(2);
    expect(JSON.parse((await cli(['spool', 'replay', '--json'])).out)).toMatchObject({ applied: 2, rejected: 0, remaining: 0 });
    const state = await b.inspect(async (db) => (await db.query('SELECT current_focus, next_steps, pending_actions FROM claude.session_state WHERE project_name = $1', [project])).rows[0]);
    expect(state).toEqual({ current_focus: 'Later focus', next_steps: ['a', 'b'], pending_actions: ['check'] });
  });

  it('session commit with the database down keeps the end in the spool and still commits', async () => {
    const project = uniqueProject('commit-down');
    await openFor(project, `cc-${project}`);
    const repo = gitRepo();
    writeFileSync(join(repo, 'a.txt'), 'two\n');
    const r = await cli(['session', 'commit', '--summary', 'Offline work', '--task', 'edit a.txt'], {
      cwd: repo,
      env: { CLAUDE_FAMILY_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/closed', CLAUDE_FAMILY_PROJECT: project, CLAUDE_SESSION_ID: `cc-${project}` },
    });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Session end kept in .*\nCommitted [0-9a-f]+: Offline work/);
    expect(execFileSync('git', ['log', '-1', '--format=%B'], { cwd: repo, encoding: 'utf8' }).trim()).toBe('Offline work\n\n- edit a.txt');
    expect(JSON.parse((await cli(['spool', 'replay', '--json'])).out)).toMatchObject({ applied: 1, rejected: 0 });
  });

  it('install-hooks merges into the user settings idempotently, keeps everything else and never clobbers', async () => {
    const dir = tempDir('install');
    mkdirSync(join(dir, '.claude', 'commands'), { recursive: true });
    const user = {
      permissions: { allow: ['Bash(npm test:*)'] },
      env: { FOO: 'bar' },
      hooks: {
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'echo pre' }] }],
        PostToolUse: [{ matcher: 'Write|Edit', hooks: [{ type: 'command', command: 'npx prettier --write', timeout: 5 }] }],
      },
    };
    const settingsPath = join(dir, '.claude', 'settings.json');
    writeFileSync(settingsPath, JSON.stringify(user, null, 2));
    writeFileSync(join(dir, '.claude', 'commands', 'session-status.md'), 'My own status command\n');

    const first = await cli(['install-hooks', '--project-dir', dir]);
    expect(first.code).toBe(0);
    const settings = JSON.parse(readFileSync(settingsPath, 'utf8'));
    expect(settings.permissions).toEqual(user.permissions);
    expect(settings.env).toEqual(user.env);
    expect(settings.hooks.PreToolUse).toEqual(user.hooks.PreToolUse);
    // Claude waits for task-list snapshots (their order matters), not for MCP calls (independent rows).
    expect(settings.hooks.PostToolUse).toEqual([
      user.hooks.PostToolUse[0],
      { matcher: 'TodoWrite|TaskCreate|TaskUpdate', hooks: [{ type: 'command', command: `node ${DIST}/hooks/post-tool-use.cjs`, timeout: 10 }] },
      { matcher: 'mcp__.*', hooks: [{ type: 'command', command: `node ${DIST}/hooks/post-tool-use.cjs`, timeout: 10, async: true }] },
    ]);
    expect(settings.hooks.PostToolUseFailure).toEqual([
      { matcher: 'mcp__.*', hooks: [{ type: 'command', command: `node ${DIST}/hooks/post-tool-use-failure.cjs`, timeout: 10, async: true }] },
    ]);
    expect(settings.hooks.SessionStart).toEqual([{ hooks: [{ type: 'command', command: `node ${DIST}/hooks/session-start.cjs`, timeout: 30 }] }]);
    expect(settings.hooks.SessionEnd).toEqual([{ hooks: [{ type: 'command', command: `node ${DIST}/hooks/session-end.cjs`, timeout: 30 }] }]);
    expect(first.out).toContain('session-status.md: kept as it is (edited by you');
    expect(readFileSync(join(dir, '.claude', 'commands', 'session-status.md'), 'utf8')).toBe('My own status command\n');
    const endCmd = readFileSync(join(dir, '.claude', 'commands', 'session-end.md'), 'utf8');
    expect(endCmd).toMatch(/^---\ndescription: .+\n/);
    expect(endCmd).toContain(`node ${DIST}/cli.mjs session end --summary`);

    const snapshot = () => ['settings.json', ...['end', 'commit', 'save', 'status', 'resume'].map((n) => `commands/session-${n}.md`)].map((f) => readFileSync(join(dir, '.claude', f), 'utf8'));
    const before = snapshot();
    const second = await cli(['install-hooks', '--project-dir', dir]);
    expect(second.code).toBe(0);
    expect(second.out).toContain('hooks already installed, unchanged');
    expect(snapshot()).toEqual(before);

    // The repository moved: our entries are updated in place, not duplicated; unedited commands follow.
    const moved = join(tempDir('moved'), 'dist');
    symlinkSync(DIST, moved);
    expect((await cli(['install-hooks', '--project-dir', dir], { distDir: moved })).code).toBe(0);
    const after = JSON.parse(readFileSync(settingsPath, 'utf8'));
    expect(after.hooks.SessionStart).toEqual([{ hooks: [{ type: 'command', command: `node ${moved}/hooks/session-start.cjs`, timeout: 30 }] }]);
    expect(after.hooks.PostToolUse).toHaveLength(3);
    expect(readFileSync(join(dir, '.claude', 'commands', 'session-end.md'), 'utf8')).toContain(`node ${moved}/cli.mjs session end`);

    // A command written by an earlier build (dist/hooks/<name>.mjs, still shipped as a shim) is upgraded in place.
    after.hooks.SessionEnd[0].hooks[0].command = `node ${DIST}/hooks/session-end.mjs`;
    writeFileSync(settingsPath, JSON.stringify(after, null, 2));
    expect((await cli(['install-hooks', '--project-dir', dir])).code).toBe(0);
    expect(JSON.parse(readFileSync(settingsPath, 'utf8')).hooks.SessionEnd).toEqual([{ hooks: [{ type: 'command', command: `node ${DIST}/hooks/session-end.cjs`, timeout: 30 }] }]);

    // An install from before the Task tools (TodoWrite|mcp__.* only, no PostToolUseFailure) is upgraded
    // in place; when our hook shared its group with one of yours, it moves to its own group.
    const old = JSON.parse(readFileSync(settingsPath, 'utf8'));
    delete old.hooks.PostToolUseFailure;
    old.hooks.PostToolUse = [
      user.hooks.PostToolUse[0],
      { matcher: 'TodoWrite|mcp__.*', hooks: [{ type: 'command', command: `node ${DIST}/hooks/post-tool-use.cjs`, timeout: 10 }, { type: 'command', command: 'echo mine' }] },
    ];
    writeFileSync(settingsPath, JSON.stringify(old, null, 2));
    const upgrade = await cli(['install-hooks', '--project-dir', dir]);
    expect(upgrade.code).toBe(0);
    expect(upgrade.out).toContain('moved to its own matcher group (TodoWrite|TaskCreate|TaskUpdate)');
    const upgraded = JSON.parse(readFileSync(settingsPath, 'utf8'));
    expect(upgraded.hooks.PostToolUse).toEqual([
      user.hooks.PostToolUse[0],
      { matcher: 'TodoWrite|mcp__.*', hooks: [{ type: 'command', command: 'echo mine' }] },
      { matcher: 'TodoWrite|TaskCreate|TaskUpdate', hooks: [{ type: 'command', command: `node ${DIST}/hooks/post-tool-use.cjs`, timeout: 10 }] },
      { matcher: 'mcp__.*', hooks: [{ type: 'command', command: `node ${DIST}/hooks/post-tool-use.cjs`, timeout: 10, async: true }] },
    ]);
    expect(upgraded.hooks.PostToolUseFailure).toEqual([{ matcher: 'mcp__.*', hooks: [{ type: 'command', command: `node ${DIST}/hooks/post-tool-use-failure.cjs`, timeout: 10, async: true }] }]);
    // Alone in its group, the matcher is simply rewritten.
    upgraded.hooks.PostToolUse[2].matcher = 'TodoWrite|mcp__.*';
    writeFileSync(settingsPath, JSON.stringify(upgraded, null, 2));
    expect((await cli(['install-hooks', '--project-dir', dir])).out).toContain('PostToolUse[2]: matcher TodoWrite|TaskCreate|TaskUpdate');
    expect(JSON.parse(readFileSync(settingsPath, 'utf8')).hooks.PostToolUse.map((g: { matcher: string }) => g.matcher)).toEqual(['Write|Edit', 'TodoWrite|mcp__.*', 'TodoWrite|TaskCreate|TaskUpdate', 'mcp__.*']);

    writeFileSync(settingsPath, '{ "hooks": { oops');
    const broken = await cli(['install-hooks', '--project-dir', dir]);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/settings\.json is not valid JSON .*; fix it first, nothing was changed$/);
    expect(readFileSync(settingsPath, 'utf8')).toBe('{ "hooks": { oops');
    writeFileSync(settingsPath, JSON.stringify({ hooks: { SessionStart: 'nope' } }));
    expect((await cli(['install-hooks', '--project-dir', dir])).err).toMatch(/"hooks\.SessionStart" must be an array/);
    usageError(await cli(['install-hooks', '--project-dir']), /argument missing|--project-dir/);
  });

  it('the bundled script: exit codes, one stderr line, never the password', async () => {
    const home = tempDir('home');
    const env = { PATH: process.env.PATH, HOME: home, CLAUDE_FAMILY_DATA_DIR: join(home, 'data') };
    const help = await runNode(CLI, { args: ['--help'], env });
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: claude-family <command>');
    const bad = await runNode(CLI, { args: ['nope'], env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('claude-family: unknown command "nope"; try claude-family --help\n');
    const down = await runNode(CLI, { args: ['session', 'status'], env: { ...env, CLAUDE_FAMILY_DATABASE_URL: 'postgres://me:hunter2@127.0.0.1:1/db' } });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^claude-family session status: database unavailable \(Postgres me@127\.0\.0\.1:1\/db\): .*ECONNREFUSED.*\n$/);
    expect(down.stderr).not.toContain('hunter2');
    // The package's bin, as `npx claude-family` runs it from the repository.
    const npx = execFileSync('npx', ['--no-install', 'claude-family', 'message', '--help'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
    expect(npx).toContain('Usage: claude-family message <send|list|read>');
    // A project of the directory or the environment may be new; one named by --project must be known.
    const ok = await runNode(CLI, { args: ['todos', 'list', '--json'], env: { ...env, CLAUDE_FAMILY_DATABASE_URL: b.url, CLAUDE_FAMILY_PROJECT: 'nobody-here' } });
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(ok.stdout)).toEqual({ project: 'nobody-here', todos: [] });
    const typo = await runNode(CLI, { args: ['todos', 'list', '--json', '--project', 'nobody-here'], env: { ...env, CLAUDE_FAMILY_DATABASE_URL: b.url } });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^claude-family todos list: no project named "nobody-here"; known projects: .*\n$/);
  });
});

describe('claude-family CLI on the embedded default [embedded]', { timeout: 240_000 }, () => {
  let b: HookBackend;
  beforeAll(async () => {
    b = await createHookBackend('embedded');
  });
  afterAll(async () => {
    await b?.dispose();
  });
  const cli = makeCli(() => b);

  it('sees what the hooks wrote, then saves, reports and ends the session', async () => {
    const project = uniqueProject('embedded');
    const claudeId = `cc-${project}`;
    const env = { CLAUDE_FAMILY_PROJECT: project };
    const start = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: claudeId }), env: { ...b.env, ...env } });
    expect(start).toMatchObject({ code: 0, stderr: '' });
    const post = await runNode(hookScript('post-tool-use'), { stdin: JSON.stringify({ session_id: claudeId, tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'Written todo', status: 'in_progress' }] } }), env: { ...b.env, ...env } });
    expect(post).toMatchObject({ code: 0, stderr: '' });
    expect(pendingSpoolCount(b.dataDir)).toBe(0);

    const todos = JSON.parse((await cli(['todos', 'list', '--json'], { env })).out);
    expect(todos.todos.map((t: { content: string }) => t.content)).toEqual(['Written todo']);
    expect(pendingSpoolCount(b.dataDir)).toBe(0);

    expect((await cli(['session', 'save', '--focus', 'Embedded', '--next', 'ship'], { env: { ...env, CLAUDE_SESSION_ID: claudeId } })).code).toBe(0);
    const status = JSON.parse((await cli(['session', 'status', '--json'], { env: { ...env, CLAUDE_SESSION_ID: claudeId } })).out);
    expect(status).toMatchObject({ project, database: expect.stringMatching(/^the local Postgres in /), current_focus: 'Embedded', todos: { in_progress: 1 }, session: { claude_session_id: claudeId, session_end: null } });
    const ended = await cli(['session', 'end', '--summary', 'Embedded run'], { env: { ...env, CLAUDE_SESSION_ID: claudeId } });
    expect(ended).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse((await cli(['spool', 'replay', '--json'])).out)).toMatchObject({ applied: 0, remaining: 0 });
    const row = await b.inspect(async (db) => {
      await ensureProject(db, project);
      return (await db.query('SELECT session_summary, session_end IS NOT NULL AS ended FROM claude.sessions WHERE claude_session_id = $1', [claudeId])).rows;
    });
    expect(row).toEqual([{ session_summary: 'Embedded run', ended: true }]);
  });
});
