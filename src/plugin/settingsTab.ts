// The settings tab: where the data comes from (the hooks' config, the embedded database, or a Postgres
// server with its password in Obsidian's secret storage), projects, folders, live notes and the
// refresh interval. Text fields are saved after a pause in typing, never per keystroke: each save of a
// connection field means a new connection, and a half-typed host name means a DNS lookup.
import { PluginSettingTab, SecretComponent, Setting, type App, type Plugin } from 'obsidian';
import { embeddedDataDir, type Connection } from './connection.js';
import { hooksConfigExists, hooksConfigSource, type Secrets } from './credentials.js';
import { connectionProblem } from './problems.js';
import { DEFAULT_PASSWORD_SECRET, SettingsSchema, splitPassword, type ClaudeFamilySettings, type ConnectionMode } from './settings.js';

export { connectionProblem } from './problems.js';

export interface SettingsHost extends Plugin {
  settings: ClaudeFamilySettings;
  connection: Connection;
  updateSettings(patch: Partial<ClaudeFamilySettings>): Promise<void>;
  /** Re-reads the hooks' config and the password and connects again. */
  reconnect(): Promise<void>;
  secrets(): Secrets | undefined;
}

/** How long typing must pause before a text field is saved (and, for connection fields, used). */
export const TYPING_PAUSE_MS = 800;

type TextKey = 'connectionString' | 'dataDir' | 'projects' | 'handoffFolder' | 'sessionsFolder' | 'knowledgeFolder' | 'refreshSeconds' | 'vaultSyncFolders';

export class ClaudeFamilySettingTab extends PluginSettingTab {
  /** The result of the last "Test connection", shown under the button. */
  testResultEl?: HTMLElement;
  /** Edits waiting for a pause in typing. */
  private readonly pending = new Map<TextKey, { timer: number; patch: Partial<ClaudeFamilySettings> }>();

  constructor(
    app: App,
    private readonly host: SettingsHost,
  ) {
    super(app, host);
  }

  override display(): void {
    this.render();
  }

  override hide(): void {
    void this.flush();
    super.hide();
  }

