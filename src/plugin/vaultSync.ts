// The vault sync, live: the vault's create, modify, rename and delete events and the database's
// knowledge change notices schedule one sync (debounced); at start, once the layout is ready, a sync
// catches up on what changed while Obsidian was closed. The sync itself is src/core/vault/sync.ts, here
// fed through app.vault (vault.process for writes) and sliced so the UI never stalls.
import { Notice, TFile, normalizePath, type Vault } from 'obsidian';
import type { VaultFiles, VaultFileStat } from '../core/vault/files.js';
import { problemText, type SyncReport } from '../core/vault/report.js';
import { defaultScope, normalizeFolder, type SyncScope } from '../core/vault/scope.js';
import { syncVault, type SyncProgress } from '../core/vault/sync.js';
import type { Connection } from './connection.js';
import type { ClaudeFamilySettings } from './settings.js';
import { setFrontmatterKeys } from '../core/render/frontmatter.js';
import { ensureFolder } from './vaultFiles.js';

/** The sync's view of the vault through Obsidian's API. */
export function obsidianVaultFiles(vault: Vault): VaultFiles {
  const statOf = (f: TFile): VaultFileStat => ({ path: f.path, size: f.stat.size, mtimeMs: Math.trunc(f.stat.mtime) });
  const fileAt = (path: string): TFile | undefined => {
    const f = vault.getAbstractFileByPath(normalizePath(path));
    return f instanceof TFile ? f : undefined;
  };
  return {
    async list() {
      return vault.getMarkdownFiles().filter((f) => !f.path.split('/').some((p) => p.startsWith('.'))).map(statOf);
    },
    async read(path) {
      const f = fileAt(path);
      if (!f) throw new Error(`${path} is gone`);
      return new Uint8Array(await vault.readBinary(f));
    },
    async stat(path) {
      const f = fileAt(path);
      return f ? statOf(f) : undefined;
    },
    async write(path, update) {
      const f = fileAt(path);
      if (!f) {
        if (vault.getAbstractFileByPath(normalizePath(path))) return undefined;
        const next = update(undefined);
        if (next === undefined) return undefined;
        const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
        if (folder) await ensureFolder(vault, folder);
        return statOf(await vault.create(normalizePath(path), next));
      }
      // Read first: a note that would not change is not written at all (no modify event).
      const current = await vault.read(f);
      const planned = update(current);
      if (planned === undefined || planned === current) return undefined;
      let wrote = false;
      await vault.process(f, (data) => {
        const next = data === current ? planned : update(data);
        wrote = next !== undefined && next !== data;
        return wrote ? next! : data;
      });
      return wrote ? statOf(f) : undefined;
    },
  };
}

/**
 * Accepts a note held for review (`review: pending`, an entry Claude wrote): only that line is removed;
 * the modify event then syncs the entry as accepted.
 */
export async function acceptNote(vault: Vault, file: TFile): Promise<boolean> {
  let changed = false;
  await vault.process(file, (text) => {
    const next = setFrontmatterKeys(text, { review: undefined });
    changed = next !== text;
    return next;
  });
  return changed;
}

export function scopeFromSettings(s: ClaudeFamilySettings): SyncScope {
  return defaultScope({
    knowledgeFolder: s.knowledgeFolder,
    folders: s.vaultSyncFolders.split(',').map(normalizeFolder).filter((f) => f !== '' && !f.split('/').includes('..')),
    wholeVault: s.vaultSyncWholeVault,
    excluded: [s.handoffFolder, s.sessionsFolder],
  });
}

/** How the plugin slices a sync: at most this long between two turns of the UI's event loop, and notes per transaction. */
export const PLUGIN_SLICE_MS = 8;
export const PLUGIN_BATCH_SIZE = 100;

export interface VaultSyncDeps {
  vault: Vault;
  connection: Connection;
  settings: () => ClaudeFamilySettings;
  /** A sync that failed: reported once per kind of failure. */
  onError: (err: unknown) => void;
  /** After each sync (the status bar's tooltip line). */
  onReport?: (report: SyncReport) => void;
  debounceMs?: number;
}

/** The status bar tooltip's line: notes synced, waiting, with problems. */
export function vaultStatusLine(state: { report?: SyncReport; waiting: boolean; running: boolean; error?: string }): string {
  if (state.error) return `Vault sync: failed (${state.error})`;
  if (!state.report) return state.running ? 'Vault sync: first sync under way' : 'Vault sync: not run yet';
  const r = state.report;
  const synced = r.unchanged + r.inserted + r.updated;
  const parts = [`${synced} note(s) synced`, `${state.waiting || state.running ? 'changes waiting' : 'none waiting'}`, `${r.problems.length} with problems`];
  if (r.conflicts.length > 0) parts.push(`${r.conflicts.length} conflict(s)`);
  return `Vault sync: ${parts.join(', ')}`;
}

