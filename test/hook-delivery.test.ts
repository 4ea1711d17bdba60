// What a hook says about its event after delivering it: an event another process's replay applied (it
// took the event with its own batch) is not reported as waiting in the spool; one that really waits is.
import { describe, expect, it } from 'vitest';
import type { Config } from '../src/core/config.js';
import { migrate } from '../src/core/db/migrate.js';
import { applyEvent, makeEvent } from '../src/core/events/events.js';
import { spoolPaths } from '../src/core/events/spool.js';
import { FileLock } from '../src/core/fs/fileLock.js';
import { deliver } from '../src/hooks/common.js';
import { BACKENDS, uniqueProject } from './support/backends.js';
import { createHookBackend } from './support/processes.js';

describe('a hook\'s one line about its event', { timeout: 60_000 }, () => {
  for (const backend of BACKENDS) {
    it(`says nothing of an event another process's replay applied, and says so of one that waits [${backend}]`, async () => {
      const hb = await createHookBackend(backend);
      try {
        const project = uniqueProject('delivery');
        const config: Config = { dataDir: hb.dataDir, project, sessionStartKnowledge: true, promptKnowledge: true, source: 'env', ...(hb.url ? { databaseUrl: hb.url } : {}) };
        const mcp = (tool: string) => makeEvent({ kind: 'mcp_call', project, claude_session_id: `cc-${project}`, server: 'delivery', tool, success: true });
        const applied = mcp('applied-elsewhere');
        // Another process appended the same kind of work and its replay applied this event already; it
        // still holds the spool lock (its replay goes on), so this hook's own replay finds the lock busy.
        await hb.inspect(async (db) => {
          await migrate(db);
          await applyEvent(db, applied);
        });
        const lock = await FileLock.acquire(spoolPaths(hb.dataDir).lock, 1000);
        try {
          const done = await deliver(config, applied, { migrate: 'if-behind', replayBudgetMs: 200 });
          await done.db?.close();
          expect(done).toMatchObject({ appliedElsewhere: true });
          expect(done.spooledBecause).toBeUndefined();

          const waiting = await deliver(config, mcp('waits'), { migrate: 'if-behind', replayBudgetMs: 200 });
          await waiting.db?.close();
          expect(waiting.appliedElsewhere).toBeUndefined();
          expect(waiting.spooledBecause).toMatch(/^another process is replaying the spool; event kept in .*spool\.jsonl behind the events before it$/);
        } finally {
          lock.release();
        }
      } finally {
        await hb.dispose();
      }
    });
  }
});
