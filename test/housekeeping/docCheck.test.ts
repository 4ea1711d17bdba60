import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkDocs,
  currentHead,
  DocMap,
  formatStaleDocs,
  isDocPath,
  loadDocMap,
  modifiedFiles,
  staleDocs,
} from '../../src/core/housekeeping/docCheck.js';
import { loadVaultNotes } from '../../src/core/housekeeping/vaultNotes.js';
import { globToRegExp, matchesPattern } from '../../src/core/housekeeping/glob.js';
import { killAll, tempDir } from './fixtures.js';

afterEach(() => killAll());

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function write(root: string, path: string, text = `${path}\n`): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function repo(files: Record<string, string>): string {
  const root = tempDir('cf-git-');
  git(root, 'init', '-q');
  for (const [p, t] of Object.entries(files)) write(root, p, t);
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'initial');
  return root;
}

describe('globs', () => {
  it.each([
    ['src/**', 'src/a.ts', true],
    ['src/**', 'src/deep/er/a.ts', true],
    ['src/**', 'lib/a.ts', false],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/deep/a.ts', false],
    ['src/**/*.ts', 'src/a.ts', true],
    ['src/**/*.ts', 'src/x/y/a.ts', true],
    ['src/**/*.ts', 'src/x/a.js', false],
    ['**/*.sql', 'migrations/001.sql', true],
    ['**/*.sql', '001.sql', true],
    ['src/?.ts', 'src/a.ts', true],
    ['src/?.ts', 'src/ab.ts', false],
    ['src/a.(x).ts', 'src/a.(x).ts', true],
    ['src/a+.ts', 'src/aa.ts', false],
    ['./package.json', 'package.json', true],
    ['src/api', 'src/api/routes.ts', true],
    ['src/api', 'src/apix.ts', false],
    ['**', 'anything/at/all', true],
  ])('%s ~ %s → %s', (pattern, path, expected) => {
    expect(matchesPattern(path, pattern)).toBe(expected);
  });

  it('compiles to an anchored expression', () => {
    const re = globToRegExp('a/*.md');
    expect(['a/b.md', 'xa/b.md', 'a/b.md.bak', 'a/bxmd'].map((p) => re.test(p))).toEqual([true, false, false, false]);
  });
});

describe('modifiedFiles / currentHead (real git repositories)', () => {
  it('lists committed-since-start, staged, unstaged, deleted, renamed and untracked files, not ignored ones', () => {
    const root = repo({ 'a.ts': 'a', 'b.ts': 'b', 'c.ts': 'c', 'old name.ts': 'o', 'src/keep.ts': 'k', '.gitignore': 'ignored/\n*.log\n' });
    const start = currentHead(root);
    expect(start).toMatch(/^[0-9a-f]{40}$/);

    write(root, 'a.ts', 'a2');
    git(root, 'commit', '-qam', 'during the session');
    write(root, 'b.ts', 'b2'); // unstaged
    write(root, 'src/new.ts'); // staged new
    git(root, 'add', 'src/new.ts');
    rmSync(join(root, 'c.ts')); // deleted
    renameSync(join(root, 'old name.ts'), join(root, 'new näme.ts')); // renamed (untracked new side)
    write(root, 'notes/untracked.md');
    write(root, 'ignored/x.ts');
    write(root, 'debug.log');

    const r = modifiedFiles({ cwd: root, sinceRef: start });
    expect(r.problems).toEqual([]);
    expect(r.files).toEqual(['a.ts', 'b.ts', 'c.ts', 'new näme.ts', 'notes/untracked.md', 'old name.ts', 'src/new.ts']);

    // Without the start ref, the commit made during the session is not seen.
    expect(modifiedFiles({ cwd: root }).files).not.toContain('a.ts');
  });

  it('paths are repo-relative from a subdirectory too, and deduplicated', () => {
    const root = repo({ 'src/x.ts': 'x', 'top.ts': 't' });
    const start = currentHead(root)!;
    write(root, 'src/x.ts', 'x2');
    git(root, 'add', 'src/x.ts');
    write(root, 'src/x.ts', 'x3'); // staged and unstaged changes to the same file
    write(root, 'top.ts', 't2');
    const r = modifiedFiles({ cwd: join(root, 'src'), sinceRef: start });
    expect(r.files).toEqual(['src/x.ts', 'top.ts']);
    expect(r.root).toBeDefined();
  });

  it('an unknown or option-like sinceRef falls back to HEAD with a problem note', () => {
    const root = repo({ 'a.ts': 'a' });
    write(root, 'a.ts', 'a2');
    for (const ref of ['0000000000000000000000000000000000000000', '--output=/tmp/x']) {
      const r = modifiedFiles({ cwd: root, sinceRef: ref });
      expect(r.files).toEqual(['a.ts']);
      expect(r.problems).toEqual([expect.stringContaining(`${ref} is not a commit`)]);
    }
  });

  it('a repository without commits: no head, staged and untracked files listed', () => {
    const root = tempDir('cf-git-');
    git(root, 'init', '-q');
    write(root, 'staged.ts');
    git(root, 'add', 'staged.ts');
    write(root, 'loose.ts');
    expect(currentHead(root)).toBeUndefined();
    const r = modifiedFiles({ cwd: root, sinceRef: undefined });
    expect(r.files).toEqual(['loose.ts', 'staged.ts']);
    expect(r.problems).toEqual([]);
  });

  it('outside a repository: empty with a problem note, never a throw', async () => {
    const dir = tempDir('cf-nogit-');
    expect(currentHead(dir)).toBeUndefined();
    expect(modifiedFiles({ cwd: dir, sinceRef: 'HEAD' })).toEqual({ files: [], problems: [`${dir} is not inside a git repository: no modified files`] });
    const missing = join(dir, 'does-not-exist');
    expect(currentHead(missing)).toBeUndefined();
    expect(modifiedFiles({ cwd: missing }).files).toEqual([]);
    expect(await checkDocs({ cwd: dir })).toEqual({ modified: [], stale: [], problems: [`${dir} is not inside a git repository: no modified files`] });
  });
});

