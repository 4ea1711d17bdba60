// The files we touch (issue 14) and checked writes (issue 15). install-hooks runs as an ordinary user
// (nobody), in a project that user owns: a settings.json at 600 or 444 keeps its mode, a symlinked one
// is updated at its target (the link stays), a BOM is kept, JSONC comments are named in words. An
// append that cannot write all its bytes (a full disk: a 64 KiB tmpfs, or an injected fs) says
// "not kept" and never claims otherwise.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as nodeFs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../../src/core/events/events.js';
import { appendToSpool, pendingSpoolCount, SpoolWriteError, spoolPaths, type SpoolFs } from '../../src/core/events/spool.js';
import { CLI, runNode } from '../support/processes.js';
import { tempDirs } from '../support/tempDirs.js';
import { hook, scenario, stderrLines, todoWrite } from './support.js';

const tempDir = tempDirs('cf-files');
const NOBODY = { uid: 65534, gid: 65534 };
const isRoot = process.getuid?.() === 0;

/** A project directory owned by nobody, with .claude/ in it. */
function nobodyProject(label: string): { dir: string; claude: string; settings: string } {
  const dir = tempDir(label);
  const claude = join(dir, '.claude');
  mkdirSync(claude, { recursive: true });
  for (const d of [dir, claude]) chownSync(d, NOBODY.uid, NOBODY.gid);
  chmodSync(dir, 0o755);
  return { dir, claude, settings: join(claude, 'settings.json') };
}

let nobodyCli: string | undefined;
/**
 * The CLI as nobody can run it: a copy of dist/ in a folder nobody can read, since this checkout may sit
 * where nobody cannot (under /root, say).
 */
function cliForNobody(): string {
  if (!nobodyCli) {
    const dir = tempDir('dist');
    chmodSync(dir, 0o755);
    cpSync(dirname(CLI), join(dir, 'dist'), { recursive: true });
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    nobodyCli = join(dir, 'dist', basename(CLI));
  }
  return nobodyCli;
}

function installAsNobody(dir: string) {
  return runNode(cliForNobody(), { args: ['install-hooks', '--project-dir', dir], env: { PATH: process.env.PATH, HOME: dir }, cwd: dir, ...NOBODY });
}

function ownedFile(path: string, text: string, mode: number): void {
  writeFileSync(path, text);
  chownSync(path, NOBODY.uid, NOBODY.gid);
  chmodSync(path, mode);
}

describe.skipIf(!isRoot)('faults: install-hooks keeps the files it rewrites (run as nobody)', { timeout: 60_000 }, () => {
  it.each([0o600, 0o444, 0o640])('a settings.json at mode %o keeps its mode and owner', async (mode) => {
    const p = nobodyProject(`mode-${mode.toString(8)}`);
    ownedFile(p.settings, JSON.stringify({ env: { API_KEY: 'secret' } }), mode);
    const r = await installAsNobody(p.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const st = statSync(p.settings);
    expect(st.mode & 0o777).toBe(mode);
    expect([st.uid, st.gid]).toEqual([NOBODY.uid, NOBODY.gid]);
    const json = JSON.parse(readFileSync(p.settings, 'utf8'));
    expect(json.env).toEqual({ API_KEY: 'secret' });
    expect(Object.keys(json.hooks)).toEqual(['SessionStart', 'UserPromptSubmit', 'PostToolUse', 'PostToolUseFailure', 'SessionEnd']);
  });

  it('a symlinked settings.json: the shared target is updated in place (same mode), the link stays a link', async () => {
    const p = nobodyProject('symlink');
    const shared = join(p.dir, 'shared');
    mkdirSync(shared);
    chownSync(shared, NOBODY.uid, NOBODY.gid);
    const target = join(shared, 'claude-settings.json');
    ownedFile(target, JSON.stringify({ model: 'x' }), 0o600);
    symlinkSync('../shared/claude-settings.json', p.settings);
    const r = await installAsNobody(p.dir);
    expect(r.code).toBe(0);
    expect(lstatSync(p.settings).isSymbolicLink()).toBe(true);
    expect(readlinkSync(p.settings)).toBe('../shared/claude-settings.json');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(target, 'utf8'))).toMatchObject({ model: 'x', hooks: { SessionStart: expect.any(Array) } });
  });

  it('a settings.json with a BOM is accepted and keeps it', async () => {
    const p = nobodyProject('bom');
    ownedFile(p.settings, `\uFEFF${JSON.stringify({ model: 'y' })}`, 0o644);
    const r = await installAsNobody(p.dir);
    expect(r.code).toBe(0);
    const text = readFileSync(p.settings, 'utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(JSON.parse(text.slice(1))).toMatchObject({ model: 'y', hooks: expect.any(Object) });
  });

  it('JSONC comments are refused in words, and the file is left as it was', async () => {
    const p = nobodyProject('jsonc');
    const original = '{\n  // my model\n  "model": "z"\n}\n';
    ownedFile(p.settings, original, 0o644);
    const r = await installAsNobody(p.dir);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/contains comments \(\/\/ or \/\* \*\/\), which plain JSON does not allow/);
    expect(readFileSync(p.settings, 'utf8')).toBe(original);
  });
});

