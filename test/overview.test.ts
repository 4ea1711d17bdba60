// The overview (src/core/overview) over a seeded family of projects, on both backends: each section's
// figures, the text and JSON forms, the CLI command and the MCP tool.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { TOOLS } from '../src/mcp/tools.js';
import { loadOverview, type Overview } from '../src/core/overview/overview.js';
import { dayRange, loadDaySessions } from '../src/core/overview/sessionActivity.js';
import { isFolded, relativeTime, renderOverviewText, sparkline } from '../src/core/render/overview.js';
import { describeEachBackend } from './support/backends.js';
import { FAMILY, SECRET, seedFamily } from './support/overviewFamily.js';

describe('overview rendering helpers', () => {
  it('says relative times in words and draws sparklines', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    expect(relativeTime(new Date('2026-12-02T11:59:30Z'), now)).toBe('just now');
    expect(relativeTime(new Date('2026-12-02T11:50:00Z'), now)).toBe('10 min ago');
    expect(relativeTime(new Date('2026-12-02T09:00:00Z'), now)).toBe('3 h ago');
    expect(relativeTime(new Date('2026-11-29T12:00:00Z'), now)).toBe('3 d ago');
    expect(relativeTime(new Date('2026-10-01T12:00:00Z'), now)).toBe('2 mo ago');
    expect(sparkline([0, 1, 4, 8])).toBe(' ▁▄█');
    expect(dayRange(3, now)).toEqual(['2026-11-30', '2026-12-01', '2026-12-02']);
  });
});

