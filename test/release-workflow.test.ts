// .github/workflows/release.yml: its build step, run locally in a clean copy of the repository (the
// lockfile's node_modules linked in, as `npm ci` would install them), gives the three release files.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/processes.js';

const workflow = readFileSync(join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8');

/** The shell lines of the step named `name` (its `run: |` block). */
function stepLines(name: string): string[] {
  const at = workflow.indexOf(`- name: ${name}\n`);
  expect(at, name).toBeGreaterThan(-1);
  const lines = workflow.slice(at).split('\n').slice(1);
  const run = lines.findIndex((l) => /^\s+run: \|$/.test(l));
  const indent = /^(\s*)/.exec(lines[run + 1]!)![1]!.length;
  const out: string[] = [];
  for (const l of lines.slice(run + 1)) {
    if (l.trim() !== '' && /^(\s*)/.exec(l)![1]!.length < indent) break;
    if (l.trim() !== '') out.push(l.trim());
  }
  return out;
}

describe('the release workflow', { timeout: 300_000 }, () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('runs on a version tag, checks it against manifest.json and attaches the three files', () => {
    expect(workflow).toMatch(/on:\n {2}push:\n {4}tags:\n/);
    expect(stepLines('Check the tag').join('\n')).toContain("require('./manifest.json').version");
    expect(workflow).toMatch(/gh release create .* main\.js manifest\.json styles\.css\n/);
  });

  it('its build step builds main.js, manifest.json and styles.css from a clean copy', () => {
    const build = stepLines('Build');
    expect(build).toEqual(['npm ci', 'npm run build']);
    const dir = mkdtempSync(join(tmpdir(), 'cf-release-'));
    dirs.push(dir);
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)));
    for (const f of files) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      cpSync(join(ROOT, f), join(dir, f));
    }
    expect(existsSync(join(dir, 'main.js'))).toBe(false);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    for (const line of build.filter((l) => l !== 'npm ci')) execFileSync('sh', ['-c', line], { cwd: dir, stdio: 'pipe' });
    for (const f of ['main.js', 'manifest.json', 'styles.css']) expect(existsSync(join(dir, f)), f).toBe(true);
    const size = statSync(join(dir, 'main.js')).size;
    expect(size).toBeGreaterThan(100_000);
    expect(size).toBeLessThan(1_000_000);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { id: string; version: string };
    expect(manifest.id).toBe('claude-family');
  });
});
