// The Obsidian entry point: wires settings, commands, the code block, live notes, the ribbon icon and
// the status bar. The work happens in the modules beside it and in src/core.
import { Notice, Plugin } from 'obsidian';
import type { ChangeNotice } from '../core/events/changes.js';
import { HANDOFF_BLOCK_LANGUAGE } from '../core/render/handoffBlock.js';
import { registerCommands, reportError, writeHandoffNoteCommand } from './commands.js';
import { Connection } from './connection.js';
import { connectionSettings, hooksConfigExists, movePasswordToSecrets, type Secrets } from './credentials.js';
import { HandoffBlocks } from './handoffBlock.js';
import { LiveNotes } from './liveNotes.js';
import { registerOverview, type OverviewRegistration } from './overviewView.js';
import { currentProject, readStoredSettings, type ClaudeFamilySettings } from './settings.js';
import { ClaudeFamilySettingTab } from './settingsTab.js';
import { StatusBar } from './statusBar.js';
import { acceptNote, VaultSync } from './vaultSync.js';

/** Settings whose change means a new connection. */
const CONNECTION_KEYS: (keyof ClaudeFamilySettings)[] = ['mode', 'connectionString', 'passwordSecret', 'dataDir', 'refreshSeconds', 'behindPooler'];
/** Settings whose change means the vault sync looks again. */
const VAULT_SYNC_KEYS: (keyof ClaudeFamilySettings)[] = ['vaultSync', 'vaultSyncFolders', 'vaultSyncWholeVault', 'vaultSyncMarkAll', 'knowledgeFolder', 'handoffFolder', 'sessionsFolder'];

export default class ClaudeFamilyPlugin extends Plugin {
  declare settings: ClaudeFamilySettings;
  connection!: Connection;
  blocks!: HandoffBlocks;
  liveNotes!: LiveNotes;
  vaultSync!: VaultSync;
  statusBar!: StatusBar;
  settingTab!: ClaudeFamilySettingTab;
  overview!: OverviewRegistration;
  /** The settings the connection uses (the hooks' config and the password resolved); never saved. */
  private resolved!: ClaudeFamilySettings;
  private stopWatching?: () => Promise<void>;
  private statusTimer?: number;
  private lastLiveError?: string;

  override async onload(): Promise<void> {
    await this.loadSettings();
    this.resolved = this.resolveConnection();
    this.connection = new Connection({ settings: () => this.resolved });
    this.blocks = new HandoffBlocks({
      connection: this.connection,
      settings: () => this.settings,
      notice: (m) => new Notice(m),
      afterWrite: () => this.statusBar.schedule(),
    });
    this.liveNotes = new LiveNotes({
      vault: this.app.vault,
      connection: this.connection,
      settings: () => this.settings,
      notice: (m) => new Notice(m),
      onError: (err) => this.reportLiveError(err),
    });
    this.vaultSync = new VaultSync({
      vault: this.app.vault,
      connection: this.connection,
      settings: () => this.settings,
      // Said in the status bar's tooltip (a database that is down is already shown there), not in a notice per try.
      onError: () => this.statusBar.schedule(),
      onReport: () => this.statusBar.schedule(),
    });
    this.vaultSync.register((ref) => this.registerEvent(ref));
    this.addCommand({ id: 'sync-vault', name: 'Sync vault to Claude', callback: () => this.vaultSync.runWithNotice() });
    this.addCommand({
      id: 'accept-knowledge-note',
      name: 'Accept current knowledge note',
      checkCallback: (checking) => {
        const file = this.app.workspace.getActiveFile();
        if (!file || this.app.metadataCache.getFileCache(file)?.frontmatter?.review !== 'pending') return false;
        if (!checking) void acceptNote(this.app.vault, file).then(() => new Notice(`Claude Family: ${file.basename} accepted.`), (err) => reportError('note not accepted', err));
        return true;
      },
    });
    this.registerMarkdownCodeBlockProcessor(HANDOFF_BLOCK_LANGUAGE, this.blocks.processor);
    this.settingTab = new ClaudeFamilySettingTab(this.app, this);
    this.addSettingTab(this.settingTab);
    registerCommands(this);
    this.addRibbonIcon('history', 'Write Claude handoff note', () => void writeHandoffNoteCommand(this));
    this.overview = registerOverview(this);
    this.statusBar = new StatusBar(this.addStatusBarItem(), this.connection, () => currentProject(this.settings), () => (this.settings.vaultSync ? this.vaultSync.statusLine() : undefined));
    this.registerDomEvent(this.statusBar.el, 'click', () => this.openSettings());
    // Blocks and views that were hidden when their data changed refresh when they are shown again.
    this.registerEvent(this.app.workspace.on('layout-change', () => this.refreshStale()));
    this.registerEvent(this.app.workspace.on('active-leaf-change', () => this.refreshStale()));
    // Pending timers and writes end with the plugin.
    this.register(() => {
      this.liveNotes.stop();
      this.vaultSync.stop();
      this.blocks.stop();
      this.statusBar.stop();
      this.settingTab.cancelAll();
    });
    // Nothing touches the database before the workspace is ready: startup stays fast.
    this.app.workspace.onLayoutReady(() => {
      this.startWatching();
      this.statusBar.schedule(0);
      this.liveNotes.onChange(undefined);
      this.vaultSync.start();
    });
  }

