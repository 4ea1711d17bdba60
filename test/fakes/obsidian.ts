// A small in-memory stand-in for the parts of the Obsidian API the plugin uses, with the same
// signatures as node_modules/obsidian/obsidian.d.ts (the classes `implements` the real types where
// practical, so tsc keeps the fake honest). vitest.config.ts aliases 'obsidian' to this file; the
// built main.js test loads a CommonJS bundle of it. DOM nodes come from the test environment (happy-dom).
import matter from 'gray-matter';
import type * as O from 'obsidian';

// ---------------------------------------------------------------------------------------------
// DOM helpers Obsidian adds to every element (declared in obsidian.d.ts as global augmentations)
// ---------------------------------------------------------------------------------------------

type DomInfo = { cls?: string | string[]; text?: string; attr?: Record<string, string | number | boolean | null> };

function applyInfo(el: HTMLElement, o?: DomInfo | string): void {
  if (typeof o === 'string') {
    el.className = o;
    return;
  }
  if (o?.cls) el.className = Array.isArray(o.cls) ? o.cls.join(' ') : o.cls;
  if (o?.text !== undefined) el.textContent = o.text;
  for (const [k, v] of Object.entries(o?.attr ?? {})) if (v !== null && v !== false) el.setAttribute(k, String(v));
}

/**
 * Obsidian's DOM helpers (createEl, createDiv, setText, isShown...), as obsidian.d.ts declares them, on the
 * given DOM's prototypes: the test environment's (happy-dom) at import, or a window made later (the bench).
 */
export function installDomHelpers(HTMLElementClass: typeof HTMLElement, NodeClass: typeof Node): void {
  if ('isShown' in HTMLElementClass.prototype) return;
  const proto = HTMLElementClass.prototype as unknown as Record<string, unknown>;
  const nodeProto = NodeClass.prototype as unknown as Record<string, unknown>;
  nodeProto.empty = function (this: Node) {
    while (this.firstChild) this.removeChild(this.firstChild);
  };
  nodeProto.setText = function (this: Node, text: string) {
    this.textContent = text;
  };
  nodeProto.appendText = function (this: Node, text: string) {
    this.appendChild((this.ownerDocument ?? document).createTextNode(text));
  };
  proto.addClass = function (this: HTMLElement, ...classes: string[]) {
    this.classList.add(...classes);
  };
  proto.removeClass = function (this: HTMLElement, ...classes: string[]) {
    this.classList.remove(...classes);
  };
  proto.setCssStyles = function (this: HTMLElement, styles: Partial<CSSStyleDeclaration>) {
    Object.assign(this.style, styles);
  };
  nodeProto.createEl = function (this: Node, tag: string, o?: DomInfo | string, cb?: (el: HTMLElement) => void) {
    const el = (this.ownerDocument ?? document).createElement(tag);
    applyInfo(el, o);
    this.appendChild(el);
    cb?.(el);
    return el;
  };
  nodeProto.createDiv = function (this: Node & { createEl: (t: string, o?: unknown, cb?: unknown) => HTMLElement }, o?: DomInfo | string, cb?: (el: HTMLElement) => void) {
    return this.createEl('div', o, cb);
  };
  nodeProto.createSpan = function (this: Node & { createEl: (t: string, o?: unknown, cb?: unknown) => HTMLElement }, o?: DomInfo | string, cb?: (el: HTMLElement) => void) {
    return this.createEl('span', o, cb);
  };
  // As obsidian.d.ts describes it: attached to the document, and neither it nor an ancestor hidden with display: none.
  proto.isShown = function (this: HTMLElement) {
    if (!this.isConnected) return false;
    for (let el: HTMLElement | null = this; el; el = el.parentElement) if (el.style.display === 'none') return false;
    return true;
  };
}
if (typeof HTMLElement !== 'undefined') installDomHelpers(HTMLElement, Node);

// ---------------------------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------------------------

export class Component implements Pick<O.Component, 'load' | 'onload' | 'unload' | 'onunload' | 'register' | 'registerInterval' | 'registerEvent' | 'addChild' | 'removeChild'> {
  private _loaded = false;
  private _children: Component[] = [];
  private _cleanups: (() => unknown)[] = [];

  get loaded(): boolean {
    return this._loaded;
  }

  load(): void {
    if (this._loaded) return;
    this._loaded = true;
    const result = this.onload() as unknown;
    if (result instanceof Promise) void result.catch(() => {});
    for (const c of this._children) c.load();
  }

  /** What the plugin manager does: load, wait for an async onload, then load the children. */
  async loadAndWait(): Promise<void> {
    if (this._loaded) return;
    this._loaded = true;
    await (this.onload() as unknown);
    for (const c of this._children) c.load();
  }

  onload(): void {}

  unload(): void {
    if (!this._loaded) return;
    this._loaded = false;
    for (const c of this._children.splice(0)) c.unload();
    for (const cb of this._cleanups.splice(0)) cb();
    this.onunload();
  }

  onunload(): void {}

