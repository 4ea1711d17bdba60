// Issue 15: nothing wedges for good on a leftover file, and the CLI is honest. An empty spool.lock
// older than a few seconds no longer stops `spool replay` (nor `session status`); `doctor` names a stale
// lock and clears it when asked; `session status` changes nothing (no migration, no replay); numbers are
// checked before SQL (exit 2); a wide archive needs --yes.
import { utimesSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/db/migrate.js';
import { makeEvent } from '../../src/core/events/events.js';
import { appendToSpool, pendingSpoolCount, spoolPaths } from '../../src/core/events/spool.js';
import { FileLock } from '../../src/core/fs/fileLock.js';
import { createPostgresDatabase } from '../support/backends.js';
import { tempDirs } from '../support/tempDirs.js';
import { cli, faultDb, hook, scenario, stderrLines, type FaultDb } from './support.js';

const tempDir = tempDirs('cf-honest');

function emptyOldLock(path: string): void {
  writeFileSync(path, '');
  const t = new Date(Date.now() - 60_000);
  utimesSync(path, t, t);
}

describe('faults: leftover lock files and an honest CLI [postgres]', { timeout: 120_000 }, () => {
  let fdb: FaultDb;
  beforeAll(async () => {
    fdb = await faultDb();
    await migrate(fdb.db);
  });
  afterAll(async () => {
    await fdb?.dispose();
  });

  it('an empty spool.lock left by a crash: spool replay and the hooks carry on; doctor names it and clears it when asked', async () => {
    const s = scenario(tempDir('emptylock'), fdb.url, 'emptylock');
    appendToSpool(s.dataDir, makeEvent({ kind: 'mcp_call', project: s.project, claude_session_id: s.claudeId, server: 'lock', tool: 'waiting', success: true }));
    emptyOldLock(spoolPaths(s.dataDir).lock);

    const doc = await cli(['doctor'], s.env);
    expect(doc.code).toBe(1);
    expect(doc.stdout).toMatch(/Lock .*spool\.lock: stale \(empty lock file, \d+ s old/);
    expect(doc.stdout).toMatch(/run claude-family doctor --clear-stale-locks/);
    const cleared = await cli(['doctor', '--clear-stale-locks'], s.env);
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toMatch(/spool\.lock: stale .*; cleared/);
    expect(FileLock.inspect(spoolPaths(s.dataDir).lock).state).toBe('free');

    // Without doctor too: a stale lock is taken over by the next replay.
    emptyOldLock(spoolPaths(s.dataDir).lock);
    const replay = await cli(['spool', 'replay', '--json'], s.env, { timeoutMs: 30_000 });
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ applied: 1, busy: false, remaining: 0 });
    emptyOldLock(spoolPaths(s.dataDir).lock);
    const status = await cli(['session', 'status'], s.env, { timeoutMs: 30_000 });
    expect(status.code).toBe(0);
  });

  it('session status changes nothing: the spool is not replayed, a fresh database is not migrated', async () => {
    const s = scenario(tempDir('status'), fdb.url, 'status');
    appendToSpool(s.dataDir, makeEvent({ kind: 'mcp_call', project: s.project, claude_session_id: s.claudeId, server: 'st', tool: 'x', success: true }));
    const r = await cli(['session', 'status', '--json'], s.env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ spooled_events: 1 });
    expect(pendingSpoolCount(s.dataDir)).toBe(1);

    const fresh = await createPostgresDatabase();
    try {
      const f = await cli(['session', 'status'], { ...s.env, CLAUDE_FAMILY_DATABASE_URL: fresh.url });
      expect(f.code).toBe(1);
      expect(stderrLines(f)).toEqual([expect.stringMatching(/the database has no claude schema yet; run `claude-family migrate`/)]);
      const admin = (await import('pg')).default;
      const c = new admin.Client({ connectionString: fresh.url });
      await c.connect();
      const schema = await c.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'claude'");
      await c.end();
      expect(schema.rowCount).toBe(0);
    } finally {
      await fresh.drop();
    }
  });

  it.each([
    [['mcp', 'usage', '--days', '99999999999999999999'], /--days must be a whole number from 1 to 36500, got "99999999999999999999"/],
    [['mcp', 'usage', '--days', '0'], /--days must be a whole number from 1 to 36500/],
    [['knowledge', 'add', '--name', 'n', '--category', 'c', '--description', 'd', '--confidence', '-1'], /--confidence must be a whole number from 1 to 10, got "-1"/],
    [['todos', 'archive', '--older-than', '0d'], /--older-than 0d archives every pending todo; add --yes to confirm \(nothing was changed\)/],
    [['todos', 'archive', '--older-than', '30d', '--all-projects'], /--all-projects archives in every project; add --yes/],
  ])('%j exits 2 with one clear line, before any SQL', async (args, message) => {
    const s = scenario(tempDir('usage'), fdb.url, 'usage');
    const r = await cli(args, s.env);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([expect.stringMatching(message)]);
  });

  it('todos archive --older-than 0d --yes archives, as confirmed', async () => {
    const s = scenario(tempDir('archive'), fdb.url, 'archive');
    const write = { session_id: s.claudeId, cwd: s.home, tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'old', status: 'pending' }] } };
    expect((await hook('post-tool-use', write, s.env)).code).toBe(0);
    const r = await cli(['todos', 'archive', '--older-than', '0d', '--yes'], s.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Archived 1 pending todo\(s\) older than 0 day\(s\)/);
  });
});
