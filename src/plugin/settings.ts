// The plugin's settings: what is stored in its data.json and how it is read back. No Obsidian imports
// here, so the rules (defaults, validation, the password kept out of data.json) are plain functions.
// data.json is often synced with the vault (git, a cloud drive): it never holds a password. The password
// lives in Obsidian's secret storage (app.secretStorage); data.json holds only the secret's id.
import * as z from 'zod/mini';

export type ConnectionMode = 'embedded' | 'postgres' | 'hooks';

export interface ClaudeFamilySettings {
  /** `hooks`: whatever the hooks' own config file (outside the vault) says; `embedded`: the hooks' local
   *  server (in their data directory); `postgres`: a server at connectionString, its password in secret storage. */
  mode: ConnectionMode;
  /** postgres://user@host:port/db, never with a password (that is in secret storage, see passwordSecret). */
  connectionString: string;
  /** The id of the secret in Obsidian's secret storage that holds the Postgres password; empty: none. */
  passwordSecret: string;
  /** The hooks' data directory (server.json there says how to reach the local server); empty: the hooks' own default. */
  dataDir: string;
  /** Comma-separated project names. The first is the current project (blocks, new todos, status bar);
   *  session notes are synced for these only (all projects when empty). */
  projects: string;
  handoffFolder: string;
  sessionsFolder: string;
  knowledgeFolder: string;
  /** Seconds between the status bar's refreshes (changes themselves arrive by NOTIFY), and between
   *  refreshes of everything when the plugin polls (behind a pooler). */
  refreshSeconds: number;
  /** The server is reached through a connection pooler in transaction mode (LISTEN cannot work): poll. */
  behindPooler: boolean;
  /** Rewrite the handoff notes and session notes by themselves when the data changes. */
  autoWriteNotes: boolean;
  /** Keep the vault's knowledge notes and claude.knowledge in sync (src/core/vault/), live. */
  vaultSync: boolean;
  /** Comma-separated folders whose every note syncs too (besides notes with `projects:` and the knowledge folder). */
  vaultSyncFolders: string;
  /** Every note of the vault syncs (except `claude: false`, hidden folders and the plugin's own notes). */
  vaultSyncWholeVault: boolean;
  /** Add `synced: true` / `synced_at` to synced notes that have no `synced:` key. */
  vaultSyncMarkAll: boolean;
}

export const DEFAULT_SETTINGS: ClaudeFamilySettings = {
  mode: 'embedded',
  connectionString: '',
  passwordSecret: '',
  dataDir: '',
  projects: '',
  handoffFolder: 'Claude/Handoff',
  sessionsFolder: 'Claude/Sessions',
  knowledgeFolder: 'Claude/Knowledge',
  refreshSeconds: 30,
  behindPooler: false,
  autoWriteNotes: true,
  vaultSync: true,
  vaultSyncFolders: '',
  vaultSyncWholeVault: false,
  vaultSyncMarkAll: false,
};

/** The secret id a password found in an older data.json is moved to. */
export const DEFAULT_PASSWORD_SECRET = 'claude-family-postgres-password';

// zod/mini, like src/core: classic zod's schema set-up cost tens of milliseconds of the plugin's startup.
const Folder = z.pipe(
  z.string(),
  z.transform((s) => s.trim().replace(/\\/g, '/').replace(/\/+/g, '/').replace(/^\/|\/$/g, '')),
).check(z.refine((s) => s.length > 0 && !s.split('/').includes('..'), 'must be a folder inside the vault'));

const Trimmed = z.pipe(z.string(), z.transform((s) => s.trim()));

export const SettingsSchema = z.object({
  mode: z.enum(['embedded', 'postgres', 'hooks']),
  connectionString: Trimmed.check(z.refine((s) => s === '' || /^postgres(ql)?:\/\//i.test(s), 'must start with postgres:// or postgresql://')),
  passwordSecret: Trimmed.check(z.refine((s) => s === '' || /^[a-z0-9]+(-[a-z0-9]+)*$/.test(s), 'must be lowercase letters, digits and dashes')),
  dataDir: Trimmed,
  projects: z.string(),
  handoffFolder: Folder,
  sessionsFolder: Folder,
  knowledgeFolder: Folder,
  refreshSeconds: z.coerce.number().check(z.refine((n) => Number.isInteger(n), 'must be a whole number'), z.minimum(1), z.maximum(3600)),
  behindPooler: z.boolean(),
  autoWriteNotes: z.boolean(),
  vaultSync: z.boolean(),
  vaultSyncFolders: z.string().check(z.refine((s) => !s.split(',').some((f) => f.trim().replace(/\\/g, '/').split('/').includes('..')), 'must be folders inside the vault')),
  vaultSyncWholeVault: z.boolean(),
  vaultSyncMarkAll: z.boolean(),
});

/** Reads saved data: every valid field is kept, anything missing or invalid falls back to its default.
 *  A password in the connection string is dropped (see readStoredSettings to move it). */
export function loadSettings(raw: unknown): ClaudeFamilySettings {
  return readStoredSettings(raw).settings;
}

/**
 * Reads saved data, and takes out a password an older data.json kept in its connection string: the
 * caller moves it into secret storage and saves the settings without it.
 */
export function readStoredSettings(raw: unknown): { settings: ClaudeFamilySettings; password?: string } {
  const data = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const out: ClaudeFamilySettings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof ClaudeFamilySettings)[]) {
    if (!(key in data)) continue;
    const parsed = SettingsSchema.shape[key].safeParse(data[key]);
    if (parsed.success) (out as unknown as Record<string, unknown>)[key] = parsed.data;
  }
  // Older data without a mode: a saved connection string means Postgres.
  if (!('mode' in data) && out.connectionString) out.mode = 'postgres';
  const { connectionString, password } = splitPassword(out.connectionString);
  out.connectionString = connectionString;
  return password === undefined ? { settings: out } : { settings: out, password };
}

export function projectList(settings: Pick<ClaudeFamilySettings, 'projects'>): string[] {
  return [...new Set(settings.projects.split(',').map((p) => p.trim()).filter((p) => p.length > 0))];
}

export function currentProject(settings: Pick<ClaudeFamilySettings, 'projects'>): string | undefined {
  return projectList(settings)[0];
}

/** The connection string without its password, and the password (decoded), if it had one. */
export function splitPassword(value: string): { connectionString: string; password?: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not a URL we can edit: keep nothing that might be a secret after the user name.
    return /:[^:@/]*@/.test(value) ? { connectionString: value.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1@') } : { connectionString: value };
  }
  if (!url.password) return { connectionString: value };
  let password: string;
  try {
    password = decodeURIComponent(url.password);
  } catch {
    password = url.password;
  }
  url.password = '';
  return { connectionString: url.toString(), password };
}

/** The connection string to connect with: the saved one plus the password from secret storage. */
export function withPassword(connectionString: string, password: string | null | undefined): string {
  if (!password || !connectionString) return connectionString;
  try {
    const url = new URL(connectionString);
    // Encoded by hand: the URL setter would leave a `%` in the password as it is.
    url.password = encodeURIComponent(password);
    return url.toString();
  } catch {
    return connectionString;
  }
}