  addChild<T extends O.Component>(component: T): T {
    const c = component as unknown as Component;
    this._children.push(c);
    // As in Obsidian: a child loads when its parent is loaded (now, or when the parent loads).
    if (this._loaded) c.load();
    return component;
  }

  removeChild<T extends O.Component>(component: T): T {
    const c = component as unknown as Component;
    this._children = this._children.filter((x) => x !== c);
    c.unload();
    return component;
  }

  register(cb: () => unknown): void {
    this._cleanups.push(cb);
  }

  registerEvent(ref: O.EventRef): void {
    this.register(() => (ref as unknown as FakeEventRef).off());
  }

  registerDomEvent(el: HTMLElement | Document | Window, type: string, callback: (ev: Event) => unknown, options?: boolean | AddEventListenerOptions): void {
    el.addEventListener(type, callback, options);
    this.register(() => el.removeEventListener(type, callback, options));
  }

  registerInterval(id: number): number {
    this.register(() => clearInterval(id));
    return id;
  }
}

export class MarkdownRenderChild extends Component {
  containerEl: HTMLElement;
  constructor(containerEl: HTMLElement) {
    super();
    this.containerEl = containerEl;
  }
}

/** What `on(...)` returns; Component.registerEvent calls off() on unload. */
export class FakeEventRef {
  constructor(readonly off: () => void) {}
}

export class Events {
  private readonly handlers = new Map<string, Set<(...data: unknown[]) => unknown>>();

  on(name: string, callback: (...data: any[]) => unknown): O.EventRef {
    const set = this.handlers.get(name) ?? new Set();
    this.handlers.set(name, set);
    set.add(callback);
    return new FakeEventRef(() => set.delete(callback)) as unknown as O.EventRef;
  }

  offref(ref: O.EventRef): void {
    (ref as unknown as FakeEventRef).off();
  }

  trigger(name: string, ...data: unknown[]): void {
    for (const cb of [...(this.handlers.get(name) ?? [])]) cb(...data);
  }

  /** Test helper: how many handlers listen to `name`. */
  listeners(name: string): number {
    return this.handlers.get(name)?.size ?? 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Files and the vault
// ---------------------------------------------------------------------------------------------

export function normalizePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/\/+/g, '/').replace(/^\/|\/$/g, '').normalize('NFC') || '/';
}

export abstract class TAbstractFile implements O.TAbstractFile {
  vault: O.Vault;
  path: string;
  name: string;
  parent: O.TFolder | null = null;
  constructor(vault: Vault, path: string) {
    this.vault = vault as unknown as O.Vault;
    this.path = path;
    this.name = path.split('/').pop() ?? path;
  }
}

export class TFile extends TAbstractFile implements O.TFile {
  stat: O.FileStats = { ctime: Date.now(), mtime: Date.now(), size: 0 };
  get basename(): string {
    return this.name.replace(/\.[^.]*$/, '');
  }
  get extension(): string {
    return /\.([^.]*)$/.exec(this.name)?.[1] ?? '';
  }
}

export class TFolder extends TAbstractFile implements O.TFolder {
  children: O.TAbstractFile[] = [];
  isRoot(): boolean {
    return this.path === '/';
  }
}

type VaultApi = 'getAbstractFileByPath' | 'getFileByPath' | 'getFolderByPath' | 'create' | 'createFolder' | 'read' | 'cachedRead' | 'readBinary' | 'modify' | 'process' | 'rename' | 'delete' | 'getMarkdownFiles' | 'getFiles';

/**
 * The vault. Events as Obsidian fires them: `create` after a file is written the first time (and, at
 * startup, for every file before the layout is ready: see App.enablePlugin), `modify` after a write,
 * `rename(file, oldPath)` after a move, `delete(file)` after a deletion.
 */
export class Vault extends Events implements Pick<O.Vault, VaultApi> {
  readonly contents = new Map<string, string>();
  readonly entries = new Map<string, TAbstractFile>();
  /** How many times each path was written (create or modify): "rewritten only when changed" is checked with it. */
  readonly writes = new Map<string, number>();
  /** How many writes went through process() (read-modify-write in one step). */
  processed = 0;
  readonly root: TFolder;

  constructor() {
    super();
    this.root = new TFolder(this, '/');
  }

  private parentOf(path: string): TFolder | undefined {
    const i = path.lastIndexOf('/');
    if (i < 0) return this.root;
    const parent = this.entries.get(path.slice(0, i));
    return parent instanceof TFolder ? parent : undefined;
  }

  private attach(entry: TAbstractFile): void {
    const parent = this.parentOf(entry.path);
    if (!parent) throw new Error(`Folder does not exist: ${entry.path}`);
    entry.parent = parent as unknown as O.TFolder;
    parent.children.push(entry as unknown as O.TAbstractFile);
    this.entries.set(entry.path, entry);
  }

  getAbstractFileByPath(path: string): TAbstractFile | null {
    return this.entries.get(normalizePath(path)) ?? null;
  }

