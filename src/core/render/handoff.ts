import type { Handoff } from '../session/handoff.js';
import type { TodoRow } from '../models.js';
import { formatTime, taskNumber, taskPrefix } from './format.js';

export interface HandoffTextOptions {
  /** How many pending todos to list (the seed shows the top 5). */
  pendingLimit?: number;
}

/** "blocked by #2, #3" for a task waiting on others, else "". */
export function blockedByText(t: Pick<TodoRow, 'blocked_by'>): string {
  const ids = t.blocked_by ?? [];
  return ids.length === 0 ? '' : `blocked by ${ids.map((id) => taskNumber(id)).join(', ')}`;
}

const blockedSuffix = (t: Pick<TodoRow, 'blocked_by'>, escape: (s: string) => string = (x) => x) => (blockedByText(t) ? ` (${escape(blockedByText(t))})` : '');

/** "#3 " for a Claude Code task, so "blocked by #3" can be followed; "" for other todos. */
function taskRef(t: Pick<TodoRow, 'task_id'>): string {
  return taskPrefix(t.task_id);
}

function todoLine(mark: string, t: TodoRow): string {
  return `  [${mark}] [P${t.priority}] ${taskRef(t)}${oneLine(t.content)}${blockedSuffix(t)}`;
}

/** Collapses whitespace so one database value can never break the block's layout. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function nextSteps(h: Handoff): string[] {
  return (h.state?.next_steps ?? []).map((s) => (typeof s === 'string' ? s : JSON.stringify(s)));
}

/** Live todo totals: exact even when the loaded lists were cut short. */
export function handoffTotals(h: Handoff): { inProgress: number; pending: number; total: number } {
  const inProgress = h.totals?.inProgress ?? h.inProgress.length;
  const pending = h.totals?.pending ?? h.pending.length;
  return { inProgress, pending, total: inProgress + pending };
}

/** The plain-text "WHERE WE LEFT OFF" block a SessionStart hook adds to Claude's context. */
export function renderHandoffText(h: Handoff, options: HandoffTextOptions = {}): string {
  const limit = options.pendingLimit ?? 5;
  const totals = handoffTotals(h);
  const lines = ['=== WHERE WE LEFT OFF ===', `Project: ${h.projectName}`];
  lines.push(`Focus: ${h.state?.current_focus ? oneLine(h.state.current_focus) : '(none recorded)'}`);
  if (h.lastSession) {
    const s = h.lastSession;
    const when = formatTime(s.session_end ?? s.session_start);
    // Claude Code shows SessionEnd's reminder only in its debug log: say it here, where it is read.
    lines.push(`Last session: ${when}${s.session_summary ? ` - ${oneLine(s.session_summary)}` : s.session_end ? ' (closed without a summary)' : ' (not closed)'}`);
  }
  const steps = nextSteps(h);
  if (steps.length > 0) {
    lines.push('', 'Next steps:');
    steps.forEach((step, i) => lines.push(`  ${i + 1}. ${oneLine(step)}`));
  }
  const pendingActions = h.state?.pending_actions ?? [];
  if (pendingActions.length > 0) {
    lines.push('', 'Pending actions:');
    for (const a of pendingActions) lines.push(`  - ${oneLine(a)}`);
  }
  lines.push('', `Active Todos: ${totals.total} total (${totals.inProgress} in progress, ${totals.pending} pending)`);
  if (h.inProgress.length > 0) {
    lines.push('', 'In Progress:');
    for (const t of h.inProgress) lines.push(todoLine('>', t));
    if (totals.inProgress > h.inProgress.length) lines.push(`  … and ${totals.inProgress - h.inProgress.length} more in progress`);
  }
  if (h.pending.length > 0) {
    lines.push('', `Pending (top ${Math.min(limit, h.pending.length)}):`);
    for (const t of h.pending.slice(0, limit)) lines.push(todoLine(' ', t));
  }
  if (h.pendingMessageCount > 0) {
    lines.push('', `Pending messages: ${h.pendingMessageCount}`);
    for (const m of h.messages) lines.push(`  - from ${oneLine(m.from_project, 80)}: ${oneLine(m.body, 200)} (id ${m.message_id})`);
  }
  if (h.knowledge && h.knowledge.length > 0) {
    lines.push('', 'Knowledge that may help (full entry: the claude-family MCP tool get, or claude-family knowledge show ID):');
    for (const k of h.knowledge) lines.push(`  - ${oneLine(k.pattern_name, 80)} [${oneLine(k.category, 30)}] (id ${k.knowledge_id})`);
  }
  return lines.join('\n');
}

/**
 * The short reminder a SessionStart hook prints after Claude Code compacted the context (source
 * `compact`): the focus and the open todos and tasks, which the compaction summary may have dropped.
 */
