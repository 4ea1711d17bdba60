// Issue 6 end to end, through the real hook scripts and CLI as child processes on both backends:
// a SessionEnd leaves no orphaned stand-in MCP server, prints the stale-doc list, and a message sent
// from one project appears at the next SessionStart of another.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getSessionState } from '../../src/core/repos/sessionState.js';
import { looksLikeClaudeCode } from '../../src/core/housekeeping/sessionHousekeeping.js';
import { BACKENDS, uniqueProject } from '../support/backends.js';
import { CLI, createHookBackend, hookScript, runNode, type HookBackend } from '../support/processes.js';

const dirs: string[] = [];
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function gitRepo(project: string): string {
  const parent = mkdtempSync(join(tmpdir(), 'cf-hk-'));
  dirs.push(parent);
  const dir = join(parent, project);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  writeFileSync(join(dir, 'README.md'), '# Readme\n');
  writeFileSync(join(dir, 'src', 'app.ts'), 'export const a = 1;\n');
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init');
  return dir;
}

/**
 * A stand-in for Claude Code: a Node script named claude.mjs that starts two stand-in MCP servers as
 * its children, runs the SessionStart hook through `sh -c` (as Claude Code does), waits for a "end"
 * line on stdin, runs the SessionEnd hook the same way, prints what the hooks said and exits — leaving
 * its MCP servers behind, as a crashing or careless client would.
 */
const FAKE_CLAUDE = `
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
const [startHook, endHook, payloadJson] = process.argv.slice(2);
const servers = [1, 2].map(() => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'stand-in-mcp-server'], { stdio: 'ignore' }));
const runHook = (script, event) => {
  const payload = JSON.stringify({ ...JSON.parse(payloadJson), hook_event_name: event });
  try {
    return { stdout: execFileSync('sh', ['-c', 'node "$0"', script], { input: payload, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }), stderr: '' };
  } catch (err) {
    return { stdout: err.stdout ?? '', stderr: String(err.stderr ?? err.message), code: err.status };
  }
};
const start = runHook(startHook, 'SessionStart');
console.log(JSON.stringify({ servers: servers.map((s) => s.pid), start }));
const rl = createInterface({ input: process.stdin });
rl.on('line', () => {
  const end = runHook(endHook, 'SessionEnd');
  console.log(JSON.stringify({ end }));
  process.exit(0);
});
`;

describe('looksLikeClaudeCode', () => {
  it('recognises Claude Code and nothing else', () => {
    expect(looksLikeClaudeCode('claude')).toBe(true);
    expect(looksLikeClaudeCode('claude --resume abc')).toBe(true);
    expect(looksLikeClaudeCode('node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js')).toBe(true);
    expect(looksLikeClaudeCode('/usr/bin/node /tmp/x/claude.mjs a b')).toBe(true);
    expect(looksLikeClaudeCode('node /home/me/claude-family/node_modules/vitest/dist/worker.js')).toBe(false);
    expect(looksLikeClaudeCode('bash')).toBe(false);
    expect(looksLikeClaudeCode('tmux new -s claude')).toBe(false);
  });
});

