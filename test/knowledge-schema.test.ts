// Migration 006 (the knowledge vault) on a database that already holds entries made the old way, and
// migration 009's project scope (the same rule as before, applied inside the index scan).
import { expect, it } from 'vitest';
import { migrate } from '../src/core/db/migrate.js';
import { MIGRATIONS } from '../src/core/db/migrations.js';
import { appliesToProject, rankParams, rankStatement } from '../src/core/knowledge/rank.js';
import { upsertKnowledge } from '../src/core/repos/knowledge.js';
import { describeEachBackend } from './support/backends.js';

const BEFORE_006 = MIGRATIONS.filter((m) => Number(m.name.slice(0, 3)) < 6);

describeEachBackend(
  'migration 006 over old knowledge entries',
  (ctx) => {
    it('keeps old entries, holds those no note vouches for, and frees a name once its entry is archived', async () => {
      const { db } = ctx();
      await migrate(db, BEFORE_006);
      await db.query(
        `INSERT INTO claude.knowledge (pattern_name, category, description, source_note_path)
         VALUES ('From a note', 'notes', 'promoted from the vault', 'Knowledge/From a note.md'),
                ('From Claude', 'testing', 'written through MCP', NULL)`,
      );
      const report = await migrate(db, MIGRATIONS.filter((m) => Number(m.name.slice(0, 3)) <= 6));
      expect(report.applied).toEqual(['006_knowledge_vault.sql']);

      const { rows } = await db.query<{ pattern_name: string; origin: string; review: string; projects: string[]; body: string | null; entry_hash: string }>(
        'SELECT pattern_name, origin, review, projects, body, entry_hash FROM claude.knowledge ORDER BY pattern_name',
      );
      expect(rows.map(({ entry_hash, ...r }) => ({ ...r, hashed: /^[0-9a-f]{32}$/.test(entry_hash) }))).toEqual([
        { pattern_name: 'From Claude', origin: 'legacy', review: 'pending', projects: [], body: null, hashed: true },
        { pattern_name: 'From a note', origin: 'legacy', review: 'accepted', projects: [], body: null, hashed: true },
      ]);

      // The old search still finds the old entries, now through the title/tags/body weights.
      const hits = await db.query<{ pattern_name: string }>(
        `SELECT pattern_name FROM claude.knowledge WHERE search_vector @@ websearch_to_tsquery('english', 'promoted vault')`,
      );
      expect(hits.rows.map((r) => r.pattern_name)).toEqual(['From a note']);

      // entry_hash follows every write, whoever makes it.
      const before = rows.find((r) => r.pattern_name === 'From Claude')!.entry_hash;
      await db.query(`UPDATE claude.knowledge SET tags = '{pg}' WHERE pattern_name = 'From Claude'`);
      const after = await db.query<{ entry_hash: string }>(`SELECT entry_hash FROM claude.knowledge WHERE pattern_name = 'From Claude'`);
      expect(after.rows[0]!.entry_hash).not.toBe(before);

      // A live name is still unique; an archived entry gives its name (and its note path) back.
      await expect(db.query(`INSERT INTO claude.knowledge (pattern_name, category, description) VALUES ('From a note', 'x', 'y')`)).rejects.toThrow(/duplicate key/);
      await db.query(`UPDATE claude.knowledge SET archived_at = now() WHERE pattern_name = 'From a note'`);
      const again = await upsertKnowledge(db, { patternName: 'From a note', category: 'notes', description: 'written anew', sourceNotePath: 'Knowledge/From a note.md' });
      expect(again.created).toBe(true);
      const live = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM claude.knowledge WHERE pattern_name = 'From a note'`);
      expect(live.rows[0]!.n).toBe(2);
    });

    it("009: an entry's scope applies to the same projects as before (none: every project), and the prompt's candidates come from its index", async () => {
      const { db } = ctx();
      await migrate(db);
      // Every project list a writer could leave, raw SQL included (an empty name, a NULL element).
      const lists = ['{}', '{mine}', '{other}', '{mine,other}', '{""}', '{"",other}', '{"",mine}', '{NULL}', '{NULL,mine}'];
      const { rows } = await db.query<{ list: string; before: boolean; now: boolean }>(
        `SELECT l AS list, (cardinality(p) = 0 OR p @> ARRAY[$2::text]) AS before,
           (claude.knowledge_scope(p) && ARRAY['', $2::text]) AS now
         FROM unnest($1::text[]) AS l, LATERAL (SELECT l::text[] AS p) AS x`,
        [lists, 'mine'],
      );
      expect(rows).toHaveLength(lists.length);
      for (const r of rows) expect(r.now, r.list).toBe(r.before);
      expect(appliesToProject('k', '$1')).toContain('claude.knowledge_scope(k.projects)');

      await db.query(
        `INSERT INTO claude.knowledge (pattern_name, category, description, projects, review)
         SELECT 'Session end ' || i, 'notes', 'how to end a session', CASE i % 3 WHEN 0 THEN '{}'::text[] WHEN 1 THEN '{mine}' ELSE '{other}' END, 'accepted'
         FROM generate_series(1, 300) AS i`,
      );
      await db.query('ANALYZE claude.knowledge');
      const params = rankParams({ text: 'how do I end a session', project: 'mine', threshold: 0 })!;
      // 300 rows are read faster whole; the point is that the index can take both conditions.
      const plan = await db.transaction(async (tx) => {
        await tx.query('SET LOCAL enable_seqscan = off');
        return tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${rankStatement({ acceptedOnly: true })}`, params);
      });
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Index Scan on knowledge_head_scope_idx/);
      expect(text).toMatch(/Index Cond: .*head_vector @@ .*&& '\{"",mine\}'/s);
      const ranked = await db.query<{ projects: string[] }>(rankStatement({ acceptedOnly: true }), params);
      expect(ranked.rows.length).toBeGreaterThan(0);
      for (const r of ranked.rows) expect(r.projects.length === 0 || r.projects.includes('mine')).toBe(true);
    });
  },
  { migrated: false },
);
