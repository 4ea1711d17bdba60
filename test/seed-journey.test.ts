// Issue 22's journey, end to end with the built scripts as a user runs them, on both backends: the two seed
// notes put into a vault are stored by `vault sync`, marked `synced: true` with every other byte kept, found
// by `search`, and the session-end procedure reaches Claude at the prompt in project claude-family.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { CLI, createHookBackend, hookScript, runNode, type HookBackend } from './support/processes.js';

const SEEDS = resolve(import.meta.dirname, 'fixtures', 'seed-vault');
const NOTES = {
  end: '40-Procedures/Session Lifecycle - Session End.md',
  handoff: '40-Procedures/Session Handoff - Database Approach.md',
};

for (const backend of BACKENDS) {
  describe(`the seed notes from a vault to Claude [${backend}]`, { timeout: 120_000 }, () => {
    let b: HookBackend;
    let vault: string;
    beforeAll(async () => {
      b = await createHookBackend(backend);
      vault = mkdtempSync(join(tmpdir(), 'cf-seed-vault-'));
      for (const path of Object.values(NOTES)) {
        mkdirSync(dirname(join(vault, path)), { recursive: true });
        cpSync(join(SEEDS, path.split('/').pop()!), join(vault, path));
      }
    });
    afterAll(async () => {
      await b?.dispose();
      if (vault) rmSync(vault, { recursive: true, force: true });
    });

    const cli = (...args: string[]) => runNode(CLI, { args, env: { ...b.env, CLAUDE_FAMILY_PROJECT: 'claude-family' }, cwd: vault });

    it('stores them, marks them synced byte for byte, finds them, and delivers the session-end note at the prompt', async () => {
      const before = Object.fromEntries(Object.entries(NOTES).map(([k, p]) => [k, readFileSync(join(vault, p), 'utf8')]));
      for (const text of Object.values(before)) expect(text).toMatch(/^synced: false$/m);

      const sync = await cli('vault', 'sync', '--vault', vault, '--json');
      expect(sync.stderr).toBe('');
      expect(sync.code).toBe(0);

      for (const [k, path] of Object.entries(NOTES)) {
        const after = readFileSync(join(vault, path), 'utf8');
        const at = /^synced_at: "?([^"\n]+)"?$/m.exec(after)?.[1];
        expect(at && Number.isFinite(Date.parse(at))).toBe(true);
        // Only the owned lines changed: synced flipped, synced_at added right after it.
        expect(after.replace(/^synced_at: .*\n/m, '')).toBe(before[k]!.replace(/^synced: false$/m, 'synced: true'));
      }

      const found = await cli('search', 'session end save state', '--in', 'knowledge');
      expect(found.code).toBe(0);
      expect(found.stdout).toContain('Session Lifecycle - Session End');
      const handoff = await cli('search', 'handoff database', '--in', 'knowledge');
      expect(handoff.stdout).toContain('Session Handoff - Database Approach');

      const prompt = await runNode(hookScript('user-prompt-submit'), {
        stdin: JSON.stringify({ session_id: 'cc-seed-journey', cwd: vault, hook_event_name: 'UserPromptSubmit', prompt: 'how do I end a session and save state for the next one?' }),
        env: { ...b.env, CLAUDE_FAMILY_PROJECT: 'claude-family' },
      });
      expect(prompt.code).toBe(0);
      expect(prompt.stderr).toBe('');
      const context = (JSON.parse(prompt.stdout) as { hookSpecificOutput: { additionalContext: string } }).hookSpecificOutput.additionalContext;
      expect(context).toContain('## 1. Session Lifecycle - Session End');
      expect(context).toContain(`note: ${NOTES.end}`);

      // A second sync changes nothing in the vault.
      const marked = Object.values(NOTES).map((p) => readFileSync(join(vault, p), 'utf8'));
      expect((await cli('vault', 'sync', '--vault', vault)).code).toBe(0);
      expect(Object.values(NOTES).map((p) => readFileSync(join(vault, p), 'utf8'))).toEqual(marked);
    });
  });
}
