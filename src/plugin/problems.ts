// Connection failures in plain words, never with the password: for notices, the settings tab and the
// status bar's tooltip.
import { ConfigError } from '../core/config.js';
import { DbUnavailableError, redact } from '../core/db/db.js';
import { MigrationError } from '../core/db/migrate.js';

/** A connection failure in plain words, never with the password. */
export function connectionProblem(err: unknown): string {
  if (err instanceof DbUnavailableError) return `Cannot reach the database: ${redact(err.message)}.`;
  if (err instanceof ConfigError) return `Not configured: ${redact(err.message)}.`;
  if (err instanceof MigrationError) return `The database schema could not be brought up to date: ${redact(err.message)}`;
  const e = err as { code?: string; message?: string };
  if (e?.code === '42501') return `The database user may not do this: ${redact(e.message ?? '')}`;
  return `Connection failed: ${redact(e?.message ?? String(err))}`;
}
