// Where the plugin's connection comes from, and where its password is kept. data.json (often synced
// with the vault) holds a connection string without password and the id of a secret in Obsidian's
// secret storage; or the plugin follows the hooks' own config file, which lives outside the vault.
import { existsSync } from 'node:fs';
import { configFilePath, loadConfig, type Env } from '../core/config.js';
import { DEFAULT_PASSWORD_SECRET, withPassword, type ClaudeFamilySettings } from './settings.js';

/** The part of Obsidian's SecretStorage the plugin uses (app.secretStorage, Obsidian 1.11.4+). */
export interface Secrets {
  getSecret(id: string): string | null;
  setSecret(id: string, secret: string): void;
}

/** True when the hooks have a config of their own to follow: their config file or their environment variable. */
export function hooksConfigExists(env: Env = process.env): boolean {
  return !!env.CLAUDE_FAMILY_DATABASE_URL || existsSync(configFilePath(env));
}

/** Where the hooks' configuration is read from, in words. */
export function hooksConfigSource(env: Env = process.env): string {
  return env.CLAUDE_FAMILY_DATABASE_URL ? 'CLAUDE_FAMILY_DATABASE_URL' : configFilePath(env);
}

/**
 * The settings the connection uses: `hooks` resolved into what the hooks' config says, and the Postgres
 * password taken from secret storage. Never saved.
 */
export function connectionSettings(settings: ClaudeFamilySettings, secrets: Secrets | undefined, env: Env = process.env): ClaudeFamilySettings {
  if (settings.mode === 'hooks') {
    // A broken config file is reported by the connection (as a ConfigError), not here.
    let config: ReturnType<typeof loadConfig> | undefined;
    try {
      config = loadConfig(env);
    } catch {
      config = undefined;
    }
    if (config?.databaseUrl) return { ...settings, mode: 'postgres', connectionString: config.databaseUrl };
    return { ...settings, mode: 'embedded', dataDir: config?.dataDir ?? '' };
  }
  if (settings.mode === 'postgres' && settings.passwordSecret) {
    return { ...settings, connectionString: withPassword(settings.connectionString, secrets?.getSecret(settings.passwordSecret)) };
  }
  return settings;
}

/**
 * Moves a password found in an older data.json into secret storage. Returns the settings to save (with
 * the secret's id) and the notice to show, or undefined when secret storage is not available.
 */
export function movePasswordToSecrets(settings: ClaudeFamilySettings, password: string, secrets: Secrets | undefined): { settings: ClaudeFamilySettings; notice: string } | undefined {
  if (!secrets) return undefined;
  const id = settings.passwordSecret || DEFAULT_PASSWORD_SECRET;
  secrets.setSecret(id, password);
  return {
    settings: { ...settings, passwordSecret: id },
    notice: `Claude Family: the Postgres password was moved out of the plugin's data.json into Obsidian's secret storage (secret "${id}").`,
  };
}
