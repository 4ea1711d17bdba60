import type { Queryable } from '../db/db.js';
import { MessageInput, Uuid, parseInput, type MessageRow } from '../models.js';
import { NotFoundError } from './sessions.js';

const COLUMNS = 'message_id, from_project, to_project, body, status, created_at, read_at';

export async function sendMessage(q: Queryable, input: MessageInput): Promise<MessageRow> {
  const d = parseInput(MessageInput, input, 'message');
  const { rows } = await q.query<MessageRow>(
    `INSERT INTO claude.messages (from_project, to_project, body) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
    [d.fromProject, d.toProject, d.body],
  );
  return rows[0]!;
}

/** Messages waiting for a project, oldest first. Reading them does not mark them read. */
export async function pendingMessages(q: Queryable, toProject: string, limit = 50): Promise<MessageRow[]> {
  const { rows } = await q.query<MessageRow>(
    `SELECT ${COLUMNS} FROM claude.messages WHERE to_project = $1 AND status = 'pending' ORDER BY created_at LIMIT $2`,
    [toProject.trim(), limit],
  );
  return rows;
}

export async function countPendingMessages(q: Queryable, toProject: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM claude.messages WHERE to_project = $1 AND status = 'pending'`,
    [toProject.trim()],
  );
  return rows[0]?.n ?? 0;
}

/** Every message to or from a project, newest first. */
export async function listMessages(q: Queryable, project: string, limit = 100): Promise<MessageRow[]> {
  const { rows } = await q.query<MessageRow>(
    `SELECT ${COLUMNS} FROM claude.messages WHERE to_project = $1 OR from_project = $1 ORDER BY created_at DESC LIMIT $2`,
    [project.trim(), limit],
  );
  return rows;
}

/** Marks a message read (read_at set once) and returns it. */
export async function markMessageRead(q: Queryable, messageId: string): Promise<MessageRow> {
  const id = parseInput(Uuid, messageId, 'message id');
  const { rows } = await q.query<MessageRow>(
    `UPDATE claude.messages SET status = 'read', read_at = COALESCE(read_at, now())
     WHERE message_id = $1 AND status <> 'archived' RETURNING ${COLUMNS}`,
    [id],
  );
  if (!rows[0]) throw new NotFoundError(`no unarchived message ${id}`);
  return rows[0];
}
