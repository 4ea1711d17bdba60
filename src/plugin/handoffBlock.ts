// The `claude-handoff` code block: parsed options, a live view of the database that refreshes on
// change notifications (Postgres) or on a timer (embedded), and checkboxes that complete todos.
// Refreshes are debounced (a burst of changes is one read per block), and a block that is not shown
// (a background tab, a collapsed pane) is only marked stale and refreshed when it is shown again.
import { coalescing } from './coalesce.js';
import { MarkdownRenderChild, type MarkdownPostProcessorContext } from 'obsidian';
import type { ChangeNotice } from '../core/events/changes.js';
import { redact } from '../core/db/db.js';
import { loadHandoff } from '../core/session/handoff.js';
import { ValidationError, type TodoRow } from '../core/models.js';
import { parseHandoffBlock, type HandoffBlockOptions } from '../core/render/handoffBlock.js';
import { getProjectByName } from '../core/repos/projects.js';
import { listRecentlyCompletedTodos, setTodoStatus } from '../core/repos/todos.js';
import type { Connection } from './connection.js';
import { renderHandoffMessage, renderHandoffView, type HandoffView } from './handoffView.js';
import { currentProject, type ClaudeFamilySettings } from './settings.js';

/** Changes arriving within this time are refreshed together. */
export const CHANGE_DEBOUNCE_MS = 300;

export interface HandoffBlocksDeps {
  connection: Connection;
  settings: () => ClaudeFamilySettings;
  notice: (message: string) => void;
  /** After the block wrote to the database (a todo checked): refresh whatever else shows it. */
  afterWrite?: () => void;
}

/** `todoLimit`: the most todos of each status the block shows (totals stay exact); it reads no more. */
export async function loadHandoffView(connection: Connection, project: string, recentLimit = 5, todoLimit = 200): Promise<HandoffView> {
  return connection.run(async (db) => {
    const handoff = await loadHandoff(db, project, { todoLimit });
    const row = handoff.known ? await getProjectByName(db, project) : undefined;
    const recentlyCompleted = row ? await listRecentlyCompletedTodos(db, row.project_id, recentLimit) : [];
    return { handoff, recentlyCompleted, loadedAt: new Date() };
  });
}

/** Checking a box completes the todo; unchecking a completed one reopens it (as pending). */
export async function toggleTodo(connection: Connection, todo: Pick<TodoRow, 'todo_id'>, checked: boolean): Promise<TodoRow> {
  return connection.run((db) => setTodoStatus(db, { todoId: todo.todo_id, status: checked ? 'completed' : 'pending' }));
}

export function errorText(err: unknown): string {
  if (err instanceof ValidationError) return err.message;
  return redact((err as Error)?.message ?? String(err));
}

export class HandoffBlockChild extends MarkdownRenderChild {
  /** Data changed while the block was not shown: refresh when it is. */
  stale = false;
  private options?: HandoffBlockOptions;
  private parseError?: string;
  /** The project shown, once known. */
  project?: string;

  constructor(
    containerEl: HTMLElement,
    private readonly blocks: HandoffBlocks,
    source: string,
    private readonly noteFrontmatter: unknown,
  ) {
    super(containerEl);
    try {
      this.options = parseHandoffBlock(source);
    } catch (err) {
      this.parseError = errorText(err);
    }
  }

  override onload(): void {
    this.blocks.add(this);
    void this.refresh();
  }

  override onunload(): void {
    this.blocks.delete(this);
  }

  private resolveProject(): string | undefined {
    const fm = this.noteFrontmatter as { project?: unknown } | null | undefined;
    const fromNote = typeof fm?.project === 'string' && fm.project.trim() ? fm.project.trim() : undefined;
    return this.options?.project ?? fromNote ?? currentProject(this.blocks.deps.settings());
  }

  /** Re-reads and re-renders; concurrent calls coalesce into one more run (while the block is shown). */
  readonly refresh = coalescing(() => this.renderOnce(), () => this.blocks.has(this));

