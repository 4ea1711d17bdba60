import { appendFileSync, closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DbUnavailableError, type Db } from '../db/db.js';
import { applyEvent, HookEvent } from './events.js';
import { writeFileAtomic } from '../fs/atomicFile.js';
import { FileLock } from '../fs/fileLock.js';
import { issuesText } from '../issueText.js';

/**
 * The local spool: events that could not be written to the database yet (it was unreachable, or it is
 * the embedded one and the hook is on the hot path). One JSON line per event, appended and fsync'd.
 *
 *   <dataDir>/spool.jsonl              new events are appended here
 *   <dataDir>/spool-<ms>-<pid>.claimed  a batch a replay took over (renamed atomically, so appends
 *                                      go on into a fresh spool.jsonl meanwhile)
 *   <dataDir>/spool.rejected.jsonl     lines that could not be parsed or applied, with the reason
 *   <dataDir>/spool.lock               held by the one process replaying
 */
export function spoolPaths(dataDir: string) {
  return {
    live: join(dataDir, 'spool.jsonl'),
    rejected: join(dataDir, 'spool.rejected.jsonl'),
    lock: join(dataDir, 'spool.lock'),
    dir: dataDir,
  };
}

/**
 * Appends one validated event as a line and fsyncs it before returning. The line always starts on a
 * fresh line: when a crash tore the previous append (no newline at the end of the file), a newline is
 * written first, so the torn fragment stays a line of its own (rejected alone at the next replay) and
 * this event stays whole.
 */
export function appendToSpool(dataDir: string, event: HookEvent): void {
  const line = `${JSON.stringify(HookEvent.parse(event))}\n`;
  const { live } = spoolPaths(dataDir);
  ensureDir(dataDir);
  const fd = openSync(live, 'a+', 0o600);
  try {
    writeSync(fd, endsMidLine(fd) ? `\n${line}` : line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** True when the open file is not empty and its last byte is not a newline. */
function endsMidLine(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
}

function ensureDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function claimedFiles(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir)
    .filter((f) => /^spool-\d+-\d+\.claimed$/.test(f))
    .sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]) || a.localeCompare(b))
    .map((f) => join(dataDir, f));
}

/** How many events wait in the spool (claimed batches included). */
export function pendingSpoolCount(dataDir: string): number {
  const { live } = spoolPaths(dataDir);
  let n = 0;
  for (const file of [...claimedFiles(dataDir), live]) {
    if (!existsSync(file)) continue;
    n += readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  }
  return n;
}

/** How many events wait in the spool and when the oldest of them happened (its `at`, when readable). */
export function spoolBacklog(dataDir: string): { count: number; since?: Date } {
  if (!spoolHasEvents(dataDir)) return { count: 0 };
  let count = 0;
  let since: Date | undefined;
  for (const file of [...claimedFiles(dataDir), spoolPaths(dataDir).live]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      count += 1;
      if (since) continue;
      try {
        const at = new Date((JSON.parse(line) as { at?: string }).at ?? NaN);
        if (!Number.isNaN(at.getTime())) since = at;
      } catch {
        // a torn line: the next one tells
      }
    }
  }
  return since ? { count, since } : { count };
}

/** True when there may be something to replay (cheap: no file reads). */
export function spoolHasEvents(dataDir: string): boolean {
  const { live } = spoolPaths(dataDir);
  try {
    if (statSync(live).size > 0) return true;
  } catch {
    // no live spool
  }
  return claimedFiles(dataDir).length > 0;
}

export interface ReplayReport {
  applied: number;
  duplicates: number;
  rejected: { line: string; reason: string }[];
  /** Events left in the spool because the database became unavailable part way. */
  remaining: number;
  /** Another process was replaying; nothing was done. */
  busy: boolean;
}

/** Keeps a line that cannot become (or be applied as) an event in spool.rejected.jsonl, with the reason. */
export function appendRejected(dataDir: string, line: string, reason: string): void {
  ensureDir(dataDir);
  appendFileSync(spoolPaths(dataDir).rejected, `${JSON.stringify({ rejected_at: new Date().toISOString(), reason, line })}\n`, { mode: 0o600 });
}

function reject(dataDir: string, line: string, reason: string, report: ReplayReport): void {
  appendRejected(dataDir, line, reason);
  report.rejected.push({ line, reason });
}

/**
 * Replays the spool into `db`, oldest first, each event exactly once (events are keyed by id, so an
 * event applied before a crash is skipped, not doubled). Only what was committed leaves the spool: when
 * the database goes away part way, the rest stays for the next replay. A line that is not a valid event,
 * or that the database refuses, is moved to spool.rejected.jsonl with the reason, never dropped.
 */
export async function replaySpool(db: Db, dataDir: string): Promise<ReplayReport> {
  const report: ReplayReport = { applied: 0, duplicates: 0, rejected: [], remaining: 0, busy: false };
  if (!spoolHasEvents(dataDir)) return report;
  const lock = FileLock.tryAcquire(spoolPaths(dataDir).lock);
  if (!lock) return { ...report, busy: true };
  try {
    const { live } = spoolPaths(dataDir);
    if (existsSync(live) && statSync(live).size > 0) {
      renameSync(live, join(dataDir, `spool-${Date.now()}-${process.pid}.claimed`));
    }
    for (const file of claimedFiles(dataDir)) {
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
      let done = 0;
      try {
        for (const line of lines) {
          await replayLine(db, dataDir, line, report);
          done += 1;
        }
      } catch (err) {
        // The database went away: keep this line and everything after it, in order.
        const rest = lines.slice(done);
        writeFileAtomic(file, rest.map((l) => `${l}\n`).join(''), 0o600);
        report.remaining = rest.length + countAfter(dataDir, file);
        if (err instanceof DbUnavailableError) return report;
        throw err;
      }
      rmSync(file, { force: true });
    }
    return report;
  } finally {
    lock.release();
  }
}

function countAfter(dataDir: string, file: string): number {
  const files = claimedFiles(dataDir);
  let n = 0;
  for (const f of files.slice(files.indexOf(file) + 1)) n += readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  return n;
}

async function replayLine(db: Db, dataDir: string, line: string, report: ReplayReport): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    reject(dataDir, line, 'not valid JSON (a torn or corrupted write)', report);
    return;
  }
  const parsed = HookEvent.safeParse(json);
  if (!parsed.success) {
    reject(dataDir, line, `not a valid event: ${issuesText(parsed.error.issues)}`, report);
    return;
  }
  try {
    const outcome = await applyEvent(db, parsed.data);
    if (outcome.status === 'duplicate') report.duplicates += 1;
    else report.applied += 1;
  } catch (err) {
    if (err instanceof DbUnavailableError || isConnectionLoss(err)) throw err instanceof DbUnavailableError ? err : new DbUnavailableError((err as Error).message, { cause: err });
    reject(dataDir, line, `the database refused it: ${(err as Error).message}`, report);
  }
}

function isConnectionLoss(err: unknown): boolean {
  return /Connection terminated|ECONNRESET|ECONNREFUSED|closed/i.test((err as Error)?.message ?? '');
}
