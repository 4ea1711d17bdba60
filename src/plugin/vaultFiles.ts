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

/** Creates or updates `path` with `render(current text)`; leaves it alone when nothing changed. */
export async function writeNote(vault: Vault, path: string, render: (existing: string | undefined) => string): Promise<{ file: TFile; result: WriteResult }> {
  const normal = normalizePath(path);
  const existing = vault.getAbstractFileByPath(normal);
  if (existing && !(existing instanceof TFile)) throw new Error(`${normal} is a folder, not a note`);
  if (!existing) {
    const folder = normal.includes('/') ? normal.slice(0, normal.lastIndexOf('/')) : '';
    if (folder) await ensureFolder(vault, folder);
    return { file: await vault.create(normal, render(undefined)), result: 'created' };
  }
  const current = await vault.read(existing);
  const next = render(current);
  if (next === current) return { file: existing, result: 'unchanged' };
  await vault.modify(existing, next);
  return { file: existing, result: 'updated' };
}
