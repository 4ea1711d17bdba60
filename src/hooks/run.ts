// The smallest part of every hook, loaded before anything else: read stdin and make sure a failure of ours
// never breaks the Claude Code session (exit 0, ONE line on stderr). Imports nothing heavy.
import { redact } from '../core/db/db.js';

/** A failure with a message already fit for the user. */
export class HookFailure extends Error {}

const MAX_STDIN = 32 * 1024 * 1024;

export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_STDIN) throw new HookFailure(`stdin is larger than ${MAX_STDIN} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return redact(msg).replace(/\s+/g, ' ').trim();
}

/**
 * Runs a hook body: whatever goes wrong, print ONE line on stderr and exit 0 so the Claude Code session
 * carries on. The body returns normally for everything it handled itself.
 */
export async function runHook(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    process.stderr.write(`claude-family ${name}: ${errorText(err)}\n`);
  }
  process.exitCode = 0;
}

/** Prints one warning line on stderr. */
export function warn(name: string, message: string): void {
  process.stderr.write(`claude-family ${name}: ${message.replace(/\s+/g, ' ').trim()}\n`);
}
