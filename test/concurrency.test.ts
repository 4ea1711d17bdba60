// Two Claude Code sessions on one project writing TodoWrite at the same moment, as real parallel
// processes against Postgres: no update may be lost and no write may fail.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/backends.js';
import { bundleScript } from './support/bundle.js';

const ROUNDS = 25;

const WRITER = `
  import { openPostgres } from './src/core/db/pg.ts';
  import { applyEvent, makeEvent } from './src/core/events/events.ts';
  const [who, project, startAt] = process.argv.slice(2);
  const db = openPostgres({ connectionString: process.env.URL, max: 1 });
  const claude = 'cc-' + who;
  await applyEvent(db, makeEvent({ kind: 'session_start', project, claude_session_id: claude }));
  while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
  for (let round = 0; round < ${ROUNDS}; round++) {
    const todos = [];
    for (let i = 0; i <= round; i++) {
      todos.push({ content: who + ' item ' + i, status: i < round - 1 ? 'completed' : i === round - 1 ? 'in_progress' : 'pending' });
    }
    // Both sessions add the same item in the same rounds: it must stay one todo, never an error.
    if (round >= 10) todos.push({ content: 'Common item', status: 'pending' });
    await applyEvent(db, makeEvent({ kind: 'todo_write', project, claude_session_id: claude, todos }));
  }
  await db.close();
  console.log('done');
`;

function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer ${args[0]} exited ${code}: ${err}`))));
  });
}

describe('concurrent TodoWrite from two sessions [postgres]', () => {
  it('loses no update and writes every list exactly', async () => {
    const t = await createTestDatabase('postgres');
    try {
      const script = await bundleScript(WRITER);
      const startAt = String(Date.now() + 1500);
      const outputs = await Promise.all(['A', 'B'].map((who) => run(script, [who, 'shared-project', startAt], { URL: t.url })));
      expect(outputs.map((o) => o.trim())).toEqual(['done', 'done']);

      const { rows } = await t.db.query<{ content: string; status: string; n: number }>(
        `SELECT content, status, count(*)::int AS n FROM claude.todos t JOIN claude.projects p USING (project_id)
         WHERE p.project_name = 'shared-project' AND NOT t.is_deleted GROUP BY content, status ORDER BY content`,
      );
      const expected: { content: string; status: string; n: number }[] = [];
      for (const who of ['A', 'B']) {
        for (let i = 0; i < ROUNDS; i++) {
          const last = ROUNDS - 1;
          expected.push({ content: `${who} item ${i}`, status: i < last - 1 ? 'completed' : i === last - 1 ? 'in_progress' : 'pending', n: 1 });
        }
      }
      expected.push({ content: 'Common item', status: 'pending', n: 1 });
      expected.sort((a, b) => (a.content < b.content ? -1 : a.content > b.content ? 1 : 0));
      expect(rows).toEqual(expected);

      // Every completion is attributed to the session that made it.
      const attributed = await t.db.query<{ content: string; claude_session_id: string }>(
        `SELECT t.content, s.claude_session_id FROM claude.todos t JOIN claude.sessions s ON s.session_id = t.completed_session_id
         WHERE t.status = 'completed' ORDER BY t.content`,
      );
      expect(attributed.rows.every((r) => r.content.startsWith(r.claude_session_id.slice(3)))).toBe(true);
      expect(attributed.rows).toHaveLength(2 * (ROUNDS - 2));
    } finally {
      await t.drop();
    }
  });
});
