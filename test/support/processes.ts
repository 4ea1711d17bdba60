// Runs the bundled hook scripts and CLI as real child processes, the way Claude Code does, and gives
// tests a way to look into either backend without holding a PGlite data directory open meanwhile.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Backend, Db } from '../../src/core/db/db.js';
import { openPglite } from '../../src/core/db/pglite.js';
import { openPostgres } from '../../src/core/db/pg.js';
import { createPostgresDatabase } from './backends.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DIST = join(ROOT, 'dist');
export const hookScript = (name: 'session-start' | 'post-tool-use' | 'post-tool-use-failure' | 'session-end') => join(DIST, 'hooks', `${name}.cjs`);
export const CLI = join(DIST, 'cli.mjs');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runNode(script: string, options: { stdin?: string; env?: Record<string, string | undefined>; cwd?: string; args?: string[] } = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...(options.args ?? [])], { cwd: options.cwd ?? ROOT, env: options.env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr, ms: performance.now() - started }));
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * One backend as the hooks see it: the environment that points a child process at it, and `inspect`
 * to query it from the test (for PGlite the data directory is opened only for the query, then closed).
 */
export interface HookBackend {
  backend: Backend;
  /** Holds the spool (and, for PGlite, the database in <dataDir>/pglite). */
  dataDir: string;
  env: Record<string, string | undefined>;
  url?: string;
  inspect<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  dispose(): Promise<void>;
}

export function baseEnv(home: string): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    CLAUDE_FAMILY_CONFIG: join(home, 'no-config.json'),
  };
}

export async function createHookBackend(backend: Backend): Promise<HookBackend> {
  const home = mkdtempSync(join(tmpdir(), 'cf-hooks-'));
  const dataDir = join(home, 'data');
  const env = { ...baseEnv(home), CLAUDE_FAMILY_DATA_DIR: dataDir };
  if (backend === 'postgres') {
    // Not migrated: the hooks must do it themselves.
    const { url, drop } = await createPostgresDatabase();
    const db = openPostgres({ connectionString: url });
    return {
      backend, dataDir, url,
      env: { ...env, CLAUDE_FAMILY_DATABASE_URL: url },
      inspect: (fn) => fn(db),
      async dispose() {
        await db.close();
        await drop();
        rmSync(home, { recursive: true, force: true });
      },
    };
  }
  return {
    backend, dataDir, env,
    async inspect(fn) {
      const db = await openPglite({ dataDir: join(dataDir, 'pglite'), lockWaitMs: 10_000 });
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    },
    async dispose() {
      rmSync(home, { recursive: true, force: true });
    },
  };
}
