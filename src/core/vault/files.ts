// The sync's view of a vault: list the notes with size and mtime, read one's bytes, write one. The CLI
// uses the file system (nodeVaultFiles); the plugin implements it with app.vault (vault.process, so an
// edit saved meanwhile is never overwritten with an older copy).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { rewriteFileKeepingModeAsync } from '../fs/atomicFile.js';

export interface VaultFileStat {
  /** Vault-relative, forward slashes. */
  path: string;
  size: number;
  mtimeMs: number;
}

export interface VaultFiles {
  /** Every Markdown file of the vault outside hidden folders (the sync's scope decides the rest). */
  list(): Promise<VaultFileStat[]>;
  read(path: string): Promise<Uint8Array>;
  /** The file's size and mtime; undefined when it does not exist. */
  stat(path: string): Promise<VaultFileStat | undefined>;
  /**
   * Writes `path` as `update(current text)` says (undefined when the file does not exist); an update
   * that returns undefined or the same text writes nothing. Returns the file's stat after a write.
   */
  write(path: string, update: (current: string | undefined) => string | undefined): Promise<VaultFileStat | undefined>;
}

/** A vault on the file system: writes through a temporary file and a rename (the file's mode kept). */
export function nodeVaultFiles(root: string): VaultFiles {
  const statOf = (path: string): VaultFileStat => {
    const st = statSync(join(root, path));
    return { path, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
  };
  return {
    async list() {
      const out: VaultFileStat[] = [];
      const walk = (dir: string) => {
        for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
          if (e.name.startsWith('.')) continue;
          const rel = dir ? `${dir}/${e.name}` : e.name;
          if (e.isDirectory()) walk(rel);
          else if (e.isFile() && /\.md$/i.test(e.name)) {
            try {
              out.push(statOf(rel));
            } catch {
              // Gone meanwhile.
            }
          }
        }
      };
      walk('');
      return out;
    },
    async read(path) {
      return readFileSync(join(root, path));
    },
    async stat(path) {
      try {
        return statOf(path);
      } catch {
        return undefined;
      }
    },
    async write(path, update) {
      const full = join(root, path);
      let current: string | undefined;
      try {
        current = await readFile(full, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const next = update(current);
      if (next === undefined || next === current) return undefined;
      await mkdir(dirname(full), { recursive: true });
      await rewriteFileKeepingModeAsync(full, next);
      return statOf(path);
    },
  };
}