  getFileByPath(path: string): TFile | null {
    const f = this.getAbstractFileByPath(path);
    return f instanceof TFile ? f : null;
  }

  getFolderByPath(path: string): TFolder | null {
    const f = this.getAbstractFileByPath(path);
    return f instanceof TFolder ? f : null;
  }

  async create(path: string, data: string, _options?: O.DataWriteOptions): Promise<TFile> {
    const p = normalizePath(path);
    if (this.entries.has(p)) throw new Error('File already exists.');
    const file = new TFile(this, p);
    this.attach(file);
    this.write(file, data);
    this.trigger('create', file);
    return file;
  }

  async createFolder(path: string): Promise<TFolder> {
    const p = normalizePath(path);
    if (this.entries.has(p)) throw new Error('Folder already exists.');
    const folder = new TFolder(this, p);
    this.attach(folder);
    return folder;
  }

  async read(file: O.TFile): Promise<string> {
    const text = this.contents.get(file.path);
    if (text === undefined) throw new Error(`ENOENT: ${file.path}`);
    return text;
  }

  cachedRead(file: O.TFile): Promise<string> {
    return this.read(file);
  }

  async modify(file: O.TFile, data: string, _options?: O.DataWriteOptions): Promise<void> {
    if (!this.contents.has(file.path)) throw new Error(`ENOENT: ${file.path}`);
    this.write(file as unknown as TFile, data);
    this.trigger('modify', file);
  }

  async readBinary(file: O.TFile): Promise<ArrayBuffer> {
    const bytes = new TextEncoder().encode(await this.read(file));
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  /** Moves a file (the folders on the way must exist, as in Obsidian); `rename(file, oldPath)` follows. */
  async rename(file: O.TAbstractFile, newPath: string): Promise<void> {
    const to = normalizePath(newPath);
    const entry = this.entries.get(file.path);
    if (!entry || !(entry instanceof TFile)) throw new Error(`ENOENT: ${file.path}`);
    if (this.entries.has(to)) throw new Error('Destination file already exists!');
    const oldPath = entry.path;
    const text = this.contents.get(oldPath)!;
    this.detach(entry);
    entry.path = to;
    entry.name = to.split('/').pop() ?? to;
    this.attach(entry);
    this.contents.delete(oldPath);
    this.contents.set(to, text);
    this.trigger('rename', entry, oldPath);
  }

  async delete(file: O.TAbstractFile, _force?: boolean): Promise<void> {
    const entry = this.entries.get(file.path);
    if (!entry || !(entry instanceof TFile)) throw new Error(`ENOENT: ${file.path}`);
    this.detach(entry);
    this.contents.delete(entry.path);
    this.trigger('delete', entry);
  }

  private detach(entry: TAbstractFile): void {
    const parent = entry.parent as unknown as TFolder | null;
    if (parent) parent.children = parent.children.filter((c) => (c as unknown) !== entry);
    this.entries.delete(entry.path);
  }

  /** Like Obsidian's: read, change and write in one step, with nothing else writing in between. */
  async process(file: O.TFile, fn: (data: string) => string, _options?: O.DataWriteOptions): Promise<string> {
    const current = this.contents.get(file.path);
    if (current === undefined) throw new Error(`ENOENT: ${file.path}`);
    const next = fn(current);
    this.processed += 1;
    this.write(file as unknown as TFile, next);
    this.trigger('modify', file);
    return next;
  }

  getFiles(): TFile[] {
    return [...this.entries.values()].filter((e): e is TFile => e instanceof TFile);
  }

  getMarkdownFiles(): TFile[] {
    return this.getFiles().filter((f) => f.extension === 'md');
  }

  private write(file: TFile, data: string): void {
    this.contents.set(file.path, data);
    this.writes.set(file.path, (this.writes.get(file.path) ?? 0) + 1);
    file.stat = { ...file.stat, mtime: Date.now(), size: new TextEncoder().encode(data).byteLength };
  }

  /** Test helper: creates the folders on the way and the file. */
  async seed(path: string, data: string): Promise<TFile> {
    const parts = normalizePath(path).split('/');
    for (let i = 1; i < parts.length; i += 1) {
      const folder = parts.slice(0, i).join('/');
      if (!this.entries.has(folder)) await this.createFolder(folder);
    }
    return this.create(path, data);
  }
}

export class MetadataCache implements Pick<O.MetadataCache, 'getFileCache'> {
  constructor(private readonly vault: Vault) {}

  getFileCache(file: O.TFile): O.CachedMetadata | null {
    const text = this.vault.contents.get(file.path);
    if (text === undefined) return null;
    const data = matter(text, {}).data as Record<string, unknown>;
    return Object.keys(data).length > 0 ? { frontmatter: { ...data } } : {};
  }
}

export class FileManager implements Pick<O.FileManager, 'processFrontMatter'> {
  constructor(private readonly vault: Vault) {}

