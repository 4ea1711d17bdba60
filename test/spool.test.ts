import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { DbUnavailableError, type Db } from '../src/core/db/db.js';
import { applyEvent, makeEvent, type HookEvent } from '../src/core/events/events.js';
import { ValidationError } from '../src/core/models.js';
import { findSessionByClaudeId } from '../src/core/repos/sessions.js';
import { usageForSession } from '../src/core/repos/mcpUsage.js';
import { appendToSpool, pendingSpoolCount, replaySpool, spoolBacklog, spoolHasEvents, spoolPaths } from '../src/core/events/spool.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cf-spool-'));
  dirs.push(d);
  return d;
}

function lifecycle(project: string, claudeId: string): HookEvent[] {
  return [
    makeEvent({ kind: 'session_start', project, claude_session_id: claudeId }),
    makeEvent({ kind: 'todo_write', project, claude_session_id: claudeId, todos: [{ content: 'Write tests', status: 'in_progress' }, { content: 'Ship', status: 'pending' }] }),
    makeEvent({ kind: 'mcp_call', project, claude_session_id: claudeId, server: 'postgres', tool: 'execute_sql', success: true, duration_ms: 5 }),
    makeEvent({ kind: 'todo_write', project, claude_session_id: claudeId, todos: [{ content: 'Write tests', status: 'completed' }, { content: 'Ship', status: 'pending' }] }),
    makeEvent({ kind: 'session_summary', project, claude_session_id: claudeId, summary: 'Shipped it', tasks_completed: ['Ship'], learnings_gained: [], next_steps: ['Release'] }),
    makeEvent({ kind: 'session_end', project, claude_session_id: claudeId }),
  ];
}

/** Fails every statement after the first `okCalls`, as a server that goes away would. */
function flaky(db: Db, okCalls: number): Db {
  let calls = 0;
  const gate = () => {
    calls += 1;
    if (calls > okCalls) throw new DbUnavailableError('Postgres unavailable: simulated outage');
  };
  return {
    ...db,
    backend: db.backend,
    query: (t, p) => (gate(), db.query(t, p)),
    exec: (s) => (gate(), db.exec(s)),
    transaction: (fn) => (gate(), db.transaction(fn)),
    listen: db.listen.bind(db),
    close: db.close.bind(db),
  };
}

async function summary(db: Db, claudeId: string) {
  const s = await findSessionByClaudeId(db, claudeId);
  if (!s) return undefined;
  const todos = await db.query<{ content: string; status: string; is_deleted: boolean }>(
    'SELECT content, status, is_deleted FROM claude.todos WHERE project_id = $1 ORDER BY content',
    [s.project_id],
  );
  const usage = await usageForSession(db, s.session_id);
  return {
    ended: s.session_end !== null,
    summary: [s.session_summary, s.tasks_completed],
    todos: todos.rows,
    usage: usage.map((u) => [u.mcp_server, u.tool_name, u.success, u.claude_session_id]),
  };
}

