// What a sync does, decided purely: the vault's notes against the database's entries, by path and
// content hash, and against what both looked like at the last sync. A note changed since then (its hash
// differs from content_hash) updates its entry; an entry changed since then (entry_hash differs from
// synced_entry_hash: MCP, the CLI, another client wrote it) updates its note; both changed is a conflict,
// where the note stays as written and the entry's version is kept beside it. A note that is gone
// archives its entry; a note that moved (same knowledge_id, or same content) keeps it. An entry that has
// no note yet gets one in the knowledge folder.
import { safeFileName } from '../render/sessionNote.js';
import type { NoteProblem, ParsedVaultNote } from './note.js';

/** A note as the sync saw it: read and parsed, unchanged since the last sync (size and mtime), or a problem. */
export type NoteState =
  | { kind: 'note'; path: string; size: number; mtimeMs: number; note: ParsedVaultNote }
  | { kind: 'unchanged'; path: string; size: number; mtimeMs: number }
  | { kind: 'problem'; path: string; problem: NoteProblem };

/** A live entry's sync bookkeeping (claude.knowledge). */
export interface EntryState {
  knowledgeId: string;
  name: string;
  path: string | null;
  contentHash: string | null;
  noteSize: number | null;
  noteMtimeMs: number | null;
  entryHash: string;
  syncedEntryHash: string | null;
}

export interface PlanOptions {
  knowledgeFolder: string;
  /** Every note is re-read and re-stored. */
  force?: boolean;
  /** Notes without a `synced:` key get one too. */
  markAll?: boolean;
  /** Today (YYYY-MM-DD), for conflict file names. */
  today: string;
  /** Every file path in the vault (in scope or not), so new notes never take an existing name. */
  existingPaths: ReadonlySet<string>;
}

export interface SyncPlan {
  inserts: ParsedNoteAt[];
  /** The note changed (or moved, or --force): the entry is written from it. */
  updates: { entry: EntryState; note: ParsedNoteAt }[];
  /** Same content, new size or mtime (say, after `synced` was written): only the bookkeeping. */
  stats: { entry: EntryState; path: string; size: number; mtimeMs: number; hash: string }[];
  archives: EntryState[];
  /** Entries without a note: a new note at `path`. */
  toVault: { entry: EntryState; path: string }[];
  /** The entry changed, the note did not: the note is updated from the entry. */
  fromEntry: { entry: EntryState; path: string }[];
  /** Both changed: the entry's version goes to `conflictPath`, then the entry is written from the note. */
  conflicts: { entry: EntryState; note: ParsedNoteAt; conflictPath: string }[];
  /** Notes that get `synced: true` and `synced_at` once their entry is stored. */
  marks: { path: string; hash: string }[];
  problems: NoteProblem[];
  unchanged: number;
}

export interface ParsedNoteAt {
  path: string;
  size: number;
  mtimeMs: number;
  note: ParsedVaultNote;
}

function folderOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** `folder/name.md`, or `folder/name 2.md`... when taken. */
export function freePath(folder: string, name: string, taken: ReadonlySet<string>): string {
  const base = safeFileName(name);
  for (let n = 1; ; n += 1) {
    const file = `${n === 1 ? base : `${base} ${n}`}.md`;
    const path = folder ? `${folder}/${file}` : file;
    if (!taken.has(path)) return path;
  }
}

export function conflictPathFor(notePath: string, name: string, today: string, taken: ReadonlySet<string>): string {
  return freePath(folderOf(notePath), `${name} (conflict ${today})`, taken);
}