  /** Like Obsidian's: parses the YAML frontmatter, lets `fn` mutate it, writes the note back. */
  async processFrontMatter(file: O.TFile, fn: (frontmatter: any) => void, _options?: O.DataWriteOptions): Promise<void> {
    const parsed = matter(await this.vault.read(file), {});
    const data = { ...(parsed.data as Record<string, unknown>) };
    fn(data);
    await this.vault.modify(file, matter.stringify(parsed.content, data));
  }
}

// ---------------------------------------------------------------------------------------------
// Workspace, views, app
// ---------------------------------------------------------------------------------------------

export class MarkdownView {
  file: TFile | null = null;
}

/**
 * A view in a leaf, as obsidian.d.ts declares it. Obsidian's order: the leaf puts the view's container on
 * the page, loads the view (a Component), then awaits onOpen; closing awaits onClose, then unloads it.
 */
export abstract class View extends Component {
  app: O.App;
  icon = '';
  navigation = false;
  leaf: WorkspaceLeaf;
  containerEl: HTMLElement;
  scope = null;
  constructor(leaf: O.WorkspaceLeaf) {
    super();
    this.leaf = leaf as unknown as WorkspaceLeaf;
    this.app = this.leaf.workspace.app as unknown as O.App;
    this.containerEl = document.createElement('div');
    this.containerEl.className = 'workspace-leaf-content';
  }
  protected async onOpen(): Promise<void> {}
  protected async onClose(): Promise<void> {}
  abstract getViewType(): string;
  abstract getDisplayText(): string;
  getIcon(): string {
    return this.icon;
  }
  /** What WorkspaceLeaf does with a view (Obsidian's own internals, not part of the API plugins call). */
  async fakeOpen(): Promise<void> {
    this.load();
    await this.onOpen();
  }
  async fakeClose(): Promise<void> {
    await this.onClose();
    this.unload();
  }
}

export abstract class ItemView extends View {
  contentEl: HTMLElement;
  constructor(leaf: O.WorkspaceLeaf) {
    super(leaf);
    const header = document.createElement('div');
    header.className = 'view-header';
    this.contentEl = document.createElement('div');
    this.contentEl.className = 'view-content';
    this.containerEl.append(header, this.contentEl);
  }
}

export class WorkspaceLeaf {
  view: MarkdownView | View = new MarkdownView();
  /** The leaf's place on the page: in the document, hidden (display: none) while not shown. */
  readonly el: HTMLElement;
  constructor(
    readonly workspace: Workspace,
    readonly side: 'main' | 'right' = 'main',
  ) {
    this.el = document.createElement('div');
    this.el.className = `workspace-leaf fake-${side}`;
  }
  async openFile(file: O.TFile, _openState?: O.OpenViewState): Promise<void> {
    if (this.view instanceof View) await this.closeView();
    if (!(this.view instanceof MarkdownView)) this.view = new MarkdownView();
    this.view.file = file as unknown as TFile;
    this.workspace.activeFile = file as unknown as TFile;
  }
  getViewState(): O.ViewState {
    return { type: this.view instanceof View ? this.view.getViewType() : 'markdown' };
  }
  async setViewState(viewState: O.ViewState, _eState?: unknown): Promise<void> {
    const create = this.workspace.viewCreators.get(viewState.type);
    if (!create) throw new Error(`no view registered for ${viewState.type}`);
    if (this.view instanceof View) await this.closeView();
    const view = create(this as unknown as O.WorkspaceLeaf) as unknown as View;
    this.view = view;
    this.el.replaceChildren(view.containerEl);
    if (!this.el.isConnected) document.body.appendChild(this.el);
    await view.fakeOpen();
    this.workspace.trigger('layout-change');
  }
  private async closeView(): Promise<void> {
    const view = this.view;
    if (!(view instanceof View)) return;
    this.view = new MarkdownView();
    await view.fakeClose();
    view.containerEl.remove();
  }
  /** Closes the leaf: its view closes (onClose, then unload) and leaves the page. */
  detach(): void {
    void this.closeView().then(() => {
      this.el.remove();
      this.workspace.leaves = this.workspace.leaves.filter((l) => l !== this);
      this.workspace.trigger('layout-change');
    });
  }
  /** Test helper: a background tab or a collapsed sidebar (hidden), or shown again, as the layout changes. */
  setShown(shown: boolean): void {
    this.el.style.display = shown ? '' : 'none';
    this.workspace.trigger('layout-change');
  }
}

export class Workspace extends Events implements Pick<O.Workspace, 'getActiveFile' | 'onLayoutReady'> {
  activeFile: TFile | null = null;
  readonly leaf = new WorkspaceLeaf(this);
  /** The leaves made for views (the main leaf above is the note pane). */
  leaves: WorkspaceLeaf[] = [];
  /** Plugin.registerView's creators, by view type (Obsidian keeps the like internally). */
  readonly viewCreators = new Map<string, O.ViewCreator>();
  /** The app the workspace belongs to (views reach it through their leaf). */
  app?: App;

  getRightLeaf(_split: boolean): WorkspaceLeaf | null {
    const leaf = new WorkspaceLeaf(this, 'right');
    this.leaves.push(leaf);
    return leaf;
  }

