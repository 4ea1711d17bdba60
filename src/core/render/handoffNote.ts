// The handoff as a plain Markdown page (works in search, graph and on mobile, where the live block
// cannot reach the database). Its text depends only on the data, so rewriting it when nothing changed
// is a no-op the caller can detect.
import type { Handoff } from '../session/handoff.js';
import { handoffTotals, renderHandoffMarkdown, type HandoffMarkdownOptions } from './handoff.js';
import { mergeNote } from './generatedSection.js';
import { safeFileName } from './sessionNote.js';

/** Says where the note comes from and where todos are checked off (○ pending, ◐ in progress). */
export const HANDOFF_NOTE_HINT =
  '_Written from the Claude database and kept current by the Claude Family plugin: edits between the markers are replaced. ○ pending, ◐ in progress; check todos off in a `claude-handoff` block._';

/** The newest timestamp among the rows the handoff shows (not "now", so an unchanged handoff renders the same). */
export function handoffUpdatedAt(h: Handoff): Date | undefined {
  const times: Date[] = [];
  if (h.state) times.push(h.state.updated_at);
  for (const t of [...h.inProgress, ...h.pending]) times.push(t.updated_at);
  for (const m of h.messages) times.push(m.created_at);
  if (h.lastSession) times.push(h.lastSession.session_end ?? h.lastSession.session_start);
  return times.length === 0 ? undefined : new Date(Math.max(...times.map((d) => d.getTime())));
}

export function handoffNoteFileName(projectName: string): string {
  return `Handoff ${safeFileName(projectName)}.md`;
}

export function handoffNoteFrontmatter(h: Handoff): Record<string, unknown> {
  return {
    project: h.projectName,
    updated_at: handoffUpdatedAt(h)?.toISOString() ?? null,
    in_progress: handoffTotals(h).inProgress,
    pending: handoffTotals(h).pending,
    messages: h.pendingMessageCount,
  };
}

export function renderHandoffNoteBody(h: Handoff, options: HandoffMarkdownOptions = {}): string {
  return `# Where we left off: ${h.projectName}\n\n${HANDOFF_NOTE_HINT}\n\n${renderHandoffMarkdown(h, options)}`;
}

/** The note's full text; `existing` keeps whatever the user wrote outside the generated section. */
export function renderHandoffNote(h: Handoff, options: HandoffMarkdownOptions = {}, existing?: string): string {
  return mergeNote(existing, handoffNoteFrontmatter(h), renderHandoffNoteBody(h, options));
}
