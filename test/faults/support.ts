// Shared by the test/faults/ suite: a scenario (home, data dir, project, env) against a fresh Postgres
// database, and ways to look at what a run left behind.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../src/core/db/db.js';
import { openPostgres } from '../../src/core/db/pg.js';
import { spoolPaths } from '../../src/core/events/spool.js';
import { FileLock } from '../../src/core/fs/fileLock.js';
import { createPostgresDatabase, uniqueProject } from '../support/backends.js';
import { baseEnv, CLI, hookScript, runNode, type RunOptions, type RunResult } from '../support/processes.js';

export type Env = Record<string, string | undefined>;
export type HookName = 'session-start' | 'post-tool-use' | 'session-end';

export interface FaultDb {
  url: string;
  db: Db;
  dispose(): Promise<void>;
}

export async function faultDb(): Promise<FaultDb> {
  const { url, drop } = await createPostgresDatabase();
  const db = openPostgres({ connectionString: url });
  return {
    url,
    db,
    async dispose() {
      await db.close();
      await drop();
    },
  };
}

export interface Scenario {
  home: string;
  dataDir: string;
  project: string;
  claudeId: string;
  env: Env;
}

export function scenario(home: string, url: string | undefined, label: string): Scenario {
  const project = uniqueProject(label);
  const dataDir = join(home, 'data');
  const env: Env = { ...baseEnv(home), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: project, ...(url ? { CLAUDE_FAMILY_DATABASE_URL: url } : {}) };
  return { home, dataDir, project, claudeId: `cc-${project}`, env };
}

export const hook = (name: HookName, payload: unknown, env: Env, options: Omit<RunOptions, 'env' | 'stdin'> = {}) =>
  runNode(hookScript(name), { ...options, stdin: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload), env });
export const cli = (args: string[], env: Env, options: Omit<RunOptions, 'env' | 'args'> = {}) => runNode(CLI, { ...options, args, env });

export function stderrLines(r: RunResult): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

export function todoWrite(s: Scenario, todos: { content: string; status: string }[]) {
  return { session_id: s.claudeId, cwd: s.home, hook_event_name: 'PostToolUse', tool_name: 'TodoWrite', tool_input: { todos }, tool_response: {} };
}

export function mcpCall(s: Scenario, tool = 'mcp__srv__tool') {
  return { session_id: s.claudeId, cwd: s.home, hook_event_name: 'PostToolUse', tool_name: tool, tool_input: {}, tool_response: {} };
}

export function rejectedRecords(dataDir: string): Record<string, unknown>[] {
  const path = spoolPaths(dataDir).rejected;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

export async function liveTodos(db: Db, project: string): Promise<{ content: string; status: string }[]> {
  return (
    await db.query<{ content: string; status: string }>(
      `SELECT t.content, t.status FROM claude.todos t JOIN claude.projects p USING (project_id)
       WHERE p.project_name = $1 AND NOT t.is_deleted ORDER BY t.content, t.status`,
      [project],
    )
  ).rows;
}

/** Waits until `pred` holds (polling), failing after `ms`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Ends a detached `spool replay` a hook may have left running for this data directory (it holds the
 * spool lock), so no test leaves a process behind.
 */
export async function stopDetachedReplayer(dataDir: string): Promise<void> {
  const state = FileLock.inspect(spoolPaths(dataDir).lock);
  if (state.state !== 'held' || !state.owner || state.owner.pid === process.pid) return;
  try {
    process.kill(state.owner.pid, 'SIGTERM');
  } catch {
    return;
  }
  await waitFor(() => FileLock.inspect(spoolPaths(dataDir).lock).state !== 'held', 5000, 'the detached replayer to stop').catch(() => {
    try {
      process.kill(state.owner!.pid, 'SIGKILL');
    } catch {
      // gone
    }
  });
}