  getLeavesOfType(viewType: string): WorkspaceLeaf[] {
    return [this.leaf, ...this.leaves].filter((l) => l.view instanceof View && l.view.getViewType() === viewType);
  }

  detachLeavesOfType(viewType: string): void {
    for (const l of this.getLeavesOfType(viewType)) l.detach();
  }

  /** Shows the leaf (a collapsed sidebar opens, its tab comes to the front). */
  async revealLeaf(leaf: O.WorkspaceLeaf): Promise<void> {
    const l = leaf as unknown as WorkspaceLeaf;
    if (l.el.style.display === 'none') l.setShown(true);
  }
  /** As in Obsidian: false while the app starts and its plugins load; true from then on. */
  layoutReady = false;
  private readyCallbacks: (() => unknown)[] = [];

  getActiveFile(): TFile | null {
    return this.activeFile;
  }

  getLeaf(_newLeaf?: boolean | O.PaneType): WorkspaceLeaf {
    return this.leaf;
  }

  /** Runs `callback` once the layout is ready: at once when it already is, else after the plugins have loaded. */
  onLayoutReady(callback: () => any): void {
    if (this.layoutReady) callback();
    else this.readyCallbacks.push(callback);
  }

  /** The app finished starting (App.enablePlugin does it after a plugin's onload, as at startup). */
  setLayoutReady(): void {
    if (this.layoutReady) return;
    this.layoutReady = true;
    for (const cb of this.readyCallbacks.splice(0)) cb();
    this.trigger('layout-change');
  }
}

/** Obsidian's secret storage (1.11.4): ids are lowercase letters, digits and dashes. */
export class SecretStorage extends Events implements Pick<O.SecretStorage, 'setSecret' | 'getSecret' | 'listSecrets'> {
  private readonly secrets = new Map<string, string>();
  setSecret(id: string, secret: string): void {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id)) throw new Error(`Invalid secret ID: ${id}`);
    this.secrets.set(id, secret);
  }
  getSecret(id: string): string | null {
    return this.secrets.get(id) ?? null;
  }
  listSecrets(): string[] {
    return [...this.secrets.keys()];
  }
}

export class App {
  constructor() {
    this.workspace.app = this;
  }
  vault = new Vault();
  metadataCache = new MetadataCache(this.vault);
  fileManager = new FileManager(this.vault);
  workspace = new Workspace();
  secretStorage = new SecretStorage();
  /** What plugins registered, for tests (Obsidian keeps the like internally). */
  commands = new Map<string, O.Command>();
  codeBlockProcessors = new Map<string, (source: string, el: HTMLElement, ctx: O.MarkdownPostProcessorContext) => Promise<any> | void>();
  settingTabs: PluginSettingTab[] = [];
  ribbonIcons: { icon: string; title: string; el: HTMLElement; callback: (evt: MouseEvent) => any }[] = [];
  statusBarItems: HTMLElement[] = [];

  /** Loads a plugin as Obsidian does at startup: its onload (awaited), then the layout becomes ready. */
  async enablePlugin(plugin: { loadAndWait(): Promise<void> } | O.Plugin): Promise<void> {
    await (plugin as unknown as Component).loadAndWait();
    // As Obsidian loads the vault: a `create` for every file, before the layout is ready.
    if (!this.workspace.layoutReady) for (const f of this.vault.getFiles()) this.vault.trigger('create', f);
    this.workspace.setLayoutReady();
  }

  /** Runs a command as the palette would; resolves to what its callback returned. */
  async executeCommandById(id: string): Promise<unknown> {
    const cmd = this.commands.get(id);
    if (!cmd) throw new Error(`no command ${id}`);
    if (cmd.callback) return cmd.callback();
    if (cmd.checkCallback) return cmd.checkCallback(false);
    throw new Error(`command ${id} has no callback`);
  }

  isCommandAvailable(id: string): boolean {
    const cmd = this.commands.get(id);
    if (!cmd) return false;
    return cmd.checkCallback ? cmd.checkCallback(true) === true : true;
  }
}

// ---------------------------------------------------------------------------------------------
// Plugin, settings tab, settings controls
// ---------------------------------------------------------------------------------------------

type PluginApi = 'addRibbonIcon' | 'addStatusBarItem' | 'addCommand' | 'addSettingTab' | 'registerMarkdownCodeBlockProcessor' | 'registerView' | 'loadData' | 'saveData';

export abstract class Plugin extends Component implements Pick<O.Plugin, PluginApi> {
  app: O.App;
  manifest: O.PluginManifest;
  settings?: unknown;
  /** The plugin's data.json. */
  data: unknown = null;

  constructor(app: O.App, manifest: O.PluginManifest) {
    super();
    this.app = app;
    this.manifest = manifest;
  }

  private get fakeApp(): App {
    return this.app as unknown as App;
  }

  override onload(): Promise<void> | void {}