for (const backend of BACKENDS) {
  describe(`session housekeeping through the hooks [${backend}]`, { timeout: 240_000 }, () => {
    let b: HookBackend;
    beforeAll(async () => {
      b = await createHookBackend(backend);
    });
    afterAll(async () => {
      await b?.dispose();
    });

    it('SessionEnd leaves no orphaned stand-in MCP server, and reports the docs that may be stale', async () => {
      const project = uniqueProject('hk');
      const repo = gitRepo(project);
      const fakeDir = mkdtempSync(join(tmpdir(), 'cf-fake-'));
      dirs.push(fakeDir);
      const fake = join(fakeDir, 'claude.mjs');
      writeFileSync(fake, FAKE_CLAUDE);
      // An unrelated process with the very same command line, not started by the stand-in: must survive.
      const twin = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'stand-in-mcp-server'], { stdio: 'ignore' });
      started.push(twin);

      const claudeId = `cc-${project}`;
      const claude = spawn(process.execPath, [fake, hookScript('session-start'), hookScript('session-end'), JSON.stringify({ session_id: claudeId, cwd: repo })], {
        env: b.env as NodeJS.ProcessEnv,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      started.push(claude);
      let out = '';
      claude.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes('"servers"'), 'the stand-in Claude Code to start');
      const first = JSON.parse(out.split('\n')[0]!) as { servers: number[]; start: { stdout: string; stderr: string } };
      expect(first.start.stdout).toContain('=== WHERE WE LEFT OFF ===');
      expect(first.start.stderr).toBe('');
      expect(first.servers.every(alive)).toBe(true);

      // The session changes code but not the README: one change committed during the session (git dates
      // have whole seconds, so wait past the start's second), two left uncommitted.
      await new Promise((r) => setTimeout(r, 1100));
      writeFileSync(join(repo, 'src', 'committed.ts'), 'export const c = 1;\n');
      execFileSync('git', ['add', 'src/committed.ts'], { cwd: repo });
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'during the session'], { cwd: repo });
      writeFileSync(join(repo, 'src', 'app.ts'), 'export const a = 2;\n');
      writeFileSync(join(repo, 'src', 'new.ts'), 'export const b = 1;\n');

      const exited = new Promise((r) => claude.on('exit', r));
      claude.stdin!.write('end\n');
      await exited;
      const end = JSON.parse(out.trim().split('\n').at(-1)!) as { end: { stdout: string; stderr: string; code?: number } };
      expect(end.end.code ?? 0).toBe(0);
      expect(end.end.stderr).toBe('');
      expect(end.end.stdout).toContain('watching 2 process(es) Claude Code started');
      expect(end.end.stdout).toContain('Docs that may need updating (1)');
      expect(end.end.stdout).toMatch(/README\.md: src\/app\.ts, src\/committed\.ts, src\/new\.ts/);

      // Claude Code is gone; the detached watcher ends exactly its two servers.
      await until(() => !first.servers.some(alive), 'the orphaned stand-in MCP servers to be ended');
      expect(alive(twin.pid!)).toBe(true);

      const state = await b.inspect((db) => getSessionState(db, project));
      expect(state?.files_modified).toEqual(['src/app.ts', 'src/committed.ts', 'src/new.ts']);

      // Nothing is left for a later cleanup to find.
      const dry = await runNode(CLI, { args: ['mcp', 'cleanup', '--dry-run', '--json'], env: b.env });
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.stdout).sessions.flatMap((s: { wouldEnd: unknown[] }) => s.wouldEnd)).toEqual([]);
    });

    it('a message sent from one project appears at the next SessionStart of another, unread until read', async () => {
      const from = uniqueProject('sender');
      const to = uniqueProject('receiver');
      const sent = await runNode(CLI, { args: ['message', 'send', '--project', from, '--new-project', '--to', to, 'The schema changed; run migrate'], env: b.env });
      expect(sent).toMatchObject({ code: 0, stderr: '' });
      const id = /Sent message ([0-9a-f-]{36})/.exec(sent.stdout)?.[1];
      expect(id).toBeDefined();

      const start = () => runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: `cc-${to}-${Math.random()}`, cwd: tmpdir() }), env: { ...b.env, CLAUDE_FAMILY_PROJECT: to } });
      const first = await start();
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('Pending messages: 1');
      expect(first.stdout).toContain(`from ${from}: The schema changed; run migrate`);
      // Showing it marked nothing read.
      expect((await start()).stdout).toContain('Pending messages: 1');

      const listed = await runNode(CLI, { args: ['message', 'list', '--project', to, '--json'], env: b.env });
      expect(JSON.parse(listed.stdout).messages).toEqual([expect.objectContaining({ message_id: id, status: 'pending' })]);
      const read = await runNode(CLI, { args: ['message', 'read', id!, '--project', to], env: b.env });
      expect(read.code).toBe(0);
      expect(read.stdout).toContain('The schema changed; run migrate');
      expect((await start()).stdout).not.toContain('Pending messages');
    });

    it('a housekeeping failure still ends the session: exit 0, one stderr line', async () => {
      const project = uniqueProject('hkfail');
      const repo = gitRepo(project);
      mkdirSync(join(repo, '.claude'), { recursive: true });
      writeFileSync(join(repo, '.claude', 'doc-map.json'), '{ not json');
      const payload = JSON.stringify({ session_id: `cc-${project}`, cwd: repo });
      expect((await runNode(hookScript('session-start'), { stdin: payload, env: b.env })).code).toBe(0);
      const end = await runNode(hookScript('session-end'), { stdin: payload, env: b.env });
      expect(end.code).toBe(0);
      const lines = end.stderr.split('\n').filter((l) => l.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/doc-map\.json/);
      const closed = await b.inspect((db) => db.query<{ ended: boolean }>('SELECT session_end IS NOT NULL AS ended FROM claude.sessions WHERE claude_session_id = $1', [`cc-${project}`]));
      expect(closed.rows).toEqual([{ ended: true }]);
    });
  });
}

describe('mcp cleanup CLI', () => {
  it('is a dry run by default and refuses contradictory flags', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cf-mcpcli-'));
    dirs.push(home);
    const env = { PATH: process.env.PATH, HOME: home, CLAUDE_FAMILY_DATA_DIR: join(home, 'data') };
    const dry = await runNode(CLI, { args: ['mcp', 'cleanup'], env });
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout).toContain('Nothing to end');
    const bad = await runNode(CLI, { args: ['mcp', 'cleanup', '--dry-run', '--kill'], env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dry-run and --kill contradict each other');
    const noSession = await runNode(CLI, { args: ['mcp', 'cleanup', '--wait-for-pid', '12'], env });
    expect(noSession.code).toBe(2);
    expect(noSession.stderr).toContain('--wait-for-pid needs --session');
  });
});
