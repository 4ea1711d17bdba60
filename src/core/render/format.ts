// One format for what every output shows: times and task numbers, the same in the CLI, the hooks and MCP.

/** A moment as every text output shows it: `2026-11-28 07:08 UTC`. (JSON keeps ISO 8601.) */
export function formatTime(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A Claude Code task's number as every output shows it: `#3`; "" for a todo that is not a task. */
export function taskNumber(taskId: string | null | undefined): string {
  const id = (taskId ?? '').replace(/\s+/g, ' ').trim();
  return id === '' ? '' : `#${id.length > 100 ? `${id.slice(0, 99)}…` : id}`;
}

/** "#3 " before a task's text, "" for other todos. */
export function taskPrefix(taskId: string | null | undefined): string {
  const n = taskNumber(taskId);
  return n === '' ? '' : `${n} `;
}

/** One line per project: `name (this project) · 3 sessions, last 2026-11-28 07:08 UTC · 2 active todos`. */
export function projectLine(p: { project_name: string; sessions: number; last_session_at: Date | null; active_todos: number }, current?: string): string {
  const name = p.project_name.replace(/\s+/g, ' ').trim();
  const sessions = `${p.sessions} session${p.sessions === 1 ? '' : 's'}${p.last_session_at ? `, last ${formatTime(p.last_session_at)}` : ''}`;
  return `${name}${name === current ? ' (this project)' : ''} · ${sessions} · ${p.active_todos} active todo${p.active_todos === 1 ? '' : 's'}`;
}
