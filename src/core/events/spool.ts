import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { DbUnavailableError, type Db } from '../db/db.js';
import { applyEvent, HookEvent, type ApplyOutcome } from './events.js';
import { writeFileAtomic } from '../fs/atomicFile.js';
import { FileLock } from '../fs/fileLock.js';
import { issuesText } from '../issueText.js';
import { ValidationError } from '../models.js';
import { NotFoundError } from '../repos/sessions.js';

const { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } = nodeFs;

/**
 * The local spool: the one queue every hook event goes through, in the order the events happened.
 * One JSON line per event, appended and fsync'd.
 *
 *   <dataDir>/spool.jsonl              new events are appended here
 *   <dataDir>/spool-<ms>-<pid>.claimed  a batch a replay took over (renamed atomically, so appends
 *                                      go on into a fresh spool.jsonl meanwhile)
 *   <dataDir>/spool.rejected.jsonl     lines that could not be parsed or whose data the database refused, with the reason
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

/** An event that could not be made durable: the caller must say "not kept". */
export class SpoolWriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpoolWriteError';
  }
}

/** The file operations an append needs; tests inject a failing one (a full disk). */
export type SpoolFs = Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'fstatSync' | 'statSync' | 'readSync' | 'mkdirSync'>;

/**
 * A pause between opening the live spool and writing to it, for the test that makes a replay claim (and
 * remove) the file at exactly that moment (CLAUDE_FAMILY_TEST_PAUSE_AFTER_OPEN names a file:
 * `<file>.ready` is created, then the append waits, up to 10 s, for `<file>.go`).
 */
function testPauseAfterOpen(): void {
  const file = process.env.CLAUDE_FAMILY_TEST_PAUSE_AFTER_OPEN;
  if (!file) return;
  nodeFs.writeFileSync(`${file}.ready`, '');
  const deadline = Date.now() + 10_000;
  while (!existsSync(`${file}.go`) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
}

/** Writes every byte of `buf` at the end of `fd` (a short write is continued, never taken for a whole one). */
function writeAll(fs: SpoolFs, fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    let n: number;
    try {
      n = fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EDQUOT' ? 'the disk quota is exhausted' : (err as Error).message;
      throw new SpoolWriteError(`${why} (${off} of ${buf.length} bytes written)`, { cause: err });
    }
    if (n <= 0) throw new SpoolWriteError(`the write made no progress (${off} of ${buf.length} bytes written)`);
    off += n;
  }
}

/**
 * Appends one validated event as a line and fsyncs it before returning; throws SpoolWriteError when the
 * event could not be kept whole. Every append starts on a fresh line (after a torn write, the fragment
 * stays alone on its line). If a replay claimed the file between our open and our write, the line may
 * have been missed by it: the event is appended again to the new live spool (a second copy is harmless,
 * events are applied once by id).
 */
