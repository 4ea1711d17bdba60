// @vitest-environment happy-dom
// The built main.js (what a user drops into .obsidian/plugins/claude-family/) loads in Node with
// `obsidian` stubbed by a CommonJS bundle of the fake, registers its commands, and runs one against
// the embedded database with the PGlite wasm and data inlined in main.js (nothing beside it to load).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../src/core/db/pglite.js';
import { migrate } from '../src/core/db/migrate.js';
import { openSession } from '../src/core/repos/sessions.js';
import { addTodo } from '../src/core/repos/todos.js';
import type * as Fake from './fakes/obsidian.js';

const ROOT = resolve(import.meta.dirname, '..');
const MAIN_JS = join(ROOT, 'main.js');
const require = createRequire(import.meta.url);

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };

describe('the built main.js', () => {
  let dir: string;
  let fake: typeof Fake;
  let originalResolve: ResolveFilename;

  beforeAll(async () => {
    if (!existsSync(MAIN_JS)) throw new Error('main.js is missing: run `npm run build` (npm test does) first');
    dir = mkdtempSync(join(tmpdir(), 'cf-mainjs-'));
    const fakeCjs = join(dir, 'obsidian.cjs');
    await esbuild.build({
      entryPoints: [join(ROOT, 'test/fakes/obsidian.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: fakeCjs,
      logLevel: 'silent',
    });
    originalResolve = moduleInternals._resolveFilename;
    moduleInternals._resolveFilename = function (request, parent, isMain, options) {
      if (request === 'obsidian') return fakeCjs;
      return originalResolve.call(this, request, parent, isMain, options);
    };
    fake = require(fakeCjs) as typeof Fake;
  });

  afterAll(() => {
    if (originalResolve) moduleInternals._resolveFilename = originalResolve;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads with obsidian stubbed, registers its commands and writes a handoff note from the embedded database', async () => {
    // A hook-like writer fills the embedded database first (PGlite from node_modules, as the hooks use it).
    const dataDir = join(dir, 'data');
    const seed = await openPglite({ dataDir: join(dataDir, 'pglite') });
    try {
      await migrate(seed);
      const { session } = await openSession(seed, { projectName: 'bundle-project' });
      await addTodo(seed, { projectId: session.project_id, content: 'Read from the bundled PGlite' });
    } finally {
      await seed.close();
    }

    // Installed as a user would: the three files in .obsidian/plugins/claude-family/ (outside this
    // package, so Node reads main.js as the CommonJS it is, like Obsidian does).
    const pluginDir = join(dir, 'vault', '.obsidian', 'plugins', 'claude-family');
    mkdirSync(pluginDir, { recursive: true });
    for (const f of ['main.js', 'manifest.json', 'styles.css']) copyFileSync(join(ROOT, f), join(pluginDir, f));
    const { default: PluginClass } = require(join(pluginDir, 'main.js')) as { default: new (app: unknown, manifest: unknown) => Fake.Plugin & { onload(): Promise<void>; onunload(): Promise<void> } };
    expect(typeof PluginClass).toBe('function');
    const app = new fake.App();
    const plugin = new PluginClass(app, { id: 'claude-family', name: 'Claude Family', version: '0.1.0', minAppVersion: '1.5.0', description: '', author: '' });
    plugin.data = { mode: 'embedded', dataDir, projects: 'bundle-project', refreshSeconds: 3600 };
    await plugin.onload();
    try {
      expect([...app.commands.keys()].sort()).toEqual(
        ['add-todo', 'promote-note-to-knowledge', 'refresh', 'search-memory', 'sync-session-notes', 'write-handoff-note', 'write-knowledge-note'].map((c) => `claude-family:${c}`),
      );
      expect(app.codeBlockProcessors.has('claude-handoff')).toBe(true);
      expect(app.ribbonIcons.map((r) => r.icon)).toEqual(['history']);

      await app.executeCommandById('claude-family:write-handoff-note');
      expect(fake.notices.at(-1)).toMatch(/Handoff bundle-project\.md created/);
      expect(app.vault.contents.get('Claude/Handoff/Handoff bundle-project.md')).toContain('Read from the bundled PGlite');
    } finally {
      plugin.unload();
      await plugin.onunload();
    }
    // Reported in the README and the hand-over: main.js carries PGlite's assets gzipped.
    expect(statSync(MAIN_JS).size).toBeLessThan(12 * 1024 * 1024);
  });
});
