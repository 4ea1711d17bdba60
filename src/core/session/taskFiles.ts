// Claude Code's task list on disk: ~/.claude/tasks/<task list id>/<id>.json, one file per task (beside
// .highwatermark and .lock, which we ignore). The task list id is the session id, unless
// CLAUDE_CODE_TASK_LIST_ID names a list several sessions share. CLAUDE_CONFIG_DIR moves ~/.claude.
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TASK_STATUSES, taskItemProblem, type TaskChange, type TaskItem } from './todoSync.js';

type Env = Record<string, string | undefined>;

/** The task list a session's Task tools write to. */
export function taskListIdFor(sessionId: string, env: Env = process.env): string {
  const shared = env.CLAUDE_CODE_TASK_LIST_ID?.trim();
  return shared ? shared : sessionId;
}

/** The directory Claude Code keeps the list in; undefined for an id that is not a plain directory name. */
export function taskListDir(taskListId: string, env: Env = process.env): string | undefined {
  if (taskListId === '.' || taskListId === '..' || /[/\\\0]/.test(taskListId)) return undefined;
  const configDir = env.CLAUDE_CONFIG_DIR?.trim() || join(env.HOME?.trim() || homedir(), '.claude');
  return join(configDir, 'tasks', taskListId);
}

export type TaskListRead =
  | { ok: true; tasks: TaskItem[]; unreadable: string[] }
  | { ok: false; reason: string };

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);

/** One task file's JSON as a TaskItem (the file name's id when the file names none), or undefined. */
function taskFromJson(json: unknown, fileId: string): TaskItem | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  const blockedBy = Array.isArray(o.blockedBy) ? o.blockedBy.map(str).filter((x): x is string => x !== undefined).map((b) => b.trim()) : undefined;
  const task = {
    id: (str(o.id) ?? fileId).trim(),
    subject: typeof o.subject === 'string' ? o.subject.trim() : o.subject,
    ...(typeof o.activeForm === 'string' && o.activeForm.trim() !== '' ? { activeForm: o.activeForm.trim() } : {}),
    status: o.status ?? 'pending',
    ...(blockedBy ? { blockedBy } : {}),
  };
  return taskItemProblem(task) === undefined ? (task as TaskItem) : undefined;
}

/**
 * Reads the whole task list. A file that is not valid JSON or not a task (a write Claude Code had not
 * finished, say) is listed in `unreadable` by its file name's id and otherwise skipped; a directory that
 * is missing or cannot be read gives `ok: false` and the reason.
 */
export function readTaskList(dir: string): TaskListRead {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? `${dir} does not exist` : `${dir} cannot be read (${code ?? (err as Error).message})` };
  }
  const tasks: TaskItem[] = [];
  const unreadable: string[] = [];
  for (const name of names) {
    const m = /^([^.][^/]*)\.json$/.exec(name);
    if (!m) continue;
    const fileId = m[1]!;
    let task: TaskItem | undefined;
    try {
      task = taskFromJson(JSON.parse(readFileSync(join(dir, name), 'utf8')), fileId);
    } catch {
      task = undefined;
    }
    if (task) tasks.push(task);
    else if (fileId.length <= 100) unreadable.push(fileId);
  }
  return { ok: true, tasks, unreadable };
}

/** The task id a TaskCreate response names: { task: { id } }, { taskId }, { id }, or "Task #3 created ...". */
export function taskIdFromResponse(response: unknown): string | undefined {
  if (typeof response === 'string') return /#(\d+)\b/.exec(response)?.[1] ?? /\btask\s+(\d+)\b/i.exec(response)?.[1];
  if (typeof response !== 'object' || response === null) return undefined;
  const r = response as Record<string, unknown>;
  const task = typeof r.task === 'object' && r.task !== null ? (r.task as Record<string, unknown>) : undefined;
  const id = str(task?.id) ?? str(r.taskId) ?? str(r.id);
  if (id !== undefined) return id;
  // An MCP-style result: [{ type: 'text', text }] or { content: [...] }.
  const content = Array.isArray(response) ? response : Array.isArray(r.content) ? r.content : undefined;
  const text = content?.map((c) => (typeof c === 'object' && c !== null ? str((c as { text?: unknown }).text) : undefined)).find((t) => t !== undefined);
  return text === undefined ? undefined : taskIdFromResponse(text);
}

/** What a TaskCreate / TaskUpdate payload itself says about its task; undefined when it names no task id. */
export function taskChangeFromPayload(toolName: 'TaskCreate' | 'TaskUpdate', input: unknown, response: unknown): TaskChange | undefined {
  const i = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const id = toolName === 'TaskCreate' ? taskIdFromResponse(response) : str(i.taskId);
  if (id === undefined || id.trim() === '') return undefined;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
  const status = typeof i.status === 'string' && (TASK_STATUSES as readonly string[]).includes(i.status) ? (i.status as TaskChange['status']) : undefined;
  const addBlockedBy = Array.isArray(i.addBlockedBy) ? i.addBlockedBy.map(str).filter((x): x is string => x !== undefined) : undefined;
  return {
    id,
    ...(text(i.subject) ? { subject: text(i.subject) } : {}),
    ...(text(i.activeForm) ? { activeForm: text(i.activeForm) } : {}),
    ...(status ? { status } : toolName === 'TaskCreate' ? { status: 'pending' as const } : {}),
    ...(addBlockedBy && addBlockedBy.length > 0 ? { addBlockedBy } : {}),
  };
}
