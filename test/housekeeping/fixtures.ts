// Real processes for the housekeeping tests: a stand-in "claude" that starts stand-in "MCP servers"
// (detached, so they outlive it), and an unrelated twin with the same command line. Every process
// started here is remembered and ended by killAll() (call it in afterEach).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const started = new Set<number>();
const dirs: string[] = [];

export function tempDir(prefix = 'cf-hk-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** The stand-in MCP server: runs until killed; writes `ready` (if given) once its handlers are in place. */
export const MCP_SCRIPT =
  "const [ready, mode] = process.argv.slice(1); if (mode === 'ignore-term') process.on('SIGTERM', () => {}); " +
  "if (ready && ready !== '-') require('fs').writeFileSync(ready, 'ready'); setInterval(() => {}, 1000);";

export function mcpArgs(ready = '-', mode = 'normal'): string[] {
  return ['-e', MCP_SCRIPT, ready, mode];
}

/** A launcher in the manner of `npx`: starts the MCP stand-in as its own child and stays until killed. */
export const LAUNCHER_SCRIPT =
  "const { spawn } = require('child_process'); " +
  `spawn(process.execPath, ['-e', ${JSON.stringify(MCP_SCRIPT)}, ...process.argv.slice(1)], { stdio: 'ignore' }); ` +
  'setInterval(() => {}, 1000);';

export interface StandInClaude {
  child: ChildProcess;
  pid: number;
  mcpPids: number[];
}

/**
 * Starts a node process that starts one MCP stand-in per entry of `servers` (each detached, stdio
 * ignored; with `launcher`, through LAUNCHER_SCRIPT, and the pid given is the launcher's) and prints
 * their pids as one JSON line; it then idles until killed.
 */
export async function startStandInClaude(servers: { ready?: string; mode?: string; launcher?: boolean }[]): Promise<StandInClaude> {
  const script = `
    const { spawn } = require('child_process');
    const servers = JSON.parse(process.argv[1]);
    const pids = servers.map((s) => {
      const code = s.launcher ? ${JSON.stringify(LAUNCHER_SCRIPT)} : ${JSON.stringify(MCP_SCRIPT)};
      const c = spawn(process.execPath, ['-e', code, s.ready || '-', s.mode || 'normal'], { detached: true, stdio: 'ignore' });
      c.unref();
      return c.pid;
    });
    process.stdout.write(JSON.stringify(pids) + '\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script, JSON.stringify(servers)], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.pid === undefined) throw new Error('stand-in claude did not start');
  started.add(child.pid);
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`stand-in claude exited early (${code})`)));
  });
  const mcpPids = JSON.parse(line) as number[];
  for (const p of mcpPids) started.add(p);
  return { child, pid: child.pid, mcpPids };
}

/** Remembers a process the test did not start itself (a launcher's child), for killAll(). */
export function track(pid: number): void {
  started.add(pid);
}

/** A process started by the test itself (not by the stand-in claude), detached like the MCP ones. */
export function startProcess(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  if (child.pid === undefined) throw new Error(`${command} did not start`);
  started.add(child.pid);
  return child;
}

export async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await exited;
}

/** Polls `check` until it is true or `capMs` passes (a wait with a cap, not a timed assertion). */
export async function until(check: () => boolean, capMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + capMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

export async function waitForFiles(paths: string[]): Promise<void> {
  if (!(await until(() => paths.every((p) => existsSync(p))))) throw new Error(`not ready: ${paths.filter((p) => !existsSync(p)).join(', ')}`);
}

export function killAll(): void {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  started.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
