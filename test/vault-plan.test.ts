// The vault sync's pure parts: parsing a note, which notes sync, and the plan (table-driven).
import { describe, expect, it } from 'vitest';
import { contentHash, markSynced, parseNoteBytes, parseNoteText, MAX_NOTE_BYTES, frontmatterKeys } from '../src/core/vault/note.js';
import { planSync, type EntryState, type NoteState, type SyncPlan } from '../src/core/vault/plan.js';
import { defaultScope, inScope } from '../src/core/vault/scope.js';
import { renderEntryNote, updateNoteFromEntry, type EntryContent } from '../src/core/vault/render.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('parsing a note', () => {
  it('reads title, body, projects, tags, review, knowledge_id; title from the file name otherwise', () => {
    const n = parseNoteText('Procedures/Deploy.md', '---\nprojects: [a, b]\ntags:\n  - x\n  - "#y"\nreview: pending\n---\n# Deploy\n\nRun the script.\n');
    expect(n).toMatchObject({ title: 'Deploy', projects: ['a', 'b'], tags: ['x', 'y'], review: 'pending', body: '# Deploy\n\nRun the script.\n', description: 'Run the script.', category: 'note' });
    expect(parseNoteText('x.md', '---\ntitle: Other name\nprojects: []\n---\nbody').title).toBe('Other name');
    expect(parseNoteText('x.md', 'no frontmatter').projects).toEqual([]);
  });

  it('leaves the owned keys out of the hash; any other change changes it; CRLF is fine', () => {
    const a = '---\nprojects: [p]\nsynced: false\n---\nBody\n';
    expect(contentHash(markSynced(a, new Date('2026-01-02T03:04:05Z')))).toBe(contentHash(a));
    expect(contentHash(a.replace('Body', 'Body!'))).not.toBe(contentHash(a));
    // Marking a note that had no key, no frontmatter, or an unusual closing fence does not change its hash either.
    for (const text of ['---\nprojects: [p]\n---\nBody\n', 'Just a body\n', '---\nprojects: [p]\n...\nBody\n', '---\n---\nBody\n']) {
      expect(contentHash(markSynced(text, new Date())), text).toBe(contentHash(text));
    }
    const crlf = a.replace(/\n/g, '\r\n');
    const n = parseNoteText('c.md', crlf);
    expect(n.projects).toEqual(['p']);
    expect(n.hasSyncedKey).toBe(true);
    const marked = markSynced(crlf, new Date('2026-01-02T03:04:05Z'));
    expect(marked).toBe('---\r\nprojects: [p]\r\nsynced: true\r\nsynced_at: "2026-01-02T03:04:05.000Z"\r\n---\r\nBody\r\n');
  });

  it('names bad YAML (body still read), non-UTF-8 and notes over 1 MiB', () => {
    const bad = parseNoteText('b.md', '---\nprojects: [a\ntags: : :\n---\nThe body.\n');
    expect(bad.badYaml).toBeTruthy();
    expect(bad.body).toBe('The body.\n');
    expect(bad.hasSyncedKey).toBe(false);
    const latin1 = new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0x2d, 0x2d, 0x2d, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]);
    expect(parseNoteBytes('l.md', latin1)).toMatchObject({ ok: false, problem: { kind: 'not-utf8' } });
    expect(parseNoteBytes('big.md', new Uint8Array(MAX_NOTE_BYTES + 1).fill(0x61))).toMatchObject({ ok: false, problem: { kind: 'too-large' } });
    expect(parseNoteBytes('ok.md', enc('héllo'))).toMatchObject({ ok: true });
  });
});

describe('which notes sync', () => {
  const keys = (t: string) => frontmatterKeys(t);
  const scope = defaultScope();
  it.each([
    ['Notes/a.md', '---\nprojects: []\n---\n', true],
    ['Notes/a.md', '---\nprojects: [x]\nclaude: false\n---\n', false],
    ['Notes/a.md', '---\ntags: [x]\n---\n', false],
    ['Claude/Knowledge/a.md', 'plain', true],
    ['Claude/Knowledge/a.md', '---\nclaude: false\n---\n', false],
    ['Claude/Handoff/a.md', '---\nprojects: []\n---\n', false],
    ['Claude/Sessions/a.md', '---\nprojects: []\n---\n', false],
    ['.obsidian/a.md', '---\nprojects: []\n---\n', false],
    ['Notes/a.txt', '---\nprojects: []\n---\n', false],
    ['Notes/broken.md', '---\nprojects: [a\n---\n', true],
  ])('%s %j -> %s', (path, text, expected) => {
    expect(inScope(path, keys(text), scope)).toBe(expected);
  });
  it('a folder or the whole vault widens it', () => {
    expect(inScope('Work/a.md', keys('x'), defaultScope({ folders: ['Work'] }))).toBe(true);
    expect(inScope('Workshop/a.md', keys('x'), defaultScope({ folders: ['Work'] }))).toBe(false);
    expect(inScope('Any/a.md', keys('x'), defaultScope({ wholeVault: true }))).toBe(true);
    expect(inScope('Any/a.md', keys('---\nclaude: false\n---\n'), defaultScope({ wholeVault: true }))).toBe(false);
  });
});

