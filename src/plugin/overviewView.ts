// "Claude Family: all projects": every project at a glance in one view (a tab, or the right sidebar),
// opened by a ribbon icon and a command. It reads the overview (src/core/overview: four statements) when
// opened and on the change notices the blocks use, debounced, and only while shown: a view in a
// background tab or a collapsed sidebar is only marked stale, and reads when shown again; a closed view
// reads nothing. With the database unreachable it says so in one line above the last data it had.
import { ItemView, MarkdownView, TFile, type App, type Plugin, type WorkspaceLeaf } from 'obsidian';
import type { ChangeNotice } from '../core/events/changes.js';
import { loadOverview, type Overview } from '../core/overview/overview.js';
import { loadDaySessions, type DaySession } from '../core/overview/sessionActivity.js';
import { coalescing } from './coalesce.js';
import type { Connection } from './connection.js';
import { writeHandoffNote } from './notes.js';
import { closeDayPanel, renderDayPanel, renderOverview, type OverviewUiState } from './overviewRender.js';
import { connectionProblem } from './problems.js';
import { noteForHit } from './searchModal.js';
import type { ClaudeFamilySettings } from './settings.js';
import { chartDayAt, ensureDayCells } from './sessionsChart.js';

export const OVERVIEW_VIEW_TYPE = 'claude-family-overview';
export const OVERVIEW_TITLE = 'Claude Family: all projects';
/** Change notices arriving within this time are one read. */
export const OVERVIEW_DEBOUNCE_MS = 500;
/** Wait this long on a day before asking for its sessions (sweeping across the chart asks nothing). */
export const HOVER_DELAY_MS = 150;

export interface OverviewHost {
  app: App;
  readonly settings: ClaudeFamilySettings;
  readonly connection: Connection;
  /** A failure the user should hear of (opening a note). */
  report?: (what: string, err: unknown) => void;
}

/** Opens a file in the main area (a new tab when the current one cannot navigate, such as this view). */
async function openFile(app: App, file: TFile): Promise<void> {
  const leaf = app.workspace.getLeaf(false);
  if (!(leaf.view instanceof MarkdownView) || leaf.view.file?.path !== file.path) await leaf.openFile(file);
}

export class OverviewView extends ItemView {
  /** The data changed while the view was not shown: read when it is. */
  stale = false;
  private overview?: Overview;
  private loadedAt?: Date;
  private overviewError?: string;
  private readonly uiState: OverviewUiState = { filter: '', foldedOpen: false };
  private bodyEl?: HTMLElement;
  private refreshTimer?: number;
  private hoverTimer?: number;
  private isClosed = true;
  /** One day's sessions by "project|day", kept until the next read. */
  private dayCache = new Map<string, Promise<{ sessions: DaySession[]; count: number }>>();
  /** The day whose panel was clicked open: hovering elsewhere does not replace it. */
  private pinnedDay?: string;
  /** Reads done, for tests and the bench. */
  reads = 0;

  constructor(
    leaf: WorkspaceLeaf,
    private readonly overviewHost: OverviewHost,
  ) {
    super(leaf);
    this.navigation = false;
  }

  getViewType(): string {
    return OVERVIEW_VIEW_TYPE;
  }

  getDisplayText(): string {
    return OVERVIEW_TITLE;
  }

  override getIcon(): string {
    return 'layout-dashboard';
  }

  protected override async onOpen(): Promise<void> {
    this.isClosed = false;
    const root = this.contentEl;
    root.replaceChildren();
    root.addClass('claude-family-overview');
    const bar = root.createDiv({ cls: 'claude-family-overview-bar' });
    const filter = bar.createEl('input', { cls: 'claude-family-overview-filter', attr: { type: 'search', placeholder: 'Filter projects by name', 'aria-label': 'Filter projects by name' } });
    this.registerDomEvent(filter, 'input', () => {
      this.uiState.filter = filter.value;
      this.renderBody();
    });
    this.bodyEl = root.createDiv({ cls: 'claude-family-overview-body' });
    // Delegated: one listener each for every card, chart day and link, whatever a re-render replaced.
    this.registerDomEvent(this.bodyEl, 'click', (evt) => this.onClick(evt));
    this.registerDomEvent(this.bodyEl, 'mouseover', (evt) => this.onHover(evt));
    this.registerDomEvent(this.bodyEl, 'mouseleave', () => this.unhover());
    this.registerDomEvent(this.bodyEl, 'toggle', (evt) => {
      const t = evt.target as HTMLElement | null;
      if (t?.tagName.toLowerCase() === 'details' && t.classList.contains('claude-family-folded')) this.uiState.foldedOpen = t.hasAttribute('open');
    }, true);
    // What no change notice reports (MCP calls, deliveries) is caught up at the refresh interval, while shown.
    this.registerInterval(window.setInterval(() => this.onChange(undefined), Math.max(5, this.overviewHost.settings.refreshSeconds) * 1000));
    this.renderBody();
    void this.refreshIfShown();
  }

