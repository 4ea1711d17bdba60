// `claude-family vault sync` on a temporary vault, on both database kinds: the seed notes are stored,
// found by search and marked synced with every other byte kept; a second sync writes nothing; edits,
// renames, deletions, entries made elsewhere, the inbox, conflicts and bad input.
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { entryHashSql } from '../src/core/vault/store.js';
import { describeEachBackend } from './support/backends.js';
import { DIST } from './support/processes.js';
import { tempDirs } from './support/tempDirs.js';

const tempDir = tempDirs('cf-vault-sync');
const SEEDS = resolve(import.meta.dirname, 'fixtures', 'seed-vault');
const END = '40-Procedures/Session Lifecycle - Session End.md';
const HANDOFF = '40-Procedures/Session Handoff - Database Approach.md';

function snapshot(root: string): Map<string, { bytes: string; mtimeMs: number }> {
  const out = new Map<string, { bytes: string; mtimeMs: number }>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(root, p), { bytes: readFileSync(p).toString('base64'), mtimeMs: statSync(p).mtimeMs });
    }
  };
  walk(root);
  return out;
}

describeEachBackend('vault sync', (t) => {
  const vault = tempDir('vault');
  const home = tempDir('home');
  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const env = { CLAUDE_FAMILY_DATABASE_URL: t().url, CLAUDE_FAMILY_DATA_DIR: join(home, 'data'), HOME: home, CLAUDE_FAMILY_VAULT_DIR: vault };
    const code = await runCli(args, { out: (s) => void out.push(s), err: (s) => void err.push(s), env, cwd: home, distDir: DIST });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const sync = async (...args: string[]) => {
    const r = await cli('vault', 'sync', '--json', ...args);
    expect(r.code, r.err + r.out).toBe(0);
    return JSON.parse(r.out);
  };
  const rows = async () => (await t().db.query<Record<string, unknown>>(`SELECT knowledge_id, pattern_name, source_note_path, archived_at, review, origin, xmin::text AS x FROM claude.knowledge ORDER BY knowledge_id`)).rows;

  it('stores the seed notes, finds them by search, marks them synced with every other byte kept', async () => {
    mkdirSync(join(vault, '40-Procedures'), { recursive: true });
    cpSync(join(SEEDS, 'Session Lifecycle - Session End.md'), join(vault, END));
    cpSync(join(SEEDS, 'Session Handoff - Database Approach.md'), join(vault, HANDOFF));
    writeFileSync(join(vault, 'Private diary.md'), '# Mine\nnot for the database\n');
    const before = readFileSync(join(vault, END), 'utf8');
    const r = await sync();
    expect(r).toMatchObject({ inserted: 2, marked: 2, problems: [], errors: [] });
    const after = readFileSync(join(vault, END), 'utf8');
    const at = /synced_at: "([^"]+)"/.exec(after)![1]!;
    expect(new Date(at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(after).toBe(before.replace('synced: false\n', `synced: true\nsynced_at: "${at}"\n`));
    const stored = await t().db.query<{ pattern_name: string; projects: string[]; tags: string[]; origin: string; review: string; body: string }>(`SELECT pattern_name, projects, tags, origin, review, body FROM claude.knowledge WHERE source_note_path = $1`, [END]);
    expect(stored.rows[0]).toMatchObject({ pattern_name: 'Session Lifecycle - Session End', projects: ['claude-family'], tags: ['session', 'procedure', 'lifecycle', 'mandatory'], origin: 'vault', review: 'accepted' });
    expect(stored.rows[0]!.body).toBe(before.slice(before.indexOf('---\n', 4) + 4));
    const found = await cli('search', 'save state for the next session', '--in', 'knowledge', '--project', 'claude-family');
    expect(found.out).toContain('Session Lifecycle - Session End');
    expect((await cli('search', 'handoff database todos', '--in', 'knowledge', '--all-projects')).out).toContain('Session Handoff - Database Approach');
    expect((await rows()).some((x) => x.pattern_name === 'Private diary')).toBe(false);
    // Stored with the hash Postgres generates, in one statement (store.ts entryHashSql).
    const hashes = await t().db.query<{ same: boolean }>(
      `SELECT ${entryHashSql({ name: 'pattern_name', category: 'category', description: 'description', example: 'example_code', gotchas: 'gotchas', confidence: 'confidence_level', body: 'body', projects: 'projects', tags: 'tags', review: 'review' })} = entry_hash AS same FROM claude.knowledge`,
    );
    expect(hashes.rows.map((r) => r.same)).toEqual([true, true]);
  });

  it('a second sync writes nothing: no file, no row', async () => {
    const files = snapshot(vault);
    const db = await rows();
    const r = await sync();
    expect(r).toMatchObject({ inserted: 0, updated: 0, archived: 0, marked: 0, notesCreated: [], notesUpdated: [] });
    expect(snapshot(vault)).toEqual(files);
    expect(await rows()).toEqual(db);
  });

  it('an edit updates the entry, a rename keeps it, a deletion archives it', async () => {
    const id = (await rows()).find((x) => x.source_note_path === HANDOFF)!.knowledge_id;
    writeFileSync(join(vault, HANDOFF), readFileSync(join(vault, HANDOFF), 'utf8').replace('**Problem Solved**', '**Problem Solved (edited)**'));
    expect(await sync()).toMatchObject({ updated: 1 });
    renameSync(join(vault, HANDOFF), join(vault, '40-Procedures/Handoff.md'));
    expect(await sync()).toMatchObject({ updated: 1, inserted: 0, archived: 0 });
    const moved = (await rows()).find((x) => x.knowledge_id === id)!;
    expect(moved).toMatchObject({ source_note_path: '40-Procedures/Handoff.md', pattern_name: 'Handoff', archived_at: null });
    rmSync(join(vault, '40-Procedures/Handoff.md'));
    expect(await sync()).toMatchObject({ archived: 1 });
    expect((await rows()).find((x) => x.knowledge_id === id)!.archived_at).not.toBeNull();
  });

  it('an entry made elsewhere becomes a note marked for review; accept clears the mark; its edits flow back', async () => {
    expect((await cli('knowledge', 'add', '--name', 'Retry with backoff', '--category', 'net', '--description', 'Retry failed calls with a growing pause.', '--gotcha', 'cap it')).code).toBe(0);
    const r = await sync();
    const path = 'Claude/Knowledge/Retry with backoff.md';
    expect(r.notesCreated).toEqual([path]);
    const text = readFileSync(join(vault, path), 'utf8');
    expect(text).toContain('review: pending\n');
    expect(text).toContain('Retry failed calls with a growing pause.');
    expect((await sync()).notesUpdated).toEqual([]);
    const accepted = await cli('knowledge', 'accept', 'Retry with backoff');
    expect(accepted.out).toMatch(/^Accepted "Retry with backoff"/);
    expect((await sync()).notesUpdated).toEqual([path]);
    expect(readFileSync(join(vault, path), 'utf8')).toBe(text.replace('review: pending\n', ''));
    writeFileSync(join(vault, path), readFileSync(join(vault, path), 'utf8').replace('growing pause', 'growing, jittered pause'));
    expect(await sync()).toMatchObject({ updated: 1 });
    const row = (await t().db.query<{ body: string; review: string }>(`SELECT body, review FROM claude.knowledge WHERE pattern_name = 'Retry with backoff' AND archived_at IS NULL`)).rows[0]!;
    expect(row).toMatchObject({ review: 'accepted' });
    expect(row.body).toContain('jittered');
    expect((await cli('knowledge', 'accept', 'No such entry')).code).toBe(1);
  });

  it('both sides changed: the note is kept, the entry version is written beside it and reported', async () => {
    const path = 'Claude/Knowledge/Retry with backoff.md';
    await t().db.query(`UPDATE claude.knowledge SET body = body || E'\\nFrom MCP.\\n' WHERE pattern_name = 'Retry with backoff' AND archived_at IS NULL`);
    const mine = readFileSync(join(vault, path), 'utf8') + '\nMy own line.\n';
    writeFileSync(join(vault, path), mine);
    const r = await sync();
    const today = new Date().toISOString().slice(0, 10);
    const copy = `Claude/Knowledge/Retry with backoff (conflict ${today}).md`;
    expect(r.conflicts).toEqual([{ path, conflictPath: copy, name: 'Retry with backoff' }]);
    expect(readFileSync(join(vault, path), 'utf8')).toBe(mine);
    const theirs = readFileSync(join(vault, copy), 'utf8');
    expect(theirs).toContain('From MCP.');
    expect(theirs).toContain('claude: false');
    expect((await sync()).conflicts).toEqual([]);
  });

  it('bad input is reported and left byte for byte; --dry-run writes nothing; no vault is a clear error', async () => {
    const k = join(vault, 'Claude/Knowledge');
    writeFileSync(join(k, 'Bad yaml.md'), '---\nprojects: [a\nsynced: false\n---\nStill indexed zebrafish.\n');
    writeFileSync(join(k, 'Latin1.md'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    writeFileSync(join(k, 'Huge.md'), 'x'.repeat(1024 * 1024 + 10));
    writeFileSync(join(k, 'Dup one.md'), '---\ntitle: Same title\n---\none\n');
    writeFileSync(join(k, 'Dup two.md'), '---\ntitle: Same title\n---\ntwo\n');
    const files = snapshot(vault);
    const dry = await sync('--dry-run');
    expect(dry.planned.inserts).toBe(2);
    expect(snapshot(vault)).toEqual(files);
    const r = await sync();
    expect(r.problems.map((p: { kind: string; path: string }) => `${p.kind} ${p.path}`).sort()).toEqual([
      'bad-yaml Claude/Knowledge/Bad yaml.md',
      'duplicate-title Claude/Knowledge/Dup two.md',
      'not-utf8 Claude/Knowledge/Latin1.md',
      'too-large Claude/Knowledge/Huge.md',
    ]);
    for (const name of ['Bad yaml.md', 'Latin1.md', 'Huge.md', 'Dup two.md']) expect(snapshot(vault).get(`Claude/Knowledge/${name}`)!.bytes).toBe(files.get(`Claude/Knowledge/${name}`)!.bytes);
    expect((await cli('search', 'zebrafish', '--in', 'knowledge')).out).toContain('Bad yaml');
    const text = await cli('vault', 'sync');
    expect(text.out).toMatch(/Problem: Claude\/Knowledge\/Latin1\.md: not UTF-8/);
    const none = await runCli(['vault', 'sync'], { out: () => {}, err: () => {}, env: { CLAUDE_FAMILY_DATABASE_URL: t().url, HOME: home }, cwd: home, distDir: DIST });
    expect(none).toBe(2);
    expect((await cli('vault', 'sync', '--vault', join(home, 'missing'))).err).toMatch(/is not a folder/);
  });

  it('--folder and --all widen what syncs, `claude: false` always stays out; narrowing again archives', async () => {
    mkdirSync(join(vault, 'Diary'), { recursive: true });
    writeFileSync(join(vault, 'Diary/Secret.md'), '---\nclaude: false\n---\nsecret\n');
    writeFileSync(join(vault, 'Diary/Open.md'), 'open\n');
    const live = async () => (await rows()).filter((x) => x.archived_at === null).map((x) => x.source_note_path);
    expect(await sync('--folder', 'Diary')).toMatchObject({ inserted: 1 });
    expect(await live()).toContain('Diary/Open.md');
    const all = await sync('--all');
    expect(all.inserted).toBe(1); // Private diary.md, at the top level
    expect(await live()).not.toContain('Diary/Secret.md');
    expect(await sync()).toMatchObject({ archived: 2 });
    expect(await live()).not.toContain('Diary/Open.md');
  });

  it('--mark-all marks notes without the key (a frontmatter added to a note that had none), once', async () => {
    writeFileSync(join(vault, 'Claude/Knowledge/Plain.md'), 'plain text\n');
    const r = await sync('--mark-all');
    expect(r.marked).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(vault, 'Claude/Knowledge/Plain.md'), 'utf8')).toMatch(/^---\nsynced: true\nsynced_at: "[^"]+"\n---\nplain text\n$/);
    const files = snapshot(vault);
    expect(await sync('--mark-all')).toMatchObject({ inserted: 0, updated: 0, marked: 0 });
    expect(snapshot(vault)).toEqual(files);
  });
});

describe('vault sync usage', () => {
  it('rejects a folder outside the vault', async () => {
    const err: string[] = [];
    const code = await runCli(['vault', 'sync', '--vault', '/tmp', '--folder', '../x'], { out: () => {}, err: (s) => void err.push(s), env: {}, cwd: '/tmp', distDir: DIST });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/inside the vault/);
  });
});
