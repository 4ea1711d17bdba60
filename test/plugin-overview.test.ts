// @vitest-environment happy-dom
// The "Claude Family: all projects" view through the Obsidian fake, on both backends, over a seeded family
// of projects: opened by its command, one card per project (busiest first, archived and idle folded), the
// filter, a click that opens (creating) the handoff note, a chart day's sessions on hover and a session
// note on click, MCP health redacted, knowledge in use; live on change notices, and only while shown;
// with the database unreachable one line above the last data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as O from 'obsidian';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { openPostgres } from '../src/core/db/pg.js';
import type { Db } from '../src/core/db/db.js';
import ClaudeFamilyPlugin from '../src/plugin/main.js';
import { OVERVIEW_VIEW_TYPE, OverviewView } from '../src/plugin/overviewView.js';
import type { ClaudeFamilySettings } from '../src/plugin/settings.js';
import { App, MarkdownView, type Plugin as FakePlugin, type WorkspaceLeaf } from './fakes/obsidian.js';
import { describeEachBackend } from './support/backends.js';
import { attachDataDir } from './support/embeddedServer.js';
import { FAMILY, SECRET, seedFamily } from './support/overviewFamily.js';

const manifest: O.PluginManifest = { id: 'claude-family', name: 'Claude Family', version: '0.1.0', minAppVersion: '1.11.4', description: '', author: '' };
vi.setConfig({ testTimeout: 120_000 });

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachBackend('the all-projects view', (ctx, backend) => {
  let app: App;
  let plugin: ClaudeFamilyPlugin;
  let writer: Db;
  let dataDir: string | undefined;
  let base: Partial<ClaudeFamilySettings>;
  let view: OverviewView;
  let leaf: WorkspaceLeaf;
  const text = () => view.contentEl.textContent ?? '';
  // The cards shown: a re-render draws its cards a few per task and takes the previous body away hidden.
  const cards = () =>
    Array.from(view.contentEl.querySelectorAll<HTMLElement>('.claude-family-cards > [data-project-card]'))
      .filter((c) => c.closest('.claude-family-leaving') === null)
      .map((c) => c.dataset.projectCard);

  beforeAll(async () => {
    const t = ctx();
    writer = openPostgres({ connectionString: t.url });
    await seedFamily(writer);
    if (backend === 'postgres') base = { mode: 'postgres', connectionString: t.url, refreshSeconds: 3600, autoWriteNotes: false };
    else {
      dataDir = mkdtempSync(join(tmpdir(), 'cf-overview-data-'));
      attachDataDir(dataDir, t.name);
      base = { mode: 'embedded', dataDir, refreshSeconds: 3600, autoWriteNotes: false };
    }
    app = new App();
    plugin = new ClaudeFamilyPlugin(app as unknown as O.App, manifest);
    (plugin as unknown as FakePlugin).data = { ...base, projects: FAMILY.busy };
    await app.enablePlugin(plugin);
    await until(async () => (await writer.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`)).rows.length === 1, 'the LISTEN connection');
  });

  afterAll(async () => {
    plugin?.unload();
    await plugin?.connection.close();
    await writer?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens from its command (and ribbon icon) in the right sidebar, one card per project, busiest first, archived and idle folded', async () => {
    expect(app.ribbonIcons.map((r) => r.title)).toContain('Open Claude Family: all projects');
    expect(app.workspace.getLeavesOfType(OVERVIEW_VIEW_TYPE)).toHaveLength(0);
    await app.executeCommandById('claude-family:open-overview');
    const leaves = app.workspace.getLeavesOfType(OVERVIEW_VIEW_TYPE);
    expect(leaves).toHaveLength(1);
    leaf = leaves[0]!;
    expect(leaf.side).toBe('right');
    view = leaf.view as unknown as OverviewView;
    expect(view).toBeInstanceOf(OverviewView);
    expect(view.getDisplayText()).toBe('Claude Family: all projects');
    await until(() => text().includes('Ship the all-projects view'), 'the cards');
    // The ribbon icon (or the command again) reveals the same view rather than opening another.
    app.ribbonIcons.find((r) => r.icon === 'layout-dashboard')!.el.click();
    await sleep(50);
    expect(app.workspace.getLeavesOfType(OVERVIEW_VIEW_TYPE)).toHaveLength(1);

    expect(cards()).toEqual([FAMILY.busy, FAMILY.quiet, FAMILY.archived, FAMILY.idle, FAMILY.fresh]);
    const busy = view.contentEl.querySelector<HTMLElement>(`[data-project-card="${FAMILY.busy}"]`)!;
    expect(busy.classList.contains('is-live')).toBe(true);
    expect(busy.textContent).toContain('live');
    expect(busy.textContent).toContain('2 in progress');
    expect(busy.textContent).toContain('3 pending');
    expect(busy.textContent).toContain('3 next steps');
    expect(busy.textContent).toContain('2 messages');
    expect(busy.textContent).toMatch(/Last session 2 h ago: Added the overview queries/);
    // A card's chart makes its day cells when the pointer first enters it.
    expect(busy.querySelectorAll('.claude-family-chart-day')).toHaveLength(0);
    busy.querySelector('.claude-family-chart')!.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    expect(busy.querySelectorAll('.claude-family-chart-day')).toHaveLength(30);
    const folded = view.contentEl.querySelector<HTMLDetailsElement>('details.claude-family-folded')!;
    expect(folded.hasAttribute('open')).toBe(false);
    expect(folded.querySelector('summary')!.textContent).toBe('3 projects archived or idle for 14 days');
    expect(folded.textContent).toContain('archived');
    // The chart of all projects: 30 days, today last.
    const all = view.contentEl.querySelector('.claude-family-chart-wrap.is-large .claude-family-chart')!;
    expect(all.querySelector('svg path.claude-family-chart-bars')!.getAttribute('d')).toMatch(/^M/);
    expect(all.querySelectorAll('.claude-family-chart-day')).toHaveLength(30);
    expect(all.querySelector('.claude-family-chart-day.is-today')!.getAttribute('data-day')).toBe(new Date().toISOString().slice(0, 10));
  });

  it('shows MCP health failure rate first, the last error redacted, and knowledge in use', () => {
    const rows = Array.from(view.contentEl.querySelectorAll('table.claude-family-mcp tbody tr')).map((r) => r.textContent);
    expect(rows[0]).toMatch(/^github \/ create_issue\d+ min ago: connect failed: postgres:\/\/bob:\*\*\*@db\.example\/x refused4375%$/);
    expect(rows).toHaveLength(3);
    expect(text()).not.toContain(SECRET);
    const most = Array.from(view.contentEl.querySelectorAll('ol.claude-family-knowledge li')).map((l) => l.textContent);
    expect(most).toEqual(['Advisory lock migrations 3× · postgres', 'Code cache for hooks 1× · node']);
    expect(view.contentEl.querySelector('ul.claude-family-knowledge.is-never')!.textContent).toBe('Never used pattern');
  });

  it('filters by name, the folded projects included', async () => {
    const input = view.contentEl.querySelector<HTMLInputElement>('input.claude-family-overview-filter')!;
    const filterBy = async (text: string, expected: (string | undefined)[]) => {
      input.value = text;
      input.dispatchEvent(new Event('input'));
      await until(() => JSON.stringify(cards()) === JSON.stringify(expected), `the cards for "${text}"`);
    };
    await filterBy('BETA', [FAMILY.quiet]);
    await filterBy('gamma', [FAMILY.idle]);
    expect(view.contentEl.querySelector('.claude-family-overview-section:not(.claude-family-leaving) details.claude-family-folded')!.hasAttribute('open')).toBe(true);
    input.value = '';
    input.dispatchEvent(new Event('input'));
    await until(() => cards().length === 5, 'every card again');
    expect(cards()).toHaveLength(5);
  });

  it("opens a project's handoff note on a click, creating it", async () => {
    const path = `Claude/Handoff/Handoff ${FAMILY.quiet}.md`;
    expect(app.vault.getFileByPath(path)).toBeNull();
    view.contentEl.querySelector<HTMLElement>(`[data-open-project="${FAMILY.quiet}"]`)!.click();
    await until(() => (app.workspace.leaf.view as MarkdownView).file?.path === path, 'the handoff note to open');
    expect(app.vault.contents.get(path)).toContain('Fix the login redirect');
  });

  it("shows a day's sessions on hover and opens a session note on a click", async () => {
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const card = view.contentEl.querySelector<HTMLElement>(`[data-project-card="${FAMILY.quiet}"]`)!;
    card.querySelector('.claude-family-chart')!.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    const hit = card.querySelector<HTMLElement>(`.claude-family-chart-day[data-day="${day}"]`)!;
    hit.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    const panel = card.querySelector<HTMLElement>('.claude-family-day-panel')!;
    await until(() => panel.textContent!.includes('Fixed the login redirect'), 'the day panel');
    expect(panel.textContent).toContain(`${FAMILY.quiet} · ${day}: 1 session`);
    panel.querySelector<HTMLElement>('[data-session-id]')!.click();
    await until(() => ((app.workspace.leaf.view as MarkdownView).file?.path ?? '').startsWith('Claude/Sessions/'), 'the session note to open');
    const note = app.vault.contents.get((app.workspace.leaf.view as MarkdownView).file!.path)!;
    expect(note).toContain('Fixed the login redirect');
    // A knowledge entry opens as a note too (written from the database: it is not in this vault).
    view.contentEl.querySelector<HTMLElement>('[data-knowledge-id]')!.click();
    await until(() => (app.workspace.leaf.view as MarkdownView).file?.path === 'Claude/Knowledge/Advisory lock migrations.md', 'the knowledge note');
  });

  it('follows change notices while shown, and reads nothing while hidden or closed', async () => {
    const quietId = (await writer.query<{ project_id: string }>('SELECT project_id FROM claude.projects WHERE project_name = $1', [FAMILY.quiet])).rows[0]!.project_id;
    const addTodo = (content: string) => writer.query(`INSERT INTO claude.todos (project_id, content, active_form) VALUES ($1, $2, $2)`, [quietId, content]);
    const quietCard = () => view.contentEl.querySelector(`[data-project-card="${FAMILY.quiet}"]`)!.textContent!;
    expect(quietCard()).toContain('1 pending');
    // A burst of hook writes is one read (debounced).
    const before = view.reads;
    for (let i = 0; i < 5; i++) await addTodo(`Burst ${i}`);
    await until(() => quietCard().includes('6 pending'), 'the card to follow the writes');
    await sleep(700);
    expect(view.reads - before).toBeLessThanOrEqual(2);

    // Hidden (a collapsed sidebar): marked stale, no read; shown again: one read.
    leaf.setShown(false);
    const hidden = view.reads;
    await addTodo('While hidden');
    await sleep(1200);
    expect(view.reads).toBe(hidden);
    expect(view.stale).toBe(true);
    leaf.setShown(true);
    await until(() => quietCard().includes('7 pending'), 'the stale view to read when shown');
    expect(view.reads).toBe(hidden + 1);
  });

  it('says in one line when the database is unreachable, keeping the last data', async () => {
    const broken: Partial<ClaudeFamilySettings> = backend === 'postgres' ? { connectionString: 'postgres://cf@127.0.0.1:1/nowhere' } : { dataDir: join(tmpdir(), 'cf-no-such-data-dir') };
    await plugin.updateSettings(broken);
    await until(() => view.contentEl.querySelector('.claude-family-overview-offline') !== null, 'the offline line');
    await until(() => cards().length === 5, 'the last data under the offline line');
    const offline = view.contentEl.querySelectorAll('.claude-family-overview-offline:not(.claude-family-leaving)');
    expect(offline).toHaveLength(1);
    expect(offline[0]!.textContent).toMatch(/^Claude Family: offline\. .*Showing the data from /);
    expect(cards()).toHaveLength(5);
    await plugin.updateSettings(base);
    await plugin.refreshViews();
    await until(() => view.contentEl.querySelector('.claude-family-overview-offline') === null, 'back online');
  });

  it('closing the view stops its reads', async () => {
    const closed = view;
    leaf.detach();
    await until(() => app.workspace.getLeavesOfType(OVERVIEW_VIEW_TYPE).length === 0, 'the leaf to close');
    const reads = closed.reads;
    await writer.query(`UPDATE claude.session_state SET current_focus = 'After closing' WHERE project_name = $1`, [FAMILY.busy]);
    await sleep(1000);
    expect(closed.reads).toBe(reads);
    expect(closed.isShown()).toBe(false);
  });
});
