// Which notes of a vault sync. A vault is often personal and the database may be a team's server, so
// the default is narrow: a note syncs when its frontmatter has a `projects:` key (`projects: []`: every
// project) or a `knowledge_id:` (it was promoted before), or when it lies under the knowledge folder.
// Chosen folders, or the whole vault, widen it. `claude: false` always keeps a note out; so do the
// folders the plugin writes itself (handoff, sessions), `.obsidian/` and every other hidden folder.

export interface SyncScope {
  /** Where notes written from entries go, and whose notes always sync (default `Claude/Knowledge`). */
  knowledgeFolder: string;
  /** More folders whose notes sync. */
  folders: string[];
  /** Every note of the vault syncs (except the ones kept out). */
  wholeVault: boolean;
  /** Folders that never sync (the plugin's handoff and session notes). */
  excluded: string[];
}

export const DEFAULT_KNOWLEDGE_FOLDER = 'Claude/Knowledge';
export const DEFAULT_EXCLUDED = ['Claude/Handoff', 'Claude/Sessions'];

export function defaultScope(patch: Partial<SyncScope> = {}): SyncScope {
  return { knowledgeFolder: DEFAULT_KNOWLEDGE_FOLDER, folders: [], wholeVault: false, excluded: [...DEFAULT_EXCLUDED], ...patch };
}

/** A folder as the vault names it: forward slashes, no leading or trailing slash. */
export function normalizeFolder(folder: string): string {
  return folder.trim().replace(/\\/g, '/').replace(/\/+/g, '/').replace(/^\.\/|^\/|\/$/g, '');
}

export function isUnder(path: string, folder: string): boolean {
  const f = normalizeFolder(folder);
  return f === '' || path === f || path.startsWith(`${f}/`);
}

/** Never synced, whatever the note says: not Markdown, hidden folders (`.obsidian/`, `.trash/`), the plugin's own notes. */
export function neverSynced(path: string, scope: SyncScope): boolean {
  if (!/\.md$/i.test(path)) return true;
  if (path.split('/').some((part) => part.startsWith('.'))) return true;
  return scope.excluded.some((f) => normalizeFolder(f) !== '' && isUnder(path, f));
}

/** In scope by where it lies alone (no need to read it), before `claude: false`. */
export function inScopeByPath(path: string, scope: SyncScope): boolean {
  if (neverSynced(path, scope)) return false;
  return scope.wholeVault || isUnder(path, scope.knowledgeFolder) || scope.folders.some((f) => normalizeFolder(f) !== '' && isUnder(path, f));
}

/** Whether a note syncs, given its frontmatter keys (as read line by line: see frontmatterKeys). */
export function inScope(path: string, keys: ReadonlyMap<string, string>, scope: SyncScope): boolean {
  if (neverSynced(path, scope)) return false;
  if (/^(false|no|off)$/i.test(keys.get('claude') ?? '')) return false;
  return inScopeByPath(path, scope) || keys.has('projects') || keys.has('knowledge_id');
}
