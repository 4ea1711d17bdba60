import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, applyConnectionStringEdit, currentProject, loadSettings, maskConnectionString, projectList } from '../src/plugin/settings.js';
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

  it('masks the saved password and keeps it when the masked field is edited', () => {
    const saved = 'postgres://me:p%40ss@db.example:5432/claude';
    expect(maskConnectionString(saved)).toBe('postgres://me:***@db.example:5432/claude');
    expect(applyConnectionStringEdit(saved, 'postgres://me:***@db2.example:5432/claude')).toBe('postgres://me:p%40ss@db2.example:5432/claude');
    expect(applyConnectionStringEdit(saved, 'postgres://me:newpw@db.example/claude')).toBe('postgres://me:newpw@db.example/claude');
    expect(applyConnectionStringEdit('', 'postgres://me:***@h/db')).toBe('postgres://me:***@h/db');
  });

  it('uses the hooks\' data directory unless one is set', () => {
    const env = { HOME: '/home/u', CLAUDE_FAMILY_CONFIG: '/nonexistent/config.json' };
    expect(embeddedDataDir({ dataDir: '' }, env)).toBe('/home/u/.local/share/claude-family');
    expect(embeddedDataDir({ dataDir: '' }, { ...env, CLAUDE_FAMILY_DATA_DIR: '/d' })).toBe('/d');
    expect(embeddedDataDir({ dataDir: '/mine' }, env)).toBe('/mine');
  });
});
