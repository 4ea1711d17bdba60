// spool.rejected.jsonl read back: what was rejected and why, and taking entries out to try them again.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { HookEvent } from './events.js';
import { appendRejected, spoolPaths } from './spool.js';

/** The hooks whose raw input may be kept there (their reason starts with the hook's name). */
const HOOK_NAMES = ['session-start', 'post-tool-use', 'post-tool-use-failure', 'session-end', 'user-prompt-submit'] as const;
export type RejectedHook = (typeof HOOK_NAMES)[number];

export interface RejectedEntry {
  rejectedAt: string | null;
  reason: string;
  /** The line as it was kept: a spooled event, or the hook's raw input. */
  line: string;
  /** What it is: an event of this kind, a hook's input, or something unreadable. */
  what: { type: 'event'; event: HookEvent } | { type: 'hook-input'; hook: RejectedHook } | { type: 'unreadable' };
}

function classify(line: string, reason: string): RejectedEntry['what'] {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { type: 'unreadable' };
  }
  const event = HookEvent.safeParse(json);
  if (event.success) return { type: 'event', event: event.data };
  const hook = HOOK_NAMES.find((h) => reason.startsWith(`${h}: `));
  return hook && typeof json === 'object' && json !== null ? { type: 'hook-input', hook } : { type: 'unreadable' };
}

function parseFile(text: string): RejectedEntry[] {
  const out: RejectedEntry[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let rec: { rejected_at?: unknown; reason?: unknown; line?: unknown };
    try {
      rec = JSON.parse(raw) as typeof rec;
    } catch {
      out.push({ rejectedAt: null, reason: 'a torn line of the rejected file', line: raw, what: { type: 'unreadable' } });
      continue;
    }
    const line = typeof rec.line === 'string' ? rec.line : JSON.stringify(rec.line ?? null);
    const reason = typeof rec.reason === 'string' ? rec.reason : '(no reason recorded)';
    out.push({ rejectedAt: typeof rec.rejected_at === 'string' ? rec.rejected_at : null, reason, line, what: classify(line, reason) });
  }
  return out;
}

/** Every rejected entry, oldest first. */
export function readRejected(dataDir: string): RejectedEntry[] {
  const file = spoolPaths(dataDir).rejected;
  return existsSync(file) ? parseFile(readFileSync(file, 'utf8')) : [];
}

/**
 * Takes the rejected file over (renamed away atomically, so new rejections go on into a fresh one) and
 * returns its entries; `keep` writes back those that are not to be tried again.
 */
export function takeRejected(dataDir: string): { entries: RejectedEntry[]; keep(entry: RejectedEntry): void; done(): void } {
  const file = spoolPaths(dataDir).rejected;
  const taken = `${file}.retrying-${process.pid}`;
  if (!existsSync(file)) return { entries: [], keep: () => {}, done: () => {} };
  renameSync(file, taken);
  return {
    entries: parseFile(readFileSync(taken, 'utf8')),
    keep: (e) => appendRejected(dataDir, e.line, e.reason, e.rejectedAt ? { first_rejected_at: e.rejectedAt } : {}),
    done: () => rmSync(taken, { force: true }),
  };
}