  protected override async onClose(): Promise<void> {
    this.stop();
  }

  /** Cancels what is scheduled; synchronous (the plugin's onunload calls it too). */
  stop(): void {
    this.isClosed = true;
    window.clearTimeout(this.refreshTimer);
    window.clearTimeout(this.hoverTimer);
    this.refreshTimer = undefined;
    this.hoverTimer = undefined;
  }

  isShown(): boolean {
    return !this.isClosed && this.containerEl.isShown();
  }

  /** A change notice (or a poll): read once the burst is over, if shown. */
  onChange(_notice: ChangeNotice | undefined): void {
    if (this.isClosed || this.refreshTimer !== undefined) return;
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshIfShown();
    }, OVERVIEW_DEBOUNCE_MS);
  }

  /** Reads now when shown; otherwise only remembers that the data is out of date. */
  refreshIfShown(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    if (!this.isShown()) {
      this.stale = true;
      return Promise.resolve();
    }
    this.stale = false;
    return this.readNow();
  }

  /** Reads and re-renders; calls during a read share one more read. */
  readonly readNow = coalescing(() => this.readOverview(), () => !this.isClosed);

  private async readOverview(): Promise<void> {
    this.reads += 1;
    try {
      this.overview = await this.overviewHost.connection.run((db) => loadOverview(db));
      this.loadedAt = new Date();
      this.overviewError = undefined;
      this.dayCache = new Map();
    } catch (err) {
      this.overviewError = `Claude Family: offline. ${connectionProblem(err)}`;
    }
    if (!this.isClosed) this.renderBody();
  }

  private renderBody(): void {
    if (!this.bodyEl) return;
    this.pinnedDay = undefined;
    // The header, the chart and the first cards now; the other cards, MCP health and knowledge in tasks of their own.
    renderOverview(this.bodyEl, { data: this.overview, loadedAt: this.loadedAt, error: this.overviewError, now: new Date() }, this.uiState, { defer: (fn) => window.setTimeout(fn, 0) });
  }

  private daySessions(day: string, project: string | undefined): Promise<{ sessions: DaySession[]; count: number }> {
    const key = `${project ?? ''}|${day}`;
    let p = this.dayCache.get(key);
    if (!p) {
      p = this.overviewHost.connection.run((db) => loadDaySessions(db, day, project));
      p.catch(() => this.dayCache.delete(key));
      this.dayCache.set(key, p);
    }
    return p;
  }

  /** Shows one day's sessions in the panel under the chart the day belongs to. */
  async showDay(target: Element, day: string, project: string | undefined): Promise<void> {
    const panel = target.closest('.claude-family-chart-wrap')?.querySelector<HTMLElement>('.claude-family-day-panel');
    if (!panel) return;
    for (const other of Array.from(this.bodyEl?.querySelectorAll<HTMLElement>('.claude-family-day-panel.is-open') ?? [])) if (other !== panel) closeDayPanel(other);
    const key = `${project ?? ''}|${day}`;
    panel.dataset.key = key;
    renderDayPanel(panel, day, project, {});
    try {
      const r = await this.daySessions(day, project);
      if (panel.dataset.key === key) renderDayPanel(panel, day, project, r);
    } catch (err) {
      if (panel.dataset.key === key) renderDayPanel(panel, day, project, { error: connectionProblem(err) });
    }
  }

  private onHover(evt: MouseEvent): void {
    ensureDayCells(evt.target);
    const hit = chartDayAt(evt.target);
    if (!hit || this.pinnedDay) return;
    const target = evt.target as Element;
    window.clearTimeout(this.hoverTimer);
    this.hoverTimer = window.setTimeout(() => void this.showDay(target, hit.day, hit.project), HOVER_DELAY_MS);
  }

  private unhover(): void {
    window.clearTimeout(this.hoverTimer);
    if (this.pinnedDay) return;
    for (const panel of Array.from(this.bodyEl?.querySelectorAll<HTMLElement>('.claude-family-day-panel.is-open') ?? [])) closeDayPanel(panel);
  }

  private onClick(evt: MouseEvent): void {
    const target = evt.target as Element | null;
    if (!target) return;
    const session = target.closest<HTMLElement>('[data-session-id]');
    const knowledge = target.closest<HTMLElement>('[data-knowledge-id]');
    const project = target.closest<HTMLElement>('[data-open-project]');
    const day = chartDayAt(target);
    if (session || knowledge || project) evt.preventDefault();
    if (session) void this.openNote('session note not opened', () => this.sessionNote(session.dataset.sessionId!));
    else if (knowledge) void this.openNote('knowledge note not opened', () => this.knowledgeNote(knowledge.dataset.knowledgeId!, knowledge.dataset.notePath));
    else if (project) void this.openNote('handoff note not opened', () => this.handoffNote(project.dataset.openProject!));
    else if (day) {
      // A click keeps the day's list open, so the pointer can go to it and open a session.
      window.clearTimeout(this.hoverTimer);
      this.pinnedDay = `${day.project ?? ''}|${day.day}`;
      void this.showDay(target, day.day, day.project);
    } else if (this.pinnedDay && !target.closest('.claude-family-day-panel')) {
      this.pinnedDay = undefined;
      this.unhover();
    }
  }

  private async openNote(what: string, find: () => Promise<TFile | undefined>): Promise<TFile | undefined> {
    try {
      const file = await find();
      if (file) await openFile(this.app, file);
      else this.overviewHost.report?.(what, new Error('it is no longer in the database'));
      return file;
    } catch (err) {
      this.overviewHost.report?.(what, err);
      return undefined;
    }
  }

  /** The project's handoff note, written (or brought up to date) first. */
  async handoffNote(project: string): Promise<TFile | undefined> {
    const { path } = await writeHandoffNote(this.app.vault, this.overviewHost.connection, this.overviewHost.settings, project);
    return this.app.vault.getFileByPath(path) ?? undefined;
  }

  async sessionNote(sessionId: string): Promise<TFile | undefined> {
    return noteForHit(this.overviewHost, { kind: 'session', id: sessionId, project: null, date: new Date(), title: '', snippet: '', rank: 0 });
  }

  /** The note an entry came from when it is in the vault; else the entry written as a note. */
  async knowledgeNote(knowledgeId: string, notePath: string | undefined): Promise<TFile | undefined> {
    const existing = notePath ? this.app.vault.getFileByPath(notePath) : null;
    if (existing) return existing;
    return noteForHit(this.overviewHost, { kind: 'knowledge', id: knowledgeId, project: null, date: new Date(), title: '', snippet: '', rank: 0 });
  }

  /** Clicks a project's card as the user would (tests). */
  openProject(project: string): Promise<TFile | undefined> {
    return this.openNote('handoff note not opened', () => this.handoffNote(project));
  }
}

