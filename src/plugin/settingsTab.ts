// The settings tab: connection (embedded or Postgres, with "Test connection"), projects, folders and
// the refresh interval. The saved connection string is only ever shown with its password masked.
import { PluginSettingTab, Setting, type App, type Plugin } from 'obsidian';
import { ConfigError } from '../core/config.js';
import { DbUnavailableError, redact } from '../core/db/db.js';
import { MigrationError } from '../core/db/migrate.js';
import { embeddedDataDir, type Connection } from './connection.js';
import { SettingsSchema, applyConnectionStringEdit, maskConnectionString, type ClaudeFamilySettings } from './settings.js';

export interface SettingsHost extends Plugin {
  settings: ClaudeFamilySettings;
  connection: Connection;
  updateSettings(patch: Partial<ClaudeFamilySettings>): Promise<void>;
}

/** A connection failure in plain words, never with the password. */
export function connectionProblem(err: unknown): string {
  if (err instanceof DbUnavailableError) return `Cannot reach the database: ${redact(err.message)}.`;
  if (err instanceof ConfigError) return `Not configured: ${redact(err.message)}.`;
  if (err instanceof MigrationError) return `The database schema could not be brought up to date: ${redact(err.message)}`;
  const e = err as { code?: string; message?: string };
  if (e?.code === '42501') return `The database user may not do this: ${redact(e.message ?? '')}`;
  return `Connection failed: ${redact(e?.message ?? String(err))}`;
}

export class ClaudeFamilySettingTab extends PluginSettingTab {
  /** The result of the last "Test connection", shown under the button. */
  testResultEl?: HTMLElement;

  constructor(
    app: App,
    private readonly host: SettingsHost,
  ) {
    super(app, host);
  }

  override display(): void {
    const c = this.containerEl;
    c.replaceChildren();
    const s = this.host.settings;

    new Setting(c)
      .setName('Database')
      .setDesc('Embedded: the same per-user database the Claude Code hooks use. Postgres: a server, with live updates.')
      .addDropdown((d) =>
        d
          .addOptions({ embedded: 'Embedded (shared with the hooks)', postgres: 'Postgres server' })
          .setValue(s.mode)
          .onChange(async (v) => {
            await this.host.updateSettings({ mode: v === 'postgres' ? 'postgres' : 'embedded' });
            this.display();
          }),
      );

    if (s.mode === 'postgres') {
      const conn = new Setting(c)
        .setName('Connection string')
        .setDesc('postgres://user:password@host:5432/database. Stored in this plugin\'s data only; the password is shown masked.');
      conn.addText((t) => {
        t.setPlaceholder('postgres://user:password@localhost:5432/claude').setValue(maskConnectionString(s.connectionString));
        t.inputEl.classList.add('claude-family-wide');
        t.onChange(async (typed) => {
          const next = applyConnectionStringEdit(this.host.settings.connectionString, typed);
          const ok = SettingsSchema.shape.connectionString.safeParse(next);
          conn.setDesc(ok.success ? 'Saved. The password is shown masked.' : `Not saved: the connection string ${ok.error.issues[0]?.message ?? 'is invalid'}.`);
          if (ok.success) await this.host.updateSettings({ connectionString: ok.data });
        });
      });
    } else {
      new Setting(c)
        .setName('Data directory')
        .setDesc(`The hooks' data directory (the local database is its postgres/ folder). Empty: ${embeddedDataDir({ dataDir: '' })}.`)
        .addText((t) => t.setPlaceholder(embeddedDataDir({ dataDir: '' })).setValue(s.dataDir).onChange(async (v) => this.host.updateSettings({ dataDir: v.trim() })));
    }

    const test = new Setting(c).setName('Test connection').setDesc(this.host.connection.describe());
    test.addButton((b) => b.setButtonText('Test connection').onClick(() => void this.testConnection()));
    this.testResultEl = test.descEl.ownerDocument.createElement('div');
    this.testResultEl.className = 'claude-family-test-result';
    test.descEl.appendChild(this.testResultEl);

    new Setting(c)
      .setName('Projects')
      .setDesc('Comma-separated. The first is the current project (handoff blocks without "project:", new todos, the status bar); session notes are synced for these (all when empty).')
      .addText((t) => t.setPlaceholder('claude-family').setValue(s.projects).onChange(async (v) => this.host.updateSettings({ projects: v })));

    this.folderSetting(c, 'Handoff folder', 'Where "Write handoff note" puts the handoff page.', 'handoffFolder');
    this.folderSetting(c, 'Session notes folder', 'One note per Claude Code session.', 'sessionsFolder');
    this.folderSetting(c, 'Knowledge folder', 'Where knowledge entries are written as notes.', 'knowledgeFolder');

    new Setting(c)
      .setName('Refresh interval (seconds)')
      .setDesc('How often the embedded database is re-read (Postgres pushes changes as they happen).')
      .addText((t) =>
        t.setValue(String(s.refreshSeconds)).onChange(async (v) => {
          const ok = SettingsSchema.shape.refreshSeconds.safeParse(v);
          if (ok.success) await this.host.updateSettings({ refreshSeconds: ok.data });
        }),
      );
  }

  private folderSetting(c: HTMLElement, name: string, desc: string, key: 'handoffFolder' | 'sessionsFolder' | 'knowledgeFolder'): void {
    const setting = new Setting(c).setName(name).setDesc(desc);
    setting.addText((t) =>
      t.setValue(this.host.settings[key]).onChange(async (v) => {
        const ok = SettingsSchema.shape[key].safeParse(v);
        setting.setDesc(ok.success ? desc : `${desc} Not saved: ${ok.error.issues[0]?.message}.`);
        if (ok.success) await this.host.updateSettings({ [key]: ok.data });
      }),
    );
  }

  /** Runs the connection test and shows the outcome in plain words. */
  async testConnection(): Promise<string> {
    const el = this.testResultEl;
    if (el) {
      el.textContent = 'Testing…';
      el.className = 'claude-family-test-result';
    }
    let text: string;
    let ok = true;
    try {
      text = await this.host.connection.test();
    } catch (err) {
      ok = false;
      text = connectionProblem(err);
    }
    if (el) {
      el.textContent = text;
      el.className = `claude-family-test-result ${ok ? 'claude-family-ok' : 'claude-family-error'}`;
    }
    return text;
  }
}
