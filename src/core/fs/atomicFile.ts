import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes `data` to `path` through a temporary file beside it and a rename, so a reader (another hook,
 * Claude Code) sees the whole old file or the whole new one, never half of either.
 */
export function writeFileAtomic(path: string, data: string | NodeJS.ArrayBufferView, mode?: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
  renameSync(tmp, path);
}
