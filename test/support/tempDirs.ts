// Temporary directories for one test file, all removed when the file's tests are done.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Call once at the top level of a test file; returns `tempDir(label)` for that file. */
export function tempDirs(prefix: string): (label: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (label) => {
    const d = mkdtempSync(join(tmpdir(), `${prefix}-${label}-`));
    made.push(d);
    return d;
  };
}
