// Renders the overview (src/core/overview) into the "all projects" view's DOM: the chart of all
// projects, one card per project (most recently active first, archived and idle ones folded), MCP health
// and knowledge in use. Plain DOM calls and textContent only: database text is never parsed as HTML.
// Interaction is wired by the view through data attributes (event delegation), not per element.
import type { Overview } from '../core/overview/overview.js';
import type { ProjectSummary } from '../core/overview/projectSummaries.js';
import { IDLE_DAYS } from '../core/overview/projectSummaries.js';
import type { DaySession } from '../core/overview/sessionActivity.js';
import { oneLine } from '../core/render/handoff.js';
import { isFolded, relativeTime } from '../core/render/overview.js';
import { dayTitle, renderSessionsChart } from './sessionsChart.js';

export interface OverviewUiState {
  /** Case-insensitive part of a project name; empty shows every project. */
  filter: string;
  /** The folded projects (archived, idle) are shown. */
  foldedOpen: boolean;
}

export interface OverviewRenderInput {
  /** The last data read (kept while the database is unreachable). */
  data?: Overview;
  loadedAt?: Date;
  /** Why the last read failed, in one line (the data shown is then the last data). */
  error?: string;
  now: Date;
}

type Attrs = Record<string, string>;

function el<K extends keyof HTMLElementTagNameMap>(parent: HTMLElement, tag: K, cls?: string, text?: string, attr: Attrs = {}): HTMLElementTagNameMap[K] {
  return parent.createEl(tag, { cls, text, attr });
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function projectCard(parent: HTMLElement, p: ProjectSummary, o: Overview, max: number, now: Date): void {
  const card = el(parent, 'div', `claude-family-card${p.liveSessions > 0 ? ' is-live' : ''}${isFolded(p) ? ' is-folded' : ''}`, undefined, { 'data-project-card': p.name });
  const head = el(card, 'div', 'claude-family-card-head');
  el(head, 'a', 'claude-family-card-name', oneLine(p.name, 80), { 'data-open-project': p.name, href: '#', title: `Open the handoff note of ${oneLine(p.name, 80)}` });
  if (p.liveSessions > 0) el(head, 'span', 'claude-family-live', p.liveSessions === 1 ? 'live' : `${p.liveSessions} live`, { title: `${plural(p.liveSessions, 'session')} running now` });
  if (p.archivedAt) el(head, 'span', 'claude-family-tag', 'archived');
  else if (p.idle) el(head, 'span', 'claude-family-tag', 'idle');
  el(head, 'span', 'claude-family-muted claude-family-card-when', p.lastActivity ? relativeTime(p.lastActivity, now) : 'never used');

  el(card, 'div', p.focus ? 'claude-family-card-focus' : 'claude-family-card-focus claude-family-muted', p.focus ? oneLine(p.focus, 200) : 'No focus recorded.');
  const stats = el(card, 'div', 'claude-family-card-stats');
  const stat = (n: number, label: string, cls: string) => el(stats, 'span', `claude-family-stat ${cls}${n > 0 ? '' : ' is-zero'}`, `${n} ${label}`);
  stat(p.inProgress, 'in progress', 'is-in-progress');
  stat(p.pending, 'pending', 'is-pending');
  stat(p.nextSteps, p.nextSteps === 1 ? 'next step' : 'next steps', 'is-next');
  stat(p.pendingMessages, p.pendingMessages === 1 ? 'message' : 'messages', 'is-messages');
  if (p.lastSession) {
    const last = el(card, 'div', 'claude-family-card-last');
    el(last, 'span', 'claude-family-muted', `Last session ${relativeTime(p.lastSession.start, now)}${p.lastSession.end ? '' : ' (open)'}`);
    if (p.lastSession.summary) last.appendText(`: ${oneLine(p.lastSession.summary, 200)}`);
  }
  const counts = o.activity.perProject[p.name];
  if (counts) {
    const wrap = el(card, 'div', 'claude-family-chart-wrap');
    renderSessionsChart(wrap, o.activity.days, counts, { project: p.name, max, height: 28, label: `${p.name}: sessions per day, last ${o.days} days`, lazyCells: true });
    el(wrap, 'div', 'claude-family-day-panel');
  }
}

export interface RenderOptions {
  /** Runs a later part of the render in a task of its own (the view: window.setTimeout 0); default: now. */
  defer?: (fn: () => void) => void;
  /** Cards per part (default 4): a part stays well within the 50 ms a UI task may take. */
  batch?: number;
}

/** The render each container is at: a part of an older render that was replaced does nothing. */
const generations = new WeakMap<HTMLElement, number>();

/**
 * The whole view body: the status line, the chart of all projects, the cards, MCP health, knowledge.
 * The header, the chart of all projects and the first `batch` cards are drawn at once; the other cards,
 * MCP health and knowledge follow in deferred parts, each in the place its section already holds.
 */
export function renderOverview(container: HTMLElement, input: OverviewRenderInput, ui: OverviewUiState, options: RenderOptions = {}): void {
  const generation = (generations.get(container) ?? 0) + 1;
  generations.set(container, generation);
  const batch = Math.max(1, options.batch ?? 4);
  const later: (() => void)[] = [];
  /** Cards `list` into `parent`, the first batch now and the rest in later parts. */
  const cardsInto = (parent: HTMLElement, list: ProjectSummary[], o: Overview, max: number) => {
    for (let i = 0; i < list.length; i += batch) {
      const part = list.slice(i, i + batch);
      const draw = () => {
        for (const p of part) projectCard(parent, p, o, max, input.now);
      };
      if (i === 0 || !options.defer) draw();
      else later.push(draw);
    }
  };
  try {
    drawBody(container, input, ui, cardsInto, (fn) => (options.defer ? later.push(fn) : fn()), options.defer !== undefined);
  } finally {
    const run = () => {
      const next = later.shift();
      if (!next || generations.get(container) !== generation) return;
      next();
      if (later.length > 0) options.defer!(run);
    };
    if (later.length > 0) options.defer!(run);
  }
}

type CardsInto = (parent: HTMLElement, list: ProjectSummary[], o: Overview, max: number) => void;

/**
 * Takes the body drawn before away. Split: hidden at once and removed in the first later parts, a few
 * cards at a time (detaching 50 cards with their charts in one go was the longest task of a re-render).
 */
function clearBody(container: HTMLElement, later: (fn: () => void) => void, split: boolean): void {
  const old = Array.from(container.children) as HTMLElement[];
  if (!split) return void container.replaceChildren();
  for (const e of old) e.addClass('claude-family-leaving');
  const cards = old.flatMap((e) => Array.from(e.querySelectorAll<HTMLElement>('[data-project-card]')));
  for (let i = 0; i < cards.length; i += 4) {
    const part = cards.slice(i, i + 4);
    later(() => part.forEach((c) => c.remove()));
  }
  if (old.length > 0) later(() => old.forEach((e) => e.remove()));
}
/** Draws `fn` in a later part of the render (now, when the render is not split). */
type Later = (fn: () => void) => void;

function drawBody(container: HTMLElement, input: OverviewRenderInput, ui: OverviewUiState, cardsInto: CardsInto, later: Later, split: boolean): void {
  clearBody(container, later, split);
  const { data: o, now } = input;
  if (input.error) {
    const since = input.loadedAt ? ` Showing the data from ${relativeTime(input.loadedAt, now)}.` : '';
    el(container, 'p', 'claude-family-error claude-family-overview-offline', `${oneLine(input.error, 300)}${since}`);
  }
  if (!o) {
    if (!input.error) el(container, 'p', 'claude-family-muted', 'Loading…');
    return;
  }
  if (!input.error && input.loadedAt) el(container, 'div', 'claude-family-muted claude-family-overview-updated', `Updated ${relativeTime(input.loadedAt, now)}`);

  // Sessions over time, every project together.
  const sum = o.activity.total.reduce((s, n) => s + n, 0);
  const all = el(container, 'section', 'claude-family-overview-section');
  el(all, 'h4', undefined, `Sessions per day, last ${o.days} days`);
  const wrap = el(all, 'div', 'claude-family-chart-wrap is-large');
  renderSessionsChart(wrap, o.activity.days, o.activity.total, { height: 72, label: `All projects: sessions per day, last ${o.days} days` });
  const axis = el(wrap, 'div', 'claude-family-chart-axis claude-family-muted');
  el(axis, 'span', undefined, o.activity.days[0] ?? '');
  el(axis, 'span', undefined, `${plural(sum, 'session')}, busiest day ${Math.max(0, ...o.activity.total)}`);
  el(axis, 'span', undefined, 'today');
  el(wrap, 'div', 'claude-family-day-panel');

  // One card per project. Bars of every card share one scale, so the charts compare.
  const filter = ui.filter.trim().toLowerCase();
  const matches = o.projects.filter((p) => !filter || p.name.toLowerCase().includes(filter));
  const shown = matches.filter((p) => !isFolded(p));
  const folded = matches.filter(isFolded);
  const max = Math.max(1, ...Object.values(o.activity.perProject).flatMap((c) => c));
  const projects = el(container, 'section', 'claude-family-overview-section');
  el(projects, 'h4', undefined, filter ? `Projects matching "${oneLine(ui.filter, 40)}" (${matches.length} of ${o.projects.length})` : `Projects (${o.projects.length})`);
  if (o.projects.length === 0) el(projects, 'p', 'claude-family-muted', 'No projects recorded yet: start a Claude Code session with the hooks installed.');
  else if (matches.length === 0) el(projects, 'p', 'claude-family-muted', 'No project matches the filter.');
  cardsInto(el(projects, 'div', 'claude-family-cards'), shown, o, max);
  if (folded.length > 0) {
    const details = el(projects, 'details', 'claude-family-folded');
    if (ui.foldedOpen || (filter !== '' && shown.length === 0)) details.setAttribute('open', '');
    el(details, 'summary', 'claude-family-muted', `${plural(folded.length, 'project')} archived or idle for ${IDLE_DAYS} days`);
    cardsInto(el(details, 'div', 'claude-family-cards'), folded, o, max);
  }

  // MCP health: the worst first.
  const mcp = el(container, 'section', 'claude-family-overview-section');
  el(mcp, 'h4', undefined, `MCP health, last ${o.mcpDays} days`);
  later(() => drawMcp(mcp, o, now));

  // Knowledge in use.
  const ks = el(container, 'section', 'claude-family-overview-section');
  el(ks, 'h4', undefined, `Knowledge in use, last ${o.knowledgeDays} days`);
  later(() => drawKnowledge(ks, o));
}

function drawMcp(mcp: HTMLElement, o: Overview, now: Date): void {
  if (o.mcp.length === 0) el(mcp, 'p', 'claude-family-muted', 'No MCP calls recorded.');
  else {
    const table = el(mcp, 'table', 'claude-family-mcp');
    const hr = el(el(table, 'thead'), 'tr');
    for (const h of ['Server / tool', 'Calls', 'Failed', 'Rate']) el(hr, 'th', undefined, h);
    const body = el(table, 'tbody');
    for (const m of o.mcp) {
      const tr = el(body, 'tr', m.failures > 0 ? 'has-failures' : undefined);
      const name = el(tr, 'td', 'claude-family-mcp-name');
      el(name, 'span', undefined, `${oneLine(m.server, 60)} / ${oneLine(m.tool, 60)}`);
      if (m.lastError) el(name, 'div', 'claude-family-mcp-error', `${m.lastErrorAt ? `${relativeTime(m.lastErrorAt, now)}: ` : ''}${oneLine(m.lastError, 200)}`);
      el(tr, 'td', 'claude-family-num', String(m.calls));
      el(tr, 'td', 'claude-family-num', String(m.failures));
      const rate = el(tr, 'td', 'claude-family-num claude-family-rate');
      const meter = el(rate, 'span', 'claude-family-rate-bar');
      meter.setCssStyles({ width: `${Math.round(m.failureRate * 100)}%` });
      el(rate, 'span', undefined, `${Math.round(m.failureRate * 100)}%`);
    }
  }

}

function drawKnowledge(ks: HTMLElement, o: Overview): void {
  const k = o.knowledge;
  const link = (li: HTMLElement, e: (typeof k.mostDelivered)[number], text: string) =>
    el(li, 'a', 'claude-family-knowledge-link', text, { href: '#', 'data-knowledge-id': e.knowledgeId, ...(e.notePath ? { 'data-note-path': e.notePath } : {}) });
  if (k.mostDelivered.length === 0) el(ks, 'p', 'claude-family-muted', 'Nothing delivered to Claude yet.');
  else {
    const ol = el(ks, 'ol', 'claude-family-knowledge');
    for (const e of k.mostDelivered) {
      const li = el(ol, 'li');
      link(li, e, oneLine(e.name, 120));
      el(li, 'span', 'claude-family-muted', ` ${e.deliveries}× · ${oneLine(e.category, 40)}`);
    }
  }
  if (k.neverDeliveredCount > 0) {
    el(ks, 'div', 'claude-family-muted', `Never delivered (${k.neverDeliveredCount}):`);
    const ul = el(ks, 'ul', 'claude-family-knowledge is-never');
    for (const e of k.neverDelivered) link(el(ul, 'li'), e, oneLine(e.name, 120));
    if (k.neverDeliveredCount > k.neverDelivered.length) el(ul, 'li', 'claude-family-muted', `… and ${k.neverDeliveredCount - k.neverDelivered.length} more`);
  }
}

/** Fills a chart's hover panel with one day's sessions (each a link to its session note). */
export function renderDayPanel(panel: HTMLElement, day: string, project: string | undefined, state: { sessions?: DaySession[]; count?: number; error?: string }): void {
  panel.replaceChildren();
  panel.addClass('is-open');
  const head = el(panel, 'div', 'claude-family-day-panel-head', `${project ? `${oneLine(project, 60)} · ` : ''}${dayTitle(day, state.count ?? 0)}`);
  if (state.error) return void el(panel, 'div', 'claude-family-error', oneLine(state.error, 200));
  if (!state.sessions) return void head.setText(`${project ? `${oneLine(project, 60)} · ` : ''}${day}: loading…`);
  const ul = el(panel, 'ul');
  for (const s of state.sessions) {
    const li = el(ul, 'li');
    const a = el(li, 'a', 'claude-family-session-link', `${s.start.toISOString().slice(11, 16)} UTC`, { href: '#', 'data-session-id': s.sessionId });
    if (!project) a.appendText(` ${oneLine(s.project, 60)}`);
    li.appendText(s.summary ? ` — ${oneLine(s.summary, 120)}` : s.end ? '' : ' (open)');
  }
  if ((state.count ?? 0) > state.sessions.length) el(ul, 'li', 'claude-family-muted', `… and ${(state.count ?? 0) - state.sessions.length} more`);
}

export function closeDayPanel(panel: HTMLElement): void {
  panel.replaceChildren();
  panel.removeClass('is-open');
}
