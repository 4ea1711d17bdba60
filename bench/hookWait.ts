// `BENCH_ONLY=hook-wait npm run bench`: for each hook as Claude Code runs it (src/cli/claudeSettings.ts
// HOOKS), the time its process takes and the time Claude waits for it, p50 over interleaved runs. Claude
// waits for a synchronous hook until it exits; for an async one ("async": true: the MCP calls' rows, whose
// order cannot matter) only until the process is started.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HOOKS, type HookSpec } from '../src/cli/claudeSettings.js';
import { ADMIN_URL, fmt, percentile, type Result } from './support.js';

const ROOT = process.env.CF_ROOT ?? process.cwd();
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
/** The most an async hook may hold Claude up: starting a process, nothing more. */
const ASYNC_WAIT_TARGET_MS = 20;

/** A payload each hook spec would get (the MCP group: an MCP call; the task group: a TodoWrite). */
function payload(spec: HookSpec, work: string): string {
  const base = { session_id: 'bench-hook-wait', transcript_path: '/dev/null', cwd: work, permission_mode: 'default' };
  switch (spec.event) {
    case 'SessionStart':
      return JSON.stringify({ ...base, hook_event_name: 'SessionStart', source: 'startup' });
    case 'SessionEnd':
      return JSON.stringify({ ...base, hook_event_name: 'SessionEnd', reason: 'other' });
    case 'PostToolUseFailure':
      return JSON.stringify({ ...base, hook_event_name: 'PostToolUseFailure', tool_name: 'mcp__bench__tool', tool_input: {}, error: 'timeout' });
    default:
      return spec.matcher?.startsWith('mcp__')
        ? JSON.stringify({ ...base, hook_event_name: 'PostToolUse', tool_name: 'mcp__bench__tool', tool_input: {}, tool_response: { content: [] } })
        : JSON.stringify({ ...base, hook_event_name: 'PostToolUse', tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'Bench the wait', status: 'in_progress', activeForm: 'Benching' }] }, tool_response: {} });
  }
}

/** How long until the child process is started (what Claude waits for an async hook). */
function startOnly(script: string, input: string, env: NodeJS.ProcessEnv): Promise<{ started: number; exited: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let started = 0;
    const child = spawn(process.execPath, [script], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('spawn', () => {
      started = performance.now() - t0;
      child.stdin.end(input);
    });
    child.on('error', reject);
    child.on('exit', () => resolve({ started, exited: performance.now() - t0 }));
  });
}

export async function hookWait(results: Result[]): Promise<void> {
  const name = `cf_bench_wait_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const work = mkdtempSync(join(tmpdir(), 'cf-bench-wait-'));
  try {
    mkdirSync(join(work, 'claude-config'), { recursive: true });
    const env: NodeJS.ProcessEnv = { ...process.env, CLAUDE_FAMILY_DATABASE_URL: url.toString(), CLAUDE_FAMILY_DATA_DIR: join(work, 'data'), CLAUDE_FAMILY_PROJECT: 'bench-hook-wait', CLAUDE_CONFIG_DIR: join(work, 'claude-config') };
    const script = (spec: HookSpec) => join(ROOT, 'dist', 'hooks', `${spec.script}.cjs`);
    // One SessionStart first: it migrates, and the session exists for the others.
    spawnSync(process.execPath, [script(HOOKS[0]!)], { input: payload(HOOKS[0]!, work), env });
    const process_: number[][] = HOOKS.map(() => []);
    const waited: number[][] = HOOKS.map(() => []);
    for (let i = 0; i < RUNS; i++) {
      for (const [k, spec] of HOOKS.entries()) {
        const { started, exited } = await startOnly(script(spec), payload(spec, work), env);
        process_[k]!.push(exited);
        waited[k]!.push(spec.async ? started : exited);
      }
    }
    console.log(`hook-wait (${RUNS} interleaved runs each, p50):`);
    for (const [k, spec] of HOOKS.entries()) {
      const label = `${spec.event}${spec.matcher ? ` (${spec.matcher})` : ''}${spec.async ? ', async' : ''}`;
      const p = percentile(process_[k]!, 50);
      const w = percentile(waited[k]!, 50);
      console.log(`  ${label.padEnd(52)} process ${fmt(p).padStart(9)}  Claude waits ${fmt(w).padStart(9)}`);
      if (spec.async) results.push({ what: `Claude waits for ${spec.event} ${spec.matcher ?? ''} (async)`.trim(), value: fmt(w), target: `<= ${ASYNC_WAIT_TARGET_MS} ms`, ok: w <= ASYNC_WAIT_TARGET_MS });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  }
}