export class VaultSync {
  private timer?: number;
  private running?: Promise<SyncReport | undefined>;
  private again = false;
  private stopped = false;
  private ready = false;
  last?: SyncReport;
  lastError?: string;
  /** How many syncs ran (tests). */
  runs = 0;

  constructor(private readonly deps: VaultSyncDeps) {}

  private get enabled(): boolean {
    return !this.stopped && this.deps.settings().vaultSync;
  }

  /** The events that can change what syncs. Obsidian fires `create` for every file at startup: those wait for the catch-up. */
  register(register: (ref: ReturnType<Vault['on']>) => void): void {
    const { vault } = this.deps;
    const onFile = (file: { path: string }) => {
      if (this.ready && /\.md$/i.test(file.path)) this.schedule();
    };
    register(vault.on('create', onFile));
    register(vault.on('modify', onFile));
    register(vault.on('delete', onFile));
    register(vault.on('rename', (file, oldPath) => {
      if (this.ready && (/\.md$/i.test(file.path) || /\.md$/i.test(oldPath))) this.schedule();
    }));
  }

  /** The layout is ready: catch up on what changed while Obsidian was closed. */
  start(): void {
    this.ready = true;
    if (this.enabled) this.schedule(0);
  }

  /** A knowledge entry changed in the database (a NOTIFY), or something may have (a poll). */
  onChange(): void {
    if (this.ready) this.schedule();
  }

  get waiting(): boolean {
    return this.timer !== undefined || this.again;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  statusLine(): string {
    return vaultStatusLine({ report: this.last, waiting: this.waiting, running: this.busy, error: this.lastError });
  }

  schedule(delayMs = this.deps.debounceMs ?? 2000): void {
    if (!this.enabled) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      void this.run().catch(() => {});
    }, delayMs);
  }

  /** Runs a sync now (one at a time; a change during one runs one more after it). */
  async run(onProgress?: (p: SyncProgress) => void): Promise<SyncReport | undefined> {
    while (this.running) await this.running;
    if (!this.enabled) return undefined;
    window.clearTimeout(this.timer);
    this.timer = undefined;
    this.again = false;
    this.running = this.once(onProgress).finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.schedule();
      }
    });
    return this.running;
  }

  private async once(onProgress?: (p: SyncProgress) => void): Promise<SyncReport | undefined> {
    const settings = this.deps.settings();
    try {
      const report = await this.deps.connection.run((db) =>
        syncVault({
          db,
          files: obsidianVaultFiles(this.deps.vault),
          scope: scopeFromSettings(settings),
          markAll: settings.vaultSyncMarkAll,
          onProgress,
          yieldNow: () => new Promise<void>((r) => window.setTimeout(r, 0)),
          sliceMs: PLUGIN_SLICE_MS,
          batchSize: PLUGIN_BATCH_SIZE,
        }),
      );
      this.runs += 1;
      this.last = report;
      this.lastError = undefined;
      this.deps.onReport?.(report);
      for (const c of report.conflicts) new Notice(`Claude Family: ${c.path} and its database entry both changed. Your note is kept; the database's version is in ${c.conflictPath}.`, 15_000);
      return report;
    } catch (err) {
      this.lastError = (err as Error)?.message ?? String(err);
      this.deps.onError(err);
      return undefined;
    }
  }

  /** The "Sync vault to Claude" command: a sync now, with a progress notice. */
  async runWithNotice(): Promise<void> {
    const notice = new Notice('Claude Family: syncing the vault…', 0);
    const report = await this.run((p) => notice.setMessage(`Claude Family: syncing the vault: ${p.phase} ${p.done}/${p.total}`));
    if (!report) {
      notice.setMessage(this.enabled ? `Claude Family: vault sync failed: ${this.lastError ?? 'unknown error'}` : 'Claude Family: vault sync is off (see the settings).');
    } else {
      const lines = [`Claude Family: vault synced: ${report.inserted} new, ${report.updated} updated, ${report.archived} archived, ${report.notesCreated.length + report.notesUpdated.length} note(s) written from entries, ${report.problems.length} problem(s).`];
      for (const p of report.problems.slice(0, 5)) lines.push(problemText(p));
      notice.setMessage(lines.join('\n'));
    }
    window.setTimeout(() => notice.hide(), 10_000);
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
