import type { Config } from './config.js';
import type { Db } from './db.js';
import type { SessionRow } from './models.js';

/** What the SessionEnd hook knows when it hands over to housekeeping. */
export interface SessionEndContext {
  config: Config;
  /** The open database, or undefined when it was unavailable and the end event went to the spool. */
  db?: Db;
  project: string;
  /** Claude Code's session id (the hook payload's session_id). */
  claudeSessionId: string;
  /** Our session row as closed, when the database was reachable. */
  session?: SessionRow;
  /** Why Claude Code ended the session (the payload's reason: clear, logout, prompt_input_exit, other, ...). */
  reason?: string;
  /** The payload's cwd (the project directory). */
  cwd: string;
}

/**
 * EXTENSION POINT, called by the SessionEnd hook after the session is closed (or spooled).
 *
 * The seed's SessionEnd also killed orphaned MCP server processes (cleanup_mcp_processes.py) and
 * checked whether docs need updating (check_doc_updates.py). Both belong here and are to be wired in
 * later; today this does nothing. Contract for whoever fills it in:
 *  - stay fast (Claude Code is shutting down) and never throw for an expected condition: the hook
 *    reports a thrown error as one stderr line and still exits 0;
 *  - `db` may be undefined (database unavailable): do file-system work only then;
 *  - return lines worth showing the user; the hook prints them on stdout.
 */
export async function sessionEndHousekeeping(_ctx: SessionEndContext): Promise<string[]> {
  return [];
}