/** The open overview views (a deferred, never shown leaf holds none yet: nothing to refresh). */
export function overviewViews(app: App): OverviewView[] {
  const views: OverviewView[] = [];
  for (const leaf of app.workspace.getLeavesOfType(OVERVIEW_VIEW_TYPE)) if (leaf.view instanceof OverviewView) views.push(leaf.view);
  return views;
}

/** Shows the view: the open one, else a new one in the right sidebar. */
export async function openOverview(app: App): Promise<OverviewView | undefined> {
  let leaf: WorkspaceLeaf | null = app.workspace.getLeavesOfType(OVERVIEW_VIEW_TYPE)[0] ?? null;
  if (!leaf) {
    leaf = app.workspace.getRightLeaf(false);
    if (!leaf) return undefined;
    await leaf.setViewState({ type: OVERVIEW_VIEW_TYPE, active: true });
  }
  await app.workspace.revealLeaf(leaf);
  return leaf.view instanceof OverviewView ? leaf.view : undefined;
}

export interface OverviewRegistration {
  /** A change notice: every open view reads once the burst is over (if shown). */
  onChange(notice: ChangeNotice | undefined): void;
  /** On layout and active-leaf changes: views that went stale while hidden and are shown now read. */
  refreshStale(): void;
  /** Reads now in every shown view. */
  refreshAll(): Promise<void>;
}

type OverviewPlugin = OverviewHost & Pick<Plugin, 'registerView' | 'addRibbonIcon' | 'addCommand' | 'register'>;

/** The view, its ribbon icon and command; main.ts passes on change notices and layout changes. */
export function registerOverview(plugin: OverviewPlugin): OverviewRegistration {
  const { app } = plugin;
  plugin.registerView(OVERVIEW_VIEW_TYPE, (leaf) => new OverviewView(leaf, plugin));
  plugin.addRibbonIcon('layout-dashboard', 'Open Claude Family: all projects', () => void openOverview(app));
  plugin.addCommand({ id: 'open-overview', name: 'Open all projects overview', callback: () => void openOverview(app) });
  // The views belong to their leaves, not to the plugin: their timers end with the plugin all the same.
  plugin.register(() => {
    for (const v of overviewViews(app)) v.stop();
  });
  return {
    onChange: (notice) => {
      for (const v of overviewViews(app)) v.onChange(notice);
    },
    refreshStale: () => {
      for (const v of overviewViews(app)) if (v.stale && v.isShown()) void v.refreshIfShown();
    },
    refreshAll: async () => {
      await Promise.all(overviewViews(app).map((v) => v.refreshIfShown()));
    },
  };
}
