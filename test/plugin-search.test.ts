// @vitest-environment happy-dom
// "Search Claude memory" against the Obsidian fake on both backends: results as you type (debounced: one
// database search for a burst of keystrokes), a knowledge entry opens as a note, a session opens its note.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as O from 'obsidian';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { parseNote } from '../src/core/render/generatedSection.js';
import { upsertKnowledge } from '../src/core/repos/knowledge.js';
import { closeSession, openSession } from '../src/core/repos/sessions.js';
import type { SearchHit } from '../src/core/search/search.js';
import ClaudeFamilyPlugin from '../src/plugin/main.js';
import type { MemorySearchModal } from '../src/plugin/searchModal.js';
import { App, openModals, type Plugin as FakePlugin } from './fakes/obsidian.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';
import { attachDataDir } from './support/embeddedServer.js';

const manifest: O.PluginManifest = { id: 'claude-family', name: 'Claude Family', version: '0.1.0', minAppVersion: '1.5.0', description: '', author: '' };
vi.setConfig({ testTimeout: 180_000 });

describeEachBackend('Obsidian: Search Claude memory', (ctx, backend) => {
  let app: App;
  let plugin: ClaudeFamilyPlugin;
  const project = uniqueProject('vault-search');
  const tag = project.replace(/[^a-z0-9]/gi, '');
  let knowledgeId: string;
  let sessionId: string;
  let dataDir: string | undefined;

  beforeAll(async () => {
    const t = ctx();
    ({ knowledgeId, sessionId } = await (async () => {
      const k = await upsertKnowledge(t.db, { patternName: `Snapshot ${tag}`, category: 'testing', description: `Compare ${tag} output with a stored snapshot` });
      const { session } = await openSession(t.db, { projectName: project, claudeSessionId: `cc-${tag}` });
      await closeSession(t.db, { sessionId: session.session_id, summary: `Added snapshot ${tag} tests`, learningsGained: ['snapshots drift'] });
      return { knowledgeId: k.knowledge.knowledge_id, sessionId: session.session_id };
    })());
    let base: Record<string, unknown> = { mode: 'postgres', connectionString: t.url, refreshSeconds: 3600, autoWriteNotes: false };
    if (backend === 'embedded') {
      dataDir = mkdtempSync(join(tmpdir(), 'cf-search-data-'));
      attachDataDir(dataDir, t.name);
      base = { mode: 'embedded', dataDir, refreshSeconds: 3600, autoWriteNotes: false };
    }
    app = new App();
    plugin = new ClaudeFamilyPlugin(app as unknown as O.App, manifest);
    (plugin as unknown as FakePlugin).data = { ...base, projects: project };
    await app.enablePlugin(plugin);
    // Let the status bar's first refresh (after layout ready) finish: the test below counts database uses.
    const deadline = Date.now() + 60_000;
    while (!app.statusBarItems[0]?.textContent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  });

  afterAll(async () => {
    plugin?.unload();
    await plugin?.connection.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('searches as you type, once per burst of keystrokes, and opens what is chosen', async () => {
    await app.executeCommandById('claude-family:search-memory');
    const modal = openModals.at(-1) as unknown as MemorySearchModal;
    const run = vi.spyOn(plugin.connection, 'run');
    expect(await modal.getSuggestions('   ')).toEqual([]);
    const typed = [modal.getSuggestions('sna'), modal.getSuggestions(`snapshot ${tag.slice(0, 8)}`), modal.getSuggestions(`snapshot ${tag}`)];
    const [first, second, last] = await Promise.all(typed);
    expect(first).toEqual([]);
    expect(second).toEqual([]);
    expect(run).toHaveBeenCalledTimes(1);
    expect(last!.map((h) => h.id).sort()).toEqual([knowledgeId, sessionId].sort());
    expect(last![0]).toMatchObject({ kind: 'knowledge', id: knowledgeId });

    const el = document.createElement('div');
    modal.renderSuggestion(last![0]!, el);
    expect(el.textContent).toContain(`Knowledge: Snapshot ${tag}`);
    // The matched words of the snippet are in <strong>.
    expect(Array.from(el.querySelectorAll('strong')).map((b) => b.textContent)).toContain(tag);

    const opened = async (hit: SearchHit, path: RegExp) => {
      modal.selectSuggestion(hit, new MouseEvent('click'));
      const deadline = Date.now() + 60_000;
      while (!path.test(app.workspace.getActiveFile()?.path ?? '')) {
        if (Date.now() > deadline) throw new Error(`${path} was not opened`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return app.vault.contents.get(app.workspace.getActiveFile()!.path)!;
    };
    const knowledgeNote = await opened(last!.find((h) => h.kind === 'knowledge')!, new RegExp(`^Claude/Knowledge/Snapshot ${tag}\\.md$`));
    expect(parseNote(knowledgeNote).data).toMatchObject({ knowledge_id: knowledgeId, category: 'testing' });
    const sessionNote = await opened(last!.find((h) => h.kind === 'session')!, new RegExp(`^Claude/Sessions/.* ${sessionId.slice(0, 8)}\\.md$`));
    expect(sessionNote).toContain(`Added snapshot ${tag} tests`);
    expect(parseNote(sessionNote).data).toMatchObject({ session_id: sessionId, project });
    run.mockRestore();
  });
});
