// @vitest-environment happy-dom
// The built main.js as Obsidian runs it: in an Electron renderer (process.type === 'renderer', where
// libraries may take the environment for a browser), with no node on PATH (Obsidian started from the
// macOS Dock has a minimal PATH), `obsidian` stubbed by a CommonJS bundle of the fake. The local server was created by the
// CLI and is stopped: the plugin starts it from server.json alone, shows a live handoff from it, and
// follows a hook's write by LISTEN/NOTIFY.
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStatus, stopLocalServer } from '../src/core/db/localServer.js';
import type * as Fake from './fakes/obsidian.js';
import { reachableTempDir } from './support/embeddedServer.js';
import { baseEnv, CLI, hookScript, runNode } from './support/processes.js';

const ROOT = resolve(import.meta.dirname, '..');
const MAIN_JS = join(ROOT, 'main.js');
const require = createRequire(import.meta.url);

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the built main.js in an Electron renderer', { timeout: 180_000 }, () => {
  let dir: string;
  let dataDir: string;
  let fake: typeof Fake;
  let originalResolve: ResolveFilename;
  const typeBefore = Object.getOwnPropertyDescriptor(process, 'type');
  const pathBefore = process.env.PATH;

  beforeAll(async () => {
    if (!existsSync(MAIN_JS)) throw new Error('main.js is missing: run `npm run build` (npm test does) first');
    dir = reachableTempDir('cf-mainjs-');
    dataDir = join(dir, 'data');
    const fakeCjs = join(dir, 'obsidian.cjs');
    await esbuild.build({ entryPoints: [join(ROOT, 'test/fakes/obsidian.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: fakeCjs, logLevel: 'silent' });
    originalResolve = moduleInternals._resolveFilename;
    moduleInternals._resolveFilename = function (request, parent, isMain, options) {
      if (request === 'obsidian') return fakeCjs;
      return originalResolve.call(this, request, parent, isMain, options);
    };
    fake = require(fakeCjs) as typeof Fake;
  });

  afterAll(async () => {
    if (typeBefore) Object.defineProperty(process, 'type', typeBefore);
    else delete (process as { type?: string }).type;
    process.env.PATH = pathBefore;
    if (originalResolve) moduleInternals._resolveFilename = originalResolve;
    if (dataDir) await stopLocalServer(dataDir);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts the stopped local server from server.json, renders a live handoff block and follows a hook write', async () => {
    // The user's first steps outside Obsidian: the CLI creates the server, a Claude Code session writes.
    const env = { ...baseEnv(dir), CLAUDE_FAMILY_DATA_DIR: dataDir, CLAUDE_FAMILY_PROJECT: 'bundle-project' };
    expect((await runNode(CLI, { args: ['db', 'start'], env })).code).toBe(0);
    const post = (content: string) =>
      runNode(hookScript('post-tool-use'), { stdin: JSON.stringify({ session_id: 'cc-bundle', tool_name: 'TodoWrite', tool_input: { todos: [{ content, status: 'pending' }] } }), env });
    expect((await post('Read from the local server')).code).toBe(0);
    expect((await runNode(CLI, { args: ['db', 'stop'], env })).code).toBe(0);
    expect(localStatus(dataDir).running).toBe(false);

    // Obsidian as it really runs: a renderer process, and a PATH with no node on it (from the macOS Dock
    // it is /usr/bin:/bin:/usr/sbin:/sbin; here node itself is in /usr/bin, so an empty folder proves more).
    Object.defineProperty(process, 'type', { value: 'renderer', configurable: true, writable: true });
    const emptyBin = join(dir, 'empty-bin');
    mkdirSync(emptyBin);
    process.env.PATH = emptyBin;

    // Installed as a user would: the three files in .obsidian/plugins/claude-family/.
    const pluginDir = join(dir, 'vault', '.obsidian', 'plugins', 'claude-family');
    mkdirSync(pluginDir, { recursive: true });
    for (const f of ['main.js', 'manifest.json', 'styles.css']) copyFileSync(join(ROOT, f), join(pluginDir, f));
    const { default: PluginClass } = require(join(pluginDir, 'main.js')) as { default: new (app: unknown, manifest: unknown) => Fake.Plugin & { connection: { close(): Promise<void> } } };
    expect(typeof PluginClass).toBe('function');
    const app = new fake.App();
    const plugin = new PluginClass(app, { id: 'claude-family', name: 'Claude Family', version: '0.1.0', minAppVersion: '1.11.4', description: '', author: '' });
    plugin.data = { mode: 'embedded', dataDir, projects: 'bundle-project', refreshSeconds: 3600 };
    await app.enablePlugin(plugin);
    try {
      expect([...app.commands.keys()].sort()).toEqual(
        ['accept-knowledge-note', 'add-todo', 'open-overview', 'promote-note-to-knowledge', 'refresh', 'search-memory', 'sync-session-notes', 'sync-vault', 'write-handoff-note', 'write-knowledge-note'].map((c) => `claude-family:${c}`),
      );
      expect(app.codeBlockProcessors.has('claude-handoff')).toBe(true);
      expect(app.ribbonIcons.map((r) => r.icon)).toEqual(['history', 'layout-dashboard']);

      const { el, ctx } = await fake.renderCodeBlock(app, 'claude-handoff', 'project: bundle-project\nsections: todos');
      await until(() => el.textContent!.includes('Read from the local server'), 'the block to show the todo');
      expect(localStatus(dataDir).running).toBe(true);

      // The all-projects view, opened by its command: the project's card, live by NOTIFY like the block.
      await app.executeCommandById('claude-family:open-overview');
      const overview = app.workspace.getLeavesOfType('claude-family-overview')[0]!.view as Fake.ItemView;
      const card = () => overview.contentEl.querySelector('[data-project-card="bundle-project"]')?.textContent ?? '';
      await until(() => card().includes('1 pending'), 'the overview to show the project');
      expect(overview.contentEl.querySelectorAll('.claude-family-chart svg').length).toBeGreaterThanOrEqual(2);

      // A hook writes (a separate Node process, with the shell's PATH): the block follows by NOTIFY.
      process.env.PATH = pathBefore;
      const readsBefore = (overview as unknown as { reads: number }).reads;
      expect((await post('Written while Obsidian watched')).code).toBe(0);
      await until(() => el.textContent!.includes('Written while Obsidian watched'), 'the block to follow the hook write');
      await until(() => (overview as unknown as { reads: number }).reads > readsBefore, 'the overview to follow the hook write');
      expect(card()).toContain('1 pending');
      ctx.unload();
    } finally {
      // Obsidian's unload is synchronous; the connection finishes closing in the background.
      plugin.unload();
      await plugin.connection.close();
    }
    // No database engine inside: main.js is only the glue, pg and the renderers.
    expect(statSync(MAIN_JS).size).toBeLessThan(1024 * 1024);
  });
});
