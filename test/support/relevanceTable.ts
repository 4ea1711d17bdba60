// Measures the prompt ranking on the relevance vault and prints it as a table: aimed prompts (hit@3),
// quiet prompts (noise) and other-project prompts (leaks). Used by the relevance test and the bench.
import type { Queryable } from '../../src/core/db/db.js';
import { rankKnowledge, type RankedEntry, type RankOptions } from '../../src/core/knowledge/rank.js';
import { AIMED, CROSS_PROJECT, QUIET } from './relevancePrompts.js';

export interface RelevanceRow {
  kind: 'aimed' | 'quiet' | 'cross';
  project: string;
  prompt: string;
  expect?: string;
  delivered: { title: string; projects: string[]; score: number }[];
  ok: boolean;
}

export interface RelevanceResult {
  rows: RelevanceRow[];
  hits: number;
  aimed: number;
  /** Quiet prompts that got anything. */
  noisy: number;
  quiet: number;
  /** Entries of another project delivered (any prompt). */
  leaks: number;
  cross: number;
}

const leaked = (e: RankedEntry, project: string) => e.projects.length > 0 && !e.projects.includes(project);

export async function measureRelevance(q: Queryable, options: Partial<Omit<RankOptions, 'text' | 'project'>> = {}): Promise<RelevanceResult> {
  const rows: RelevanceRow[] = [];
  let leaks = 0;
  const run = async (project: string, prompt: string) => {
    const got = await rankKnowledge(q, { ...options, text: prompt, project });
    leaks += got.filter((e) => leaked(e, project)).length;
    return got;
  };
  const view = (got: RankedEntry[]) => got.map((e) => ({ title: e.title, projects: e.projects, score: e.score }));
  for (const a of AIMED) {
    const got = await run(a.project, a.prompt);
    rows.push({ kind: 'aimed', project: a.project, prompt: a.prompt, expect: a.expect, delivered: view(got), ok: got.some((e) => e.title === a.expect) });
  }
  for (const p of QUIET) {
    const got = await run(p.project, p.prompt);
    rows.push({ kind: 'quiet', project: p.project, prompt: p.prompt, delivered: view(got), ok: got.length === 0 });
  }
  for (const c of CROSS_PROJECT) {
    const got = await run(c.project, c.prompt);
    rows.push({ kind: 'cross', project: c.project, prompt: c.prompt, delivered: view(got), ok: !got.some((e) => leaked(e, c.project)) });
  }
  return {
    rows,
    hits: rows.filter((r) => r.kind === 'aimed' && r.ok).length,
    aimed: AIMED.length,
    noisy: rows.filter((r) => r.kind === 'quiet' && !r.ok).length,
    quiet: QUIET.length,
    leaks,
    cross: CROSS_PROJECT.length,
  };
}

const cut = (s: string, n: number) => (s.length <= n ? s.padEnd(n) : `${s.slice(0, n - 1)}…`);

/** The table, one line per prompt, then the three figures. */
export function formatRelevanceTable(r: RelevanceResult): string {
  const lines = [`${'kind'.padEnd(6)} ${'ok'.padEnd(3)} ${cut('project', 14)} ${cut('prompt', 60)} delivered (score)`];
  for (const row of r.rows) {
    const got = row.delivered.map((d) => `${d.title === row.expect ? '*' : ''}${d.title} (${d.score.toFixed(3)})`).join('; ') || '-';
    lines.push(`${row.kind.padEnd(6)} ${(row.ok ? 'yes' : 'NO').padEnd(3)} ${cut(row.project, 14)} ${cut(row.prompt, 60)} ${got}`);
  }
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;
  lines.push(
    '',
    `hit@3: ${r.hits}/${r.aimed} (${pct(r.hits, r.aimed)}, target >= 90%) · quiet prompts with a delivery: ${r.noisy}/${r.quiet} (target <= 1) · entries of another project delivered: ${r.leaks} (target 0)`,
  );
  return lines.join('\n');
}