describeEachBackend('overview of a family of projects', (ctx) => {
  const now = new Date();
  let o: Overview;
  beforeAll(async () => {
    await seedFamily(ctx().db, now);
    o = await loadOverview(ctx().db, { now });
  });

  it('lists every project, most recently active first, with its figures', () => {
    expect(o.projects.map((p) => p.name)).toEqual([FAMILY.busy, FAMILY.archived, FAMILY.quiet, FAMILY.idle, FAMILY.fresh]);
    const busy = o.projects[0]!;
    expect(busy).toMatchObject({
      focus: 'Ship the all-projects view',
      inProgress: 2,
      pending: 3,
      nextSteps: 3,
      pendingMessages: 2,
      liveSessions: 1,
      idle: false,
      archivedAt: null,
    });
    // The last session is the latest one that says something (the one running now has no summary yet).
    expect(busy.lastSession).toMatchObject({ summary: 'Added the overview queries' });
    expect(busy.lastSession!.end).not.toBeNull();
    expect(busy.lastActivity!.getTime()).toBeGreaterThan(now.getTime() - 11 * 60_000);
    expect(o.projects.find((p) => p.name === FAMILY.quiet)).toMatchObject({ focus: 'Fix the login redirect', inProgress: 0, pending: 1, nextSteps: 1, pendingMessages: 0, liveSessions: 0, idle: false });
    expect(o.projects.find((p) => p.name === FAMILY.idle)).toMatchObject({ idle: true, liveSessions: 0 });
    expect(o.projects.find((p) => p.name === FAMILY.archived)!.archivedAt).toBeInstanceOf(Date);
    expect(o.projects.find((p) => p.name === FAMILY.fresh)).toMatchObject({ lastSession: null, lastActivity: null, idle: true, focus: null });
    expect(o.projects.filter(isFolded).map((p) => p.name)).toEqual([FAMILY.archived, FAMILY.idle, FAMILY.fresh]);
  });

  it('counts sessions per UTC day over the window, per project and in total', () => {
    const a = o.activity;
    expect(a.days).toHaveLength(30);
    expect(a.days[29]).toBe(now.toISOString().slice(0, 10));
    const sum = (xs: number[]) => xs.reduce((s, n) => s + n, 0);
    // busy: 7 in the window (not the one 40 days ago); quiet 2; idle 1; archived 1.
    expect(sum(a.perProject[FAMILY.busy]!)).toBe(7);
    expect(sum(a.perProject[FAMILY.quiet]!)).toBe(2);
    expect(sum(a.perProject[FAMILY.idle]!)).toBe(1);
    expect(a.perProject[FAMILY.fresh]).toBeUndefined();
    expect(sum(a.total)).toBe(11);
    const day = (msAgo: number) => a.days.indexOf(new Date(now.getTime() - msAgo).toISOString().slice(0, 10));
    expect(a.perProject[FAMILY.busy]![day(10 * 86_400_000)]).toBe(1);
  });

  it("lists one day's sessions for a chart's hover", async () => {
    const day = new Date(now.getTime() - 2 * 86_400_000).toISOString().slice(0, 10);
    const all = await loadDaySessions(ctx().db, day);
    expect(all.sessions.map((s) => s.project)).toContain(FAMILY.quiet);
    const one = await loadDaySessions(ctx().db, day, FAMILY.quiet);
    expect(one.count).toBe(1);
    expect(one.sessions[0]!.summary).toBe('Fixed the login redirect');
    await expect(loadDaySessions(ctx().db, "2026-13-45'; --")).rejects.toThrow(/not a day/);
  });

  it('shows MCP health over 7 days, failure rate first, the last error redacted to one line', () => {
    expect(o.mcp.map((m) => `${m.server}/${m.tool} ${m.calls} ${m.failures}`)).toEqual(['github/create_issue 4 3', 'github/list_issues 5 1', 'claude-family/search 10 0']);
    expect(o.mcp[0]!.failureRate).toBeCloseTo(0.75);
    expect(o.mcp[0]!.lastError).toBe('connect failed: postgres://bob:***@db.example/x refused');
    expect(o.mcp[1]!.lastError).toBe('rate limited');
    expect(o.mcp[2]!.lastError).toBeNull();
    expect(JSON.stringify(o)).not.toContain(SECRET);
  });

  it('shows the knowledge delivered most in 30 days and the live, accepted entries never delivered', () => {
    expect(o.knowledge.mostDelivered.map((k) => [k.name, k.deliveries])).toEqual([
      ['Advisory lock migrations', 3],
      ['Code cache for hooks', 1],
    ]);
    expect(o.knowledge.mostDelivered[0]!.notePath).toBe('Knowledge/Advisory lock migrations.md');
    expect(o.knowledge.neverDelivered.map((k) => k.name)).toEqual(['Never used pattern']);
    expect(o.knowledge.neverDeliveredCount).toBe(1);
  });

  it('renders the whole overview as text, folded projects on one line', () => {
    const text = renderOverviewText(o);
    expect(text).toContain('Projects (5), most recently active first:');
    expect(text).toMatch(new RegExp(`${FAMILY.busy}\\s+Ship the all-projects view\\s+2/3\\s+3\\s+2\\s+● 1\\s+2 h ago: Added the overview queries`));
    expect(text).toContain(`folded (archived, or idle for 14 days): ${FAMILY.archived} (archived), ${FAMILY.idle}, ${FAMILY.fresh}`);
    expect(text).toMatch(/Sessions per day, last 30 days/);
    expect(text).toMatch(/github\s+create_issue\s+4\s+3\s+75%\s+\d+ min ago: connect failed: postgres:\/\/bob:\*\*\*@db\.example\/x refused/);
    expect(text).toMatch(/3x {2}Advisory lock migrations \[postgres\]/);
    expect(text).toContain('never delivered (1): Never used pattern');
    expect(text).not.toContain(SECRET);
  });

  it('claude-family overview [--days N] [--json], and the MCP tool overview', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-overview-'));
    try {
      const run = async (args: string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await runCli(args, {
          out: (t) => out.push(t),
          err: (t) => err.push(t),
          env: { CLAUDE_FAMILY_DATABASE_URL: ctx().url, CLAUDE_FAMILY_DATA_DIR: join(dir, 'data'), HOME: dir, CLAUDE_FAMILY_PROJECT: FAMILY.busy },
          cwd: dir,
          distDir: dir,
        });
        return { code, out: out.join('\n'), err: err.join('\n') };
      };
      const text = await run(['overview', '--days', '7']);
      expect(text.err).toBe('');
      expect(text.code).toBe(0);
      expect(text.out).toContain('Sessions per day, last 7 days');
      expect(text.out).not.toContain(SECRET);
      const j = await run(['overview', '--json']);
      expect(j.code).toBe(0);
      const parsed = JSON.parse(j.out) as { days: number; projects: { name: string; lastSession: { start: string } | null }[]; activity: { days: string[] } };
      expect(parsed.days).toBe(30);
      expect(parsed.activity.days).toHaveLength(30);
      expect(parsed.projects[0]!.name).toBe(FAMILY.busy);
      expect(parsed.projects[0]!.lastSession!.start).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      for (const bad of ['0', '366', 'x', '-1']) {
        const r = await run(['overview', '--days', bad]);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/--days must be a whole number from 1 to 365/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const tool = TOOLS.find((t) => t.name === 'overview')!;
    expect(tool.readOnly).toBe(true);
    const out = await tool.run({ project: FAMILY.busy, withDb: (fn) => fn(ctx().db) }, { days: 14 });
    expect(out).toContain('Sessions per day, last 14 days');
    expect(out).toContain('MCP health, last 7 days');
    expect(out).not.toContain(SECRET);
  });
});
