// The Obsidian entry point: wires settings, commands, the code block, the ribbon icon and the status
// bar. The work happens in the modules beside it and in src/core.
import { Notice, Plugin } from 'obsidian';
import { HANDOFF_BLOCK_LANGUAGE } from '../core/render/handoffBlock.js';
import { registerCommands, writeHandoffNoteCommand } from './commands.js';
import { Connection } from './connection.js';
import { HandoffBlocks } from './handoffBlock.js';
import { currentProject, loadSettings, type ClaudeFamilySettings } from './settings.js';
import { ClaudeFamilySettingTab } from './settingsTab.js';
import { StatusBar } from './statusBar.js';

export default class ClaudeFamilyPlugin extends Plugin {
  declare settings: ClaudeFamilySettings;
  connection!: Connection;
  blocks!: HandoffBlocks;
  statusBar!: StatusBar;
  private stopWatching?: () => Promise<void>;
  private statusTimer?: number;

  override async onload(): Promise<void> {
    this.settings = loadSettings(await this.loadData());
    this.connection = new Connection({ settings: () => this.settings });
    this.blocks = new HandoffBlocks({
      connection: this.connection,
      settings: () => this.settings,
      notice: (m) => new Notice(m),
      afterWrite: () => void this.statusBar.refresh(),
    });
    this.registerMarkdownCodeBlockProcessor(HANDOFF_BLOCK_LANGUAGE, this.blocks.processor);
    this.addSettingTab(new ClaudeFamilySettingTab(this.app, this));
    registerCommands(this);
    this.addRibbonIcon('history', 'Claude Family: write handoff note', () => void writeHandoffNoteCommand(this));
    this.statusBar = new StatusBar(this.addStatusBarItem(), this.connection, () => currentProject(this.settings));
    this.startWatching();
    this.app.workspace.onLayoutReady(() => void this.statusBar.refresh());
  }

  override async onunload(): Promise<void> {
    window.clearInterval(this.statusTimer);
    await this.stopWatching?.();
    await this.connection.close();
  }

  private startWatching(): void {
    this.stopWatching = this.connection.watch(async (notice) => {
      const status = !notice || !notice.project || notice.project === currentProject(this.settings);
      await Promise.all([this.blocks.onChange(notice), status ? this.statusBar.refresh() : undefined]);
    });
    // The status bar also refreshes on the interval: it is cheap and catches a dropped LISTEN.
    window.clearInterval(this.statusTimer);
    this.statusTimer = this.registerInterval(window.setInterval(() => void this.statusBar.refresh(), this.settings.refreshSeconds * 1000));
  }

  async updateSettings(patch: Partial<ClaudeFamilySettings>): Promise<void> {
    const before = this.settings;
    this.settings = loadSettings({ ...before, ...patch });
    await this.saveData(this.settings);
    if (before.mode !== this.settings.mode || before.connectionString !== this.settings.connectionString || before.dataDir !== this.settings.dataDir || before.refreshSeconds !== this.settings.refreshSeconds) {
      await this.stopWatching?.();
      await this.connection.reconfigure();
      this.startWatching();
    }
    await this.refreshViews();
  }

  async refreshViews(): Promise<void> {
    await Promise.all([this.blocks.refreshAll(), this.statusBar.refresh()]);
  }
}
