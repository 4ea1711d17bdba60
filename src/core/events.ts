import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import type { Db, Queryable } from './db.js';
import { noNul, ProjectName, Text, parseInput } from './models.js';
import { recordMcpUsage } from './repos/mcpUsage.js';
import { closeSession, findSessionByClaudeId, openSession } from './repos/sessions.js';
import { syncTodoWrite, TodoWriteItem, type TodoSyncResult } from './todoSync.js';
import type { SessionRow } from './models.js';

/**
 * What a hook records. Every event carries its own id, so writing it directly and replaying it from
 * the spool are the same operation and happen exactly once (claude.applied_events).
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

export const HookEvent = z.discriminatedUnion('kind', [SessionStartEvent, TodoWriteEvent, McpCallEvent, SessionEndEvent]);
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
  | { status: 'applied'; session: SessionRow; resumed?: boolean; todos?: TodoSyncResult };

/** The session an event belongs to; created when its SessionStart was never seen (hooks installed mid-session). */
async function sessionFor(tx: Queryable, e: HookEvent): Promise<{ session: SessionRow; resumed: boolean }> {
  const existing = await findSessionByClaudeId(tx, e.claude_session_id);
  if (existing) return { session: existing, resumed: true };
  return openSession(tx, { projectName: e.project, claudeSessionId: e.claude_session_id, startedAt: new Date(e.at) });
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
    const { session, resumed } = await sessionFor(tx, e);
    switch (e.kind) {
      case 'session_start':
        return { status: 'applied', session, resumed } as const;
      case 'todo_write': {
        const todos = await syncTodoWrite(tx, { projectId: session.project_id, sessionId: session.session_id, todos: e.todos });
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
    }
  });
}