const note = (path: string, text: string, size = text.length, mtimeMs = 1000): NoteState => ({ kind: 'note', path, size, mtimeMs, note: parseNoteText(path, text) });
const entry = (over: Partial<EntryState> & { knowledgeId: string }): EntryState => ({ name: 'n', path: null, contentHash: null, noteSize: null, noteMtimeMs: null, entryHash: 'e1', syncedEntryHash: 'e1', ...over });
const synced = (id: string, path: string, text: string, over: Partial<EntryState> = {}) =>
  entry({ knowledgeId: id, name: parseNoteText(path, text).title, path, contentHash: contentHash(text), noteSize: text.length, noteMtimeMs: 1000, ...over });
const opts = { knowledgeFolder: 'Claude/Knowledge', today: '2026-12-02', existingPaths: new Set<string>() };
const summary = (p: SyncPlan) => ({
  inserts: p.inserts.map((i) => i.path),
  updates: p.updates.map((u) => `${u.entry.knowledgeId}<-${u.note.path}`),
  stats: p.stats.map((s) => s.entry.knowledgeId),
  archives: p.archives.map((a) => a.knowledgeId),
  toVault: p.toVault.map((t) => `${t.entry.knowledgeId}->${t.path}`),
  fromEntry: p.fromEntry.map((t) => `${t.entry.knowledgeId}->${t.path}`),
  conflicts: p.conflicts.map((c) => `${c.entry.knowledgeId}:${c.conflictPath}`),
  marks: p.marks.map((m) => m.path),
  problems: p.problems.map((x) => `${x.kind}:${x.path}`),
});
const A = '---\nprojects: [p]\nsynced: false\n---\nAlpha body\n';
const B = '---\nprojects: [p]\n---\nBeta body\n';
const none = { inserts: [], updates: [], stats: [], archives: [], toVault: [], fromEntry: [], conflicts: [], marks: [], problems: [] };

