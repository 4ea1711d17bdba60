// @vitest-environment happy-dom
// Screenshots of the "Claude Family: all projects" view: the view is rendered through the Obsidian fake
// from a seeded family of projects (one chart day hovered), its DOM is put into a page with styles.css and
// Obsidian-like CSS variables (test/support/obsidian-theme.css), and headless Chromium (Debian's
// `chromium`, driven by playwright-core) photographs it in the light and the dark theme.
// `npm run screenshots` writes them to docs/screenshots/; a plain test run writes to a temporary folder.
// Without Chromium the test is skipped, saying so.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as O from 'obsidian';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgres } from '../src/core/db/pg.js';
import ClaudeFamilyPlugin from '../src/plugin/main.js';
import { OVERVIEW_VIEW_TYPE, type OverviewView } from '../src/plugin/overviewView.js';
import { App, type Plugin as FakePlugin } from './fakes/obsidian.js';
import { describeEachBackend } from './support/backends.js';
import { attachDataDir } from './support/embeddedServer.js';
import { FAMILY, seedFamily } from './support/overviewFamily.js';

const ROOT = resolve(import.meta.dirname, '..');
const manifest: O.PluginManifest = { id: 'claude-family', name: 'Claude Family', version: '0.1.0', minAppVersion: '1.11.4', description: '', author: '' };

/** Chromium: $CHROMIUM_PATH, else Debian's /usr/bin/chromium (apt-get install chromium). */
function findChromium(): string | undefined {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (p && existsSync(p)) return p;
  return undefined;
}
const CHROMIUM = findChromium();
if (!CHROMIUM) console.warn('overview screenshots skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)');

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function page(viewHtml: string, theme: 'light' | 'dark', width: number): string {
  const css = readFileSync(join(ROOT, 'test/support/obsidian-theme.css'), 'utf8') + readFileSync(join(ROOT, 'styles.css'), 'utf8');
  return `<!doctype html><html><head><meta charset="utf-8"><style>${css}</style></head>
<body class="theme-${theme}"><div style="width:${width}px">${viewHtml.replace('<div class="view-header"></div>', '<div class="view-header">Claude Family: all projects</div>')}</div></body></html>`;
}

describeEachBackend('screenshots of the all-projects view', (ctx, backend) => {
  const out = backend === 'postgres' && process.env.CF_SCREENSHOT_DIR ? resolve(ROOT, process.env.CF_SCREENSHOT_DIR) : mkdtempSync(join(tmpdir(), 'cf-shots-'));
  let dataDir: string | undefined;
  afterAll(() => {
    if (!process.env.CF_SCREENSHOT_DIR || backend !== 'postgres') rmSync(out, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  let html = '';
  beforeAll(async () => {
    if (!CHROMIUM) return;
    const t = ctx();
    const writer = openPostgres({ connectionString: t.url });
    try {
      await seedFamily(writer);
    } finally {
      await writer.close();
    }
    let settings: Record<string, unknown> = { mode: 'postgres', connectionString: t.url };
    if (backend === 'embedded') {
      dataDir = mkdtempSync(join(tmpdir(), 'cf-shots-data-'));
      attachDataDir(dataDir, t.name);
      settings = { mode: 'embedded', dataDir };
    }
    const app = new App();
    const plugin = new ClaudeFamilyPlugin(app as unknown as O.App, manifest);
    (plugin as unknown as FakePlugin).data = { ...settings, refreshSeconds: 3600, autoWriteNotes: false, projects: FAMILY.busy };
    await app.enablePlugin(plugin);
    try {
      await app.executeCommandById('claude-family:open-overview');
      const view = app.workspace.getLeavesOfType(OVERVIEW_VIEW_TYPE)[0]!.view as unknown as OverviewView;
      await until(() => view.contentEl.querySelector('[data-project-card]') !== null, 'the cards');
      // Hover yesterday in the busiest project's chart: its sessions show under it.
      const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const card = view.contentEl.querySelector(`[data-project-card="${FAMILY.busy}"]`)!;
      card.querySelector('.claude-family-chart')!.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
      card.querySelector(`.claude-family-chart-day[data-day="${day}"]`)!.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
      await until(() => card.querySelector('.claude-family-day-panel')!.textContent!.includes('Wrote the text table'), 'the day panel');
      html = view.containerEl.outerHTML;
    } finally {
      plugin.unload();
      await plugin.connection.close();
    }
  });

  it.skipIf(!CHROMIUM)('renders the view in headless Chromium, light and dark', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      mkdirSync(out, { recursive: true });
      for (const theme of ['light', 'dark'] as const) {
        const p = await browser.newPage({ viewport: { width: 760, height: 900 }, deviceScaleFactor: 1 });
        await p.setContent(page(html, theme, 760));
        // The chart is SVG in the HTML page: 30 days in the large chart, drawn with a size.
        const box = await p.locator('.claude-family-chart-wrap.is-large svg').boundingBox();
        expect(box!.height).toBe(72);
        expect(box!.width).toBeGreaterThan(600);
        expect(await p.locator('.claude-family-chart-wrap.is-large .claude-family-chart-day.has-sessions').count()).toBeGreaterThan(5);
        const bg = await p.evaluate(() => getComputedStyle(document.querySelector('.claude-family-card')!).backgroundColor);
        expect(bg).toBe(theme === 'light' ? 'rgb(246, 246, 246)' : 'rgb(38, 38, 38)');
        const file = join(out, `overview-${theme}.png`);
        await p.screenshot({ path: file, fullPage: true });
        expect(statSync(file).size).toBeGreaterThan(10_000);
        await p.close();
      }
    } finally {
      await browser.close();
    }
  });
});