  private render(): void {
    const c = this.containerEl;
    c.empty();
    const s = this.host.settings;
    const hooksFile = hooksConfigExists();

    new Setting(c)
      .setName('Database')
      .setDesc(
        `Same as the Claude Code hooks: whatever their config (${hooksConfigSource()}${hooksFile ? '' : ', not found'}) says, read from outside the vault. ` +
          'Embedded: the database in the hooks\' data directory. Postgres: a server, with live updates.',
      )
      .addDropdown((d) =>
        d
          .addOptions({ hooks: `Same as the Claude Code hooks${hooksFile ? ' (recommended)' : ''}`, embedded: 'Embedded (shared with the hooks)', postgres: 'Postgres server' })
          .setValue(s.mode)
          .onChange(async (v) => {
            await this.flush();
            await this.host.updateSettings({ mode: SettingsSchema.shape.mode.safeParse(v).data ?? ('embedded' satisfies ConnectionMode) });
            this.render();
          }),
      );

    if (s.mode === 'postgres') {
      const conn = new Setting(c).setName('Connection string').setDesc('The server, without the password: user, host, port and database. The password is chosen below.');
      conn.addText((t) => {
        t.setPlaceholder('postgres://user@localhost:5432/claude').setValue(s.connectionString);
        t.inputEl.addClass('claude-family-wide');
        t.onChange((typed) => {
          const { connectionString, password } = splitPassword(typed.trim());
          const ok = SettingsSchema.shape.connectionString.safeParse(connectionString);
          if (!ok.success) {
            this.cancel('connectionString');
            conn.setDesc(`Not saved: the connection string ${ok.error.issues[0]?.message ?? 'is invalid'}.`);
            return;
          }
          if (password !== undefined) {
            // Never kept in data.json: into secret storage, and out of the field.
            const id = this.host.settings.passwordSecret || DEFAULT_PASSWORD_SECRET;
            this.host.secrets()?.setSecret(id, password);
            t.setValue(ok.data);
            conn.setDesc(`The password was moved into Obsidian's secret storage (secret "${id}").`);
            this.later('connectionString', { connectionString: ok.data, passwordSecret: id });
            return;
          }
          conn.setDesc('Saved after a pause in typing.');
          this.later('connectionString', { connectionString: ok.data });
        });
      });

      new Setting(c)
        .setName('Password')
        .setDesc('Kept in Obsidian\'s secret storage on this device, never in the plugin\'s data.json (which syncs with the vault). Empty: no password.')
        .addComponent((el) =>
          new SecretComponent(this.app, el).setValue(s.passwordSecret).onChange(async (id) => {
            await this.host.updateSettings({ passwordSecret: id });
          }),
        );
    } else if (s.mode === 'embedded') {
      const fallback = embeddedDataDir({ dataDir: '' });
      new Setting(c)
        .setName('Data directory')
        .setDesc(`The hooks' data directory (the local database is its postgres/ folder). Empty: ${fallback}.`)
        .addText((t) => t.setPlaceholder(fallback).setValue(s.dataDir).onChange((v) => this.later('dataDir', { dataDir: v.trim() })));
    }

    if (s.mode !== 'embedded') {
      new Setting(c)
        .setName('Server is behind a pooler')
        .setDesc(
          'PgBouncer, Supavisor or RDS Proxy in transaction mode: notifications (LISTEN) cannot work through them, so changes are polled at the refresh interval instead. ' +
            'The plugin also finds this out by itself; the status bar\'s tooltip says when it polls.',
        )
        .addToggle((t) => t.setValue(s.behindPooler).onChange(async (v) => this.host.updateSettings({ behindPooler: v })));
    }

    const test = new Setting(c).setName('Test connection').setDesc(this.host.connection.describe());
    test.addButton((b) => b.setButtonText('Test connection').onClick(() => void this.testConnection()));
    this.testResultEl = test.descEl.createDiv({ cls: 'claude-family-test-result' });

    new Setting(c)
      .setName('Projects')
      .setDesc('Comma-separated. The first is the current project (handoff blocks without "project:", new todos, the status bar). Their handoff notes and session notes are kept current.')
      .addText((t) => t.setPlaceholder('Project names, comma-separated').setValue(s.projects).onChange((v) => this.later('projects', { projects: v })));

    new Setting(c)
      .setName('Write notes automatically')
      .setDesc('Rewrite the handoff note of each project and the session notes when their data changes (only when their text changes). Off: only the commands write them, for fewer writes in a synced vault.')
      .addToggle((t) => t.setValue(s.autoWriteNotes).onChange(async (v) => this.host.updateSettings({ autoWriteNotes: v })));

    this.folderSetting(c, 'Handoff folder', 'Where the handoff notes are written.', 'handoffFolder');
    this.folderSetting(c, 'Session notes folder', 'One note per Claude Code session.', 'sessionsFolder');
    this.folderSetting(c, 'Knowledge folder', 'Where knowledge entries are written as notes. Every note in it syncs with the database.', 'knowledgeFolder');

    new Setting(c).setName('Vault as knowledge').setHeading();
    new Setting(c)
      .setName('Sync notes with the database')
      .setDesc('Notes with a "projects:" key in their frontmatter, and the notes in the knowledge folder, are stored as knowledge entries and kept in sync both ways. Synced notes are readable by everyone who can read the database. A note can opt out in its frontmatter.')
      .addToggle((t) => t.setValue(s.vaultSync).onChange(async (v) => this.host.updateSettings({ vaultSync: v })));
    const folders = new Setting(c).setName('More folders to sync').setDesc('Comma-separated folders whose every note syncs too.');
    folders.addText((t) =>
      t.setPlaceholder('Folders, comma-separated').setValue(s.vaultSyncFolders).onChange((v) => {
        const ok = SettingsSchema.shape.vaultSyncFolders.safeParse(v);
        folders.setDesc(ok.success ? 'Comma-separated folders whose every note syncs too.' : `Not saved: ${ok.error.issues[0]?.message}.`);
        if (ok.success) this.later('vaultSyncFolders', { vaultSyncFolders: ok.data });
        else this.cancel('vaultSyncFolders');
      }),
    );
    new Setting(c)
      .setName('Sync the whole vault')
      .setDesc('Every note syncs, except notes that opt out, hidden folders and the handoff and session notes.')
      .addToggle((t) => t.setValue(s.vaultSyncWholeVault).onChange(async (v) => this.host.updateSettings({ vaultSyncWholeVault: v })));
    new Setting(c)
      .setName('Mark every synced note')
      .setDesc('Add "synced: true" and "synced_at" to synced notes that have no "synced:" key (notes that have one are always marked).')
      .addToggle((t) => t.setValue(s.vaultSyncMarkAll).onChange(async (v) => this.host.updateSettings({ vaultSyncMarkAll: v })));

    const refresh = new Setting(c).setName('Refresh interval (seconds)').setDesc('How often the status bar is re-read; behind a pooler, how often everything is (otherwise the database pushes changes as they happen).');
    refresh.addText((t) =>
      t.setValue(String(s.refreshSeconds)).onChange((v) => {
        const ok = SettingsSchema.shape.refreshSeconds.safeParse(v);
        if (ok.success) this.later('refreshSeconds', { refreshSeconds: ok.data });
        else this.cancel('refreshSeconds');
      }),
    );
  }

