// Knowledge promotion: a vault note -> claude.knowledge (its knowledge_id written back into the note's
// frontmatter so promoting again updates), and the reverse: an entry -> a vault note.
import { FuzzySuggestModal, type App, type TFile, type Vault } from 'obsidian';
import type { KnowledgeRow } from '../core/models.js';
import { setFrontmatterKeys } from '../core/render/frontmatter.js';
import { parseNote } from '../core/render/generatedSection.js';
import { knowledgeInputFromNote, renderKnowledgeNote } from '../core/render/knowledgeNote.js';
import { safeFileName } from '../core/render/sessionNote.js';
import { listKnowledge, upsertKnowledge, type UpsertedKnowledge } from '../core/repos/knowledge.js';
import type { Connection } from './connection.js';
import type { ClaudeFamilySettings } from './settings.js';
import { writeNote, type WriteResult } from './vaultFiles.js';

/**
 * Promotes a note. The note is read from disk (not the metadata cache, which may lag a just-saved
 * edit) and validated with KnowledgeInput; a ValidationError names the offending frontmatter key.
 */
export async function promoteNote(app: App, connection: Connection, file: TFile): Promise<UpsertedKnowledge> {
  const { data, body } = parseNote(await app.vault.read(file));
  const input = knowledgeInputFromNote(data, body, file.path);
  const result = await connection.run((db) => upsertKnowledge(db, input));
  if (data.knowledge_id !== result.knowledge.knowledge_id) {
    // Only the knowledge_id line is written; the rest of the note keeps its bytes (see frontmatter.ts).
    await app.vault.process(file, (text) => setFrontmatterKeys(text, { knowledge_id: result.knowledge.knowledge_id }));
  }
  return result;
}

export function knowledgeNotePath(settings: Pick<ClaudeFamilySettings, 'knowledgeFolder'>, k: Pick<KnowledgeRow, 'pattern_name'>): string {
  return `${settings.knowledgeFolder}/${safeFileName(k.pattern_name)}.md`;
}

/** Writes a knowledge entry as a note (replacing the note's text when it changed). */
export async function writeKnowledgeNote(vault: Vault, settings: ClaudeFamilySettings, k: KnowledgeRow): Promise<{ file: TFile; result: WriteResult }> {
  return writeNote(vault, knowledgeNotePath(settings, k), () => renderKnowledgeNote(k));
}

export function loadKnowledgeList(connection: Connection): Promise<KnowledgeRow[]> {
  return connection.run((db) => listKnowledge(db));
}

export class KnowledgeSuggestModal extends FuzzySuggestModal<KnowledgeRow> {
  constructor(
    app: App,
    private readonly items: KnowledgeRow[],
    private readonly choose: (k: KnowledgeRow) => void,
  ) {
    super(app);
    this.setPlaceholder('Knowledge entry to write into the vault');
  }

  getItems(): KnowledgeRow[] {
    return this.items;
  }

  getItemText(k: KnowledgeRow): string {
    return `${k.category}: ${k.pattern_name}`;
  }

  onChooseItem(k: KnowledgeRow): void {
    this.choose(k);
  }
}
