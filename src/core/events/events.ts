import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import type { Db, Queryable } from '../db/db.js';
import { noNul, ProjectName, Text, TextList, Uuid, parseInput } from '../models.js';
import { recordMcpUsage } from '../repos/mcpUsage.js';
import { closeSession, findSessionByClaudeId, getSession, NotFoundError, openSession, reopenSession } from '../repos/sessions.js';
import { upsertSessionState } from '../repos/sessionState.js';
import { endSessionIn } from '../session/lifecycle.js';
import { applyTaskChange, syncTaskList, syncTodoWrite, TaskChange, TaskItem, TodoWriteItem, type TodoSyncResult } from '../session/todoSync.js';
import type { SessionRow, SessionStateRow } from '../models.js';

/**
 * What a hook records (and what a session command keeps when the database is unavailable). Every event
 * carries its own id, so writing it directly and replaying it from the spool are the same operation and
 * happen exactly once (claude.applied_events).
 */
const base = {
  event_id: z.uuid(),
  /** When it happened (ISO 8601), which is not when it is applied if it waited in the spool. */
  at: z.iso.datetime({ offset: true }),
  project: ProjectName,
  claude_session_id: Text(200),
};

export const SessionStartEvent = z.object({ ...base, kind: z.literal('session_start'), source: z.optional(z.string().check(z.maxLength(50))) });
export const TodoWriteEvent = z.object({ ...base, kind: z.literal('todo_write'), todos: z.array(TodoWriteItem).check(z.maxLength(2000)) });
/**
 * A TaskCreate / TaskUpdate call, with the whole task list as Claude Code kept it on disk right after it:
 * the snapshot, so a replay from the spool applies exactly what was there, whenever it runs.
 */
export const TaskListEvent = z.object({
  ...base,
  kind: z.literal('task_list'),
  task_list_id: Text(200),
  tasks: z.array(TaskItem).check(z.maxLength(5000)),
  /** Task files that could not be read (torn, malformed): their rows are left as they are. */
  unreadable: z.optional(z.array(Text(100)).check(z.maxLength(5000))),
});
/** A TaskCreate / TaskUpdate call whose task list could not be read: what the payload itself says. */
export const TaskChangeEvent = z.object({ ...base, kind: z.literal('task_change'), task_list_id: Text(200), change: TaskChange });
export const McpCallEvent = z.object({
  ...base,
  kind: z.literal('mcp_call'),
  server: Text(200),
  tool: Text(200),
  success: z.boolean(),
  duration_ms: z.optional(z.int().check(z.gte(0))),
  error: z.optional(z.string().check(z.maxLength(10_000), noNul())),
});
export const SessionEndEvent = z.object({ ...base, kind: z.literal('session_end'), reason: z.optional(z.string().check(z.maxLength(200))) });
/**
 * `session end` / `session commit` (/session-end, /session-commit) asked for while the database was
 * unavailable: the summary, tasks, learnings, focus and next steps, applied as one end on replay. It names
 * the session by its claude-family id (session_id), by Claude Code's, or both.
 */
export const SessionSummaryEvent = z
  .object({
    ...base,
    claude_session_id: z.optional(Text(200)),
    kind: z.literal('session_summary'),
    session_id: z.optional(Uuid),
    summary: Text(20_000),
    tasks_completed: TextList,
    learnings_gained: TextList,
    current_focus: z.optional(Text()),
    next_steps: TextList,
    /** `--replace-summary`: replace a summary an earlier end recorded (default: amend it). */
    replace_summary: z.optional(z.boolean()),
  })
  .check(z.refine((e) => e.session_id !== undefined || e.claude_session_id !== undefined, 'names no session: give session_id or claude_session_id'));

/**
 * `session save` (/session-save) asked for while the database was unavailable: a checkpoint of the
 * project's state, which belongs to no session.
 */
export const StateSaveEvent = z
  .object({
    event_id: base.event_id,
    at: base.at,
    project: base.project,
    kind: z.literal('state_save'),
    current_focus: z.optional(Text()),
    next_steps: z.optional(TextList),
    pending_actions: z.optional(TextList),
  })
  .check(z.refine((e) => e.current_focus !== undefined || e.next_steps !== undefined || e.pending_actions !== undefined, 'saves nothing: give current_focus, next_steps or pending_actions'));

export const HookEvent = z.discriminatedUnion('kind', [SessionStartEvent, TodoWriteEvent, TaskListEvent, TaskChangeEvent, McpCallEvent, SessionEndEvent, SessionSummaryEvent, StateSaveEvent]);
export type HookEvent = z.infer<typeof HookEvent>;

/** An event without its id and time (makeEvent supplies them), per kind. */
export type EventBody = HookEvent extends infer E
  ? E extends HookEvent
    ? Omit<E, 'event_id' | 'at'> & { event_id?: string; at?: string }
    : never
  : never;

