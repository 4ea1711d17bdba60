// Runs the bundled hook scripts and CLI as real child processes, the way Claude Code does, and gives
// tests a way to look into either backend.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Backend, Db } from '../../src/core/db/db.js';
import { openPostgres } from '../../src/core/db/pg.js';
import { createPostgresDatabase, uniqueName } from './backends.js';
import { attachDataDir, createEmbeddedDatabase } from './embeddedServer.js';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The build under test (CF_TEST_DIST: another checkout's dist/, to check a test fails on older code). */
export const DIST = process.env.CF_TEST_DIST ?? join(ROOT, 'dist');
export const hookScript = (name: 'session-start' | 'user-prompt-submit' | 'post-tool-use' | 'post-tool-use-failure' | 'session-end') => join(DIST, 'hooks', `${name}.cjs`);
export const CLI = join(DIST, 'cli.mjs');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Killed at options.timeoutMs (as Claude Code kills a hook at its timeout). */
  killed?: boolean;
}

export interface RunOptions {
  stdin?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  args?: string[];
  /** SIGKILL the process after this long. */
  timeoutMs?: number;
  /** Run as this user (tests that must not run as root). */
  uid?: number;
  gid?: number;
}

export function runNode(script: string, options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...(options.args ?? [])], {
      cwd: options.cwd ?? ROOT,
      env: options.env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: performance.now() - started, ...(killed ? { killed } : {}) });
    });
    child.stdin.on('error', () => {}); // a hook that exits before reading all of a huge stdin
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * One backend as the hooks see it: the environment that points a child process at it, and `inspect`
 * to query it from the test. Embedded: no databaseUrl; the data directory's server.json leads to the
 * shared embedded server, on a database of this backend's own.
 */
export interface HookBackend {
  backend: Backend;
  /** Holds the spool (and, embedded, server.json). */
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
  const { connection, drop } = await createEmbeddedDatabase(uniqueName('cf_hooks'));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  attachDataDir(dataDir, connection.database);
  const db = openPostgres({ connection, backend: 'embedded' });
  return {
    backend, dataDir, env,
    inspect: (fn) => fn(db),
    async dispose() {
      await db.close();
      await drop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
