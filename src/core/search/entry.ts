// The full entry behind a search hit, by id: a knowledge entry, a session or a todo (ids are uuids, unique
// across the three tables, so the id alone says which).
import type { Queryable } from '../db/db.js';
import { Uuid, parseInput, type KnowledgeRow, type SessionRow, type TodoRow } from '../models.js';
import { getKnowledge } from '../repos/knowledge.js';
import { getKnowledgeNote, resolveLinks, wikilinks, type KnowledgeNote, type LinkedEntry } from '../knowledge/note.js';
import { TODO_COLUMNS } from '../repos/todos.js';

export type MemoryEntry =
  | { kind: 'knowledge'; knowledge: KnowledgeRow; note?: KnowledgeNote; links?: LinkedEntry[] }
  | { kind: 'session'; session: SessionRow; project: string }
  | { kind: 'todo'; todo: TodoRow; project: string };

/** The entry with this id, whichever table holds it; undefined when none does. */
export async function getEntry(q: Queryable, id: string): Promise<MemoryEntry | undefined> {
  const uuid = parseInput(Uuid, id.trim().toLowerCase(), 'id');
  const knowledge = await getKnowledge(q, uuid);
  if (knowledge) {
    // The whole note, and the notes its [[wikilinks]] name (by title, as Obsidian resolves them).
    const note = await getKnowledgeNote(q, uuid);
    const links = note?.body ? await resolveLinks(q, wikilinks(note.body), uuid) : [];
    return { kind: 'knowledge', knowledge, ...(note ? { note } : {}), links };
  }
  const sessions = await q.query<SessionRow & { project_name: string }>(
    `SELECT s.session_id, s.project_id, s.claude_session_id, s.session_start, s.session_end, s.session_summary,
       s.tasks_completed, s.learnings_gained, p.project_name
     FROM claude.sessions s JOIN claude.projects p ON p.project_id = s.project_id WHERE s.session_id = $1`,
    [uuid],
  );
  if (sessions.rows[0]) {
    const { project_name, ...session } = sessions.rows[0];
    return { kind: 'session', session, project: project_name };
  }
  const todos = await q.query<TodoRow & { project_name: string }>(
    `SELECT ${TODO_COLUMNS.split(',').map((c) => `t.${c.trim()}`).join(', ')}, p.project_name
     FROM claude.todos t JOIN claude.projects p ON p.project_id = t.project_id WHERE t.todo_id = $1`,
    [uuid],
  );
  if (todos.rows[0]) {
    const { project_name, ...todo } = todos.rows[0];
    return { kind: 'todo', todo, project: project_name };
  }
  return undefined;
}
