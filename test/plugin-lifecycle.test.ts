// @vitest-environment happy-dom
// The fake keeps Obsidian's lifecycle (layout ready after the plugins loaded, children load with their
// parent, registered events and timers end with the component), and the plugin uses it: no database
// before the layout is ready, nothing left running after unload. No database needed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as O from 'obsidian';
import { afterEach, describe, expect, it } from 'vitest';
import ClaudeFamilyPlugin from '../src/plugin/main.js';
import { App, Component, type Plugin as FakePlugin } from './fakes/obsidian.js';

const manifest: O.PluginManifest = { id: 'claude-family', name: 'Claude Family', version: '0.1.0', minAppVersion: '1.11.4', description: '', author: '' };

describe('the Obsidian fake keeps Obsidian\'s lifecycle', () => {
  it('runs onLayoutReady callbacks after the plugin loaded, and at once when the layout is ready', async () => {
    const app = new App();
    const order: string[] = [];
    class P extends Component {
      override async onload(): Promise<void> {
        app.workspace.onLayoutReady(() => order.push('layout ready'));
        await Promise.resolve();
        order.push('onload done');
      }
    }
    await app.enablePlugin(new P() as unknown as O.Plugin);
    expect(order).toEqual(['onload done', 'layout ready']);
    app.workspace.onLayoutReady(() => order.push('late'));
    expect(order.at(-1)).toBe('late');
  });

  it('loads a child with its parent, and unloads children, events and intervals with it', () => {
    const parent = new Component();
    const child = new Component();
    parent.addChild(child);
    expect(child.loaded).toBe(false);
    parent.load();
    expect(child.loaded).toBe(true);
    const late = parent.addChild(new Component());
    expect(late.loaded).toBe(true);
    const app = new App();
    let calls = 0;
    parent.registerEvent(app.workspace.on('layout-change', () => (calls += 1)));
    app.workspace.trigger('layout-change');
    parent.unload();
    app.workspace.trigger('layout-change');
    expect(calls).toBe(1);
    expect(child.loaded).toBe(false);
  });
});

describe('the plugin\'s startup and shutdown', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('touches no database before the layout is ready, and leaves nothing behind when unloaded', async () => {
    const app = new App();
    const plugin = new ClaudeFamilyPlugin(app as unknown as O.App, manifest);
    // A server nobody listens on: any connection attempt would show as "offline" in the status bar.
    (plugin as unknown as FakePlugin).data = { mode: 'postgres', connectionString: 'postgres://cf@127.0.0.1:1/nowhere', projects: 'p', refreshSeconds: 3600 };
    await (plugin as unknown as Component).loadAndWait();
    expect(app.workspace.listeners('layout-change')).toBe(1);
    expect(plugin.statusBar.el.textContent).toBe('');
    expect((plugin.connection as unknown as { watches: Set<unknown> }).watches.size).toBe(0);
    app.workspace.setLayoutReady();
    expect((plugin.connection as unknown as { watches: Set<unknown> }).watches.size).toBe(1);
    // onunload is synchronous: the watch and the workspace listeners are gone when unload returns.
    plugin.unload();
    expect((plugin.connection as unknown as { watches: Set<unknown> }).watches.size).toBe(0);
    expect(app.workspace.listeners('layout-change')).toBe(0);
    await plugin.connection.close();
  });

  it('follows the hooks\' config file by default on a first start when that file exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-hooks-config-'));
    try {
      delete process.env.CLAUDE_FAMILY_DATABASE_URL;
      process.env.CLAUDE_FAMILY_CONFIG = join(dir, 'config.json');
      const fresh = async (data: unknown) => {
        const app = new App();
        const plugin = new ClaudeFamilyPlugin(app as unknown as O.App, manifest);
        (plugin as unknown as FakePlugin).data = data;
        await (plugin as unknown as Component).loadAndWait();
        plugin.unload();
        await plugin.connection.close();
        return plugin.settings.mode;
      };
      expect(await fresh(null)).toBe('embedded');
      writeFileSync(process.env.CLAUDE_FAMILY_CONFIG, JSON.stringify({ dataDir: join(dir, 'data') }));
      expect(await fresh(null)).toBe('hooks');
      // A choice the user made is kept.
      expect(await fresh({ mode: 'embedded' })).toBe('embedded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
