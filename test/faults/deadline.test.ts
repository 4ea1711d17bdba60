// Issue 15: a deadline on every database call a hook makes, on the client side. A TCP relay on 127.0.0.1
// forwards to the real Postgres and then freezes (keeps the sockets open, forwards nothing) after the
// Nth message from the client: a server-side statement_timeout cannot help there. Every hook must come
// back well inside its Claude Code timeout with its event kept.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/db/migrate.js';
import { pendingSpoolCount } from '../../src/core/events/spool.js';
import { tempDirs } from '../support/tempDirs.js';
import { cli, faultDb, hook, mcpCall, scenario, stderrLines, type FaultDb } from './support.js';

const tempDir = tempDirs('cf-deadline');

/** A relay to 127.0.0.1:5432 that stops forwarding after `freezeAfter` client messages (chunks). */
async function freezingRelay(freezeAfter: number): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(5432, '127.0.0.1');
    sockets.add(client).add(upstream);
    let seen = 0;
    let frozen = false;
    client.on('data', (d) => {
      seen += 1;
      if (seen > freezeAfter) frozen = true;
      if (!frozen) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!frozen) client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('faults: a server that freezes mid-conversation [postgres]', { timeout: 180_000 }, () => {
  let fdb: FaultDb;
  beforeAll(async () => {
    fdb = await faultDb();
    await migrate(fdb.db);
  });
  afterAll(async () => {
    await fdb?.dispose();
  });

  it('a hook killed by Claude Code in the middle of a database call loses nothing: its event was kept first', async () => {
    const relay = await freezingRelay(3);
    try {
      const url = new URL(fdb.url);
      url.port = String(relay.port);
      const s = scenario(tempDir('killed'), url.toString(), 'killed');
      const r = await hook('post-tool-use', mcpCall(s, 'mcp__killed__call'), s.env, { timeoutMs: 1500 });
      expect(r.killed).toBe(true);
      expect(pendingSpoolCount(s.dataDir)).toBe(1);
      const replay = await cli(['spool', 'replay', '--json'], { ...s.env, CLAUDE_FAMILY_DATABASE_URL: fdb.url });
      expect(JSON.parse(replay.stdout)).toMatchObject({ applied: 1, remaining: 0 });
      expect((await fdb.db.query("SELECT 1 FROM claude.mcp_usage WHERE mcp_server = 'killed'")).rowCount).toBe(1);
    } finally {
      await relay.close();
    }
  });

  for (const n of [3, 5, 7]) {
    it(`frozen after the ${n}th message: SessionStart, PostToolUse and SessionEnd finish inside their timeouts, say so, and keep their events`, async () => {
      const relay = await freezingRelay(n);
      try {
        const url = new URL(fdb.url);
        url.port = String(relay.port);
        const s = scenario(tempDir(`freeze-${n}`), url.toString(), `freeze-${n}`);
        const start = await hook('session-start', { session_id: s.claudeId, cwd: s.home }, s.env, { timeoutMs: 30_000 });
        const post = await hook('post-tool-use', mcpCall(s), s.env, { timeoutMs: 10_000 });
        const end = await hook('session-end', { session_id: s.claudeId, cwd: s.home }, s.env, { timeoutMs: 30_000 });
        for (const r of [start, post, end]) {
          expect(r.killed).toBeUndefined();
          expect(r.code).toBe(0);
          expect(stderrLines(r)).toEqual([expect.stringMatching(/did not answer|timeout|event kept in .*spool\.jsonl/)]);
        }
        expect(post.ms).toBeLessThan(10_000);
        expect(start.ms).toBeLessThan(30_000);
        expect(end.ms).toBeLessThan(30_000);
        expect(pendingSpoolCount(s.dataDir)).toBe(3);
      } finally {
        await relay.close();
      }
    });
  }
});