describe('the plan', () => {
  it.each<[string, NoteState[], EntryState[], Partial<ReturnType<typeof summary>>]>([
    ['a new note is inserted (and marked, having a synced key)', [note('A.md', A), note('B.md', B)], [], { inserts: ['A.md', 'B.md'], marks: ['A.md'] }],
    ['nothing changed: nothing to do', [note('B.md', B)], [synced('1', 'B.md', B)], {}],
    ['unchanged but `synced: false`: only the mark', [note('A.md', A)], [synced('1', 'A.md', A)], { marks: ['A.md'] }],
    ['unchanged by size and mtime: not even read', [{ kind: 'unchanged', path: 'A.md', size: 1, mtimeMs: 1 }], [synced('1', 'A.md', A)], {}],
    ['the note changed: its entry is updated', [note('A.md', A.replace('Alpha', 'Alpha!'))], [synced('1', 'A.md', A)], { updates: ['1<-A.md'], marks: ['A.md'] }],
    ['the note was marked by us: only its size and mtime are recorded', [note('A.md', markSynced(A, new Date()), 500, 2000)], [synced('1', 'A.md', A)], { stats: ['1'] }],
    ['the note is gone: its entry is archived', [], [synced('1', 'A.md', A)], { archives: ['1'] }],
    ['renamed (same content): the entry follows it', [note('Moved/A2.md', A)], [synced('1', 'A.md', A)], { updates: ['1<-Moved/A2.md'], marks: ['Moved/A2.md'] }],
    ['renamed and edited, knowledge_id kept: the entry follows it', [note('X.md', `---\nknowledge_id: 00000000-0000-4000-8000-000000000001\n---\nnew`)], [synced('00000000-0000-4000-8000-000000000001', 'A.md', A)], { updates: ['00000000-0000-4000-8000-000000000001<-X.md'] }],
    ['the entry changed elsewhere: the note is updated from it', [note('B.md', B)], [synced('1', 'B.md', B, { entryHash: 'e2' })], { fromEntry: ['1->B.md'] }],
    ['the entry changed, the note unread', [{ kind: 'unchanged', path: 'A.md', size: 1, mtimeMs: 1 }], [synced('1', 'A.md', A, { entryHash: 'e2' })], { fromEntry: ['1->A.md'] }],
    ['both changed: conflict, the entry version beside the note', [note('K/A.md', A.replace('Alpha', 'Mine'))], [synced('1', 'K/A.md', A, { entryHash: 'e2' })], { conflicts: ['1:K/A (conflict 2026-12-02).md'], marks: ['K/A.md'] }],
    ['an entry with no note gets one in the knowledge folder', [], [entry({ knowledgeId: '9', name: 'From MCP: a/b' })], { toVault: ['9->Claude/Knowledge/From MCP- a-b.md'] }],
    ['a note whose title an entry without a note has: kept, the entry version beside it', [note('N/Same.md', B)], [entry({ knowledgeId: '9', name: 'Same' })], { conflicts: ['9:N/Same (conflict 2026-12-02).md'] }],
    ['two notes, one title: the second is reported and skipped', [note('a/T.md', B), note('b/T.md', A)], [], { inserts: ['a/T.md'], problems: ['duplicate-title:b/T.md'] }],
    ['the owner of a title keeps it', [note('a/T.md', B), note('b/T.md', A)], [synced('1', 'b/T.md', A)], { problems: ['duplicate-title:a/T.md'], marks: ['b/T.md'] }],
    ['a note that cannot be read keeps its entry', [{ kind: 'problem', path: 'A.md', problem: { path: 'A.md', kind: 'not-utf8', message: '' } }], [synced('1', 'A.md', A)], { problems: ['not-utf8:A.md'] }],
    ['bad YAML: stored, never marked, reported', [note('Bad.md', '---\nprojects: [a\nsynced: false\n---\nbody')], [], { inserts: ['Bad.md'], problems: ['bad-yaml:Bad.md'] }],
  ])('%s', (_name, states, entries, expected) => {
    expect(summary(planSync(states, entries, opts))).toEqual({ ...none, ...expected });
  });

  it('force re-stores unchanged notes; mark-all marks notes without the key', () => {
    expect(summary(planSync([note('A.md', A)], [synced('1', 'A.md', A)], { ...opts, force: true })).updates).toEqual(['1<-A.md']);
    expect(summary(planSync([note('B.md', B)], [], { ...opts, markAll: true })).marks).toEqual(['B.md']);
  });

  it('new note paths never take an existing file', () => {
    const p = planSync([], [entry({ knowledgeId: '9', name: 'X' })], { ...opts, existingPaths: new Set(['Claude/Knowledge/X.md']) });
    expect(p.toVault[0]!.path).toBe('Claude/Knowledge/X 2.md');
  });
});

describe('entries written into the vault', () => {
  const k: EntryContent = { knowledge_id: '00000000-0000-4000-8000-000000000009', pattern_name: 'Retry with backoff', description: 'Retry failed calls.', example_code: 'retry()', gotchas: ['cap it'], body: null, projects: ['p'], tags: ['net'], review: 'pending' };
  it('a new note carries knowledge_id, projects, tags and review: pending; it reads back to the entry', () => {
    const text = renderEntryNote(k, 'Claude/Knowledge/Retry with backoff.md');
    expect(text).toMatch(/^---\nknowledge_id: "00000000-0000-4000-8000-000000000009"\nprojects:\n {2}- p\ntags:\n {2}- net\nreview: pending\n---\n# Retry with backoff\n/);
    const n = parseNoteText('Claude/Knowledge/Retry with backoff.md', text);
    expect(n).toMatchObject({ title: 'Retry with backoff', projects: ['p'], tags: ['net'], review: 'pending', knowledgeId: k.knowledge_id });
    expect(updateNoteFromEntry(text, 'Claude/Knowledge/Retry with backoff.md', k)).toBe(text);
  });
  it('accepting removes only the review line; other bytes stay', () => {
    const text = renderEntryNote(k, 'Claude/Knowledge/Retry with backoff.md').replace('---\n# Retry', '# my comment\n---\n# Retry');
    const next = updateNoteFromEntry(text, 'Claude/Knowledge/Retry with backoff.md', { ...k, review: 'accepted' });
    expect(next).toBe(text.replace('review: pending\n', ''));
  });
});