  private folderSetting(c: HTMLElement, name: string, desc: string, key: 'handoffFolder' | 'sessionsFolder' | 'knowledgeFolder'): void {
    const setting = new Setting(c).setName(name).setDesc(desc);
    setting.addText((t) =>
      t.setValue(this.host.settings[key]).onChange((v) => {
        const ok = SettingsSchema.shape[key].safeParse(v);
        setting.setDesc(ok.success ? desc : `${desc} Not saved: ${ok.error.issues[0]?.message}.`);
        if (ok.success) this.later(key, { [key]: ok.data });
        else this.cancel(key);
      }),
    );
  }

  /** Saves `patch` once typing in `key`'s field has paused. */
  private later(key: TextKey, patch: Partial<ClaudeFamilySettings>): void {
    this.cancel(key);
    const timer = window.setTimeout(() => {
      this.pending.delete(key);
      void this.host.updateSettings(patch);
    }, TYPING_PAUSE_MS);
    this.pending.set(key, { timer, patch });
  }

  private cancel(key: TextKey): void {
    const p = this.pending.get(key);
    if (p) window.clearTimeout(p.timer);
    this.pending.delete(key);
  }

  /** Drops edits still waiting for a pause (the plugin is unloading: nothing may run after it). */
  cancelAll(): void {
    for (const p of this.pending.values()) window.clearTimeout(p.timer);
    this.pending.clear();
  }

  /** Saves every edit still waiting for a pause (before a test, or when the tab closes). */
  async flush(): Promise<void> {
    const patches = [...this.pending.values()];
    for (const p of patches) window.clearTimeout(p.timer);
    this.pending.clear();
    if (patches.length > 0) await this.host.updateSettings(patches.reduce<Partial<ClaudeFamilySettings>>((all, p) => ({ ...all, ...p.patch }), {}));
  }

  /** Saves what was typed, connects afresh (the password may have changed in secret storage) and reports in plain words. */
  async testConnection(): Promise<string> {
    const el = this.testResultEl;
    if (el) {
      el.setText('Testing…');
      el.className = 'claude-family-test-result';
    }
    let text: string;
    let ok = true;
    try {
      await this.flush();
      await this.host.reconnect();
      text = await this.host.connection.test();
    } catch (err) {
      ok = false;
      text = connectionProblem(err);
    }
    if (el) {
      el.setText(text);
      el.className = `claude-family-test-result ${ok ? 'claude-family-ok' : 'claude-family-error'}`;
    }
    return text;
  }
}
