// zod/mini, like the rest of src/core on main (hooks load it on every tool call).
import * as z from 'zod/mini';

/** The channel migrations/002_change_notify.sql notifies on every write to todos, sessions, session_state, messages (006: knowledge, with no project). */
export const CHANGES_CHANNEL = 'claude_changes';

export const ChangeNotice = z.object({
  table: z.enum(['todos', 'sessions', 'session_state', 'messages', 'knowledge']),
  /** The project the row belongs to (messages: the recipient); null when it could not be found. */
  project: z.nullable(z.string()),
  op: z.enum(['INSERT', 'UPDATE', 'DELETE']),
});
export type ChangeNotice = z.infer<typeof ChangeNotice>;

/** Parses a notification payload; undefined for anything that is not one of ours. */
export function parseChangeNotice(payload: string): ChangeNotice | undefined {
  try {
    const parsed = ChangeNotice.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