export function renderCompactReminder(h: Handoff, options: HandoffTextOptions = {}): string {
  const limit = options.pendingLimit ?? 10;
  const totals = handoffTotals(h);
  const lines = ['=== CONTEXT COMPACTED: CURRENT FOCUS AND OPEN TASKS ===', `Project: ${h.projectName}`];
  lines.push(`Focus: ${h.state?.current_focus ? oneLine(h.state.current_focus) : '(none recorded)'}`);
  lines.push(`Open: ${totals.inProgress} in progress, ${totals.pending} pending`);
  for (const t of h.inProgress) lines.push(todoLine('>', t));
  for (const t of h.pending.slice(0, limit)) lines.push(todoLine(' ', t));
  if (totals.pending > Math.min(limit, h.pending.length)) lines.push(`  … and ${totals.pending - Math.min(limit, h.pending.length)} more pending`);
  return lines.join('\n');
}

export type HandoffSection = 'focus' | 'next' | 'todos' | 'messages' | 'last';
export const HANDOFF_SECTIONS: readonly HandoffSection[] = ['focus', 'last', 'next', 'todos', 'messages'];

export interface HandoffMarkdownOptions {
  sections?: readonly HandoffSection[];
  /** How many pending todos to list. */
  limit?: number;
  /** Heading level of the section headings (default 2). */
  headingLevel?: number;
}

/** How a todo's status shows in a note: a symbol, not a task checkbox. */
export const TODO_MARK = { pending: '○', in_progress: '◐', completed: '✓' } as const;

/** Escapes text for a Markdown list item or paragraph (no links, tags or embeds sneak in). */
export function escapeMarkdown(text: string): string {
  return oneLine(text, 2000).replace(/([\\`*_[\]#|<>!])/g, '\\$1');
}

/** The handoff as Markdown: a note body or the inside of a `claude-handoff` block. */
export function renderHandoffMarkdown(h: Handoff, options: HandoffMarkdownOptions = {}): string {
  const sections = options.sections ?? HANDOFF_SECTIONS;
  const limit = options.limit ?? 10;
  const hx = '#'.repeat(options.headingLevel ?? 2);
  const out: string[] = [];
  for (const section of sections) {
    switch (section) {
      case 'focus':
        out.push(`${hx} Focus`, '', h.state?.current_focus ? escapeMarkdown(h.state.current_focus) : '_No focus recorded._', '');
        break;
      case 'last':
        if (h.lastSession) {
          const s = h.lastSession;
          out.push(`${hx} Last session`, '');
          out.push(`${formatTime(s.session_start)}${s.session_end ? '' : ' (open)'}`);
          if (s.session_summary) out.push('', escapeMarkdown(s.session_summary));
          else if (s.session_end) out.push('', '_Closed without a summary._');
          out.push('');
        }
        break;
      case 'next': {
        const steps = nextSteps(h);
        if (steps.length > 0) {
          out.push(`${hx} Next steps`, '', ...steps.map((s, i) => `${i + 1}. ${escapeMarkdown(s)}`), '');
        }
        break;
      }
      case 'todos': {
        const totals = handoffTotals(h);
        out.push(`${hx} Todos`, '', `${totals.total} active: ${totals.inProgress} in progress, ${totals.pending} pending.`, '');
        // Not Markdown tasks (`- [ ]`): a tick in the note would change only the file and be lost at the next
        // rewrite. Todos are checked off where the database is written: the live `claude-handoff` block.
        for (const t of h.inProgress) out.push(`- ${TODO_MARK.in_progress} ${escapeMarkdown(t.active_form || t.content)} (P${t.priority})${blockedSuffix(t, escapeMarkdown)}`);
        if (totals.inProgress > h.inProgress.length) out.push(`- … and ${totals.inProgress - h.inProgress.length} more in progress`);
        const shown = h.pending.slice(0, limit);
        for (const t of shown) out.push(`- ${TODO_MARK.pending} ${escapeMarkdown(t.content)} (P${t.priority})${blockedSuffix(t, escapeMarkdown)}`);
        if (totals.pending > shown.length) out.push(`- … and ${totals.pending - shown.length} more pending`);
        out.push('');
        break;
      }
      case 'messages':
        if (h.pendingMessageCount > 0) {
          out.push(`${hx} Messages`, '');
          for (const m of h.messages) out.push(`- **${escapeMarkdown(m.from_project)}**: ${escapeMarkdown(m.body)}`);
          if (h.pendingMessageCount > h.messages.length) out.push(`- … and ${h.pendingMessageCount - h.messages.length} more`);
          out.push('');
        }
        break;
    }
  }
  return out.join('\n').trimEnd() + '\n';
}
