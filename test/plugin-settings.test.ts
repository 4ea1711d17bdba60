import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, currentProject, loadSettings, projectList, readStoredSettings, splitPassword, withPassword } from '../src/plugin/settings.js';
import { connectionSettings, movePasswordToSecrets } from '../src/plugin/credentials.js';
import { embeddedDataDir } from '../src/plugin/connection.js';

describe('plugin settings', () => {
  it('falls back to defaults for missing or invalid fields and keeps the valid ones', () => {
    expect(loadSettings(null)).toEqual(DEFAULT_SETTINGS);
    const s = loadSettings({ projects: 'a, b', refreshSeconds: '0', sessionsFolder: '/Notes/Sessions/', handoffFolder: '../outside', connectionString: 'mysql://x' });
    expect(s.projects).toBe('a, b');
    expect(s.refreshSeconds).toBe(DEFAULT_SETTINGS.refreshSeconds);
    expect(s.sessionsFolder).toBe('Notes/Sessions');
    expect(s.handoffFolder).toBe(DEFAULT_SETTINGS.handoffFolder);
    expect(s.connectionString).toBe('');
  });

  it('treats saved data with a connection string and no mode as Postgres', () => {
    expect(loadSettings({ connectionString: 'postgres://u@h/db' }).mode).toBe('postgres');
    expect(loadSettings({ connectionString: 'postgres://u@h/db', mode: 'embedded' }).mode).toBe('embedded');
  });

  it('lists projects, the first being the current one', () => {
    expect(projectList({ projects: ' a , b,, a ' })).toEqual(['a', 'b']);
    expect(currentProject({ projects: '' })).toBeUndefined();
    expect(currentProject({ projects: 'x, y' })).toBe('x');
  });

  it('never keeps a password in the settings it stores; an older one is handed over to be moved', () => {
    const old = { mode: 'postgres', connectionString: 'postgres://me:p%40ss@db.example:5432/claude?sslmode=require' };
    const { settings, password } = readStoredSettings(old);
    expect(password).toBe('p@ss');
    expect(settings.connectionString).toBe('postgres://me@db.example:5432/claude?sslmode=require');
    expect(JSON.stringify(settings)).not.toMatch(/p%40ss|p@ss/);
    expect(JSON.stringify(loadSettings(old))).not.toContain('p%40ss');
    expect(readStoredSettings({ connectionString: 'postgres://me@h/db' }).password).toBeUndefined();

    const store = new Map<string, string>();
    const secrets = { getSecret: (id: string) => store.get(id) ?? null, setSecret: (id: string, v: string) => void store.set(id, v) };
    const moved = movePasswordToSecrets(settings, password!, secrets)!;
    expect(moved.settings.passwordSecret).toBe('claude-family-postgres-password');
    expect(store.get('claude-family-postgres-password')).toBe('p@ss');
    expect(moved.notice).toMatch(/moved out of the plugin's data\.json into Obsidian's secret storage/);
    // What the connection uses: the password back in, encoded.
    expect(connectionSettings(moved.settings, secrets).connectionString).toBe('postgres://me:p%40ss@db.example:5432/claude?sslmode=require');
  });

  it('splits and joins passwords with any character in them', () => {
    for (const pw of ['s3cret', 'p@ss w%rd', 'ünïcode:/?#']) {
      const joined = withPassword('postgres://u@h:5432/db', pw);
      expect(splitPassword(joined)).toEqual({ connectionString: 'postgres://u@h:5432/db', password: pw });
      expect(new URL(joined).username).toBe('u');
    }
    expect(withPassword('postgres://u@h/db', null)).toBe('postgres://u@h/db');
  });

  it('follows the hooks\' config file in "hooks" mode', () => {
    const env = { HOME: '/home/u' };
    const hooks = { ...DEFAULT_SETTINGS, mode: 'hooks' as const };
    expect(connectionSettings(hooks, undefined, { ...env, CLAUDE_FAMILY_DATABASE_URL: 'postgres://x@h/db' })).toMatchObject({ mode: 'postgres', connectionString: 'postgres://x@h/db' });
    expect(connectionSettings(hooks, undefined, env)).toMatchObject({ mode: 'embedded', dataDir: '/home/u/.local/share/claude-family' });
  });

  it('uses the hooks\' data directory unless one is set', () => {
    const env = { HOME: '/home/u' };
    expect(embeddedDataDir({ dataDir: '' }, env)).toBe('/home/u/.local/share/claude-family');
    expect(embeddedDataDir({ dataDir: '' }, { ...env, CLAUDE_FAMILY_DATA_DIR: '/d' })).toBe('/d');
    expect(embeddedDataDir({ dataDir: '/mine' }, env)).toBe('/mine');
  });
});
