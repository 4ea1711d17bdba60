// One vault sync: scan -> parse -> plan -> apply, shared by the plugin (live) and the CLI. Work is done
// in slices that yield to the caller's event loop (the plugin's UI never stalls), and progress is
// reported as it goes. Database writes come first, one transaction per batch; then the vault writes:
// new notes for entries made elsewhere, notes updated from their entries, and the `synced` marks, each
// written only when the note on disk still is the one that was read.
import type { Db } from '../db/db.js';
import type { VaultFiles, VaultFileStat } from './files.js';
import { contentHash, decodeUtf8, frontmatterKeys, markSynced, parseNoteBytes, parseNoteText, MAX_NOTE_BYTES, type NoteProblem } from './note.js';
import { planIsEmpty, planSync, type EntryState, type NoteState, type SyncPlan } from './plan.js';
import { emptyReport, type SyncReport } from './report.js';
import { renderEntryNote, updateNoteFromEntry } from './render.js';
import { inScope, inScopeByPath, neverSynced, type SyncScope } from './scope.js';
import { applyBatch, loadEntryContents, loadEntryStates, recordNoteFromEntry, recordStats, type NoteWrite } from './store.js';

export interface SyncProgress {
  phase: 'scan' | 'store' | 'write';
  done: number;
  total: number;
}

export interface SyncOptions {
  files: VaultFiles;
  db: Db;
  scope: SyncScope;
  /** Re-read and re-store every note (the size+mtime shortcut off). */
  force?: boolean;
  /** Add `synced`/`synced_at` to notes that have no `synced:` key. */
  markAll?: boolean;
  /** Plan only: nothing is written anywhere. */
  dryRun?: boolean;
  /** The clock (tests). */
  now?: () => Date;
  onProgress?: (p: SyncProgress) => void;
  /** Gives the event loop a turn (the plugin: a zero timeout; the CLI: setImmediate). */
  yieldNow?: () => Promise<void>;
  /** Longest stretch of work between two turns, in ms (default 15). */
  sliceMs?: number;
  /** Vault writes (the `synced` marks) under way at once (default 8). */
  writeConcurrency?: number;
  /** Notes per database transaction (default 500). */
  batchSize?: number;
}

function slicer(options: SyncOptions): () => Promise<void> {
  const budget = options.sliceMs ?? 15;
  const yieldNow = options.yieldNow ?? (() => new Promise<void>((r) => setTimeout(r, 0)));
  let since = performance.now();
  return async () => {
    if (performance.now() - since < budget) return;
    await yieldNow();
    since = performance.now();
  };
}

function lossyKeys(bytes: Uint8Array): ReadonlyMap<string, string> {
  return frontmatterKeys(new TextDecoder('utf-8').decode(bytes.subarray(0, 65536)));
}

/** Reads what must be read: a note whose size and mtime match the last sync is taken as unchanged. */
async function scanNotes(options: SyncOptions, list: VaultFileStat[], entries: EntryState[], tick: () => Promise<void>): Promise<NoteState[]> {
  const { scope } = options;
  const byPath = new Map(entries.filter((e) => e.path !== null).map((e) => [e.path!, e]));
  const states: NoteState[] = [];
  let done = 0;
  for (const f of list) {
    await tick();
    done += 1;
    if (done % 250 === 0) options.onProgress?.({ phase: 'scan', done, total: list.length });
    if (neverSynced(f.path, scope)) continue;
    const row = byPath.get(f.path);
    if (!options.force && !options.markAll && row && row.noteSize === f.size && row.noteMtimeMs === f.mtimeMs && row.contentHash !== null && inScopeByPath(f.path, scope)) {
      states.push({ kind: 'unchanged', path: f.path, size: f.size, mtimeMs: f.mtimeMs });
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await options.files.read(f.path);
    } catch {
      continue; // Gone since it was listed.
    }
    // Decoded once: a note too large or not UTF-8 is reported only when it is in scope (its keys read loosely).
    const text = bytes.byteLength > MAX_NOTE_BYTES ? undefined : decodeUtf8(bytes);
    if (text === undefined) {
      if (!inScope(f.path, lossyKeys(bytes), scope)) continue;
      const parsed = parseNoteBytes(f.path, bytes);
      if (!parsed.ok) states.push({ kind: 'problem', path: f.path, problem: parsed.problem });
      continue;
    }
    if (!inScope(f.path, frontmatterKeys(text), scope)) continue;
    states.push({ kind: 'note', path: f.path, size: f.size, mtimeMs: f.mtimeMs, note: parseNoteText(f.path, text) });
  }
  options.onProgress?.({ phase: 'scan', done: list.length, total: list.length });
  return states;
}