  addRibbonIcon(icon: string, title: string, callback: (evt: MouseEvent) => any): HTMLElement {
    const el = document.createElement('div');
    el.setAttribute('aria-label', title);
    el.addEventListener('click', (evt) => callback(evt));
    this.fakeApp.ribbonIcons.push({ icon, title, el, callback });
    return el;
  }

  addStatusBarItem(): HTMLElement {
    const el = document.createElement('div');
    this.fakeApp.statusBarItems.push(el);
    return el;
  }

  addCommand(command: O.Command): O.Command {
    const full = { ...command, id: `${this.manifest.id}:${command.id}` };
    this.fakeApp.commands.set(full.id, full);
    return full;
  }

  addSettingTab(settingTab: O.PluginSettingTab): void {
    this.fakeApp.settingTabs.push(settingTab as unknown as PluginSettingTab);
  }

  registerMarkdownCodeBlockProcessor(
    language: string,
    handler: (source: string, el: HTMLElement, ctx: O.MarkdownPostProcessorContext) => Promise<any> | void,
    _sortOrder?: number,
  ): O.MarkdownPostProcessor {
    this.fakeApp.codeBlockProcessors.set(language, handler);
    this.register(() => this.fakeApp.codeBlockProcessors.delete(language));
    const processor = (() => {}) as unknown as O.MarkdownPostProcessor;
    return processor;
  }

  registerView(type: string, viewCreator: O.ViewCreator): void {
    const creators = this.fakeApp.workspace.viewCreators;
    if (creators.has(type)) throw new Error(`Attempting to register an existing view type "${type}"`);
    creators.set(type, viewCreator);
    this.register(() => creators.delete(type));
  }

  async loadData(): Promise<any> {
    return this.data === null ? null : structuredClone(this.data);
  }

  async saveData(data: any): Promise<void> {
    this.data = structuredClone(data);
  }
}

export abstract class PluginSettingTab {
  app: O.App;
  plugin: O.Plugin;
  containerEl: HTMLElement;
  constructor(app: O.App, plugin: O.Plugin) {
    this.app = app;
    this.plugin = plugin;
    this.containerEl = document.createElement('div');
  }
  abstract display(): void;
  hide(): void {
    this.containerEl.replaceChildren();
  }
}

// The fluent controls return `this`, which cannot match Obsidian's full classes without implementing all of
// them; their parameter types are checked against the real ones at the end of this file instead.
export abstract class BaseComponent {
  disabled = false;
  then(cb: (component: this) => any): this {
    cb(this);
    return this;
  }
  setDisabled(disabled: boolean): this {
    this.disabled = disabled;
    return this;
  }
}

export class TextComponent extends BaseComponent {
  inputEl: HTMLInputElement;
  private changeCallback?: (value: string) => any;
  constructor(containerEl: HTMLElement) {
    super();
    this.inputEl = document.createElement('input');
    this.inputEl.type = 'text';
    this.inputEl.addEventListener('input', () => this.onChanged());
    containerEl.appendChild(this.inputEl);
  }
  getValue(): string {
    return this.inputEl.value;
  }
  setValue(value: string): this {
    this.inputEl.value = value;
    return this;
  }
  setPlaceholder(placeholder: string): this {
    this.inputEl.placeholder = placeholder;
    return this;
  }
  onChanged(): void {
    void this.changeCallback?.(this.getValue());
  }
  onChange(callback: (value: string) => any): this {
    this.changeCallback = callback;
    return this;
  }
}

export class ButtonComponent extends BaseComponent {
  buttonEl: HTMLButtonElement;
  constructor(containerEl: HTMLElement) {
    super();
    this.buttonEl = document.createElement('button');
    containerEl.appendChild(this.buttonEl);
  }
  setButtonText(name: string): this {
    this.buttonEl.textContent = name;
    return this;
  }
  setCta(): this {
    this.buttonEl.classList.add('mod-cta');
    return this;
  }
  onClick(callback: (evt: MouseEvent) => unknown | Promise<unknown>): this {
    this.buttonEl.addEventListener('click', (evt) => void callback(evt as MouseEvent));
    return this;
  }
}

export class ToggleComponent extends BaseComponent {
  toggleEl: HTMLElement;
  private value = false;
  private changeCallback?: (value: boolean) => any;
  constructor(containerEl: HTMLElement) {
    super();
    this.toggleEl = document.createElement('div');
    this.toggleEl.className = 'checkbox-container';
    this.toggleEl.addEventListener('click', () => this.setValue(!this.value).onChanged());
    containerEl.appendChild(this.toggleEl);
  }
  getValue(): boolean {
    return this.value;
  }
  setValue(on: boolean): this {
    this.value = on;
    this.toggleEl.classList.toggle('is-enabled', on);
    return this;
  }
  onChanged(): void {
    void this.changeCallback?.(this.value);
  }
  onChange(callback: (value: boolean) => any): this {
    this.changeCallback = callback;
    return this;
  }
}

