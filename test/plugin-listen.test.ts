// @vitest-environment happy-dom
// Postgres mode keeps one LISTEN connection; when it drops, the plugin reconnects with backoff,
// refreshes once (changes made meanwhile were never notified) and receives notifications again.
import { describe, expect, it } from 'vitest';
import type { ChangeNotice } from '../src/core/events/changes.js';
import { openSession } from '../src/core/repos/sessions.js';
import { addTodo } from '../src/core/repos/todos.js';
import { Connection } from '../src/plugin/connection.js';
import { DEFAULT_SETTINGS } from '../src/plugin/settings.js';
import { createTestDatabase, uniqueProject } from './support/backends.js';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Postgres LISTEN connection [postgres]', () => {
  it('reconnects after the connection is killed and keeps delivering changes', async () => {
    const t = await createTestDatabase('postgres');
    const connection = new Connection({ settings: () => ({ ...DEFAULT_SETTINGS, mode: 'postgres', connectionString: t.url! }) });
    const seen: (ChangeNotice | undefined)[] = [];
    const stop = connection.watch((n) => {
      seen.push(n);
    });
    const listeners = async () =>
      (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`)).rows[0]!.n;
    try {
      // Listening, and the probe's own LISTEN connection (does a notification arrive?) closed again.
      await until(async () => connection.updateMode()?.kind === 'listen' && (await listeners()) === 1, 'the LISTEN connection');
      const project = uniqueProject('listen');
      const { session } = await openSession(t.db, { projectName: project });
      await until(() => seen.some((n) => n?.project === project && n.table === 'sessions'), 'the first notification');

      const killed = await t.db.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`,
      );
      expect(killed.rows[0]!.n).toBe(1);
      const before = seen.length;
      // The refresh after reconnecting (no notice: "something may have changed").
      await until(() => seen.slice(before).includes(undefined), 'the refresh after reconnecting');
      expect(await listeners()).toBe(1);
      await addTodo(t.db, { projectId: session.project_id, content: 'after the drop' });
      await until(() => seen.slice(before).some((n) => n?.table === 'todos' && n.project === project), 'a notification on the new connection');
    } finally {
      await stop();
      await connection.close();
      await t.drop();
    }
  });
});
