// @vitest-environment happy-dom
// The plugin's live vault sync through the Obsidian fake, on both database kinds: the catch-up at
// start (after the startup `create` events), a second sync that writes nothing, the vault's modify,
// rename and delete events, an entry made elsewhere arriving by NOTIFY, the command and the tooltip.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as O from 'obsidian';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { openPostgres } from '../src/core/db/pg.js';
import type { Db } from '../src/core/db/db.js';
import { upsertKnowledge } from '../src/core/repos/knowledge.js';
import ClaudeFamilyPlugin from '../src/plugin/main.js';
import { App, TFile, notices, type Plugin as FakePlugin } from './fakes/obsidian.js';
import { describeEachBackend } from './support/backends.js';
import { attachDataDir } from './support/embeddedServer.js';

const manifest: O.PluginManifest = { id: 'claude-family', name: 'Claude Family', version: '0.1.0', minAppVersion: '1.11.4', description: '', author: '' };
vi.setConfig({ testTimeout: 180_000 });
const SEEDS = resolve(import.meta.dirname, 'fixtures', 'seed-vault');
const END = '40-Procedures/Session Lifecycle - Session End.md';
const HANDOFF = '40-Procedures/Session Handoff - Database Approach.md';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeEachBackend('plugin vault sync', (ctx, backend) => {
  let app: App;
  let plugin: ClaudeFamilyPlugin;
  let other: Db;
  let dataDir: string | undefined;
  const entry = async (path: string) =>
    (await other.query<{ knowledge_id: string; pattern_name: string; archived_at: Date | null; source_note_path: string }>(`SELECT knowledge_id, pattern_name, archived_at, source_note_path FROM claude.knowledge WHERE source_note_path = $1 ORDER BY archived_at NULLS FIRST`, [path])).rows[0];
  const file = (path: string) => app.vault.getFileByPath(path) as TFile;

  beforeAll(async () => {
    const t = ctx();
    other = openPostgres({ connectionString: t.url });
    let base: Record<string, unknown>;
    if (backend === 'postgres') base = { mode: 'postgres', connectionString: t.url };
    else {
      dataDir = mkdtempSync(join(tmpdir(), 'cf-vault-plugin-'));
      attachDataDir(dataDir, t.name);
      base = { mode: 'embedded', dataDir };
    }
    app = new App();
    await app.vault.seed(END, readFileSync(join(SEEDS, 'Session Lifecycle - Session End.md'), 'utf8'));
    await app.vault.seed(HANDOFF, readFileSync(join(SEEDS, 'Session Handoff - Database Approach.md'), 'utf8'));
    await app.vault.seed('Diary/Today.md', '# Private\n');
    await app.vault.seed('Claude/Handoff/p.md', '---\nprojects: [p]\n---\nwritten by the plugin\n');
    plugin = new ClaudeFamilyPlugin(app as unknown as O.App, manifest);
    (plugin as unknown as FakePlugin).data = { ...base, refreshSeconds: 3600, autoWriteNotes: false };
    await app.enablePlugin(plugin);
  });

  afterAll(async () => {
    plugin?.unload();
    await plugin?.connection.close();
    await other?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('catches up at start: the seed notes are stored and marked, nothing else is touched', async () => {
    const before = readFileSync(join(SEEDS, 'Session Lifecycle - Session End.md'), 'utf8');
    await until(async () => (await entry(END)) !== undefined && (await entry(HANDOFF)) !== undefined && app.vault.contents.get(END)!.includes('synced: true'), 'the catch-up sync');
    const after = app.vault.contents.get(END)!;
    const at = /synced_at: "([^"]+)"/.exec(after)![1]!;
    expect(after).toBe(before.replace('synced: false\n', `synced: true\nsynced_at: "${at}"\n`));
    expect(await entry('Claude/Handoff/p.md')).toBeUndefined();
    expect(await entry('Diary/Today.md')).toBeUndefined();
    expect(app.vault.writes.get('Diary/Today.md')).toBe(1);
  });

  it('a second sync writes nothing', async () => {
    await until(() => !plugin.vaultSync.busy && !plugin.vaultSync.waiting, 'the syncs to settle');
    const writes = new Map(app.vault.writes);
    const rows = (await other.query(`SELECT knowledge_id, xmin::text FROM claude.knowledge ORDER BY 1`)).rows;
    const r = await plugin.vaultSync.run();
    expect(r).toMatchObject({ inserted: 0, updated: 0, archived: 0, marked: 0, notesCreated: [], notesUpdated: [] });
    expect(app.vault.writes).toEqual(writes);
    expect((await other.query(`SELECT knowledge_id, xmin::text FROM claude.knowledge ORDER BY 1`)).rows).toEqual(rows);
  });

  it('modify, rename and delete events reach the database', async () => {
    const id = (await entry(HANDOFF))!.knowledge_id;
    await app.vault.modify(file(HANDOFF), app.vault.contents.get(HANDOFF)!.replace('**Problem Solved**', '**Problem Solved, edited**'));
    await until(async () => (await other.query<{ body: string }>(`SELECT body FROM claude.knowledge WHERE knowledge_id = $1`, [id])).rows[0]!.body.includes('edited'), 'the edit');
    await app.vault.createFolder('Moved');
    await app.vault.rename(file(HANDOFF), 'Moved/Handoff.md');
    await until(async () => (await entry('Moved/Handoff.md'))?.knowledge_id === id, 'the rename');
    await app.vault.delete(file('Moved/Handoff.md'));
    await until(async () => (await entry('Moved/Handoff.md'))?.archived_at !== null, 'the archive');
  });

  it('an entry made elsewhere arrives as a note held for review; the command syncs with a notice; the tooltip has a line', async () => {
    await upsertKnowledge(other, { patternName: 'Made by MCP', category: 'x', description: 'Written by Claude.' });
    const path = 'Claude/Knowledge/Made by MCP.md';
    await until(() => app.vault.contents.get(path) !== undefined, 'the note for the new entry');
    expect(app.vault.contents.get(path)).toContain('review: pending');
    app.workspace.activeFile = file(path);
    expect(app.isCommandAvailable('claude-family:accept-knowledge-note')).toBe(true);
    const pending = app.vault.contents.get(path)!;
    await app.executeCommandById('claude-family:accept-knowledge-note');
    expect(app.vault.contents.get(path)).toBe(pending.replace('review: pending\n', ''));
    await until(async () => (await other.query<{ review: string }>(`SELECT review FROM claude.knowledge WHERE pattern_name = 'Made by MCP' AND archived_at IS NULL`)).rows[0]?.review === 'accepted', 'the entry accepted');
    expect(app.isCommandAvailable('claude-family:accept-knowledge-note')).toBe(false);
    notices.length = 0;
    await app.executeCommandById('claude-family:sync-vault');
    expect(notices.join('\n')).toMatch(/vault synced/);
    await plugin.statusBar.refresh();
    expect(app.statusBarItems[0]!.getAttribute('aria-label')).toMatch(/Vault sync: \d+ note\(s\) synced/);
  });
});
