// Claude Code's Task tools (TaskCreate / TaskUpdate), failed MCP calls (PostToolUseFailure) and
// SessionStart after a compaction, driven as Claude Code drives them: the task files written to
// <config dir>/tasks/<task list id>/ first, then the hook run with the JSON payload on stdin.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db/db.js';
import { pendingSpoolCount } from '../src/core/events/spool.js';
import { BACKENDS, uniqueProject } from './support/backends.js';
import { createHookBackend, hookScript, runNode, type HookBackend } from './support/processes.js';

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

interface TaskFile {
  id: string;
  subject: string;
  description?: string;
  activeForm?: string;
  status: 'pending' | 'in_progress' | 'completed';
  blocks?: string[];
  blockedBy?: string[];
  owner?: string;
}

/** Claude Code's task directory for one list, under a CLAUDE_CONFIG_DIR of the test's own. */
function taskDir(configDir: string, listId: string) {
  const dir = join(configDir, 'tasks', listId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.highwatermark'), '0');
  writeFileSync(join(dir, '.lock'), '');
  return {
    dir,
    write(task: TaskFile) {
      writeFileSync(join(dir, `${task.id}.json`), JSON.stringify({ description: '', blocks: [], blockedBy: [], ...task }, null, 2));
    },
    remove(id: string) {
      rmSync(join(dir, `${id}.json`), { force: true });
    },
  };
}

interface Row {
  content: string;
  status: string;
  is_deleted: boolean;
  task_id: string | null;
  blocked_by: string[];
  completed: boolean;
  completed_by_session: boolean;
}

async function todoRows(db: Db, project: string, familySessionId?: string): Promise<Row[]> {
  const { rows } = await db.query<Row>(
    `SELECT t.content, t.status, t.is_deleted, t.task_id, t.blocked_by, t.completed_at IS NOT NULL AS completed,
       coalesce(t.completed_session_id = $2::uuid, false) AS completed_by_session
     FROM claude.todos t JOIN claude.projects p USING (project_id) WHERE p.project_name = $1
     ORDER BY t.display_order, t.content, t.is_deleted`,
    [project, familySessionId ?? null],
  );
  return rows;
}

for (const backend of BACKENDS) {
  describe(`Task tools, failed MCP calls and compaction through the hooks [${backend}]`, { timeout: 240_000 }, () => {
    let b: HookBackend;
    let configDir: string;
    beforeAll(async () => {
      b = await createHookBackend(backend);
      configDir = mkdtempSync(join(tmpdir(), 'cf-claude-config-'));
      tmpDirs.push(configDir);
    });
    afterAll(async () => {
      await b?.dispose();
    });

    const run = (name: Parameters<typeof hookScript>[0], payload: unknown, env: Record<string, string | undefined> = {}) =>
      runNode(hookScript(name), { stdin: JSON.stringify(payload), env: { ...b.env, CLAUDE_CONFIG_DIR: configDir, ...env } });
    /** A hook that must succeed silently. */
    const quiet = async (...args: Parameters<typeof run>) => {
      const r = await run(...args);
      expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
      return r;
    };
    const familyIdOf = (project: string, claudeId: string) =>
      b.inspect(async (db) => (await db.query<{ session_id: string }>('SELECT session_id FROM claude.sessions WHERE claude_session_id = $1', [claudeId])).rows[0]?.session_id);

    it('create x3, update, complete, delete: claude.todos keyed by task id, the same state as the TodoWrite session', async () => {
      const project = uniqueProject('tasks');
      const env = { CLAUDE_FAMILY_PROJECT: project };
      const sid = `cc-${project}`;
      const tasks = taskDir(configDir, sid);
      const base = { session_id: sid, cwd: configDir, hook_event_name: 'PostToolUse' };
      const create = async (t: TaskFile) => {
        tasks.write(t);
        await quiet('post-tool-use', { ...base, tool_name: 'TaskCreate', tool_input: { subject: t.subject, description: '', activeForm: t.activeForm }, tool_response: { task: { id: t.id, subject: t.subject } } }, env);
      };
      const update = async (t: TaskFile | { id: string; status: 'deleted' }, input: Record<string, unknown>) => {
        if (t.status === 'deleted') tasks.remove(t.id);
        else tasks.write(t as TaskFile);
        await quiet('post-tool-use', { ...base, tool_name: 'TaskUpdate', tool_input: { taskId: t.id, ...input }, tool_response: { success: true } }, env);
      };

      expect((await run('session-start', { session_id: sid, cwd: configDir, source: 'startup' }, env)).code).toBe(0);
      // Two tasks with the same subject are two tasks.
      await create({ id: '1', subject: 'Write the parser', activeForm: 'Writing the parser', status: 'pending' });
      await create({ id: '2', subject: 'Test it', activeForm: 'Testing it', status: 'pending' });
      await create({ id: '3', subject: 'Test it', activeForm: 'Testing it again', status: 'pending' });
      await update({ id: '1', subject: 'Write the parser', activeForm: 'Writing the parser', status: 'in_progress' }, { status: 'in_progress' });
      await update({ id: '3', subject: 'Test it', activeForm: 'Testing it again', status: 'pending', blockedBy: ['1'] }, { addBlockedBy: ['1'] });
      await update({ id: '1', subject: 'Write the parser', activeForm: 'Writing the parser', status: 'completed' }, { status: 'completed' });
      await update({ id: '2', status: 'deleted' }, { status: 'deleted' });
      expect(pendingSpoolCount(b.dataDir)).toBe(0); // every event applied, on both kinds

      // The handoff at the next start shows the open task, with its blocker gone once that completed.
      const next = await run('session-start', { session_id: `${sid}-next`, cwd: configDir, source: 'startup' }, env);
      expect(next).toMatchObject({ code: 0, stderr: '' });
      expect(next.stdout).toContain('Active Todos: 1 total (0 in progress, 1 pending)');
      expect(next.stdout).toContain('[ ] [P3] #3 Test it\n');

      const familyId = await familyIdOf(project, sid);
      const taskState = await b.inspect((db) => todoRows(db, project, familyId));
      expect(taskState).toEqual([
        { content: 'Write the parser', status: 'completed', is_deleted: false, task_id: '1', blocked_by: [], completed: true, completed_by_session: true },
        { content: 'Test it', status: 'pending', is_deleted: true, task_id: '2', blocked_by: [], completed: false, completed_by_session: false },
        { content: 'Test it', status: 'pending', is_deleted: false, task_id: '3', blocked_by: ['1'], completed: false, completed_by_session: false },
      ]);

      // The same work through TodoWrite (which cannot hold two todos with one content, so the second is
      // named apart) leaves the same statuses, completions and deletions.
      const other = uniqueProject('todowrite');
      const osid = `cc-${other}`;
      const oenv = { CLAUDE_FAMILY_PROJECT: other };
      const todoWrite = (todos: { content: string; status: string; activeForm: string }[]) =>
        quiet('post-tool-use', { session_id: osid, cwd: configDir, tool_name: 'TodoWrite', tool_input: { todos } }, oenv);
      expect((await run('session-start', { session_id: osid, cwd: configDir, source: 'startup' }, oenv)).code).toBe(0);
      const [p, t2, t3] = [{ content: 'Write the parser', activeForm: 'Writing the parser' }, { content: 'Test it', activeForm: 'Testing it' }, { content: 'Test it (2)', activeForm: 'Testing it again' }];
      await todoWrite([{ ...p, status: 'pending' }, { ...t2, status: 'pending' }, { ...t3, status: 'pending' }]);
      await todoWrite([{ ...p, status: 'in_progress' }, { ...t2, status: 'pending' }, { ...t3, status: 'pending' }]);
      await todoWrite([{ ...p, status: 'completed' }, { ...t2, status: 'pending' }, { ...t3, status: 'pending' }]);
      await todoWrite([{ ...p, status: 'completed' }, { ...t3, status: 'pending' }]);
      expect((await run('session-start', { session_id: `${osid}-next`, cwd: configDir, source: 'startup' }, oenv)).code).toBe(0);
      const otherFamilyId = await familyIdOf(other, osid);
      const todoState = await b.inspect((db) => todoRows(db, other, otherFamilyId));
      const shape = (rows: Row[]) => rows.map(({ status, is_deleted, completed, completed_by_session }) => ({ status, is_deleted, completed, completed_by_session })).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
      expect(shape(taskState)).toEqual(shape(todoState));
      expect(todoState.map((r) => r.task_id)).toEqual([null, null, null]);
    });

    it('a task list shared by two sessions (CLAUDE_CODE_TASK_LIST_ID) maps to one project, without duplicate rows', async () => {
      const listId = uniqueProject('shared-list');
      const tasks = taskDir(configDir, listId);
      const [projA, projB] = [uniqueProject('share-a'), uniqueProject('share-b')];
      const [sa, sb] = [`cc-${projA}`, `cc-${projB}`];
      const envA = { CLAUDE_FAMILY_PROJECT: projA, CLAUDE_CODE_TASK_LIST_ID: listId };
      const envB = { CLAUDE_FAMILY_PROJECT: projB, CLAUDE_CODE_TASK_LIST_ID: listId };
      tasks.write({ id: '1', subject: 'Shared one', status: 'pending' });
      await quiet('post-tool-use', { session_id: sa, cwd: configDir, tool_name: 'TaskCreate', tool_input: { subject: 'Shared one' }, tool_response: { task: { id: '1' } } }, envA);
      tasks.write({ id: '2', subject: 'Shared two', status: 'pending' });
      await quiet('post-tool-use', { session_id: sb, cwd: configDir, tool_name: 'TaskCreate', tool_input: { subject: 'Shared two' }, tool_response: { task: { id: '2' } } }, envB);
      tasks.write({ id: '1', subject: 'Shared one', status: 'completed' });
      await quiet('post-tool-use', { session_id: sb, cwd: configDir, tool_name: 'TaskUpdate', tool_input: { taskId: '1', status: 'completed' } }, envB);
      await quiet('post-tool-use', { session_id: sa, cwd: configDir, tool_name: 'TaskUpdate', tool_input: { taskId: '2', owner: 'a' } }, envA);
      expect((await run('session-start', { session_id: `${sa}-later`, cwd: configDir, source: 'startup' }, envA)).code).toBe(0);

      const rows = await b.inspect(async (db) =>
        (await db.query<{ project_name: string; task_id: string; status: string; completed_by: string | null }>(
          `SELECT p.project_name, t.task_id, t.status, s.claude_session_id AS completed_by FROM claude.todos t
           JOIN claude.projects p USING (project_id) LEFT JOIN claude.sessions s ON s.session_id = t.completed_session_id
           WHERE t.task_list_id = $1 ORDER BY t.task_id`,
          [listId],
        )).rows,
      );
      expect(rows).toEqual([
        { project_name: projA, task_id: '1', status: 'completed', completed_by: sb },
        { project_name: projA, task_id: '2', status: 'pending', completed_by: null },
      ]);
    });

    it('a missing, unreadable or partly malformed task directory: the payload, or the readable files, are recorded', async () => {
      const project = uniqueProject('nodir');
      const env = { CLAUDE_FAMILY_PROJECT: project };
      const sid = `cc-${project}`;
      const post = (tool_name: string, tool_input: unknown, tool_response?: unknown) => run('post-tool-use', { session_id: sid, cwd: configDir, tool_name, tool_input, tool_response }, env);

      // No directory at all: the id comes from the response, the status from TaskUpdate's input.
      const created = await post('TaskCreate', { subject: 'From the payload', activeForm: 'Recording' }, 'Task #1 created successfully: From the payload');
      expect(created.code).toBe(0);
      expect(created.stderr).toMatch(/^claude-family post-tool-use: the task list cannot be read \(.*does not exist\); recorded what the TaskCreate payload says\n$/);
      expect((await post('TaskUpdate', { taskId: '1', status: 'in_progress' })).code).toBe(0);
      // Unknown to us and no subject: nothing to insert.
      expect((await post('TaskUpdate', { taskId: '9', status: 'completed' })).code).toBe(0);

      // A file where the directory should be: cannot be read, the payload is used.
      writeFileSync(join(configDir, 'tasks', sid), 'not a directory');
      const blocked = await post('TaskUpdate', { taskId: '1', addBlockedBy: ['7'] });
      expect(blocked.stderr).toMatch(/task list cannot be read \(.*ENOTDIR\)/);
      rmSync(join(configDir, 'tasks', sid));

      // The directory appears with one good file and one torn one: the good one syncs, the torn one's
      // row is left alone (not taken for deleted), and stderr says so in one line.
      const tasks = taskDir(configDir, sid);
      tasks.write({ id: '1', subject: 'From the payload', activeForm: 'Recording', status: 'completed', blockedBy: ['7'] });
      tasks.write({ id: '2', subject: 'Second', status: 'pending' });
      await quiet('post-tool-use', { session_id: sid, cwd: configDir, tool_name: 'TaskCreate', tool_input: { subject: 'Second' }, tool_response: { task: { id: '2' } } }, env);
      writeFileSync(join(tasks.dir, '2.json'), '{"id": "2", "subject": "Sec');
      const torn = await post('TaskUpdate', { taskId: '1', status: 'completed' });
      expect(torn.code).toBe(0);
      expect(torn.stderr.trim().split('\n')).toHaveLength(1);
      expect(torn.stderr).toContain('2.json');
      // Without a payload id either, the hook says so and exits 0.
      rmSync(tasks.dir, { recursive: true });
      const hopeless = await post('TaskUpdate', { status: 'completed' });
      expect(hopeless.code).toBe(0);
      expect(hopeless.stderr).toMatch(/the payload names no task id/);

      expect((await run('session-start', { session_id: `${sid}-next`, cwd: configDir, source: 'startup' }, env)).code).toBe(0);
      const rows = await b.inspect((db) => todoRows(db, project));
      expect(rows.map(({ content, status, is_deleted, task_id, blocked_by }) => ({ content, status, is_deleted, task_id, blocked_by }))).toEqual([
        { content: 'From the payload', status: 'completed', is_deleted: false, task_id: '1', blocked_by: ['7'] },
        { content: 'Second', status: 'pending', is_deleted: false, task_id: '2', blocked_by: [] },
      ]);
    });

    it('a failed MCP call (PostToolUseFailure) is one mcp_usage row with success = false and a bounded, redacted error', async () => {
      const project = uniqueProject('mcpfail');
      const env = { CLAUDE_FAMILY_PROJECT: project };
      const sid = `cc-${project}`;
      const error = `connect failed for postgres://admin:s3cret@db.example:5432/app ${'x'.repeat(2000)}`;
      await quiet('post-tool-use-failure', { session_id: sid, cwd: configDir, hook_event_name: 'PostToolUseFailure', tool_name: 'mcp__postgres__execute_sql', tool_input: { sql: 'select 1' }, tool_use_id: 'toolu_1', error, is_interrupt: false }, env);
      await quiet('post-tool-use-failure', { session_id: sid, cwd: configDir, hook_event_name: 'PostToolUseFailure', tool_name: 'mcp__memory__read_graph', tool_input: {}, tool_use_id: 'toolu_2', error: 'aborted', is_interrupt: true }, env);
      // Not an MCP tool: nothing.
      await quiet('post-tool-use-failure', { session_id: sid, cwd: configDir, hook_event_name: 'PostToolUseFailure', tool_name: 'Bash', tool_input: { command: 'false' }, tool_use_id: 'toolu_3', error: 'exit 1' }, env);
      expect((await run('session-start', { session_id: `${sid}-next`, cwd: configDir, source: 'startup' }, env)).code).toBe(0);
      const rows = await b.inspect(async (db) =>
        (await db.query<{ mcp_server: string; tool_name: string; success: boolean; error: string }>(
          'SELECT mcp_server, tool_name, success, error FROM claude.mcp_usage WHERE claude_session_id = $1 ORDER BY called_at',
          [sid],
        )).rows,
      );
      expect(rows.map((r) => [r.mcp_server, r.tool_name, r.success])).toEqual([['postgres', 'execute_sql', false], ['memory', 'read_graph', false]]);
      expect(rows[0]!.error).toHaveLength(500);
      expect(rows[0]!.error).toMatch(/^connect failed for postgres:\/\/admin:\*\*\*@db\.example:5432\/app x+…$/);
      expect(rows[0]!.error).not.toContain('s3cret');
      expect(rows[1]!.error).toBe('interrupted by the user: aborted');
    });

    it('SessionStart after a compaction prints a short reminder of the focus and the open tasks', async () => {
      const project = uniqueProject('compact');
      const env = { CLAUDE_FAMILY_PROJECT: project };
      const sid = `cc-${project}`;
      const tasks = taskDir(configDir, sid);
      expect((await run('session-start', { session_id: sid, cwd: configDir, source: 'startup' }, env)).code).toBe(0);
      tasks.write({ id: '1', subject: 'Design the schema', status: 'in_progress', blocks: ['2'] });
      tasks.write({ id: '2', subject: 'Write the migration', status: 'pending', blockedBy: ['1'] });
      await quiet('post-tool-use', { session_id: sid, cwd: configDir, tool_name: 'TaskCreate', tool_input: { subject: 'Write the migration' }, tool_response: { task: { id: '2' } } }, env);
      const compact = await run('session-start', { session_id: sid, cwd: configDir, hook_event_name: 'SessionStart', source: 'compact' }, env);
      expect(compact).toMatchObject({ code: 0, stderr: '' });
      expect(compact.stdout).toBe(
        [
          '=== CONTEXT COMPACTED: CURRENT FOCUS AND OPEN TASKS ===',
          `Project: ${project}`,
          'Focus: (none recorded)',
          'Open: 1 in progress, 1 pending',
          '  [>] [P3] #1 Design the schema',
          '  [ ] [P3] #2 Write the migration (blocked by #1)',
          '',
        ].join('\n'),
      );
      const n = await b.inspect(async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM claude.sessions WHERE claude_session_id = $1', [sid])).rows[0]!.n);
      expect(n).toBe(1);
    });
  });
}
