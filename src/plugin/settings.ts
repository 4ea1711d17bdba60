// The plugin's settings: what is stored in its data.json and how it is read back. No Obsidian imports
// here, so the rules (defaults, validation, the masked connection string) are plain functions.
import { z } from 'zod';
import { redact } from '../core/db/db.js';

export type ConnectionMode = 'embedded' | 'postgres';

export interface ClaudeFamilySettings {
  /** `embedded`: the hooks' local server (in their data directory); `postgres`: a server at connectionString. */
  mode: ConnectionMode;
  /** postgres://user:password@host:port/db. Stored in the plugin's data only; shown masked. */
  connectionString: string;
  /** The hooks' data directory (server.json there says how to reach the local server); empty: the hooks' own default. */
  dataDir: string;
  /** Comma-separated project names. The first is the current project (blocks, new todos, status bar);
   *  session notes are synced for these only (all projects when empty). */
  projects: string;
  handoffFolder: string;
  sessionsFolder: string;
  knowledgeFolder: string;
  /** Seconds between the status bar's refreshes (changes themselves arrive by NOTIFY). */
  refreshSeconds: number;
}

export const DEFAULT_SETTINGS: ClaudeFamilySettings = {
  mode: 'embedded',
  connectionString: '',
  dataDir: '',
  projects: '',
  handoffFolder: 'Claude/Handoff',
  sessionsFolder: 'Claude/Sessions',
  knowledgeFolder: 'Claude/Knowledge',
  refreshSeconds: 30,
};

const Folder = z
  .string()
  .trim()
  .transform((s) => s.replace(/\\/g, '/').replace(/\/+/g, '/').replace(/^\/|\/$/g, ''))
  .refine((s) => s.length > 0 && !s.split('/').includes('..'), 'must be a folder inside the vault');

export const SettingsSchema = z.object({
  mode: z.enum(['embedded', 'postgres']),
  connectionString: z
    .string()
    .trim()
    .refine((s) => s === '' || /^postgres(ql)?:\/\//i.test(s), 'must start with postgres:// or postgresql://'),
  dataDir: z.string().trim(),
  projects: z.string(),
  handoffFolder: Folder,
  sessionsFolder: Folder,
  knowledgeFolder: Folder,
  refreshSeconds: z.coerce.number().int().min(1).max(3600),
});

/** Reads saved data: every valid field is kept, anything missing or invalid falls back to its default. */
export function loadSettings(raw: unknown): ClaudeFamilySettings {
  const data = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const out: ClaudeFamilySettings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof ClaudeFamilySettings)[]) {
    if (!(key in data)) continue;
    const parsed = SettingsSchema.shape[key].safeParse(data[key]);
    if (parsed.success) (out as unknown as Record<string, unknown>)[key] = parsed.data;
  }
  // Older data without a mode: a saved connection string means Postgres.
  if (!('mode' in data) && out.connectionString) out.mode = 'postgres';
  return out;
}

export function projectList(settings: Pick<ClaudeFamilySettings, 'projects'>): string[] {
  return [...new Set(settings.projects.split(',').map((p) => p.trim()).filter((p) => p.length > 0))];
}

export function currentProject(settings: Pick<ClaudeFamilySettings, 'projects'>): string | undefined {
  return projectList(settings)[0];
}

/** What the settings field shows for a saved connection string: the password masked. */
export function maskConnectionString(value: string): string {
  return redact(value);
}

function passwordOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.password || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The connection string to store after the user edited the masked field. Where the masked password
 * (`***`) is still in place, the saved password is kept; a password typed over it replaces it.
 */
export function applyConnectionStringEdit(saved: string, typed: string): string {
  const text = typed.trim();
  const password = passwordOf(saved);
  if (!password || !/:\*\*\*@/.test(text)) return text;
  return text.replace(/:\*\*\*@/, `:${password}@`);
}
