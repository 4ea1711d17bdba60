// The command palette entries. Each runs one use case from src/plugin and reports in a Notice.
import { MarkdownView, Notice, type Plugin, type TFile } from 'obsidian';
import { ValidationError } from '../core/models.js';
import { errorText } from './handoffBlock.js';
import { KnowledgeSuggestModal, loadKnowledgeList, promoteNote, writeKnowledgeNote } from './knowledge.js';
import type { Connection } from './connection.js';
import { syncSessionNotes, writeHandoffNote } from './notes.js';
import { MemorySearchModal, openHit } from './searchModal.js';
import { currentProject, type ClaudeFamilySettings } from './settings.js';
import { connectionProblem } from './problems.js';
import { AddTodoModal, addTodoToProject } from './todos.js';

export function notice(message: string): void {
  new Notice(message);
}

/** Errors as a Notice: invalid fields named, connection problems in plain words. */
export function reportError(what: string, err: unknown): void {
  if (err instanceof ValidationError) notice(`Claude Family: ${what}: ${err.message}`);
  else if ((err as Error)?.name === 'NoProjectError' || (err as Error)?.name === 'DuplicateTodoError') notice(`Claude Family: ${what}: ${errorText(err)}`);
  else notice(`Claude Family: ${what}: ${connectionProblem(err)}`);
}

/** What the commands need of the plugin; main.ts implements it (commands.ts does not import main.ts). */
export interface CommandHost extends Pick<Plugin, 'app' | 'addCommand'> {
  readonly settings: ClaudeFamilySettings;
  readonly connection: Connection;
  refreshViews(): Promise<void>;
}

export function registerCommands(plugin: CommandHost): void {
  const { app } = plugin;

  plugin.addCommand({ id: 'write-handoff-note', name: 'Write handoff note', callback: () => writeHandoffNoteCommand(plugin) });

  plugin.addCommand({
    id: 'sync-session-notes',
    name: 'Sync session notes',
    callback: async () => {
      try {
        const r = await syncSessionNotes(app.vault, plugin.connection, plugin.settings);
        notice(`Claude Family: session notes: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged.`);
      } catch (err) {
        reportError('session notes not synced', err);
      }
    },
  });

  plugin.addCommand({
    id: 'add-todo',
    name: 'Add todo to the current project',
    callback: () => {
      new AddTodoModal(app, currentProject(plugin.settings) ?? '', async (todo) => {
        try {
          await addTodoToProject(plugin.connection, todo);
          notice(`Claude Family: todo added to ${todo.project.trim()}.`);
          void plugin.refreshViews();
          return true;
        } catch (err) {
          reportError('todo not added', err);
          return false;
        }
      }).open();
    },
  });

  plugin.addCommand({
    id: 'promote-note-to-knowledge',
    name: 'Promote current note to knowledge',
    checkCallback: (checking) => {
      const file = app.workspace.getActiveFile();
      if (!file || file.extension !== 'md') return false;
      if (!checking) void promoteCommand(plugin, file);
      return true;
    },
  });

  plugin.addCommand({
    id: 'write-knowledge-note',
    name: 'Write a knowledge entry into the vault',
    callback: async () => {
      try {
        const items = await loadKnowledgeList(plugin.connection);
        if (items.length === 0) return notice('Claude Family: no knowledge entries yet.');
        new KnowledgeSuggestModal(app, items, (k) => void writeKnowledgeCommand(plugin, k)).open();
      } catch (err) {
        reportError('knowledge not loaded', err);
      }
    },
  });

  plugin.addCommand({
    id: 'search-memory',
    name: 'Search Claude memory',
    callback: () => {
      new MemorySearchModal(
        plugin,
        (hit) =>
          void openHit(plugin, hit).then(
            (file) => file ?? notice(`Claude Family: that ${hit.kind} is no longer in the database.`),
            (err: unknown) => reportError('search result not opened', err),
          ),
        (err) => reportError('search failed', err),
      ).open();
    },
  });

  plugin.addCommand({ id: 'refresh', name: 'Refresh handoff blocks and status', callback: () => plugin.refreshViews() });
}

export async function writeHandoffNoteCommand(plugin: CommandHost): Promise<void> {
  try {
    const { path, result } = await writeHandoffNote(plugin.app.vault, plugin.connection, plugin.settings);
    notice(`Claude Family: ${path} ${result === 'unchanged' ? 'is up to date' : result}.`);
  } catch (err) {
    reportError('handoff note not written', err);
  }
}

export async function promoteCommand(plugin: CommandHost, file: TFile): Promise<void> {
  try {
    const { knowledge, created } = await promoteNote(plugin.app, plugin.connection, file);
    notice(`Claude Family: "${knowledge.pattern_name}" ${created ? 'added to' : 'updated in'} knowledge.`);
  } catch (err) {
    reportError(`"${file.basename}" not promoted`, err);
  }
}

async function writeKnowledgeCommand(plugin: CommandHost, k: Parameters<typeof writeKnowledgeNote>[2]): Promise<void> {
  try {
    const { file, result } = await writeKnowledgeNote(plugin.app.vault, plugin.settings, k);
    notice(`Claude Family: ${file.path} ${result === 'unchanged' ? 'is up to date' : result}.`);
    const leaf = plugin.app.workspace.getLeaf(false);
    if (!(leaf.view instanceof MarkdownView) || leaf.view.file?.path !== file.path) await leaf.openFile(file);
  } catch (err) {
    reportError('knowledge note not written', err);
  }
}
