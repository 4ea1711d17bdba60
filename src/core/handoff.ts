import type { Queryable } from './db.js';
import type { MessageRow, SessionRow, SessionStateRow, TodoRow } from './models.js';
import { countPendingMessages, pendingMessages } from './repos/messages.js';
import { getProjectByName } from './repos/projects.js';
import { getSessionState } from './repos/sessionState.js';
import { lastSession } from './repos/sessions.js';
import { listActiveTodos } from './repos/todos.js';

/** Everything "where we left off" shows for one project, read in one go. */
export interface Handoff {
  projectName: string;
  /** False when the project has no row yet (first session ever). */
  known: boolean;
  state?: SessionStateRow;
  inProgress: TodoRow[];
  pending: TodoRow[];
  messages: MessageRow[];
  pendingMessageCount: number;
  lastSession?: SessionRow;
}

export interface LoadHandoffOptions {
  /** Leave the running session out of "last session". */
  currentSessionId?: string;
  messageLimit?: number;
}

export async function loadHandoff(q: Queryable, projectName: string, options: LoadHandoffOptions = {}): Promise<Handoff> {
  const project = await getProjectByName(q, projectName);
  if (!project) return { projectName, known: false, inProgress: [], pending: [], messages: [], pendingMessageCount: 0 };
  const [state, todos, messages, pendingMessageCount, last] = await Promise.all([
    getSessionState(q, project.project_name),
    listActiveTodos(q, project.project_id),
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
    messages,
    pendingMessageCount,
    lastSession: last,
  };
}
