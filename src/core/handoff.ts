import type { Queryable } from './db.js';
import type { MessageRow, SessionRow, SessionStateRow, TodoRow } from './models.js';
import { countPendingMessages, pendingMessages } from './repos/messages.js';
import { getProjectByName } from './repos/projects.js';
import { getSessionState } from './repos/sessionState.js';
import { lastSession } from './repos/sessions.js';
import { countTodos, listActiveTodos } from './repos/todos.js';

/** Everything "where we left off" shows for one project, read in one go. */
export interface Handoff {
  projectName: string;
  /** False when the project has no row yet (first session ever). */
  known: boolean;
  state?: SessionStateRow;
  /** In-progress todos, by priority then display order (at most `todoLimit`). */
  inProgress: TodoRow[];
  /** Pending todos, by priority then display order (at most `todoLimit`). */
  pending: TodoRow[];
  /** Totals of live todos, which may exceed the lists' lengths; absent means the lists are complete. */
  totals?: { inProgress: number; pending: number };
  messages: MessageRow[];
  pendingMessageCount: number;
  lastSession?: SessionRow;
}

export interface LoadHandoffOptions {
  /** Leave the running session out of "last session". */
  currentSessionId?: string;
  messageLimit?: number;
  /** Most todos of each status to load (default 200); totals are always exact. */
  todoLimit?: number;
}

export async function loadHandoff(q: Queryable, projectName: string, options: LoadHandoffOptions = {}): Promise<Handoff> {
  const project = await getProjectByName(q, projectName);
  if (!project) return { projectName, known: false, inProgress: [], pending: [], messages: [], pendingMessageCount: 0 };
  const [state, todos, counts, messages, pendingMessageCount, last] = await Promise.all([
    getSessionState(q, project.project_name),
    listActiveTodos(q, project.project_id, options.todoLimit ?? 200),
    countTodos(q, project.project_id),
    pendingMessages(q, project.project_name, options.messageLimit ?? 10),
    countPendingMessages(q, project.project_name),
    lastSession(q, project.project_name, options.currentSessionId),
  ]);
  return {
    projectName: project.project_name,
    known: true,
    state,
    inProgress: todos.inProgress,
    pending: todos.pending,
    totals: { inProgress: counts.in_progress, pending: counts.pending },
    messages,
    pendingMessageCount,
    lastSession: last,
  };
}
