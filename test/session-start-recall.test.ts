// SessionStart names up to 3 knowledge entries matching the focus and next steps, one line each with its
// id, unless switched off; the hook runs as Claude Code runs it, on both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertKnowledge } from '../src/core/repos/knowledge.js';
import { upsertSessionState } from '../src/core/repos/sessionState.js';
import { ensureProject } from '../src/core/repos/projects.js';
import { addTodo } from '../src/core/repos/todos.js';
import { loadHandoff } from '../src/core/session/handoff.js';
import { BACKENDS, uniqueProject } from './support/backends.js';
import { createHookBackend, hookScript, runNode, type HookBackend } from './support/processes.js';

const HEADING = 'Knowledge that may help (full entry: the claude-family MCP tool get, or claude-family knowledge show ID):';

for (const backend of BACKENDS) {
  describe(`SessionStart recall [${backend}]`, { timeout: 120_000 }, () => {
    let b: HookBackend;
    beforeAll(async () => {
      b = await createHookBackend(backend);
    });
    afterAll(async () => {
      await b?.dispose();
    });

    const start = (project: string, env: Record<string, string> = {}) =>
      runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: `cc-${uniqueProject('s')}`, cwd: '/tmp', source: 'startup' }), env: { ...b.env, CLAUDE_FAMILY_PROJECT: project, ...env } });

    it('lists at most 3 matching entries, best first, one line each with its id; off when switched off', async () => {
      const project = uniqueProject('recall');
      const tag = project.replace(/[^a-z0-9]/gi, '');
      // First run migrates the database and creates the project.
      expect((await start(project)).code).toBe(0);
      const ids = await b.inspect(async (db) => {
        // Delivered only once a person accepted it (an entry written by a command is pending review).
        const add = async (name: string, description: string) => {
          const id = (await upsertKnowledge(db, { patternName: name, category: 'test', description })).knowledge.knowledge_id;
          await db.query(`UPDATE claude.knowledge SET review = 'accepted' WHERE knowledge_id = $1`, [id]);
          return id;
        };
        const best = await add(`Flaky ${tag} retries`, `Quarantine flaky ${tag} tests and add retries with a seed`);
        const others = [
          await add(`Seeded ${tag} data`, `Seed test data for ${tag}`),
          await add(`Quarantine ${tag}`, `Quarantine a ${tag} test`),
          await add(`Retries ${tag}`, `Retries for ${tag}`),
        ];
        const unrelated = await add(`Unrelated ${tag.split('').reverse().join('')}`, 'Nothing in common with the focus');
        await upsertSessionState(db, { projectName: project, currentFocus: `Fix the flaky ${tag} tests`, nextSteps: ['quarantine them', 'add retries with a seed'] });
        const p = await ensureProject(db, project);
        for (let i = 0; i < 8; i++) await addTodo(db, { projectId: p.project_id, content: `A typical todo number ${i} with a sentence of text describing it` });
        return { best, others, unrelated };
      });

      const r = await start(project);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      const at = lines.indexOf(HEADING);
      expect(at).toBeGreaterThan(0);
      const listed = lines.slice(at + 1);
      expect(listed).toHaveLength(3);
      for (const line of listed) expect(line).toMatch(/^ {2}- .+ \[test\] \(id [0-9a-f-]{36}\)$/);
      expect(listed[0]).toBe(`  - Flaky ${tag} retries [test] (id ${ids.best})`);
      expect(r.stdout).not.toContain(ids.unrelated);
      // A typical project's handoff, knowledge included, stays under 2 KB.
      expect(Buffer.byteLength(r.stdout)).toBeLessThan(2048);

      for (const off of ['0', 'off']) {
        const quiet = await start(project, { CLAUDE_FAMILY_SESSION_START_KNOWLEDGE: off });
        expect(quiet.code).toBe(0);
        expect(quiet.stdout).not.toContain('Knowledge that may help');
        expect(quiet.stdout).toContain(`Fix the flaky ${tag} tests`);
      }
    });

    it('ranks as the prompt does: accepted entries of this project or of every project; each naming logged', async () => {
      const project = uniqueProject('recall-rank');
      const tag = project.replace(/[^a-z0-9]/gi, '');
      const session = `cc-${uniqueProject('s')}`;
      const run = () => runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: session, cwd: '/tmp', source: 'startup' }), env: { ...b.env, CLAUDE_FAMILY_PROJECT: project } });
      expect((await run()).code).toBe(0);
      const ids = await b.inspect(async (db) => {
        const add = async (name: string, projects: string[], review: string) =>
          (await db.query<{ knowledge_id: string }>(
            `INSERT INTO claude.knowledge (pattern_name, category, description, body, projects, review, origin)
             VALUES ($1, 'note', 'd', $2, $3, $4, 'vault') RETURNING knowledge_id`,
            [name, `How to rotate the ${tag} signing keys safely`, projects, review],
          )).rows[0]!.knowledge_id;
        await upsertSessionState(db, { projectName: project, currentFocus: `Rotate the ${tag} signing keys`, nextSteps: [] });
        return { mine: await add(`Rotating ${tag} keys`, [project], 'accepted'), all: await add(`Signing ${tag} keys everywhere`, [], 'accepted'), other: await add(`Other ${tag} keys`, ['some-other-project'], 'accepted'), pending: await add(`Pending ${tag} keys`, [project], 'pending') };
      });
      const r = await run();
      expect(r.stdout).toContain(ids.mine);
      expect(r.stdout).toContain(ids.all);
      expect(r.stdout).not.toContain(ids.other);
      expect(r.stdout).not.toContain(ids.pending);
      const log = await b.inspect((db) => db.query<{ knowledge_id: string; channel: string }>(`SELECT knowledge_id, channel FROM claude.knowledge_retrievals WHERE claude_session_id = $1`, [session]));
      expect(log.rows.map((x) => x.knowledge_id).sort()).toEqual([ids.mine, ids.all].sort());
      expect(new Set(log.rows.map((x) => x.channel))).toEqual(new Set(['session_start']));
    });

    it('says nothing about knowledge without a focus or next steps, or without a match', async () => {
      const project = uniqueProject('recall-none');
      expect((await start(project)).code).toBe(0);
      expect((await start(project)).stdout).not.toContain('Knowledge that may help');
      const h = await b.inspect(async (db) => {
        await upsertSessionState(db, { projectName: project, currentFocus: 'the of and', nextSteps: [] });
        return loadHandoff(db, project, { knowledgeLimit: 3 });
      });
      expect(h.knowledge).toEqual([]);
    });

    it('a bad switch value is a configuration error on one stderr line, and the hook still exits 0', async () => {
      const r = await start(uniqueProject('recall-bad'), { CLAUDE_FAMILY_SESSION_START_KNOWLEDGE: 'maybe' });
      expect(r.code).toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/CLAUDE_FAMILY_SESSION_START_KNOWLEDGE must be 1\/true\/on\/yes or 0\/false\/off\/no, got "maybe"/);
    });
  });
}