describe('staleDocs', () => {
  it('default: README.md for modified non-doc files only', () => {
    expect(staleDocs({ modified: ['src/b.ts', 'docs/guide.md', 'CHANGELOG.md', 'src/a.ts'] })).toEqual([
      { doc: 'README.md', kind: 'repo', because: ['src/a.ts', 'src/b.ts'] },
    ]);
    expect(staleDocs({ modified: ['docs/guide.md', 'notes.md'] })).toEqual([]);
    expect(isDocPath('docs/diagram.png')).toBe(true);
    expect(isDocPath('src/readme.ts')).toBe(false);
  });

  it('a doc modified in the session itself is not reported', () => {
    expect(staleDocs({ modified: ['src/a.ts', 'README.md'] })).toEqual([]);
    const mapping = DocMap.parse({ docs: { 'docs/api.md': ['src/api/**'], 'docs/db.md': ['migrations/*.sql'] } });
    expect(staleDocs({ modified: ['src/api/x.ts', 'docs/api.md', 'migrations/002.sql'], mapping })).toEqual([
      { doc: 'docs/db.md', kind: 'repo', because: ['migrations/002.sql'] },
    ]);
  });

  it('a doc map replaces the default and its patterns are taken as written', () => {
    const mapping = DocMap.parse({
      docs: {
        'docs/api.md': ['src/api/**', 'openapi.yaml'],
        'docs/index.md': ['docs/**/*.md'],
        './README.md': ['package.json'],
      },
    });
    const r = staleDocs({ modified: ['src/api/routes/user.ts', 'openapi.yaml', 'docs/guide/intro.md', 'src/other.ts'], mapping });
    expect(r).toEqual([
      { doc: 'docs/api.md', kind: 'repo', because: ['openapi.yaml', 'src/api/routes/user.ts'] },
      { doc: 'docs/index.md', kind: 'repo', because: ['docs/guide/intro.md'] },
    ]);
  });

  it('vault notes whose frontmatter lists a modified path; project filter; note edited in the repo is skipped', () => {
    const notes = [
      { path: 'Procedures/Session End.md', files: ['src/core/spool.ts', 'src/hooks/**'], projects: ['claude-family'] },
      { path: 'Other/Unrelated.md', files: ['src/core/spool.ts'], projects: ['some-other-project'] },
      { path: 'Schema.md', files: ['migrations'] },
      { path: 'In Repo.md', files: ['src/core/spool.ts'], repoPath: 'vault/In Repo.md' },
    ];
    const r = staleDocs({
      modified: ['src/core/spool.ts', 'src/hooks/end.ts', 'migrations/001_core_schema.sql', 'vault/In Repo.md'],
      mapping: { docs: {} },
      vaultNotes: notes,
      project: 'claude-family',
    });
    expect(r).toEqual([
      { doc: 'Procedures/Session End.md', kind: 'vault', because: ['src/core/spool.ts', 'src/hooks/end.ts'] },
      { doc: 'Schema.md', kind: 'vault', because: ['migrations/001_core_schema.sql'] },
    ]);
  });

  it('formats a short report, and nothing when nothing is stale', () => {
    const text = formatStaleDocs([
      { doc: 'README.md', kind: 'repo', because: ['a.ts', 'b.ts', 'c.ts'] },
      { doc: 'X.md', kind: 'vault', because: ['a.ts'] },
    ], 2);
    expect(text).toBe(
      [
        'Docs that may need updating (2), because these files changed this session:',
        '  - README.md: a.ts, b.ts and 1 more',
        '  - vault note X.md: a.ts',
      ].join('\n'),
    );
    expect(formatStaleDocs([])).toBe('');
  });
});

