// The commands that write notes from the database: the handoff page and one note per session.
import type { Vault } from 'obsidian';
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

export async function writeHandoffNote(vault: Vault, connection: Connection, settings: ClaudeFamilySettings, project = currentProject(settings)): Promise<{ path: string; result: WriteResult }> {
  if (!project) throw new NoProjectError();
  const handoff = await connection.run((db) => loadHandoff(db, project));
  const path = `${settings.handoffFolder}/${handoffNoteFileName(handoff.projectName)}`;
  const { file, result } = await writeNote(vault, path, (existing) => renderHandoffNote(handoff, {}, existing));
  return { path: file.path, result };
}

export interface SyncReport {
  created: number;
  updated: number;
  unchanged: number;
  paths: string[];
}

interface SessionData {
  projectName: string;
  session: SessionRow;
  completedTodos: TodoRow[];
}

/** Writes one note per session of the configured projects (all projects when none is set). Idempotent. */
export async function syncSessionNotes(vault: Vault, connection: Connection, settings: ClaudeFamilySettings, perProjectLimit = 1000): Promise<SyncReport> {
  // Read everything in one go, so an embedded database is closed again before the vault is written.
  const data = await connection.run(async (db) => {
    const wanted = projectList(settings);
    const projects = wanted.length > 0 ? wanted : (await listProjects(db)).map((p) => p.project_name);
    const out: SessionData[] = [];
    for (const projectName of projects) {
      for (const session of await listSessions(db, projectName, { limit: perProjectLimit })) {
        out.push({ projectName, session, completedTodos: await todosCompletedInSession(db, session.session_id) });
      }
    }
    return out;
  });
  const report: SyncReport = { created: 0, updated: 0, unchanged: 0, paths: [] };
  for (const item of data) {
    const path = `${settings.sessionsFolder}/${sessionNoteFileName(item.session, item.projectName)}`;
    const { file, result } = await writeNote(vault, path, (existing) => renderSessionNote(item, existing));
    report[result] += 1;
    report.paths.push(file.path);
  }
  return report;
}