describeEachBackend('events and the spool', (ctx) => {
  it('applies each event exactly once', async () => {
    const { db } = ctx();
    const project = uniqueProject();
    const [start, write] = lifecycle(project, `cc-${project}`);
    expect((await applyEvent(db, start!)).status).toBe('applied');
    expect((await applyEvent(db, start!)).status).toBe('duplicate');
    expect((await applyEvent(db, write!)).status).toBe('applied');
    expect((await applyEvent(db, write!)).status).toBe('duplicate');
  });

  it('an MCP call records the session id taken from the hook payload (the seed bug)', async () => {
    const { db } = ctx();
    const project = uniqueProject();
    const claudeId = `cc-${project}`;
    await applyEvent(db, makeEvent({ kind: 'mcp_call', project, claude_session_id: claudeId, server: 'memory', tool: 'create_entities', success: false, error: 'boom' }));
    const s = await findSessionByClaudeId(db, claudeId);
    const rows = await usageForSession(db, s!.session_id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ mcp_server: 'memory', tool_name: 'create_entities', success: false, error: 'boom', claude_session_id: claudeId });
  });

  it('replays a spooled lifecycle in order and ends in the same state as direct writes', async () => {
    const { db } = ctx();
    const direct = uniqueProject('direct');
    for (const e of lifecycle(direct, `cc-${direct}`)) await applyEvent(db, e);

    const spooled = uniqueProject('spooled');
    const dataDir = tempDataDir();
    for (const e of lifecycle(spooled, `cc-${spooled}`)) appendToSpool(dataDir, e);
    expect(pendingSpoolCount(dataDir)).toBe(6);
    const report = await replaySpool(db, dataDir);
    expect(report).toMatchObject({ applied: 6, duplicates: 0, rejected: [], remaining: 0, busy: false });
    expect(spoolHasEvents(dataDir)).toBe(false);

    const a = await summary(db, `cc-${direct}`);
    const b = await summary(db, `cc-${spooled}`);
    expect(b).toEqual({ ...a!, usage: a!.usage.map(([s, t, ok]) => [s, t, ok, `cc-${spooled}`]) });
    expect(a!.ended).toBe(true);
    expect(a!.summary).toEqual(['Shipped it', ['Ship']]);
  });

  it('keeps what was not committed when the database goes away part way, and applies it once later', async () => {
    const { db } = ctx();
    const project = uniqueProject('outage');
    const claudeId = `cc-${project}`;
    const dataDir = tempDataDir();
    const events = lifecycle(project, claudeId);
    for (const e of events) appendToSpool(dataDir, e);

    // One event per transaction, so the outage comes between two commits.
    const first = await replaySpool(flaky(db, 2), dataDir, { batchSize: 1 });
    expect(first.applied).toBe(2);
    expect(first.remaining).toBe(4);
    expect(pendingSpoolCount(dataDir)).toBe(4);
    // New events keep arriving while the first batch waits; they must come after it.
    const late = makeEvent({ kind: 'mcp_call', project, claude_session_id: claudeId, server: 'late', tool: 'call', success: true });
    appendToSpool(dataDir, late);

    const second = await replaySpool(db, dataDir);
    expect(second).toMatchObject({ applied: 5, duplicates: 0, remaining: 0 });
    const s = await summary(db, claudeId);
    expect(s!.summary).toEqual(['Shipped it', ['Ship']]);
    expect(s!.usage.map((u) => u[0])).toEqual(['postgres', 'late']);
    expect(s!.todos).toEqual([
      { content: 'Ship', status: 'pending', is_deleted: false },
      { content: 'Write tests', status: 'completed', is_deleted: false },
    ]);
  });

  it('moves a corrupt line aside with the reason and replays the rest', async () => {
    const { db } = ctx();
    const project = uniqueProject('corrupt');
    const dataDir = tempDataDir();
    const [start, write] = lifecycle(project, `cc-${project}`);
    appendToSpool(dataDir, start!);
    appendFileSync(spoolPaths(dataDir).live, '{"event_id": "torn wri\n');
    appendFileSync(spoolPaths(dataDir).live, `${JSON.stringify({ ...write, todos: [{ content: 'x', status: 'done' }] })}\n`);
    appendToSpool(dataDir, write!);
    const report = await replaySpool(db, dataDir);
    expect(report.applied).toBe(2);
    expect(report.rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/not valid JSON/),
      expect.stringMatching(/todos\.0\.status/),
    ]);
    const rejected = readFileSync(spoolPaths(dataDir).rejected, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejected.map((r) => r.line)).toEqual(['{"event_id": "torn wri', expect.stringContaining('"done"')]);
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.claimed'))).toEqual([]);
  });

  it('a torn last line (a crash mid-append) never swallows the next event: it is rejected alone', async () => {
    const { db } = ctx();
    const project = uniqueProject('torn');
    const dataDir = tempDataDir();
    const [start, write, mcp] = lifecycle(project, `cc-${project}`);
    appendToSpool(dataDir, start!);
    // The crash: half of the next event's line, no newline.
    const line = JSON.stringify(write);
    appendFileSync(spoolPaths(dataDir).live, line.slice(0, 40));
    appendToSpool(dataDir, mcp!);
    expect(readFileSync(spoolPaths(dataDir).live, 'utf8').split('\n')).toEqual([JSON.stringify(start), line.slice(0, 40), JSON.stringify(mcp), '']);
    expect(spoolBacklog(dataDir)).toEqual({ count: 3, since: new Date(start!.at) });

    const report = await replaySpool(db, dataDir);
    expect(report.applied).toBe(2);
    expect(report.rejected).toEqual([{ line: line.slice(0, 40), reason: expect.stringMatching(/not valid JSON/) }]);
    expect((await summary(db, `cc-${project}`))?.usage).toHaveLength(1);
    expect(spoolBacklog(dataDir)).toEqual({ count: 0 });
  });

  it('refuses to spool an invalid event', () => {
    const dataDir = tempDataDir();
    expect(() => makeEvent({ kind: 'todo_write', project: '', claude_session_id: 'x', todos: [] })).toThrow(ValidationError);
    expect(() => appendToSpool(dataDir, { kind: 'mcp_call' } as never)).toThrow();
    expect(() => makeEvent({ kind: 'session_summary', project: 'p', summary: 'Names no session', tasks_completed: [], learnings_gained: [], next_steps: [] })).toThrow(/names no session/);
    expect(() => makeEvent({ kind: 'state_save', project: 'p' })).toThrow(/saves nothing/);
    expect(spoolHasEvents(dataDir)).toBe(false);
  });
});
