// What SessionEnd needs to know about how the session started: the git HEAD then (the doc check
// diffs against it) and the directory. One small JSON file per Claude Code session under
// <dataDir>/session-starts/ (apart from the process snapshots in sessions/, which cleanup deletes);
// the first SessionStart of a session wins (resume and compact fire it again).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { safeSessionFileName } from './sessionSnapshot.js';

export const SessionStartRecord = z.object({
  claudeSessionId: z.string().check(z.minLength(1)),
  cwd: z.string(),
  /** git HEAD at session start; absent outside a repository or before the first commit. */
  head: z.optional(z.string()),
  startedAt: z.string(),
});
export type SessionStartRecord = z.infer<typeof SessionStartRecord>;

function startsDir(dataDir: string): string {
  return join(dataDir, 'session-starts');
}

export function sessionStartRecordPath(dataDir: string, claudeSessionId: string): string {
  return join(startsDir(dataDir), safeSessionFileName(claudeSessionId));
}

/** Writes the record unless the session already has one. Returns the record in force. */
export function recordSessionStart(dataDir: string, record: SessionStartRecord): SessionStartRecord {
  const path = sessionStartRecordPath(dataDir, record.claudeSessionId);
  const existing = readSessionStart(dataDir, record.claudeSessionId);
  if (existing) return existing;
  mkdirSync(startsDir(dataDir), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(SessionStartRecord.parse(record), null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return record;
}

/** The record, or undefined when there is none or it is unreadable. */
export function readSessionStart(dataDir: string, claudeSessionId: string): SessionStartRecord | undefined {
  const path = sessionStartRecordPath(dataDir, claudeSessionId);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = SessionStartRecord.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
