import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { writeFileAtomic } from '../fs/atomicFile.js';
import { FileLock } from '../fs/fileLock.js';
import { issuesText } from '../issueText.js';

/**
 * Which processes a Claude Code session started, on disk:
 *
 *   <dataDir>/sessions/<safe claudeSessionId>.json       the snapshot
 *   <dataDir>/sessions/<safe claudeSessionId>.json.lock  held while a snapshot is read, merged and rewritten
 *
 * One session id can be served by more than one Claude Code process over time (`claude --resume`), so
 * a snapshot keeps one owner entry per Claude Code process (pid + start time), each with the processes
 * seen under it at any snapshot (`children`: its children and their descendants, e.g. the server an
 * `npx` launcher started).
 */
export const ProcessRecord = z.object({
  pid: z.int().check(z.positive()),
  startTime: z.string().check(z.minLength(1)),
  startedAt: z.optional(z.string()),
  command: z.string(),
  firstSeenAt: z.string(),
});
export type ProcessRecord = z.infer<typeof ProcessRecord>;

export const OwnerRecord = z.object({
  claude: ProcessRecord,
  children: z.array(ProcessRecord),
});
export type OwnerRecord = z.infer<typeof OwnerRecord>;

export const SessionSnapshot = z.object({
  version: z.literal(1),
  claudeSessionId: z.string().check(z.minLength(1)),
  owners: z.array(OwnerRecord),
  updatedAt: z.string(),
});
export type SessionSnapshot = z.infer<typeof SessionSnapshot>;

export function sessionsDir(dataDir: string): string {
  return join(dataDir, 'sessions');
}

/**
 * A file name for a session id: the id itself when it is plain (Claude Code's ids are UUIDs), otherwise
 * a sanitised form plus a hash of the original, so two different ids never share a file.
 */
export function safeSessionFileName(claudeSessionId: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(claudeSessionId)) return `${claudeSessionId}.json`;
  const hash = createHash('sha256').update(claudeSessionId).digest('hex').slice(0, 12);
  const cleaned = claudeSessionId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '').slice(0, 60);
  return `${cleaned || 'session'}-${hash}.json`;
}

export function snapshotPath(dataDir: string, claudeSessionId: string): string {
  return join(sessionsDir(dataDir), safeSessionFileName(claudeSessionId));
}

/** Every snapshot file under the data directory (absolute paths, sorted). */
export function listSnapshotFiles(dataDir: string): string[] {
  const dir = sessionsDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** Reads a snapshot: undefined when there is none; throws (with the reason) when it is unreadable. */
export function readSnapshot(file: string): SessionSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
  const parsed = SessionSnapshot.safeParse(json);
  if (!parsed.success) throw new Error(`${file} is not a session snapshot: ${issuesText(parsed.error.issues)}`);
  return parsed.data;
}

/** Writes atomically (temporary file, then rename), so a reader never sees half a snapshot. */
export function writeSnapshot(file: string, snapshot: SessionSnapshot): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, `${JSON.stringify(SessionSnapshot.parse(snapshot), null, 2)}\n`, 0o600);
}

export function removeSnapshot(file: string): void {
  rmSync(file, { force: true });
}

/** Runs `fn` holding the snapshot's lock (waiting up to `waitMs` for another hook holding it). */
export async function withSnapshotLock<T>(file: string, fn: () => T, waitMs = 2000): Promise<T> {
  const lock = await FileLock.acquire(`${file}.lock`, waitMs);
  try {
    return fn();
  } finally {
    lock.release();
  }
}

/** Adds what was seen now to a snapshot: a new owner, or new children of a known one (never drops any). */
export function mergeSnapshot(
  existing: SessionSnapshot | undefined,
  claudeSessionId: string,
  claude: ProcessRecord,
  children: ProcessRecord[],
  now: string,
): { snapshot: SessionSnapshot; added: ProcessRecord[] } {
  const owners = existing ? existing.owners.map((o) => ({ claude: o.claude, children: [...o.children] })) : [];
  let owner = owners.find((o) => o.claude.pid === claude.pid && o.claude.startTime === claude.startTime);
  if (!owner) {
    owner = { claude, children: [] };
    owners.push(owner);
  }
  const added: ProcessRecord[] = [];
  for (const child of children) {
    if (owner.children.some((c) => c.pid === child.pid && c.startTime === child.startTime)) continue;
    owner.children.push(child);
    added.push(child);
  }
  return { snapshot: { version: 1, claudeSessionId, owners, updatedAt: now }, added };
}
