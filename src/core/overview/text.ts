// Text from the database made fit for one line of an overview: the first line only, whitespace
// collapsed, bounded, and (for error texts) any connection-string password replaced, as everywhere.
import { redact } from '../db/db.js';

/** The first non-empty line of `text`, whitespace collapsed, at most `max` characters; null when there is none. */
export function firstLine(text: string | null | undefined, max = 160): string | null {
  if (!text) return null;
  const line = text.split(/\r?\n/).map((l) => l.replace(/\s+/g, ' ').trim()).find((l) => l !== '');
  if (!line) return null;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** An error's first line, password-redacted (before cutting, so a cut can never leave part of one). */
export function errorLine(text: string | null | undefined, max = 200): string | null {
  return firstLine(text ? redact(text) : text, max);
}
