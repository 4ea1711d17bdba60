// vitest globalSetup: builds dist/ once per run, so tests that start the real hook scripts and CLI as
// child processes run what `npm run build` ships, even when a single test file is run on its own; and
// starts the shared embedded server (test/support/embeddedServer.ts), stopped when the run ends.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startSharedServer } from './localServerSetup.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const res = spawnSync(process.execPath, ['esbuild.config.mjs', 'production'], { cwd: resolve(import.meta.dirname, '../..'), encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`building dist/ failed:\n${res.stderr}`);
  const server = await startSharedServer();
  project.provide('embeddedDataDir', server.dataDir);
  return server.stop;
}
