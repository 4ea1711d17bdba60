// Writing generated notes into the vault: folders created on demand, a file rewritten only when its
// text would change (so sync, search and the graph see no churn).
import { TFile, TFolder, normalizePath, type Vault } from 'obsidian';

export type WriteResult = 'created' | 'updated' | 'unchanged';

export async function ensureFolder(vault: Vault, folder: string): Promise<void> {
  let path = '';
  for (const part of normalizePath(folder).split('/').filter((p) => p.length > 0)) {
    path = path ? `${path}/${part}` : part;
    const existing = vault.getAbstractFileByPath(path);
    if (existing instanceof TFolder) continue;
    if (existing) throw new Error(`${path} is a file, not a folder`);
    await vault.createFolder(path);
  }
}

/**
 * Creates or updates `path` with `render(current text)`; leaves it alone when nothing changed. An
 * existing note is rewritten with `vault.process`, so the text `render` sees is the text on disk at
 * the moment of writing (an edit the user saved meanwhile is not overwritten with an older copy).
 */
export async function writeNote(vault: Vault, path: string, render: (existing: string | undefined) => string): Promise<{ file: TFile; result: WriteResult; text: string }> {
  const normal = normalizePath(path);
  const existing = vault.getAbstractFileByPath(normal);
  if (existing && !(existing instanceof TFile)) throw new Error(`${normal} is a folder, not a note`);
  if (!existing) {
    const folder = normal.includes('/') ? normal.slice(0, normal.lastIndexOf('/')) : '';
    if (folder) await ensureFolder(vault, folder);
    const text = render(undefined);
    return { file: await vault.create(normal, text), result: 'created', text };
  }
  // Read first: a note whose text would not change is not written at all (no modify event, no sync).
  const current = await vault.read(existing);
  if (render(current) === current) return { file: existing, result: 'unchanged', text: current };
  let changed = false;
  const text = await vault.process(existing, (data) => {
    const next = render(data);
    changed = next !== data;
    return changed ? next : data;
  });
  return { file: existing, result: changed ? 'updated' : 'unchanged', text };
}