  /** Whether the block is on screen now (attached, and no ancestor hidden). */
  isShown(): boolean {
    return this.containerEl.isShown();
  }

  /** Refreshes now when shown; otherwise only remembers that it is out of date. */
  refreshIfShown(): Promise<void> {
    if (!this.isShown()) {
      this.stale = true;
      return Promise.resolve();
    }
    this.stale = false;
    return this.refresh();
  }

  private async renderOnce(): Promise<void> {
    if (this.parseError) return renderHandoffMessage(this.containerEl, this.parseError, 'error');
    this.project = this.resolveProject();
    if (!this.project) {
      return renderHandoffMessage(this.containerEl, 'No project: add "project: name" to the block, or set a project in the Claude Family settings.', 'error');
    }
    try {
      const view = await loadHandoffView(this.blocks.deps.connection, this.project, 5, this.options?.limit ?? 10);
      renderHandoffView(this.containerEl, view, {
        sections: this.options?.sections,
        limit: this.options?.limit,
        onToggle: (todo, checked, box) => void this.blocks.toggle(todo, checked, box),
      });
    } catch (err) {
      renderHandoffMessage(this.containerEl, `Claude Family: ${errorText(err)}`, 'error');
    }
  }
}

export class HandoffBlocks {
  private readonly live = new Set<HandoffBlockChild>();
  private timer?: number;
  /** Projects changed since the last refresh; `null` for a change of unknown project (all blocks). */
  private changed = new Set<string | null>();

  constructor(readonly deps: HandoffBlocksDeps) {}

  /** For registerMarkdownCodeBlockProcessor. */
  readonly processor = (source: string, el: HTMLElement, ctx: MarkdownPostProcessorContext): void => {
    ctx.addChild(new HandoffBlockChild(el, this, source, ctx.frontmatter));
  };

  add(block: HandoffBlockChild): void {
    this.live.add(block);
  }

  delete(block: HandoffBlockChild): void {
    this.live.delete(block);
  }

  has(block: HandoffBlockChild): boolean {
    return this.live.has(block);
  }

  get size(): number {
    return this.live.size;
  }

  /** Refreshes the shown blocks showing `project` (all blocks when no project is given); hidden ones go stale. */
  async refreshAll(project?: string | null): Promise<void> {
    await Promise.all([...this.live].filter((b) => !project || !b.project || b.project === project).map((b) => b.refreshIfShown()));
  }

  /** Refreshes the blocks that went stale while hidden and are shown now (on layout and leaf changes). */
  async refreshStale(): Promise<void> {
    await Promise.all([...this.live].filter((b) => b.stale && b.isShown()).map((b) => b.refreshIfShown()));
  }

  /** A change notice: the affected blocks refresh once the burst is over. */
  onChange(notice: ChangeNotice | undefined): void {
    this.changed.add(notice?.project ?? null);
    // Changes arriving before the refresh runs join it; a steady stream cannot postpone it.
    if (this.timer !== undefined) return;
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      const changed = this.changed;
      this.changed = new Set();
      const all = changed.has(null);
      const blocks = [...this.live].filter((b) => all || !b.project || changed.has(b.project));
      void Promise.all(blocks.map((b) => b.refreshIfShown()));
    }, CHANGE_DEBOUNCE_MS);
  }

  /** Cancels a pending refresh (the plugin is unloading). */
  stop(): void {
    window.clearTimeout(this.timer);
    this.timer = undefined;
    this.changed.clear();
  }

  async toggle(todo: TodoRow, checked: boolean, box: HTMLInputElement): Promise<void> {
    box.disabled = true;
    try {
      await toggleTodo(this.deps.connection, todo, checked);
    } catch (err) {
      box.checked = !checked;
      this.deps.notice(`Claude Family: could not update the todo: ${errorText(err)}`);
    } finally {
      box.disabled = false;
    }
    this.deps.afterWrite?.();
    await this.refreshAll();
  }
}
