// `npm run demo` as the README's Quick start runs it: the built demo in a directory of its own, on a local
// server it creates and stops. It tells the whole story, the knowledge vault included, and exits 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { localPaths } from '../src/core/db/localServer.js';
import { DIST, runNode } from './support/processes.js';

const cwd = mkdtempSync(join(tmpdir(), 'cf-demo-'));
afterAll(() => {
  // As root, the cluster of a directory the server account cannot reach lives in /var/lib/claude-family.
  const home = localPaths(join(cwd, '.demo')).home;
  if (home !== join(cwd, '.demo')) rmSync(home, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

it('runs the main job on the local server: handoff, hooks, vault sync, knowledge at the prompt, then stops it', { timeout: 180_000 }, async () => {
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: cwd, TMPDIR: process.env.TMPDIR };
  const r = await runNode(join(DIST, 'demo.mjs'), { cwd, env, timeoutMs: 170_000 });
  expect(r.stderr).not.toMatch(/demo failed|exit [1-9]/);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('# Where we left off: demo-project');
  expect(r.stdout).toMatch(/vault sync --vault \.demo\/vault {2}\(\d+ ms, exit 0\)\n {2}2 notes scanned .* 2 new/);
  expect(r.stdout).toContain('synced: true');
  expect(r.stdout).toMatch(/what Claude is given[^\n]*\n(?:.*\n){5} {4}## 1\. Session Lifecycle - Session End/);
  expect(r.stdout).toContain('prompt #1 score');
  expect(r.stdout).toMatch(/Stopped the local Postgres \(pid \d+\)/);
});