function today(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export async function planVaultSync(options: SyncOptions): Promise<{ plan: SyncPlan; entries: EntryState[]; list: VaultFileStat[] }> {
  const tick = slicer(options);
  const list = await options.files.list();
  const entries = await loadEntryStates(options.db);
  const states = await scanNotes(options, list, entries, tick);
  const now = (options.now ?? (() => new Date()))();
  const plan = planSync(states, entries, { knowledgeFolder: options.scope.knowledgeFolder, force: options.force, markAll: options.markAll, today: today(now), existingPaths: new Set(list.map((f) => f.path)) });
  return { plan, entries, list };
}

/** Runs one sync and says what it did. Throws only when the database cannot be read at all. */
export async function syncVault(options: SyncOptions): Promise<SyncReport> {
  const started = performance.now();
  const tick = slicer(options);
  const now = options.now ?? (() => new Date());
  const { plan, list } = await planVaultSync(options);
  const report = emptyReport(list.length, plan, options.dryRun === true);
  if (options.dryRun || planIsEmpty(plan)) {
    report.durationMs = Math.round(performance.now() - started);
    return report;
  }
  const { db, files } = options;

  // Conflicts first: the entry's version is written beside the note before the entry takes the note's text.
  const conflictContents = await loadEntryContents(db, plan.conflicts.map((c) => c.entry.knowledgeId));
  const writes: NoteWrite[] = [];
  for (const c of plan.conflicts) {
    const k = conflictContents.get(c.entry.knowledgeId);
    try {
      if (!k) throw new Error('the entry is gone');
      await files.write(c.conflictPath, (cur) => (cur === undefined ? renderEntryNote(k, c.conflictPath, { claude: false }) : undefined));
      report.conflicts.push({ path: c.note.path, conflictPath: c.conflictPath, name: c.entry.name });
      writes.push({ knowledgeId: c.entry.knowledgeId, note: c.note });
    } catch (err) {
      report.errors.push(`${c.note.path}: the conflict copy could not be written (${(err as Error).message}); the note and its entry are left as they are`);
    }
  }
  writes.push(...plan.updates.map((u) => ({ knowledgeId: u.entry.knowledgeId, note: u.note })), ...plan.inserts.map((note) => ({ note })));

  // The database, one transaction per batch.
  const batchSize = options.batchSize ?? 500;
  const storedPaths = new Map<string, string>();
  const total = writes.length + plan.archives.length + plan.stats.length;
  let done = 0;
  const archives = plan.archives.map((e) => e.knowledgeId);
  const stats = plan.stats.map((s) => ({ knowledgeId: s.entry.knowledgeId, size: s.size, mtimeMs: s.mtimeMs }));
  for (let i = 0; i === 0 || i < writes.length; i += batchSize) {
    const batch = writes.slice(i, i + batchSize);
    const first = i === 0;
    try {
      const stored = await applyBatch(db, { archives: first ? archives : [], writes: batch, stats: first ? stats : [] });
      for (const s of stored) storedPaths.set(s.path, s.knowledgeId);
      report.inserted += batch.filter((w) => w.knowledgeId === undefined).length;
      report.updated += batch.filter((w) => w.knowledgeId !== undefined).length;
      if (first) report.archived = archives.length;
    } catch (err) {
      report.errors.push(`${batch.length} note(s) from ${batch[0]?.note.path ?? '(archives)'} not stored: ${(err as Error).message}`);
    }
    done += batch.length + (first ? archives.length + stats.length : 0);
    options.onProgress?.({ phase: 'store', done, total });
    await tick();
  }

  // The vault: notes for entries made elsewhere, notes updated from their entries.
  const contents = await loadEntryContents(db, [...plan.toVault, ...plan.fromEntry].map((t) => t.entry.knowledgeId));
  const vaultTotal = plan.toVault.length + plan.fromEntry.length + plan.marks.length;
  let vaultDone = 0;
  const progress = () => {
    vaultDone += 1;
    if (vaultDone % 100 === 0 || vaultDone === vaultTotal) options.onProgress?.({ phase: 'write', done: vaultDone, total: vaultTotal });
  };
  for (const t of [...plan.toVault.map((t) => ({ ...t, fresh: true })), ...plan.fromEntry.map((t) => ({ ...t, fresh: false }))]) {
    await tick();
    progress();
    const k = contents.get(t.entry.knowledgeId);
    if (!k) continue;
    try {
      let text: string | undefined;
      const stat = await files.write(t.path, (cur) => {
        if (t.fresh) return cur === undefined ? (text = renderEntryNote(k, t.path)) : undefined;
        // Only the note the plan saw: an edit saved meanwhile is synced next time, not overwritten.
        if (cur === undefined || contentHash(cur) !== t.entry.contentHash) return undefined;
        text = updateNoteFromEntry(cur, t.path, k);
        return text;
      });
      if (text === undefined) continue;
      const after = stat ?? (await files.stat(t.path));
      if (!after) continue;
      await recordNoteFromEntry(db, t.entry.knowledgeId, t.entry.entryHash, { path: t.path, hash: contentHash(text), size: after.size, mtimeMs: after.mtimeMs });
      if (t.fresh) report.notesCreated.push(t.path);
      else report.notesUpdated.push(t.path);
    } catch (err) {
      report.errors.push(`${t.path}: not written (${(err as Error).message})`);
    }
  }

  // The `synced` marks, in notes whose entry is stored.
  const byPath = new Map([...plan.updates.map((u) => [u.note.path, u.entry.knowledgeId] as const), ...plan.stats.map((s) => [s.path, s.entry.knowledgeId] as const)]);
  for (const e of (await loadEntryStates(db)).filter((x) => x.path !== null)) byPath.set(e.path!, e.knowledgeId);
  const markedStats: { knowledgeId: string; size: number; mtimeMs: number }[] = [];
  const writtenPaths = new Set(writes.map((w) => w.note.path));
  const at = now();
  // Several at once: each write ends with an fsync, and those overlap.
  const mark = async (m: (typeof plan.marks)[number]) => {
    progress();
    const id = storedPaths.get(m.path) ?? byPath.get(m.path);
    if (!id || (writtenPaths.has(m.path) && !storedPaths.has(m.path))) return;
    try {
      const stat = await files.write(m.path, (cur) => (cur !== undefined && contentHash(cur) === m.hash ? markSynced(cur, at) : undefined));
      if (stat) {
        markedStats.push({ knowledgeId: id, size: stat.size, mtimeMs: stat.mtimeMs });
        report.marked += 1;
      }
    } catch (err) {
      report.errors.push(`${m.path}: synced mark not written (${(err as Error).message})`);
    }
  };
  const parallel = options.writeConcurrency ?? 8;
  for (let i = 0; i < plan.marks.length; i += parallel) {
    await tick();
    await Promise.all(plan.marks.slice(i, i + parallel).map(mark));
  }
  try {
    await recordStats(db, markedStats);
  } catch (err) {
    report.errors.push(`the notes' sizes were not recorded (${(err as Error).message}); the next sync re-reads them`);
  }
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

export type { NoteProblem };