describe('faults: an append that cannot write all its bytes says so', () => {
  it('a short write is continued until every byte is written', () => {
    const dataDir = tempDir('short');
    const fs: SpoolFs = { ...nodeFs, writeSync: ((fd: number, buf: Buffer, off: number, len: number) => nodeFs.writeSync(fd, buf, off, Math.min(len, 7))) as SpoolFs['writeSync'] };
    appendToSpool(dataDir, makeEvent({ kind: 'mcp_call', project: 'p', claude_session_id: 'c', server: 's', tool: 't', success: true, error: undefined }), fs);
    expect(pendingSpoolCount(dataDir)).toBe(1);
    expect(() => JSON.parse(readFileSync(spoolPaths(dataDir).live, 'utf8'))).not.toThrow();
  });

  it('a full disk part way through: SpoolWriteError naming the bytes written, and the next append starts on a fresh line', () => {
    const dataDir = tempDir('enospc');
    let calls = 0;
    const fs: SpoolFs = {
      ...nodeFs,
      writeSync: ((fd: number, buf: Buffer, off: number, len: number) => {
        calls += 1;
        if (calls === 1) return nodeFs.writeSync(fd, buf, off, Math.floor(len / 2));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }) as SpoolFs['writeSync'],
    };
    const event = makeEvent({ kind: 'mcp_call', project: 'p', claude_session_id: 'c', server: 's', tool: 't', success: false, error: 'e'.repeat(9000) });
    expect(() => appendToSpool(dataDir, event, fs)).toThrow(SpoolWriteError);
    expect(() => appendToSpool(dataDir, event, fs)).toThrow(/the disk is full \(0 of \d+ bytes written\)/);
    appendToSpool(dataDir, event);
    const lines = readFileSync(spoolPaths(dataDir).live, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(() => JSON.parse(lines[0]!)).toThrow();
    expect(JSON.parse(lines[1]!)).toMatchObject({ event_id: event.event_id });
  });

  describe.skipIf(!isRoot)('on a 64 KiB tmpfs, with the database unreachable', () => {
    const mounts: string[] = [];
    afterAll(() => {
      for (const m of mounts) {
        try {
          execFileSync('umount', [m]);
        } catch {
          // already gone
        }
        rmSync(m, { recursive: true, force: true });
      }
    });

    it('an event bigger than the space left: "NOT kept" on stderr, exit 0, and never "kept"', async () => {
      const home = tempDir('tmpfs');
      const dataDir = join(home, 'data');
      mkdirSync(dataDir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dataDir]);
      mounts.push(dataDir);
      writeFileSync(join(dataDir, 'filler'), Buffer.alloc(56 * 1024));
      const s = scenario(home, 'postgres://postgres@127.0.0.1:1/closed', 'tmpfs');
      // About 15 KB of TodoWrite with 8 KB free.
      const big = todoWrite(s, Array.from({ length: 100 }, (_, i) => ({ content: `todo ${i} ${'t'.repeat(110)}`, status: 'pending' })));
      const r = await hook('post-tool-use', big, s.env);
      expect(r.code).toBe(0);
      expect(stderrLines(r)).toEqual([expect.stringMatching(/^claude-family post-tool-use: event NOT kept: the spool could not take it \(the disk is full \(\d+ of \d+ bytes written\)\) and .*nothing is listening/)]);
      expect(r.stderr).not.toMatch(/event kept/);
    });
  });
});
