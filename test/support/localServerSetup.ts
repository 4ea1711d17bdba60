// Starting the shared embedded server for a test run (no vitest imports: the globalSetup loads this).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalServer, stopLocalServer } from '../../src/core/db/localServer.js';

export const resolveHere = (id: string): string => createRequire(import.meta.url).resolve(id);

/** A temporary directory the server's account can reach when we are root (mkdtemp makes it 0700). */
export function reachableTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  return dir;
}

/** For the globalSetup: starts the shared server; returns its data directory and a teardown. */
export async function startSharedServer(): Promise<{ dataDir: string; stop: () => Promise<void> }> {
  const root = reachableTempDir('cf-embedded-');
  const dataDir = join(root, 'data');
  await ensureLocalServer(dataDir, { resolve: resolveHere, timeoutMs: 60_000 });
  return {
    dataDir,
    async stop() {
      await stopLocalServer(dataDir);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