/** Obsidian's secret picker (1.11.4): its value is the id of a secret in app.secretStorage. */
export class SecretComponent extends BaseComponent {
  selectEl: HTMLSelectElement;
  private changeCallback?: (value: string) => unknown;
  constructor(app: O.App, containerEl: HTMLElement) {
    super();
    this.selectEl = document.createElement('select');
    for (const id of ['', ...app.secretStorage.listSecrets()]) {
      const option = document.createElement('option');
      option.value = id;
      option.textContent = id || '(none)';
      this.selectEl.appendChild(option);
    }
    this.selectEl.addEventListener('change', () => void this.changeCallback?.(this.selectEl.value));
    containerEl.appendChild(this.selectEl);
  }
  setValue(value: string): this {
    if (!Array.from(this.selectEl.options).some((o) => o.value === value)) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = value;
      this.selectEl.appendChild(option);
    }
    this.selectEl.value = value;
    return this;
  }
  onChange(cb: (value: string) => unknown): this {
    this.changeCallback = cb;
    return this;
  }
}

export class DropdownComponent extends BaseComponent {
  selectEl: HTMLSelectElement;
  private changeCallback?: (value: string) => any;
  constructor(containerEl: HTMLElement) {
    super();
    this.selectEl = document.createElement('select');
    this.selectEl.addEventListener('change', () => void this.changeCallback?.(this.getValue()));
    containerEl.appendChild(this.selectEl);
  }
  addOption(value: string, display: string): this {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = display;
    this.selectEl.appendChild(option);
    return this;
  }
  addOptions(options: Record<string, string>): this {
    for (const [v, d] of Object.entries(options)) this.addOption(v, d);
    return this;
  }
  getValue(): string {
    return this.selectEl.value;
  }
  setValue(value: string): this {
    this.selectEl.value = value;
    return this;
  }
  onChange(callback: (value: string) => any): this {
    this.changeCallback = callback;
    return this;
  }
}

export class Setting {
  settingEl: HTMLElement;
  infoEl: HTMLElement;
  nameEl: HTMLElement;
  descEl: HTMLElement;
  controlEl: HTMLElement;
  components: BaseComponent[] = [];

  constructor(containerEl: HTMLElement) {
    this.settingEl = document.createElement('div');
    this.settingEl.className = 'setting-item';
    this.infoEl = document.createElement('div');
    this.nameEl = document.createElement('div');
    this.nameEl.className = 'setting-item-name';
    this.descEl = document.createElement('div');
    this.descEl.className = 'setting-item-description';
    this.controlEl = document.createElement('div');
    this.infoEl.append(this.nameEl, this.descEl);
    this.settingEl.append(this.infoEl, this.controlEl);
    containerEl.appendChild(this.settingEl);
  }

  setName(name: string | DocumentFragment): this {
    this.nameEl.replaceChildren(name);
    return this;
  }

  setDesc(desc: string | DocumentFragment): this {
    // Like Obsidian's: the text is replaced, which also removes any child element added earlier.
    this.descEl.replaceChildren(desc);
    return this;
  }

  setHeading(): this {
    this.settingEl.classList.add('setting-item-heading');
    return this;
  }

  addText(cb: (component: TextComponent) => any): this {
    const c = new TextComponent(this.controlEl);
    this.components.push(c);
    cb(c);
    return this;
  }

  addButton(cb: (component: ButtonComponent) => any): this {
    const c = new ButtonComponent(this.controlEl);
    this.components.push(c);
    cb(c);
    return this;
  }

  addToggle(cb: (component: ToggleComponent) => any): this {
    const c = new ToggleComponent(this.controlEl);
    this.components.push(c);
    cb(c);
    return this;
  }

  addComponent<T extends BaseComponent>(cb: (el: HTMLElement) => T): this {
    this.components.push(cb(this.controlEl));
    return this;
  }

  addDropdown(cb: (component: DropdownComponent) => any): this {
    const c = new DropdownComponent(this.controlEl);
    this.components.push(c);
    cb(c);
    return this;
  }
}

// ---------------------------------------------------------------------------------------------
// Notices and modals
// ---------------------------------------------------------------------------------------------

/** Every notice shown, oldest first (tests read it). */
export const notices: string[] = [];

export class Notice implements Pick<O.Notice, 'setMessage' | 'hide'> {
  noticeEl: HTMLElement;
  containerEl: HTMLElement;
  messageEl: HTMLElement;
  constructor(message: string | DocumentFragment, _duration?: number) {
    this.noticeEl = document.createElement('div');
    this.containerEl = this.noticeEl;
    this.messageEl = this.noticeEl;
    this.setMessage(message);
  }
  setMessage(message: string | DocumentFragment): this {
    this.messageEl.replaceChildren(message);
    notices.push(this.messageEl.textContent ?? '');
    return this;
  }
  hide(): void {}
}

/** Modals currently open, for tests. */
export const openModals: Modal[] = [];

