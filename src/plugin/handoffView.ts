// Renders a handoff into a DOM element (the live `claude-handoff` block). Plain DOM calls and
// textContent only: database text is never parsed as HTML or Markdown.
import type { Handoff } from '../core/session/handoff.js';
import type { TodoRow } from '../core/models.js';
import { HANDOFF_SECTIONS, handoffTotals, oneLine, type HandoffSection } from '../core/render/handoff.js';

export interface HandoffView {
  handoff: Handoff;
  /** Recently completed todos, shown checked so they can be reopened. */
  recentlyCompleted: TodoRow[];
  loadedAt: Date;
}

export interface HandoffViewOptions {
  sections?: readonly HandoffSection[];
  limit?: number;
  onToggle: (todo: TodoRow, checked: boolean, box: HTMLInputElement) => void;
}

type Attrs = Record<string, string>;

function el<K extends keyof HTMLElementTagNameMap>(parent: HTMLElement, tag: K, cls?: string, text?: string, attrs: Attrs = {}): HTMLElementTagNameMap[K] {
  return parent.createEl(tag, { cls, text, attr: attrs });
}

function time(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function todoItem(list: HTMLElement, todo: TodoRow, label: string, options: HandoffViewOptions): void {
  const checked = todo.status === 'completed';
  const li = el(list, 'li', `task-list-item claude-family-todo is-${todo.status.replace('_', '-')}${checked ? ' is-checked' : ''}`, undefined, {
    'data-task': checked ? 'x' : todo.status === 'in_progress' ? '/' : ' ',
    'data-todo-id': todo.todo_id,
  });
  const box = el(li, 'input', 'task-list-item-checkbox', undefined, { type: 'checkbox', 'aria-label': `Complete: ${oneLine(todo.content, 80)}` });
  box.checked = checked;
  box.addEventListener('change', () => options.onToggle(todo, box.checked, box));
  el(li, 'span', 'claude-family-todo-text', oneLine(label));
  el(li, 'span', `claude-family-priority claude-family-p${todo.priority}`, `P${todo.priority}`);
}

export function renderHandoffView(container: HTMLElement, view: HandoffView, options: HandoffViewOptions): void {
  const h = view.handoff;
  const sections = options.sections ?? HANDOFF_SECTIONS;
  const limit = options.limit ?? 10;
  container.replaceChildren();
  const root = el(container, 'div', 'claude-family-handoff');
  const header = el(root, 'div', 'claude-family-handoff-header');
  el(header, 'span', 'claude-family-handoff-title', `Where we left off: ${h.projectName}`);
  el(header, 'span', 'claude-family-muted', `updated ${time(view.loadedAt)}`);
  if (!h.known) {
    el(root, 'p', 'claude-family-muted', `No sessions recorded for ${h.projectName} yet.`);
    return;
  }
  for (const section of sections) {
    switch (section) {
      case 'focus':
        el(root, 'h4', undefined, 'Focus');
        el(root, 'p', h.state?.current_focus ? undefined : 'claude-family-muted', h.state?.current_focus ? oneLine(h.state.current_focus, 2000) : 'No focus recorded.');
        break;
      case 'last':
        if (h.lastSession) {
          const s = h.lastSession;
          el(root, 'h4', undefined, 'Last session');
          el(root, 'p', undefined, `${time(s.session_start)}${s.session_end ? '' : ' (open)'}${s.session_summary ? ` — ${oneLine(s.session_summary, 2000)}` : ''}`);
        }
        break;
      case 'next': {
        const steps = (h.state?.next_steps ?? []).map((s) => (typeof s === 'string' ? s : JSON.stringify(s)));
        if (steps.length > 0) {
          el(root, 'h4', undefined, 'Next steps');
          const ol = el(root, 'ol');
          for (const step of steps) el(ol, 'li', undefined, oneLine(step, 2000));
        }
        break;
      }
      case 'todos': {
        el(root, 'h4', undefined, 'Todos');
        const totals = handoffTotals(h);
        el(root, 'p', 'claude-family-muted', `${totals.total} active: ${totals.inProgress} in progress, ${totals.pending} pending.`);
        const ul = el(root, 'ul', 'contains-task-list claude-family-todos');
        for (const t of h.inProgress) todoItem(ul, t, t.active_form || t.content, options);
        if (totals.inProgress > h.inProgress.length) el(ul, 'li', 'claude-family-muted', `… and ${totals.inProgress - h.inProgress.length} more in progress`);
        const shown = h.pending.slice(0, limit);
        for (const t of shown) todoItem(ul, t, t.content, options);
        if (totals.pending > shown.length) el(ul, 'li', 'claude-family-muted', `… and ${totals.pending - shown.length} more pending`);
        if (view.recentlyCompleted.length > 0) {
          el(root, 'p', 'claude-family-muted', 'Recently completed (uncheck to reopen):');
          const done = el(root, 'ul', 'contains-task-list claude-family-todos claude-family-done');
          for (const t of view.recentlyCompleted) todoItem(done, t, t.content, options);
        }
        break;
      }
      case 'messages':
        if (h.pendingMessageCount > 0) {
          el(root, 'h4', undefined, `Messages (${h.pendingMessageCount})`);
          const ul = el(root, 'ul');
          for (const m of h.messages) {
            const li = el(ul, 'li');
            el(li, 'strong', undefined, oneLine(m.from_project, 80));
            li.appendChild(li.ownerDocument.createTextNode(`: ${oneLine(m.body, 2000)}`));
          }
        }
        break;
    }
  }
}

/** Shows a one-line status or error in place of the block's content. */
export function renderHandoffMessage(container: HTMLElement, text: string, kind: 'error' | 'info'): void {
  container.replaceChildren();
  const root = el(container, 'div', 'claude-family-handoff');
  el(root, 'p', kind === 'error' ? 'claude-family-error' : 'claude-family-muted', text);
}
