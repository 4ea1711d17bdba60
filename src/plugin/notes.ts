// The commands that write notes from the database: the handoff page and one note per session.
import { normalizePath, type Vault } from 'obsidian';
import { splitNote } from '../core/render/frontmatter.js';
import { generatedPart } from '../core/render/generatedSection.js';
import { loadHandoff } from '../core/session/handoff.js';
import type { SessionRow, TodoRow } from '../core/models.js';
import { handoffNoteFileName, renderHandoffNote } from '../core/render/handoffNote.js';
import { renderSessionNote, sessionNoteFileName } from '../core/render/sessionNote.js';
import { listProjects } from '../core/repos/projects.js';
import { listSessions } from '../core/repos/sessions.js';
import { todosCompletedInSession } from '../core/repos/todos.js';
import type { Connection } from './connection.js';
import { currentProject, projectList, type ClaudeFamilySettings } from './settings.js';
import { writeNote, type WriteResult } from './vaultFiles.js';

export class NoProjectError extends Error {
  constructor() {
    super('no project set: enter one under "Projects" in the Claude Family settings');
    this.name = 'NoProjectError';
  }
}

/**
 * What the plugin last wrote between the markers of each note, so a rewrite can tell when the user
 * changed that part (their change is replaced by the database's state, and they are told so).
 */
export class GeneratedMemory {
  private readonly last = new Map<string, string | undefined>();

  /** True when `text` (the note before a rewrite) has a generated part other than the one written last. */
  editedSince(path: string, text: string): boolean {
    if (!this.last.has(path)) return false;
    return generatedPart(splitNote(text).body) !== this.last.get(path);
  }

  remember(path: string, text: string): void {
    this.last.set(path, generatedPart(splitNote(text).body));
  }
}

export interface NoteWrite {
  path: string;
  result: WriteResult;
  /** The user had changed the generated part since the plugin wrote it; the rewrite replaced it. */
  replacedUserEdit: boolean;
}

async function writeGenerated(vault: Vault, path: string, render: (existing: string | undefined) => string, memory?: GeneratedMemory): Promise<NoteWrite> {
  let replacedUserEdit = false;
  const { file, result, text } = await writeNote(vault, path, (existing) => {
    const next = render(existing);
    if (existing !== undefined && next !== existing && memory?.editedSince(normalizePath(path), existing)) replacedUserEdit = true;
    return next;
  });
  memory?.remember(file.path, text);
  return { path: file.path, result, replacedUserEdit: replacedUserEdit && result === 'updated' };
}

export async function writeHandoffNote(vault: Vault, connection: Connection, settings: ClaudeFamilySettings, project = currentProject(settings), memory?: GeneratedMemory): Promise<NoteWrite> {
  if (!project) throw new NoProjectError();
  const handoff = await connection.run((db) => loadHandoff(db, project));
  const path = `${settings.handoffFolder}/${handoffNoteFileName(handoff.projectName)}`;
  return writeGenerated(vault, path, (existing) => renderHandoffNote(handoff, {}, existing), memory);
}

export interface SyncReport {
  created: number;
  updated: number;
  unchanged: number;
  paths: string[];
  /** Notes whose generated part the user had changed, replaced by this sync. */
  replacedUserEdits: string[];
}

interface SessionData {
  projectName: string;
  session: SessionRow;
  completedTodos: TodoRow[];
}

export interface SyncOptions {
  /** Only these projects (default: the configured ones, or every project when none is configured). */
  projects?: readonly string[];
  /** The most recent sessions per project (default 1000). */
  perProjectLimit?: number;
  /** Only sessions with something to show: ended, or with a summary, tasks or learnings (live writing). */
  onlyRecorded?: boolean;
  memory?: GeneratedMemory;
}

/** A session worth a note without anyone asking: it ended, or it has a summary, tasks or learnings. */
export function hasRecord(s: SessionRow): boolean {
  return s.session_end !== null || !!s.session_summary || s.tasks_completed.length > 0 || s.learnings_gained.length > 0;
}

/** Writes one note per session of the configured projects (all projects when none is set). Idempotent. */
export async function syncSessionNotes(vault: Vault, connection: Connection, settings: ClaudeFamilySettings, options: SyncOptions = {}): Promise<SyncReport> {
  // Read everything in one go, so an embedded database is closed again before the vault is written.
  const data = await connection.run(async (db) => {
    const wanted = options.projects ?? projectList(settings);
    const projects = wanted.length > 0 ? wanted : (await listProjects(db)).map((p) => p.project_name);
    const out: SessionData[] = [];
    for (const projectName of projects) {
      for (const session of await listSessions(db, projectName, { limit: options.perProjectLimit ?? 1000 })) {
        if (options.onlyRecorded && !hasRecord(session)) continue;
        out.push({ projectName, session, completedTodos: await todosCompletedInSession(db, session.session_id) });
      }
    }
    return out;
  });
  const report: SyncReport = { created: 0, updated: 0, unchanged: 0, paths: [], replacedUserEdits: [] };
  for (const item of data) {
    const path = `${settings.sessionsFolder}/${sessionNoteFileName(item.session, item.projectName)}`;
    const w = await writeGenerated(vault, path, (existing) => renderSessionNote(item, existing), options.memory);
    report[w.result] += 1;
    report.paths.push(w.path);
    if (w.replacedUserEdit) report.replacedUserEdits.push(w.path);
  }
  return report;
}
