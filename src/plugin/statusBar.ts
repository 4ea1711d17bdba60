// The status bar item: the current project's open sessions and active todos.
import { coalescing } from './coalesce.js';
import { getProjectByName } from '../core/repos/projects.js';
import { listSessions } from '../core/repos/sessions.js';
import { countTodos } from '../core/repos/todos.js';
import { redact } from '../core/db/db.js';
import type { Connection } from './connection.js';

export interface ProjectStatus {
  project: string;
  openSessions: number;
  inProgress: number;
  pending: number;
}

export async function loadStatus(connection: Connection, project: string): Promise<ProjectStatus> {
  return connection.run(async (db) => {
    const row = await getProjectByName(db, project);
    if (!row) return { project, openSessions: 0, inProgress: 0, pending: 0 };
    const [sessions, counts] = await Promise.all([listSessions(db, project, { limit: 100 }), countTodos(db, row.project_id)]);
    return { project, openSessions: sessions.filter((s) => s.session_end === null).length, inProgress: counts.in_progress, pending: counts.pending };
  });
}

export function statusText(s: ProjectStatus): string {
  const session = s.openSessions === 0 ? 'no active session' : s.openSessions === 1 ? '1 active session' : `${s.openSessions} active sessions`;
  return `Claude ${s.project}: ${session} · ${s.inProgress} in progress, ${s.pending} pending`;
}

export class StatusBar {
  constructor(
    private readonly el: HTMLElement,
    private readonly connection: Connection,
    private readonly project: () => string | undefined,
  ) {
    el.classList.add('claude-family-status');
  }

  /** Re-reads the counts; a call during a refresh makes it run once more (so it never shows stale data). */
  readonly refresh = coalescing(() => this.refreshOnce());

  private async refreshOnce(): Promise<void> {
    try {
      const project = this.project();
      if (!project) {
        this.el.textContent = 'Claude: no project set';
        return;
      }
      this.el.textContent = statusText(await loadStatus(this.connection, project));
      this.el.removeAttribute('aria-label');
    } catch (err) {
      this.el.textContent = 'Claude: offline';
      this.el.setAttribute('aria-label', redact((err as Error).message));
    }
  }
}