export function planSync(states: readonly NoteState[], entries: readonly EntryState[], options: PlanOptions): SyncPlan {
  const plan: SyncPlan = { inserts: [], updates: [], stats: [], archives: [], toVault: [], fromEntry: [], conflicts: [], marks: [], problems: [], unchanged: 0 };
  const taken = new Set(options.existingPaths);
  const byPath = new Map<string, EntryState>();
  const byId = new Map<string, EntryState>();
  const pathless = new Map<string, EntryState>();
  for (const e of entries) {
    byId.set(e.knowledgeId, e);
    if (e.path !== null) byPath.set(e.path, e);
    else pathless.set(e.name, e);
  }
  // Paths that are present but cannot be read (or lost a title clash): their entries are kept as they are.
  const held = new Set<string>();
  const present = new Set(states.map((s) => s.path));

  // Titles: two notes claiming one title are reported; the one that already owns it (else the first by path) syncs.
  const sorted = [...states].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const titleOf = (s: NoteState): string | undefined => (s.kind === 'note' ? s.note.title : s.kind === 'unchanged' ? byPath.get(s.path)?.name : undefined);
  const claims = new Map<string, NoteState[]>();
  for (const s of sorted) {
    if (s.kind === 'problem') {
      plan.problems.push(s.problem);
      held.add(s.path);
      continue;
    }
    const t = titleOf(s);
    if (t === undefined) continue;
    claims.set(t, [...(claims.get(t) ?? []), s]);
  }
  const live: NoteState[] = [];
  for (const [title, group] of claims) {
    if (group.length === 1) {
      live.push(group[0]!);
      continue;
    }
    const owner = group.find((s) => byPath.get(s.path)?.name === title) ?? group[0]!;
    live.push(owner);
    for (const s of group) {
      if (s === owner) continue;
      held.add(s.path);
      plan.problems.push({ path: s.path, kind: 'duplicate-title', message: `the title ${JSON.stringify(title)} is also claimed by ${owner.path}; this note is not synced until one is renamed` });
    }
  }
  live.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  // Match notes to entries: by path, then by knowledge_id or content (a moved note), then by title (an entry with no note yet).
  const matched = new Map<NoteState, EntryState>();
  const used = new Set<string>();
  for (const s of live) {
    const e = byPath.get(s.path);
    if (e) {
      matched.set(s, e);
      used.add(e.knowledgeId);
    }
  }
  const gone = (e: EntryState) => !used.has(e.knowledgeId) && e.path !== null && !present.has(e.path);
  const byHash = new Map<string, EntryState[]>();
  for (const e of entries) if (e.contentHash && gone(e)) byHash.set(e.contentHash, [...(byHash.get(e.contentHash) ?? []), e]);
  for (const s of live) {
    if (matched.has(s) || s.kind !== 'note') continue;
    const byKnowledgeId = s.note.knowledgeId ? byId.get(s.note.knowledgeId) : undefined;
    const candidate = byKnowledgeId && gone(byKnowledgeId) ? byKnowledgeId : byHash.get(s.note.hash)?.find((e) => !used.has(e.knowledgeId));
    const adopt = candidate ?? pathless.get(s.note.title);
    if (adopt && !used.has(adopt.knowledgeId)) {
      matched.set(s, adopt);
      used.add(adopt.knowledgeId);
    }
  }

  for (const s of live) {
    const e = matched.get(s);
    if (s.kind === 'unchanged') {
      // Only reached with a row at this path (the shortcut needs one); the entry may have changed meanwhile.
      if (e && e.syncedEntryHash !== null && e.entryHash !== e.syncedEntryHash) plan.fromEntry.push({ entry: e, path: s.path });
      else plan.unchanged += 1;
      continue;
    }
    if (s.kind !== 'note') continue;
    const at: ParsedNoteAt = { path: s.path, size: s.size, mtimeMs: s.mtimeMs, note: s.note };
    if (s.note.badYaml !== undefined) plan.problems.push({ path: s.path, kind: 'bad-yaml', message: s.note.badYaml });
    let stored = false;
    if (!e) {
      plan.inserts.push(at);
      stored = true;
    } else {
      const noteChanged = e.contentHash !== s.note.hash || e.path !== s.path;
      const entryChanged = e.path === null ? true : e.syncedEntryHash !== null && e.entryHash !== e.syncedEntryHash;
      if (noteChanged && entryChanged) {
        const conflictPath = conflictPathFor(s.path, e.name, options.today, taken);
        taken.add(conflictPath);
        plan.conflicts.push({ entry: e, note: at, conflictPath });
        stored = true;
      } else if (entryChanged && s.note.badYaml !== undefined) {
        // The note's frontmatter cannot be edited line by line: keep the entry's version beside it.
        const conflictPath = conflictPathFor(s.path, e.name, options.today, taken);
        taken.add(conflictPath);
        plan.conflicts.push({ entry: e, note: at, conflictPath });
        stored = true;
      } else if (noteChanged || options.force) {
        plan.updates.push({ entry: e, note: at });
        stored = true;
      } else if (entryChanged) {
        plan.fromEntry.push({ entry: e, path: s.path });
      } else if (e.noteSize !== s.size || e.noteMtimeMs !== s.mtimeMs) {
        plan.stats.push({ entry: e, path: s.path, size: s.size, mtimeMs: s.mtimeMs, hash: s.note.hash });
      } else {
        plan.unchanged += 1;
      }
    }
    const wantsMark = s.note.badYaml === undefined && (s.note.hasSyncedKey || options.markAll === true);
    if (wantsMark && (stored || !s.note.syncedTrue)) plan.marks.push({ path: s.path, hash: s.note.hash });
  }

  for (const e of entries) {
    if (used.has(e.knowledgeId)) continue;
    if (e.path === null) {
      const path = freePath(options.knowledgeFolder, e.name, taken);
      taken.add(path);
      plan.toVault.push({ entry: e, path });
    } else if (!held.has(e.path)) {
      plan.archives.push(e);
    }
  }
  return plan;
}

/** Whether a plan changes anything (a dry run prints it; a second sync's plan is empty). */
export function planIsEmpty(plan: SyncPlan): boolean {
  return plan.inserts.length + plan.updates.length + plan.stats.length + plan.archives.length + plan.toVault.length + plan.fromEntry.length + plan.conflicts.length + plan.marks.length === 0;
}