export class Modal implements Pick<O.Modal, 'open' | 'close' | 'onOpen' | 'onClose'> {
  app: O.App;
  containerEl: HTMLElement;
  modalEl: HTMLElement;
  titleEl: HTMLElement;
  contentEl: HTMLElement;
  constructor(app: O.App) {
    this.app = app;
    this.containerEl = document.createElement('div');
    this.modalEl = document.createElement('div');
    this.titleEl = document.createElement('div');
    this.contentEl = document.createElement('div');
    this.modalEl.append(this.titleEl, this.contentEl);
    this.containerEl.appendChild(this.modalEl);
  }
  open(): void {
    openModals.push(this);
    void this.onOpen();
  }
  close(): void {
    const i = openModals.indexOf(this);
    if (i >= 0) openModals.splice(i, 1);
    this.onClose();
  }
  onOpen(): Promise<void> | void {}
  onClose(): void {}
}

export abstract class SuggestModal<T> extends Modal {
  limit = 100;
  emptyStateText = 'No results found.';
  inputEl: HTMLInputElement = document.createElement('input');
  resultContainerEl: HTMLElement = document.createElement('div');
  setPlaceholder(placeholder: string): void {
    this.inputEl.placeholder = placeholder;
  }
  abstract getSuggestions(query: string): T[] | Promise<T[]>;
  abstract renderSuggestion(value: T, el: HTMLElement): void;
  abstract onChooseSuggestion(item: T, evt: MouseEvent | KeyboardEvent): void;
  selectSuggestion(value: T, evt: MouseEvent | KeyboardEvent): void {
    this.close();
    this.onChooseSuggestion(value, evt);
  }
}

export abstract class FuzzySuggestModal<T> extends SuggestModal<O.FuzzyMatch<T>> {
  abstract getItems(): T[];
  abstract getItemText(item: T): string;
  abstract onChooseItem(item: T, evt: MouseEvent | KeyboardEvent): void;
  getSuggestions(query: string): O.FuzzyMatch<T>[] {
    const q = query.toLowerCase();
    return this.getItems()
      .filter((item) => this.getItemText(item).toLowerCase().includes(q))
      .map((item) => ({ item, match: { score: 0, matches: [] } }));
  }
  renderSuggestion(value: O.FuzzyMatch<T>, el: HTMLElement): void {
    el.textContent = this.getItemText(value.item);
  }
  onChooseSuggestion(item: O.FuzzyMatch<T>, evt: MouseEvent | KeyboardEvent): void {
    this.onChooseItem(item.item, evt);
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering a code block as Obsidian would
// ---------------------------------------------------------------------------------------------

export class MarkdownPostProcessorContext implements O.MarkdownPostProcessorContext {
  docId = 'doc';
  children: MarkdownRenderChild[] = [];
  constructor(
    public sourcePath: string,
    public frontmatter: any | null | undefined = null,
  ) {}
  addChild(child: O.MarkdownRenderChild): void {
    const c = child as unknown as MarkdownRenderChild;
    this.children.push(c);
    c.load();
  }
  getSectionInfo(_el: HTMLElement): O.MarkdownSectionInformation | null {
    return null;
  }
  /** The note is closed: its render children unload and its element leaves the page, as in Obsidian. */
  unload(): void {
    for (const c of this.children.splice(0)) c.unload();
    for (const c of this.elements.splice(0)) c.remove();
  }
  elements: HTMLElement[] = [];
}

/** Renders a fenced code block of `language` with the processor a plugin registered. */
export async function renderCodeBlock(app: App, language: string, source: string, sourcePath = 'Note.md', frontmatter: unknown = null): Promise<{ el: HTMLElement; ctx: MarkdownPostProcessorContext }> {
  const handler = app.codeBlockProcessors.get(language);
  if (!handler) throw new Error(`no code block processor for ${language}`);
  const el = document.createElement('div');
  const ctx = new MarkdownPostProcessorContext(sourcePath, frontmatter);
  await handler(source, el, ctx);
  // The rendered section is put on the page (a note open in a pane), where isShown() sees it.
  document.body.appendChild(el);
  ctx.elements.push(el);
  return { el, ctx };
}

// Compile-time checks: the fake controls take the same callbacks and values as Obsidian's.
type SameParams<A extends (...args: any) => any, B extends (...args: any) => any> = Parameters<A> extends Parameters<B> ? (Parameters<B> extends Parameters<A> ? true : never) : never;
export const controlSignatures: [
  SameParams<O.TextComponent['onChange'], TextComponent['onChange']>,
  SameParams<O.TextComponent['setValue'], TextComponent['setValue']>,
  SameParams<O.ButtonComponent['onClick'], ButtonComponent['onClick']>,
  SameParams<O.DropdownComponent['addOptions'], DropdownComponent['addOptions']>,
  SameParams<O.DropdownComponent['onChange'], DropdownComponent['onChange']>,
  SameParams<O.Setting['setDesc'], Setting['setDesc']>,
  SameParams<O.ToggleComponent['onChange'], ToggleComponent['onChange']>,
  SameParams<O.SecretComponent['onChange'], SecretComponent['onChange']>,
  SameParams<O.SecretComponent['setValue'], SecretComponent['setValue']>,
] = [true, true, true, true, true, true, true, true, true];
