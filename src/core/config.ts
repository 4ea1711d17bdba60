import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { redact } from './db/db.js';
import { issuesText } from './issueText.js';

/**
 * Where the data lives. Resolution order:
 *   1. CLAUDE_FAMILY_DATABASE_URL (a postgres:// connection string)
 *   2. the config file (CLAUDE_FAMILY_CONFIG, else ~/.config/claude-family/config.json): { "databaseUrl": ... }
 *   3. the embedded default: a local Postgres server in the per-user data directory, started on demand
 * The data directory (CLAUDE_FAMILY_DATA_DIR, else $XDG_DATA_HOME/claude-family, else
 * ~/.local/share/claude-family) also holds the spool, whichever backend is used.
 */
export interface Config {
  databaseUrl?: string;
  dataDir: string;
  /** Project name override; otherwise the project is named after the working directory. */
  project?: string;
  /** An Obsidian vault whose notes' `files`/`paths` frontmatter the SessionEnd doc check reads. */
  vaultDir?: string;
  /**
   * SessionStart lists up to 3 knowledge entries matching the focus and next steps (default true); false:
   * config "sessionStartKnowledge": false, or CLAUDE_FAMILY_SESSION_START_KNOWLEDGE=0 (or false, off, no).
   */
  sessionStartKnowledge: boolean;
  /**
   * The UserPromptSubmit hook puts the knowledge relevant to each prompt into Claude's context (default
   * true); false: config "promptKnowledge": false, or CLAUDE_FAMILY_PROMPT_KNOWLEDGE=0 (or false, off, no).
   */
  promptKnowledge: boolean;
  /** Where the config came from, for `status` output (never the secret itself). */
  source: 'env' | 'file' | 'default';
}

const Setting = z.optional(z.string().check(z.trim(), z.minLength(1, 'must not be empty')));
export const ConfigFile = z.strictObject({ databaseUrl: Setting, dataDir: Setting, project: Setting, vaultDir: Setting, sessionStartKnowledge: z.optional(z.boolean()), promptKnowledge: z.optional(z.boolean()) });

/** An on/off environment variable: undefined when unset or empty; a ConfigError for anything else unclear. */
function envSwitch(env: Env, name: string): boolean | undefined {
  const value = env[name]?.trim().toLowerCase();
  if (!value) return undefined;
  if (['1', 'true', 'on', 'yes'].includes(value)) return true;
  if (['0', 'false', 'off', 'no'].includes(value)) return false;
  throw new ConfigError(`${name} must be 1/true/on/yes or 0/false/off/no, got ${JSON.stringify(env[name])}`);
}

export type Env = Record<string, string | undefined>;

export function defaultDataDir(env: Env = process.env): string {
  if (env.CLAUDE_FAMILY_DATA_DIR) return env.CLAUDE_FAMILY_DATA_DIR;
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'claude-family');
}

export function configFilePath(env: Env = process.env): string {
  return env.CLAUDE_FAMILY_CONFIG || join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'claude-family', 'config.json');
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Env = process.env): Config {
  const path = configFilePath(env);
  let file: z.infer<typeof ConfigFile> = {};
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
    // The default file is optional; a file named on purpose is not.
    if (env.CLAUDE_FAMILY_CONFIG) throw new ConfigError(`CLAUDE_FAMILY_CONFIG names ${path}, which does not exist (unset it to use ${configFilePath({ ...env, CLAUDE_FAMILY_CONFIG: undefined })})`);
  }
  if (text !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ConfigError(`${path} is not valid JSON`);
    }
    const parsed = ConfigFile.safeParse(json);
    if (!parsed.success) {
      throw new ConfigError(`${path}: ${issuesText(parsed.error.issues)}`);
    }
    file = parsed.data;
  }
  const dataDir = env.CLAUDE_FAMILY_DATA_DIR || file.dataDir || defaultDataDir(env);
  const project = env.CLAUDE_FAMILY_PROJECT || file.project;
  const vaultDir = env.CLAUDE_FAMILY_VAULT_DIR || file.vaultDir;
  const sessionStartKnowledge = envSwitch(env, 'CLAUDE_FAMILY_SESSION_START_KNOWLEDGE') ?? file.sessionStartKnowledge ?? true;
  const promptKnowledge = envSwitch(env, 'CLAUDE_FAMILY_PROMPT_KNOWLEDGE') ?? file.promptKnowledge ?? true;
  const common = { dataDir, project, ...(vaultDir ? { vaultDir } : {}), sessionStartKnowledge, promptKnowledge };
  if (env.CLAUDE_FAMILY_DATABASE_URL) return { databaseUrl: env.CLAUDE_FAMILY_DATABASE_URL, ...common, source: 'env' };
  if (file.databaseUrl) return { databaseUrl: file.databaseUrl, ...common, source: 'file' };
  return { ...common, source: 'default' };
}

/** A description safe to print: host, port and database, never the password. */
export function describeTarget(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  // The data directory, not the cluster's folder: running as root, the cluster may be kept elsewhere.
  if (!config.databaseUrl) return `the local Postgres in ${config.dataDir}`;
  try {
    const url = new URL(config.databaseUrl);
    const db = url.pathname.replace(/^\//, '') || '(default database)';
    return `Postgres ${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.hostname || 'localhost'}:${url.port || 5432}/${db}`;
  } catch {
    return `Postgres (${redact(config.databaseUrl)})`;
  }
}