  /** Synchronous, as Obsidian calls it: cancels pending work and lets the connection close in the background. */
  override onunload(): void {
    window.clearInterval(this.statusTimer);
    const stop = this.stopWatching;
    this.stopWatching = undefined;
    void (async () => {
      await stop?.().catch(() => {});
      await this.connection.close().catch(() => {});
    })();
  }

  /** Reads data.json; a password an older version kept there moves into secret storage. */
  private async loadSettings(): Promise<void> {
    const raw: unknown = await this.loadData();
    const { settings, password } = readStoredSettings(raw);
    // A first start, with the hooks configured on this machine: follow their config file.
    const fresh = !raw || typeof raw !== 'object' || !('mode' in raw);
    if (fresh && !settings.connectionString && hooksConfigExists()) settings.mode = 'hooks';
    this.settings = settings;
    if (password !== undefined) {
      const moved = movePasswordToSecrets(settings, password, this.secrets());
      if (moved) this.settings = moved.settings;
      await this.saveData(this.settings);
      new Notice(moved?.notice ?? 'Claude Family: the Postgres password was removed from the plugin\'s data.json; choose it again under "Password" in the settings.', 10_000);
    }
  }

  /** Obsidian's secret storage (1.11.4 and later). */
  secrets(): Secrets | undefined {
    return (this.app as { secretStorage?: Secrets }).secretStorage;
  }

  private resolveConnection(): ClaudeFamilySettings {
    return connectionSettings(this.settings, this.secrets());
  }

  private startWatching(): void {
    this.stopWatching = this.connection.watch((notice) => this.onDataChange(notice));
    // The status bar also refreshes on the interval: it is cheap and catches a dropped LISTEN.
    window.clearInterval(this.statusTimer);
    this.statusTimer = this.registerInterval(window.setInterval(() => this.statusBar.schedule(0), this.settings.refreshSeconds * 1000));
  }

  /** Blocks and views that went stale while hidden, shown again. */
  private refreshStale(): void {
    void this.blocks.refreshStale();
    this.overview.refreshStale();
  }

  /** A NOTIFY (or a poll): everything that shows the data is refreshed, debounced. */
  private onDataChange(notice: ChangeNotice | undefined): void {
    // Knowledge entries live in the vault's notes only: an entry made elsewhere becomes a note.
    if (notice?.table === 'knowledge') return void this.vaultSync.onChange();
    if (!notice) this.vaultSync.onChange();
    this.blocks.onChange(notice);
    if (!notice || !notice.project || notice.project === currentProject(this.settings)) this.statusBar.schedule();
    this.liveNotes.onChange(notice);
    this.overview.onChange(notice);
  }

  private reportLiveError(err: unknown): void {
    const text = (err as Error)?.message ?? String(err);
    // Once per distinct failure: a server that is down is not announced on every change.
    if (text === this.lastLiveError) return;
    this.lastLiveError = text;
    reportError('notes not updated', err);
  }

  async updateSettings(patch: Partial<ClaudeFamilySettings>): Promise<void> {
    const before = this.settings;
    this.settings = readStoredSettings({ ...before, ...patch }).settings;
    await this.saveData(this.settings);
    if (CONNECTION_KEYS.some((k) => before[k] !== this.settings[k])) await this.reconnect();
    // Notes just switched on (or new projects): bring them up to date now.
    if ((this.settings.autoWriteNotes && !before.autoWriteNotes) || before.projects !== this.settings.projects) this.liveNotes.onChange(undefined);
    if (VAULT_SYNC_KEYS.some((k) => before[k] !== this.settings[k])) this.vaultSync.schedule(0);
    await this.refreshViews();
  }

  /** Re-reads the hooks' config and the password, and starts over with a new connection. */
  async reconnect(): Promise<void> {
    const watching = this.stopWatching !== undefined;
    await this.stopWatching?.();
    this.stopWatching = undefined;
    this.resolved = this.resolveConnection();
    await this.connection.reconfigure();
    if (watching) this.startWatching();
  }

  async refreshViews(): Promise<void> {
    await Promise.all([this.blocks.refreshAll(), this.statusBar.refresh(), this.overview.refreshAll()]);
  }

  /**
   * Opens this plugin's tab in Obsidian's settings. The settings modal (`app.setting`) is not part of
   * obsidian.d.ts, so it is used only when present; otherwise a notice says where the tab is.
   */
  openSettings(): void {
    const setting = (this.app as { setting?: { open?: () => void; openTabById?: (id: string) => void } }).setting;
    if (typeof setting?.open === 'function' && typeof setting.openTabById === 'function') {
      setting.open();
      setting.openTabById(this.manifest.id);
      return;
    }
    new Notice('Claude Family: open the settings, then the Claude Family tab.');
  }
}
