// Issues 14 and 15: keep what cannot be used, and say so in one line. Oversized stdin leaves a bounded
// record; invalid UTF-8 is accepted with a word; a payload nested 200,000 levels deep is measured, not
// parsed, and kept; a malformed mcp__ tool name is kept with the reason; a connection string with an
// unencoded character in its password says how to fix it, the events and a session end are kept; a
// libpq key=value connection string works.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/db/migrate.js';
import { pendingSpoolCount } from '../../src/core/events/spool.js';
import { tempDirs } from '../support/tempDirs.js';
import { cli, faultDb, hook, mcpCall, rejectedRecords, scenario, stderrLines, todoWrite, type FaultDb } from './support.js';

const tempDir = tempDirs('cf-input');

describe('faults: input that cannot be used is kept [postgres]', { timeout: 180_000 }, () => {
  let fdb: FaultDb;
  beforeAll(async () => {
    fdb = await faultDb();
    await migrate(fdb.db);
  });
  afterAll(async () => {
    await fdb?.dispose();
  });

  it('stdin over 32 MiB: one line, and its size, hash and first 64 KB in spool.rejected.jsonl', async () => {
    const s = scenario(tempDir('big'), fdb.url, 'big');
    const payload = Buffer.from(JSON.stringify({ ...mcpCall(s), tool_response: { text: 'y'.repeat(33 * 1024 * 1024) } }));
    const r = await hook('post-tool-use', payload, s.env, { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^claude-family post-tool-use: stdin is larger than 33554432 bytes \(\d+ bytes\); its size, hash and first 64 KB are kept in .*spool\.rejected\.jsonl$/)]);
    const [rec] = rejectedRecords(s.dataDir);
    expect(rec).toMatchObject({ size: payload.length, sha256: createHash('sha256').update(payload).digest('hex'), truncated: true });
    expect((rec!.line as string).length).toBe(64 * 1024);
    expect(payload.subarray(0, 64 * 1024).toString('utf8')).toBe(rec!.line);
  });

  it('invalid UTF-8 is accepted with one line saying it was replaced, and the event is recorded', async () => {
    const s = scenario(tempDir('utf8'), fdb.url, 'utf8');
    const json = Buffer.from(JSON.stringify(todoWrite(s, [{ content: 'caf@@', status: 'pending' }])));
    const at = json.indexOf('@@');
    json[at] = 0xff;
    json[at + 1] = 0xfe;
    const r = await hook('post-tool-use', json, s.env);
    expect(r.code).toBe(0);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^claude-family post-tool-use: stdin was not valid UTF-8: invalid byte sequences were replaced with U\+FFFD/)]);
    const rows = (await fdb.db.query<{ content: string }>('SELECT content FROM claude.todos t JOIN claude.projects p USING (project_id) WHERE p.project_name = $1', [s.project])).rows;
    expect(rows).toEqual([{ content: 'caf\uFFFD\uFFFD' }]);
  });

  it('an MCP error nested 200,000 levels deep is measured before parsing and kept in the rejected file', async () => {
    const s = scenario(tempDir('deep'), fdb.url, 'deep');
    const deep = `{"e":${'['.repeat(200_000)}1${']'.repeat(200_000)}}`;
    const raw = JSON.stringify(mcpCall(s)).replace('"tool_response":{}', `"tool_response":{"isError":true,"error":${deep}}`);
    const r = await hook('post-tool-use', raw, s.env);
    expect(r.code).toBe(0);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^claude-family post-tool-use: the PostToolUse payload is nested deeper than 512 levels; not parsed$/)]);
    const [rec] = rejectedRecords(s.dataDir);
    expect(rec).toMatchObject({ reason: expect.stringMatching(/nested deeper than 512 levels/), line: raw });
  });

  it.each(['mcp__', 'mcp____x', 'mcp__srv__'])('the malformed MCP tool name %j is kept with the reason', async (name) => {
    const s = scenario(tempDir('mcpname'), fdb.url, 'mcpname');
    const r = await hook('post-tool-use', mcpCall(s, name), s.env);
    expect(r.code).toBe(0);
    expect(stderrLines(r)).toEqual([`claude-family post-tool-use: malformed MCP tool name ${JSON.stringify(name)}: expected mcp__<server>__<tool>, both non-empty`]);
    expect(rejectedRecords(s.dataDir)).toEqual([expect.objectContaining({ reason: expect.stringContaining('malformed MCP tool name'), line: expect.stringContaining(name) })]);
  });

  it.each([
    ['#', 'pa#ss'],
    ['/', 'pa/ss'],
    ['? and %', 'p?a%zz'],
  ])('a password with an unencoded %s: the hook says to percent-encode it, keeps the event, and session end keeps the summary', async (_label, password) => {
    const s = scenario(tempDir('badurl'), fdb.url, 'badurl');
    const u = new URL(fdb.url);
    const bad = `postgres://${u.username}:${password}@${u.host}${u.pathname}`;
    const env = { ...s.env, CLAUDE_FAMILY_DATABASE_URL: bad };
    const r = await hook('post-tool-use', mcpCall(s), env);
    expect(r.code).toBe(0);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/percent-encode it \(the password p@ss#1\/x is written p%40ss%231%2Fx in the URL; encodeURIComponent does it\).*event kept in .*spool\.jsonl/)]);
    expect(r.stderr).not.toContain(password);
    const end = await cli(['session', 'end', '--summary', 'Kept whatever the reason', '--session', '6f1c8a34-5b7e-4a1c-9d2e-3f4a5b6c7d8e'], env);
    expect(end.code).toBe(0);
    expect(end.stdout).toMatch(/^Session end kept in .*spool\.jsonl/);
    expect(`${end.stdout}${end.stderr}`).not.toContain(password);
    expect(pendingSpoolCount(s.dataDir)).toBe(2);
  });

  it('a key=value connection string works as libpq accepts it', async () => {
    const s = scenario(tempDir('kv'), fdb.url, 'kv');
    const u = new URL(fdb.url);
    const kv = `host=${u.hostname} port=${u.port || 5432} dbname='${u.pathname.slice(1)}' user=${u.username} password='it\\'s secret'`;
    const env = { ...s.env, CLAUDE_FAMILY_DATABASE_URL: kv };
    const r = await hook('post-tool-use', mcpCall(s, 'mcp__kv__call'), env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect((await fdb.db.query("SELECT 1 FROM claude.mcp_usage WHERE mcp_server = 'kv'")).rowCount).toBe(1);
    const unknownKey = await cli(['session', 'status'], { ...s.env, CLAUDE_FAMILY_DATABASE_URL: 'host=x dbnam=y' });
    expect(unknownKey.code).toBe(1);
    expect(stderrLines(unknownKey)).toEqual([expect.stringMatching(/the connection string has the unsupported key "dbnam"/)]);
  });
});
