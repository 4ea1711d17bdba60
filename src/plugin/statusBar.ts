// The status bar item: the current project's open sessions and active todos.
import { coalescing } from './coalesce.js';
import { getProjectByName } from '../core/repos/projects.js';
import { listSessions } from '../core/repos/sessions.js';
import { countTodos } from '../core/repos/todos.js';
import { ConfigError } from '../core/config.js';
import { MigrationError, MigrationNotPermittedError } from '../core/db/migrate.js';
import type { Connection, UpdateMode } from './connection.js';
import { connectionProblem } from './problems.js';

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

/** Why the status bar is offline, in a few words (the full reason is in the tooltip and the settings tab). */
export function offlineText(err: unknown): string {
  if (/no local database in/i.test((err as Error)?.message ?? '')) return 'Claude: offline, no local database yet';
  if (err instanceof ConfigError) return 'Claude: offline, not configured';
  if (err instanceof MigrationNotPermittedError) return 'Claude: offline, the schema owner must migrate';
  if (err instanceof MigrationError) return 'Claude: offline, schema could not be updated';
  const e = err as { code?: string; message?: string } | undefined;
  const text = `${e?.code ?? ''} ${e?.message ?? ''}`;
  if (/(certificate|key) file .* (does not exist|cannot be read)|private key file .* may be read/i.test(text)) return 'Claude: offline, TLS file missing';
  if (/TLS certificate is not trusted/i.test(text)) return 'Claude: offline, TLS certificate not trusted';
  if (/TLS certificate does not name the host/i.test(text)) return 'Claude: offline, TLS host name mismatch';
  if (/requires TLS|does not accept TLS|refuses this connection encrypted|requires a client certificate/i.test(text)) return 'Claude: offline, TLS settings do not match the server';
  if (/refused the credentials|28P01|28000|password authentication|SASL|password must be a string/i.test(text)) return 'Claude: offline, wrong password';
  if (/does not resolve|ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(text)) return 'Claude: offline, unknown host';
  if (/ECONNREFUSED|ENOENT|nothing is listening|socket is missing|did not start/i.test(text)) return 'Claude: offline, server not running';
  if (/timeout|timed out|ETIMEDOUT/i.test(text)) return 'Claude: offline, server not answering';
  if (/3D000|does not exist/i.test(text)) return 'Claude: offline, no such database';
  return 'Claude: offline, cannot reach the database';
}

/** The tooltip while the data is shown: how changes arrive, when that is not by notification. */
export function onlineTooltip(mode: UpdateMode | undefined): string {
  if (mode?.kind === 'polling') return `Updates by polling every ${mode.everySeconds} s: ${mode.reason}. Click to open the Claude Family settings.`;
  return 'Claude Family settings';
}

export class StatusBar {
  private timer?: number;
  private stopped = false;

  constructor(
    readonly el: HTMLElement,
    private readonly connection: Connection,
    private readonly project: () => string | undefined,
    /** One more line for the tooltip (the vault sync's). */
    private readonly extraLine: () => string | undefined = () => undefined,
  ) {
    el.classList.add('claude-family-status', 'mod-clickable');
    el.setAttribute('aria-label', 'Claude Family settings');
  }

  /** Re-reads the counts; a call during a refresh makes it run once more (so it never shows stale data). */
  readonly refresh = coalescing(() => this.refreshOnce());

  /** Refreshes after a short pause, so a burst of changes costs one read. */
  schedule(delayMs = 300): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
  }

  private withExtra(tooltip: string): string {
    const extra = this.extraLine();
    return extra ? `${tooltip}\n${extra}` : tooltip;
  }

  private async refreshOnce(): Promise<void> {
    if (this.stopped) return;
    try {
      const project = this.project();
      if (!project) {
        this.el.textContent = 'Claude: no project set';
        this.el.setAttribute('aria-label', this.withExtra('Set a project in the Claude Family settings (click to open them)'));
        return;
      }
      this.el.textContent = statusText(await loadStatus(this.connection, project));
      this.el.setAttribute('aria-label', this.withExtra(onlineTooltip(this.connection.updateMode())));
    } catch (err) {
      this.el.textContent = offlineText(err);
      this.el.setAttribute('aria-label', this.withExtra(`${connectionProblem(err)} Click to open the Claude Family settings.`));
    }
  }
}
