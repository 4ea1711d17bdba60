// Search hits and full entries as plain text: what the CLI prints and the MCP tools return to Claude.
import type { MemoryEntry } from '../search/entry.js';
import type { SearchHit } from '../search/search.js';
import { formatTime } from './format.js';
import { oneLine } from './handoff.js';

const day = (d: Date) => d.toISOString().slice(0, 10);
const minute = formatTime;

/** Two lines per hit: kind, title, project, date and id; then the snippet, indented. */
export function renderHit(hit: SearchHit): string {
  const where = hit.project ? ` · ${oneLine(hit.project, 80)}` : '';
  const head = `[${hit.kind}] ${hit.title}${hit.pending ? ' (pending review)' : ''}${where} · ${day(hit.date)} · id ${hit.id}`;
  return hit.snippet && hit.snippet !== hit.title ? `${head}\n    ${hit.snippet}` : head;
}

export function renderHits(hits: readonly SearchHit[], query: string): string {
  if (hits.length === 0) return `No matches for ${JSON.stringify(oneLine(query, 100))}.`;
  return hits.map(renderHit).join('\n');
}

/** Hits as JSON-ready objects (dates as ISO strings). */
export function hitJson(hit: SearchHit): Record<string, unknown> {
  return { kind: hit.kind, id: hit.id, project: hit.project, date: hit.date.toISOString(), title: hit.title, snippet: hit.snippet, rank: Number(hit.rank.toFixed(4)), ...(hit.kind === 'knowledge' ? { pending: hit.pending === true } : {}) };
}

/** Most characters of each linked note in an entry's answer. */
export const LINKED_BODY_MAX = 3000;

const list = (title: string, items: readonly string[]) => (items.length > 0 ? ['', `${title}:`, ...items.map((i) => `- ${i}`)] : []);

/** The whole entry, as Markdown-flavoured text. Long texts are cut at `max` characters (said so at the end). */
export function renderEntry(entry: MemoryEntry, max = 50_000): string {
  const lines: string[] = [];
  switch (entry.kind) {
    case 'knowledge': {
      const k = entry.knowledge;
      const note = entry.note;
      const pending = note?.review === 'pending' ? ' · PENDING REVIEW (written by Claude or a command, not yet accepted by a person)' : '';
      lines.push(`# ${k.pattern_name}`, `Knowledge ${k.knowledge_id} · category ${k.category} · confidence ${k.confidence_level}/10 · updated ${day(k.updated_at)}${pending}`);
      if (note) lines.push(`Projects: ${note.projects.length > 0 ? note.projects.join(', ') : 'all'}${note.tags.length > 0 ? ` · Tags: ${note.tags.join(', ')}` : ''}`);
      if (k.source_note_path) lines.push(`Source note: ${k.source_note_path}`);
      lines.push('', note?.body ?? k.description);
      lines.push(...list('Gotchas', k.gotchas));
      if (k.example_code) lines.push('', 'Example:', '```', k.example_code, '```');
      if (entry.links && entry.links.length > 0) {
        lines.push('', `## Linked notes (${entry.links.length})`);
        for (const l of entry.links) {
          const body = l.body.length > LINKED_BODY_MAX ? `${l.body.slice(0, LINKED_BODY_MAX)}\n… (cut at ${LINKED_BODY_MAX} characters; get ${l.knowledge_id} for all of it)` : l.body;
          lines.push('', `### ${l.title} (id ${l.knowledge_id}${l.review === 'pending' ? ', pending review' : ''}; projects: ${l.projects.length > 0 ? l.projects.join(', ') : 'all'})`, '', body.trim());
        }
      }
      break;
    }
    case 'session': {
      const s = entry.session;
      lines.push(`# Session ${minute(s.session_start)}${s.session_end ? ` to ${minute(s.session_end)}` : ' (open)'}`, `Session ${s.session_id} · project ${entry.project}`);
      lines.push('', s.session_summary ?? '(no summary recorded)');
      lines.push(...list('Tasks completed', s.tasks_completed), ...list('Learnings', s.learnings_gained));
      break;
    }
    case 'todo': {
      const t = entry.todo;
      lines.push(`# Todo: ${oneLine(t.content, 200)}`, `Todo ${t.todo_id} · project ${entry.project} · ${t.is_deleted ? 'deleted' : t.status} · priority ${t.priority} · created ${day(t.created_at)}${t.completed_at ? ` · completed ${day(t.completed_at)}` : ''}`);
      lines.push('', t.content);
      break;
    }
  }
  const text = lines.join('\n');
  return text.length > max ? `${text.slice(0, max)}\n… (cut at ${max} characters of ${text.length})` : text;
}