describe('doc map and vault files', () => {
  it('loadDocMap: missing is no mapping; invalid is a problem naming the field', () => {
    const dir = tempDir();
    expect(loadDocMap(join(dir, 'none.json'))).toEqual({ problems: [] });
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ docs: { 'docs/api.md': ['src/api/**'] } }));
    expect(loadDocMap(join(dir, 'ok.json'))).toEqual({ mapping: { docs: { 'docs/api.md': ['src/api/**'] } }, problems: [] });
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ docs: { 'docs/api.md': [] }, extra: 1 }));
    const bad = loadDocMap(join(dir, 'bad.json'));
    expect(bad.mapping).toBeUndefined();
    expect(bad.problems).toEqual([expect.stringMatching(/bad\.json: .*docs\.docs\/api\.md: list at least one pattern/)]);
    writeFileSync(join(dir, 'broken.json'), '{');
    expect(loadDocMap(join(dir, 'broken.json')).problems).toEqual([expect.stringContaining('is not valid JSON')]);
  });

  it('loadVaultNotes reads files/paths frontmatter (string or list), skips hidden dirs, reports bad notes', () => {
    const vault = tempDir('cf-vault-');
    write(vault, '40-Procedures/Session End.md', '---\nprojects:\n  - claude-family\nfiles:\n  - src/core/spool.ts\n  - src/hooks/**\n---\n# Session End\n');
    write(vault, 'Schema.md', '---\npaths: migrations/001_core_schema.sql\n---\nbody');
    write(vault, 'Both.md', '---\nfiles: a.ts\npaths: [b.ts, a.ts]\n---\n');
    write(vault, 'Plain.md', '# no frontmatter');
    write(vault, 'Bad.md', '---\nfiles:\n  nested: 1\n---\n');
    write(vault, 'Broken.md', '---\nfiles: [unclosed\n---\n');
    write(vault, '.obsidian/workspace.md', '---\nfiles: x.ts\n---\n');
    write(vault, 'image.png', 'not a note');
    const r = loadVaultNotes(vault);
    expect(r.notes.map((n) => [n.path, n.files, n.projects])).toEqual([
      ['40-Procedures/Session End.md', ['src/core/spool.ts', 'src/hooks/**'], ['claude-family']],
      ['Both.md', ['a.ts', 'b.ts'], undefined],
      ['Schema.md', ['migrations/001_core_schema.sql'], undefined],
    ]);
    expect(r.problems).toEqual([
      'Bad.md: frontmatter `files` must be a string or a list of strings',
      expect.stringMatching(/^Broken\.md: unreadable frontmatter/),
    ]);
    expect(loadVaultNotes(join(vault, 'missing')).problems).toEqual([`vault ${join(vault, 'missing')} does not exist`]);
  });
});

describe('checkDocs end to end', () => {
  it('repo with a README, a doc map and a vault inside the repository', async () => {
    const root = repo({ 'README.md': '# x', 'src/api/a.ts': 'a', 'src/b.ts': 'b', 'vault/API.md': '---\nfiles: [src/api/**]\n---\n', 'vault/B.md': '---\nfiles: src/b.ts\n---\n' });
    const start = currentHead(root)!;
    write(root, 'src/api/a.ts', 'a2');
    write(root, 'src/b.ts', 'b2');
    write(root, 'vault/B.md', '---\nfiles: src/b.ts\n---\nupdated');

    // Default map: README.md, plus the vault note for src/api (B.md was edited itself).
    const r = await checkDocs({ cwd: root, sinceRef: start, vaultDir: join(root, 'vault') });
    expect(r.problems).toEqual([]);
    expect(r.modified).toEqual(['src/api/a.ts', 'src/b.ts', 'vault/B.md']);
    expect(r.stale).toEqual([
      { doc: 'README.md', kind: 'repo', because: ['src/api/a.ts', 'src/b.ts'] },
      { doc: 'API.md', kind: 'vault', because: ['src/api/a.ts'] },
    ]);

    // With .claude/doc-map.json the README default no longer applies.
    write(root, '.claude/doc-map.json', JSON.stringify({ docs: { 'docs/api.md': ['src/api/**'] } }));
    const mapped = await checkDocs({ cwd: root, sinceRef: start });
    expect(mapped.stale).toEqual([{ doc: 'docs/api.md', kind: 'repo', because: ['src/api/a.ts'] }]);
  });

  it('without a README.md the default rule reports nothing', async () => {
    const root = repo({ 'src/a.ts': 'a' });
    write(root, 'src/a.ts', 'a2');
    const r = await checkDocs({ cwd: root });
    expect(r.modified).toEqual(['src/a.ts']);
    expect(r.stale).toEqual([]);
  });
});