export function appendToSpool(dataDir: string, event: HookEvent, fs: SpoolFs = nodeFs): void {
  const body = JSON.stringify(HookEvent.parse(event));
  const { live } = spoolPaths(dataDir);
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new SpoolWriteError(`cannot create ${dataDir}: ${(err as Error).message}`, { cause: err });
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(live, 'a+', 0o600);
    } catch (err) {
      throw new SpoolWriteError(`cannot open ${live}: ${(err as Error).message}`, { cause: err });
    }
    let stillLive = false;
    try {
      if (attempt === 0) testPauseAfterOpen();
      const before = fs.fstatSync(fd);
      let prefix = '';
      if (before.size > 0) {
        const last = Buffer.alloc(1);
        fs.readSync(fd, last, 0, 1, before.size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      writeAll(fs, fd, Buffer.from(`${prefix}${body}\n`));
      try {
        fs.fsyncSync(fd);
      } catch (err) {
        throw new SpoolWriteError(`fsync failed: ${(err as Error).message}`, { cause: err });
      }
      const mine = fs.fstatSync(fd);
      try {
        const now = fs.statSync(live);
        stillLive = now.ino === mine.ino && now.dev === mine.dev;
      } catch {
        stillLive = false; // renamed away by a replay, and no new append yet
      }
    } finally {
      fs.closeSync(fd);
    }
    if (stillLive) return;
  }
  throw new SpoolWriteError(`${live} was claimed by a replay five times in a row while appending`);
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

function linesOf(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/** How many events wait in the spool (claimed batches included). */
export function pendingSpoolCount(dataDir: string): number {
  const { live } = spoolPaths(dataDir);
  let n = 0;
  for (const file of [...claimedFiles(dataDir), live]) {
    if (!existsSync(file)) continue;
    n += linesOf(file).length;
  }
  return n;
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
  /** Events left in the spool (the database became unusable part way, or the time budget ran out). */
  remaining: number;
  /** Another process was replaying; nothing was done. */
  busy: boolean;
  /** Why the replay stopped early: a transient database error (kept for retry), or the time budget. */
  stopped?: { by: 'error' | 'budget'; reason: string };
  /** The outcome of each event applied (or found applied already) by this replay, by event id. */
  outcomes: Map<string, ApplyOutcome>;
  /** The remaining events were handed to another process (see ReplayOptions.handOff). */
  handedOff?: boolean;
}

export interface ReplayOptions {
  /** Stop after this long (checked between events); the rest stays in order for the next replay. */
  budgetMs?: number;
  /** The spool lock, when the caller already holds it (a detached replayer adopting it). */
  lock?: FileLock;
  /**
   * Called, still holding the lock, when the budget ran out with events left: return true after handing
   * the lock over to another process (FileLock.handOver) that goes on replaying.
   */
  handOff?: (lock: FileLock) => boolean;
  /** Events per transaction (default 200). */
  batchSize?: number;
}

export function emptyReport(): ReplayReport {
  return { applied: 0, duplicates: 0, rejected: [], remaining: 0, busy: false, outcomes: new Map() };
}

/** Keeps a line that cannot become (or be applied as) an event in spool.rejected.jsonl, with the reason. */
export function appendRejected(dataDir: string, line: string, reason: string, extra: Record<string, unknown> = {}): void {
  ensureDir(dataDir);
  appendFileSync(spoolPaths(dataDir).rejected, `${JSON.stringify({ rejected_at: new Date().toISOString(), reason, ...extra, line })}\n`, { mode: 0o600 });
}

function reject(dataDir: string, line: string, reason: string, report: ReplayReport): void {
  appendRejected(dataDir, line, reason);
  report.rejected.push({ line, reason });
}

/**
 * True when an error is about the event's data, so retrying can never help: a validation failure, a
 * session that does not exist, or a Postgres data exception (22xxx) or integrity violation (23xxx).
 * Everything else (statement or lock timeout 57014/55P03, serialization failure or deadlock
 * 40001/40P01, connection loss 08xxx, shutdown 57P0x, an unreachable server, a client-side deadline)
 * is transient: the event stays in the spool for the next replay.
 */
export function isDataError(err: unknown): boolean {
  if (err instanceof ValidationError || err instanceof NotFoundError) return true;
  if (err instanceof DbUnavailableError) return false;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/**
 * Replays the spool into `db`, oldest first, each event exactly once (events are keyed by id, so an
 * event applied before a crash is skipped, not doubled). Only what was committed leaves the spool: when
 * the database fails with anything but a data error, or the time budget runs out, the rest stays, in
 * order, for the next replay. A line that is not a valid event, or whose data the database refuses, is
 * moved to spool.rejected.jsonl with the reason, never dropped.
 *
 * After releasing the lock it looks again: an event appended while it held the lock (by a process that
 * then found the lock busy and left it to us) is replayed too.
 */
export async function replaySpool(db: Db, dataDir: string, options: ReplayOptions = {}): Promise<ReplayReport> {
  const report = emptyReport();
  const deadline = options.budgetMs === undefined ? Infinity : Date.now() + options.budgetMs;
  let lock = options.lock;
  if (!lock && !spoolHasEvents(dataDir)) return report;
  for (;;) {
    lock ??= FileLock.tryAcquire(spoolPaths(dataDir).lock);
    if (!lock) {
      // Whoever holds it looks again after releasing it, so what we saw is not stranded.
      if (report.applied + report.duplicates + report.rejected.length === 0) report.busy = true;
      return report;
    }
    let handedOff = false;
    try {
      await drain(db, dataDir, report, deadline, options.batchSize ?? BATCH);
      if (report.stopped?.by === 'budget' && options.handOff?.(lock)) {
        handedOff = true;
        report.handedOff = true;
      }
    } finally {
      if (!handedOff) lock.release();
    }
    lock = undefined;
    if (report.stopped || !spoolHasEvents(dataDir)) return report;
  }
}

/** Events applied per transaction during a replay (each in its own savepoint): one commit, not 200. */
const BATCH = 200;

async function drain(db: Db, dataDir: string, report: ReplayReport, deadline: number, batch: number): Promise<void> {
  const { live } = spoolPaths(dataDir);
  for (;;) {
    if (existsSync(live) && statSync(live).size > 0) {
      renameSync(live, join(dataDir, `spool-${Date.now()}-${process.pid}.claimed`));
    }
    const files = claimedFiles(dataDir);
    if (files.length === 0) return;
    for (const [fi, file] of files.entries()) {
      const lines = linesOf(file);
      let done = 0;
      const stop = (by: 'error' | 'budget', reason: string) => {
        const rest = lines.slice(done);
        writeFileAtomic(file, rest.map((l) => `${l}\n`).join(''), 0o600);
        let after = 0;
        for (const f of files.slice(fi + 1)) after += linesOf(f).length;
        report.remaining = rest.length + after + (existsSync(live) ? linesOf(live).length : 0);
        report.stopped = { by, reason };
      };
      while (done < lines.length) {
        if (Date.now() >= deadline) return stop('budget', 'the time budget ran out');
        const result = await applyBatch(db, lines.slice(done, done + batch), deadline);
        if (result.failure !== undefined) return stop('error', result.failure);
        // Committed: only now do the rejections and outcomes count.
        for (const r of result.rejected) reject(dataDir, r.line, r.reason, report);
        for (const [id, outcome] of result.outcomes) {
          if (outcome.status === 'duplicate') report.duplicates += 1;
          else report.applied += 1;
          if (!report.outcomes.has(id) || outcome.status === 'applied') report.outcomes.set(id, outcome);
        }
        done += result.processed;
      }
      rmSync(file, { force: true });
    }
  }
}

interface BatchResult {
  /** Lines dealt with (applied, duplicate or rejected), from the start of the batch. */
  processed: number;
  outcomes: [string, ApplyOutcome][];
  rejected: { line: string; reason: string }[];
  /** A transient error: nothing of the batch was committed. */
  failure?: string;
}

/**
 * Applies lines in one transaction, each event in its own savepoint: an event whose data the database
 * refuses is rolled back alone (and rejected); any other error rolls back the whole batch, which stays
 * in the spool. Stops early (committing what was done) when the deadline passes.
 */
async function applyBatch(db: Db, lines: string[], deadline: number): Promise<BatchResult> {
  const parsed: ({ line: string; event: HookEvent } | { line: string; reason: string })[] = lines.map((line) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return { line, reason: 'not valid JSON (a torn or corrupted write)' };
    }
    const p = HookEvent.safeParse(json);
    return p.success ? { line, event: p.data } : { line, reason: `not a valid event: ${issuesText(p.error.issues)}` };
  });
  const result: BatchResult = { processed: 0, outcomes: [], rejected: [] };
  if (parsed.every((p) => 'reason' in p)) {
    result.rejected = parsed;
    result.processed = parsed.length;
    return result;
  }
  try {
    await db.transaction(async (tx) => {
      const inTx: Db = { backend: db.backend, query: tx.query.bind(tx), exec: tx.exec.bind(tx), transaction: (fn) => fn(tx), listen: () => Promise.reject(new Error('not in a replay')), close: async () => {} };
      for (const p of parsed) {
        if (result.processed > 0 && Date.now() >= deadline) break;
        if ('reason' in p) {
          result.rejected.push(p);
        } else {
          await tx.query('SAVEPOINT replay_event');
          try {
            const outcome = await applyEvent(inTx, p.event);
            await tx.query('RELEASE SAVEPOINT replay_event');
            result.outcomes.push([p.event.event_id, outcome]);
          } catch (err) {
            if (!isDataError(err)) throw err;
            await tx.query('ROLLBACK TO SAVEPOINT replay_event');
            result.rejected.push({ line: p.line, reason: `the database refused it: ${(err as Error).message}` });
          }
        }
        result.processed += 1;
      }
    });
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    return { processed: 0, outcomes: [], rejected: [], failure: `${(err as Error)?.message ?? String(err)}${typeof code === 'string' && !(err instanceof DbUnavailableError) ? ` (${code})` : ''}` };
  }
  return result;
}
