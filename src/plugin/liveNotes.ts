// Live notes: the handoff note of each configured project and the session notes are rewritten by
// themselves when their data changes. Change notices are collected for a short while (debounced), then
// each affected note is rendered and written only when its text changed.
import type { Vault } from 'obsidian';
import type { ChangeNotice } from '../core/events/changes.js';
import type { Connection } from './connection.js';
import { GeneratedMemory, syncSessionNotes, writeHandoffNote } from './notes.js';
import { projectList, type ClaudeFamilySettings } from './settings.js';

export interface LiveNotesDeps {
  vault: Vault;
  connection: Connection;
  settings: () => ClaudeFamilySettings;
  notice: (message: string) => void;
  /** A write that failed (the database went away...): reported once per kind of failure, not per change. */
  onError: (err: unknown) => void;
  /** How long changes are collected before the notes are written (ms). */
  debounceMs?: number;
}

/** Sessions looked at per project on a change (the most recent ones: the ones that change). */
const RECENT_SESSIONS = 20;

export class LiveNotes {
  /** What the plugin last wrote into each note's generated part (to tell when the user changed it). */
  readonly memory = new GeneratedMemory();
  private timer?: number;
  /** Projects whose handoff note may be stale; `all` after a change of unknown origin. */
  private handoffs = new Set<string>();
  private sessions = new Set<string>();
  private all = false;
  private running?: Promise<void>;
  private stopped = false;
  /** Writes made, for the status of the last flush (tests and the status bar read them). */
  written = 0;

  constructor(private readonly deps: LiveNotesDeps) {}

  private get enabled(): boolean {
    return !this.stopped && this.deps.settings().autoWriteNotes && projectList(this.deps.settings()).length > 0;
  }

  /** A change happened (a NOTIFY, or a poll without one): schedule the affected notes. */
  onChange(notice: ChangeNotice | undefined): void {
    if (!this.enabled) return;
    const projects = projectList(this.deps.settings());
    if (!notice || !notice.project) {
      this.all = true;
    } else {
      if (!projects.includes(notice.project)) return;
      this.handoffs.add(notice.project);
      // A session ended, or its summary, tasks or learnings changed; todos completed in it show in its note.
      if (notice.table === 'sessions' || notice.table === 'todos') this.sessions.add(notice.project);
    }
    this.schedule();
  }

  /**
   * The first change starts the clock; changes arriving before it runs join the same write. (Not reset
   * per change: a steady stream, such as the embedded database's poll, must not postpone it for ever.)
   */
  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.deps.debounceMs ?? 1500);
  }

  /** Writes what is pending now (one flush at a time; changes arriving meanwhile wait for the next). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (!this.enabled) return;
    const projects = projectList(this.deps.settings());
    const handoffs = this.all ? projects : projects.filter((p) => this.handoffs.has(p));
    const sessions = this.all ? projects : projects.filter((p) => this.sessions.has(p));
    this.handoffs = new Set();
    this.sessions = new Set();
    this.all = false;
    if (handoffs.length === 0 && sessions.length === 0) return;
    this.running = this.write(handoffs, sessions).finally(() => {
      this.running = undefined;
    });
    await this.running;
  }

  private async write(handoffs: string[], sessions: string[]): Promise<void> {
    const { vault, connection, notice } = this.deps;
    const settings = this.deps.settings();
    const replaced: string[] = [];
    try {
      for (const project of handoffs) {
        if (this.stopped) return;
        const w = await writeHandoffNote(vault, connection, settings, project, this.memory);
        if (w.result !== 'unchanged') this.written += 1;
        if (w.replacedUserEdit) replaced.push(w.path);
      }
      if (sessions.length > 0 && !this.stopped) {
        const r = await syncSessionNotes(vault, connection, settings, { projects: sessions, perProjectLimit: RECENT_SESSIONS, onlyRecorded: true, memory: this.memory });
        this.written += r.created + r.updated;
        replaced.push(...r.replacedUserEdits);
      }
    } catch (err) {
      // Try these again with the next change.
      for (const p of handoffs) this.handoffs.add(p);
      for (const p of sessions) this.sessions.add(p);
      this.deps.onError(err);
    }
    // The note and the database never disagree silently: an edit inside the generated part is replaced, and said so.
    for (const path of replaced) {
      notice(`Claude Family: ${path} was rewritten from the database; your edit between the claude-family markers was replaced (write outside them to keep text).`);
    }
  }

  /** Cancels what is scheduled; a write under way stops before its next note. Synchronous, for onunload. */
  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
