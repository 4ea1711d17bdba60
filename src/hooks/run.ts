// The smallest part of every hook, loaded before anything else: read stdin and make sure a failure of ours
// never breaks the Claude Code session (exit 0, ONE line on stderr), and that no hook outlives its
// deadline. Imports nothing heavy.
import { createHash } from 'node:crypto';
import { redact } from '../core/db/db.js';

/** A failure with a message already fit for the user. */
export class HookFailure extends Error {}

/** Stdin over this size is not parsed: a bounded record of it is kept instead (see OversizedStdin). */
export const MAX_STDIN = 32 * 1024 * 1024;
/** How much of oversized stdin is kept. */
export const OVERSIZED_HEAD = 64 * 1024;

/** Stdin that was too large to use: its size, a hash of all of it, and its first 64 KB. */
export class OversizedStdin extends HookFailure {
  constructor(
    readonly size: number,
    readonly sha256: string,
    readonly head: string,
  ) {
    super(`stdin is larger than ${MAX_STDIN} bytes (${size} bytes)`);
  }
}

/** What the hook has to say besides its main line (joined into the ONE stderr line). */
const notes: string[] = [];
export function note(message: string): void {
  notes.push(message.replace(/\s+/g, ' ').trim());
}

/** Set once the hook's own event is durable (in the spool or the database), for the deadline's message. */
export const hookState: { kept?: string } = {};

export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  let hash: ReturnType<typeof createHash> | undefined;
  for await (const chunk of process.stdin) {
    const buf = chunk as Buffer;
    if (hash) {
      hash.update(buf);
      size += buf.length;
      continue;
    }
    size += buf.length;
    chunks.push(buf);
    if (size > MAX_STDIN) {
      // Keep reading (Claude Code must not block on a full pipe), hashing, without holding it all.
      hash = createHash('sha256');
      for (const c of chunks) hash.update(c);
    }
  }
  const all = Buffer.concat(chunks);
  if (hash) {
    const head = all.subarray(0, OVERSIZED_HEAD);
    chunks.length = 0;
    throw new OversizedStdin(size, hash.digest('hex'), head.toString('utf8'));
  }
  return decodeUtf8(all);
}

/** UTF-8 text; invalid sequences become U+FFFD, and the hook says so (one note). */
export function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const text = bytes.toString('utf8');
    let replaced = 0;
    for (const ch of text) if (ch === '\uFFFD') replaced += 1;
    note(`stdin was not valid UTF-8: invalid byte sequences were replaced with U+FFFD (${replaced} U+FFFD in the text now)`);
    return text;
  }
}

export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return redact(msg).replace(/\s+/g, ' ').trim();
}

function line(name: string, message: string): string {
  const all = [message.replace(/\s+/g, ' ').trim(), ...notes.splice(0)].filter((m) => m !== '');
  return `claude-family ${name}: ${all.join('; also ')}\n`;
}

/**
 * Runs a hook body: whatever goes wrong, print ONE line on stderr and exit 0 so the Claude Code session
 * carries on. The body returns normally for everything it handled itself. Past `deadlineMs` (inside
 * Claude Code's own timeout for the hook) the hook says so and exits 0 at once: its event was made
 * durable before any database call, so nothing is lost.
 */
export async function runHook(name: string, body: () => Promise<void>, deadlineMs?: number): Promise<void> {
  const timer =
    deadlineMs === undefined
      ? undefined
      : setTimeout(() => {
          const what = hookState.kept ? `its event is kept in ${hookState.kept} for the next replay` : 'its event could not be made durable in time';
          process.stderr.write(line(name, `gave up after ${deadlineMs / 1000} s (the database did not answer in time); ${what}`));
          process.exit(0);
        }, deadlineMs);
  timer?.unref();
  // Never a stack trace and exit 1: whatever escapes (an 'error' event nobody listened to, say) is one line.
  const last = (err: unknown) => {
    process.stderr.write(line(name, `unexpected failure: ${errorText(err)}${hookState.kept ? `; its event is kept in ${hookState.kept} for the next replay` : ''}`));
    process.exit(0);
  };
  process.on('uncaughtException', last);
  process.on('unhandledRejection', last);
  try {
    await body();
  } catch (err) {
    process.stderr.write(line(name, errorText(err)));
  }
  if (notes.length > 0) process.stderr.write(line(name, ''));
  clearTimeout(timer);
  process.exitCode = 0;
}

/** Prints one warning line on stderr (with any notes). */
export function warn(name: string, message: string): void {
  process.stderr.write(line(name, message));
}
