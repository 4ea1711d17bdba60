// One Markdown note per Claude Code session: frontmatter for search and Dataview, a body with the
// summary, tasks, learnings and the todos completed in the session, inside the generated section.
import type { SessionRow, TodoRow } from '../models.js';
import { TODO_MARK, escapeMarkdown } from './handoff.js';
import { mergeNote } from './generatedSection.js';

export interface SessionNoteInput {
  session: SessionRow;
  projectName: string;
  completedTodos: readonly TodoRow[];
}

/** Frontmatter keys the plugin owns in a session note; any other key is the user's. */
export const SESSION_NOTE_KEYS = ['session_id', 'project', 'start', 'end', 'tasks_completed', 'learnings'] as const;

/** Replaces characters that are not allowed (or mean something) in an Obsidian file name. */
export function safeFileName(text: string, max = 80): string {
  // eslint-disable-next-line no-control-regex -- control characters are not allowed in file names
  const clean = text.replace(/[\\/:*?"<>|#^[\]\u0000-\u001f]/g, '-').replace(/\s+/g, ' ').trim().replace(/^\.+/, '');
  return (clean.slice(0, max).trim() || 'untitled');
}

/** Stable across syncs: the start date (UTC), the project and the first 8 characters of the session id. */
export function sessionNoteFileName(session: SessionRow, projectName: string): string {
  return `${session.session_start.toISOString().slice(0, 10)} ${safeFileName(projectName)} ${session.session_id.slice(0, 8)}.md`;
}

function minute(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function sessionNoteFrontmatter(input: SessionNoteInput): Record<string, unknown> {
  const s = input.session;
  return {
    session_id: s.session_id,
    project: input.projectName,
    start: s.session_start.toISOString(),
    end: s.session_end ? s.session_end.toISOString() : null,
    tasks_completed: [...s.tasks_completed],
    learnings: [...s.learnings_gained],
  };
}

export function renderSessionNoteBody(input: SessionNoteInput): string {
  const s = input.session;
  const out = [`# Session ${minute(s.session_start)}: ${escapeMarkdown(input.projectName)}`, ''];
  out.push(s.session_end ? `Ended ${minute(s.session_end)}.` : '_Still open._', '');
  out.push('## Summary', '', s.session_summary ? escapeMarkdown(s.session_summary) : '_No summary recorded._', '');
  if (s.tasks_completed.length > 0) out.push('## Tasks completed', '', ...s.tasks_completed.map((t) => `- ${escapeMarkdown(t)}`), '');
  if (s.learnings_gained.length > 0) out.push('## Learnings', '', ...s.learnings_gained.map((t) => `- ${escapeMarkdown(t)}`), '');
  if (input.completedTodos.length > 0) {
    out.push('## Todos completed', '', ...input.completedTodos.map((t) => `- ${TODO_MARK.completed} ${escapeMarkdown(t.content)} (P${t.priority})`), '');
  }
  return out.join('\n').trimEnd();
}

/** The note's full text: a new note, or `existing` with only the plugin's parts replaced. */
export function renderSessionNote(input: SessionNoteInput, existing?: string): string {
  return mergeNote(existing, sessionNoteFrontmatter(input), renderSessionNoteBody(input));
}