/** Builds a validated event with a fresh id and the current time. */
export function makeEvent<B extends EventBody>(body: B): Extract<HookEvent, { kind: B['kind'] }> {
  return parseInput(HookEvent, { event_id: randomUUID(), at: new Date().toISOString(), ...body }, `${body.kind} event`) as Extract<HookEvent, { kind: B['kind'] }>;
}

export type ApplyOutcome =
  | { status: 'duplicate' }
  | { status: 'applied'; session: SessionRow; resumed?: boolean; todos?: TodoSyncResult }
  /** A state_save: the project's state, no session involved. */
  | { status: 'applied'; session?: undefined; state: SessionStateRow };

/** The session an event belongs to; created when its SessionStart was never seen (hooks installed mid-session). */
async function sessionFor(tx: Queryable, e: Exclude<HookEvent, { kind: 'state_save' }>): Promise<{ session: SessionRow; resumed: boolean }> {
  if (e.kind === 'session_summary' && e.session_id !== undefined) {
    const named = await getSession(tx, e.session_id);
    if (!named) throw new NotFoundError(`no session ${e.session_id}`);
    return { session: named, resumed: true };
  }
  // Only a session_summary may lack it, and then it has a session_id (checked by its schema).
  const claudeSessionId = e.claude_session_id!;
  const existing = await findSessionByClaudeId(tx, claudeSessionId);
  // `claude --resume` of a session that had ended (SessionEnd ran when it was left) opens it again.
  if (existing && e.kind === 'session_start' && existing.session_end !== null) return { session: await reopenSession(tx, existing.session_id), resumed: true };
  if (existing) return { session: existing, resumed: true };
  return openSession(tx, { projectName: e.project, claudeSessionId, startedAt: new Date(e.at) });
}

/**
 * Applies one event in one transaction, exactly once: a second application of the same event_id is
 * a no-op that reports 'duplicate'.
 */
export async function applyEvent(db: Db, event: HookEvent): Promise<ApplyOutcome> {
  const e = parseInput(HookEvent, event, `${(event as { kind?: string })?.kind ?? 'hook'} event`);
  return db.transaction(async (tx) => {
    const fresh = await tx.query('INSERT INTO claude.applied_events (event_id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id', [
      e.event_id,
      e.kind,
    ]);
    if (fresh.rows.length === 0) return { status: 'duplicate' } as const;
    if (e.kind === 'state_save') {
      const state = await upsertSessionState(tx, {
        projectName: e.project,
        ...(e.current_focus !== undefined ? { currentFocus: e.current_focus } : {}),
        ...(e.next_steps !== undefined ? { nextSteps: e.next_steps } : {}),
        ...(e.pending_actions !== undefined ? { pendingActions: e.pending_actions } : {}),
      });
      return { status: 'applied', state } as const;
    }
    const { session, resumed } = await sessionFor(tx, e);
    switch (e.kind) {
      case 'session_start':
        return { status: 'applied', session, resumed } as const;
      case 'todo_write': {
        const todos = await syncTodoWrite(tx, { projectId: session.project_id, sessionId: session.session_id, todos: e.todos });
        return { status: 'applied', session, todos } as const;
      }
      case 'task_list': {
        const todos = await syncTaskList(tx, { projectId: session.project_id, sessionId: session.session_id, taskListId: e.task_list_id, tasks: e.tasks, keep: e.unreadable });
        return { status: 'applied', session, todos } as const;
      }
      case 'task_change': {
        const todos = await applyTaskChange(tx, { projectId: session.project_id, sessionId: session.session_id, taskListId: e.task_list_id, change: e.change });
        return { status: 'applied', session, todos } as const;
      }
      case 'mcp_call':
        await recordMcpUsage(tx, {
          mcpServer: e.server,
          toolName: e.tool,
          sessionId: session.session_id,
          claudeSessionId: e.claude_session_id,
          success: e.success,
          durationMs: e.duration_ms ?? null,
          error: e.error ?? null,
          calledAt: new Date(e.at),
        });
        return { status: 'applied', session } as const;
      case 'session_end': {
        const closed = await closeSession(tx, { sessionId: session.session_id, endedAt: new Date(e.at) });
        return { status: 'applied', session: closed } as const;
      }
      case 'session_summary': {
        const ended = await endSessionIn(tx, {
          sessionId: session.session_id,
          projectName: e.project,
          summary: e.summary,
          endedAt: new Date(e.at),
          tasksCompleted: e.tasks_completed,
          learningsGained: e.learnings_gained,
          currentFocus: e.current_focus,
          nextSteps: e.next_steps,
          ...(e.replace_summary ? { replaceSummary: true } : {}),
        });
        return { status: 'applied', session: ended.session } as const;
      }
    }
  });
}
