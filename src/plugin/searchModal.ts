// "Search Claude memory": full-text search (src/core/search) as you type, in a SuggestModal. Choosing a
// knowledge entry writes (or refreshes) its note in the knowledge folder and opens it; a session opens its
// session note (written first if it is not in the vault yet); a todo opens its project's handoff note.
import { MarkdownView, SuggestModal, TFile, type App } from 'obsidian';
import { renderSessionNote, sessionNoteFileName } from '../core/render/sessionNote.js';
import { getEntry } from '../core/search/entry.js';
import { searchMemory, type SearchHit } from '../core/search/search.js';
import { todosCompletedInSession } from '../core/repos/todos.js';
import type { Connection } from './connection.js';
import { writeKnowledgeNote } from './knowledge.js';
import { writeHandoffNote } from './notes.js';
import type { ClaudeFamilySettings } from './settings.js';
import { writeNote } from './vaultFiles.js';

/** Wait this long after the last keystroke before asking the database. */
export const SEARCH_DEBOUNCE_MS = 250;
const SEARCH_LIMIT = 20;

export interface SearchHost {
  app: App;
  readonly settings: ClaudeFamilySettings;
  readonly connection: Connection;
}

/** Appends `text` to `el`, the parts between ** pairs (the matches ts_headline marked) in <strong>. */
function appendMarked(el: HTMLElement, text: string): void {
  text.split('**').forEach((part, i) => {
    if (part === '') return;
    if (i % 2 === 1) el.createEl('strong', { text: part });
    else el.appendText(part);
  });
}

export class MemorySearchModal extends SuggestModal<SearchHit> {
  private timer: number | undefined;
  /** Settles the previous, superseded getSuggestions call (with the results shown until now). */
  private settlePending: ((hits: SearchHit[]) => void) | undefined;
  private shown: SearchHit[] = [];

  constructor(
    private readonly host: SearchHost,
    private readonly choose: (hit: SearchHit) => void,
    private readonly onError: (err: unknown) => void,
  ) {
    super(host.app);
    this.setPlaceholder('Search Claude memory: knowledge, sessions, todos');
    this.emptyStateText = 'Type words to search for.';
    this.limit = SEARCH_LIMIT;
  }

  /** Debounced: only the last query typed within SEARCH_DEBOUNCE_MS reaches the database. */
  getSuggestions(query: string): Promise<SearchHit[]> {
    window.clearTimeout(this.timer);
    this.settlePending?.(this.shown);
    this.settlePending = undefined;
    if (query.trim() === '') {
      this.shown = [];
      return Promise.resolve([]);
    }
    return new Promise((resolve) => {
      this.settlePending = resolve;
      this.timer = window.setTimeout(() => {
        this.timer = undefined;
        this.host.connection.run((db) => searchMemory(db, { query, limit: SEARCH_LIMIT })).then(
          (hits) => {
            if (this.settlePending !== resolve) return; // superseded meanwhile: already settled
            this.settlePending = undefined;
            this.shown = hits;
            this.emptyStateText = 'No matches.';
            resolve(hits);
          },
          (err: unknown) => {
            if (this.settlePending === resolve) this.settlePending = undefined;
            this.onError(err);
            resolve([]);
          },
        );
      }, SEARCH_DEBOUNCE_MS);
    });
  }

  renderSuggestion(hit: SearchHit, el: HTMLElement): void {
    el.createDiv({ text: `${hit.kind === 'knowledge' ? 'Knowledge' : hit.kind === 'session' ? 'Session' : 'Todo'}: ${hit.title}` });
    el.createEl('small', { text: `${hit.project ? `${hit.project} · ` : ''}${hit.date.toISOString().slice(0, 10)}` });
    if (hit.snippet && hit.snippet !== hit.title) appendMarked(el.createDiv(), hit.snippet);
  }

  onChooseSuggestion(hit: SearchHit): void {
    this.choose(hit);
  }

  override onClose(): void {
    window.clearTimeout(this.timer);
    this.settlePending?.([]);
    this.settlePending = undefined;
  }
}

/** The note a hit stands for, written or refreshed from the database; undefined when the entry is gone. */
export async function noteForHit(host: SearchHost, hit: SearchHit): Promise<TFile | undefined> {
  const { app, settings, connection } = host;
  if (hit.kind === 'todo') {
    if (!hit.project) return undefined;
    const { path } = await writeHandoffNote(app.vault, connection, settings, hit.project);
    const file = app.vault.getAbstractFileByPath(path);
    return file instanceof TFile ? file : undefined;
  }
  // Read everything first, so an embedded database is closed again before the vault is written.
  const data = await connection.run(async (db) => {
    const entry = await getEntry(db, hit.id);
    if (entry?.kind === 'session') return { entry, completedTodos: await todosCompletedInSession(db, entry.session.session_id) };
    return entry ? { entry, completedTodos: [] } : undefined;
  });
  if (!data) return undefined;
  const { entry } = data;
  if (entry.kind === 'knowledge') return (await writeKnowledgeNote(app.vault, settings, entry.knowledge)).file;
  if (entry.kind !== 'session') return undefined;
  // Written (or brought up to date: only the generated part and our frontmatter keys change) and opened.
  const path = `${settings.sessionsFolder}/${sessionNoteFileName(entry.session, entry.project)}`;
  return (await writeNote(app.vault, path, (text) => renderSessionNote({ session: entry.session, projectName: entry.project, completedTodos: data.completedTodos }, text))).file;
}

/** Opens the note for a hit in the current leaf (unless it is already shown there). */
export async function openHit(host: SearchHost, hit: SearchHit): Promise<TFile | undefined> {
  const file = await noteForHit(host, hit);
  if (!file) return undefined;
  const leaf = host.app.workspace.getLeaf(false);
  if (!(leaf.view instanceof MarkdownView) || leaf.view.file?.path !== file.path) await leaf.openFile(file);
  return file;
}
