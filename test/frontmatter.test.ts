// The plugin rewrites only the frontmatter keys it owns: everything else the user wrote keeps its bytes.
import matter from 'gray-matter';
import { describe, expect, it } from 'vitest';
import { setFrontmatterKeys, splitNote } from '../src/core/render/frontmatter.js';
import { END_MARKER, mergeNote } from '../src/core/render/generatedSection.js';

// Dates, flow lists, comments, every kind of quoting, nested maps, block lists at column 0, unknown keys.
const USER_LINES = [
  'created: 2024-05-01',
  "tags: [work, claude]  # flow list, with a comment",
  '# a comment line of its own',
  "title: 'It''s mine'",
  'quoted: "tab\\there"',
  'aliases:',
  '- first',
  '- "second: with colon"',
  'nested:',
  '  when: 2024-05-01T10:00:00Z',
  '  list: [1, 2]',
  'empty:',
  'multi: |',
  '  line one',
  '  line two',
  '"odd key": yes',
];

function note(lines: string[], body = 'Body text.\n'): string {
  return `---\n${lines.join('\n')}\n---\n${body}`;
}

describe('frontmatter edits', () => {
  it('keeps every key it does not own byte for byte while setting its own', () => {
    const before = note(['project: old-name', ...USER_LINES, 'updated_at: "2020-01-01T00:00:00.000Z"']);
    const after = setFrontmatterKeys(before, { project: 'claude-family', updated_at: '2026-11-28T10:00:00.000Z', pending: 3, session_ids: ['a', 'b'] });
    const lines = splitNote(after).frontmatter!;
    // The user's lines, in their order and with their bytes.
    expect(lines.filter((l) => USER_LINES.includes(l))).toEqual(USER_LINES);
    expect(lines.join('\n')).toContain(USER_LINES.join('\n'));
    expect(lines[0]).toBe('project: claude-family');
    expect(lines).toContain('updated_at: "2026-11-28T10:00:00.000Z"');
    expect(lines.slice(-3)).toEqual(['session_ids:', '  - a', '  - b']);
    expect(splitNote(after).body).toBe('Body text.\n');
    // And it still reads back as YAML with the user's values intact.
    const data = matter(after, {}).data as Record<string, unknown>;
    expect(data).toMatchObject({ project: 'claude-family', updated_at: '2026-11-28T10:00:00.000Z', pending: 3, title: "It's mine", tags: ['work', 'claude'], aliases: ['first', 'second: with colon'], 'odd key': 'yes' });
  });

  it('replaces a multi-line value it owns, and changes nothing when its keys already hold their values', () => {
    const before = note(['learnings:', '  - old one', '  - old two', ...USER_LINES]);
    const after = setFrontmatterKeys(before, { learnings: ['new'] });
    expect(after).toBe(note(['learnings:', '  - new', ...USER_LINES]));
    expect(setFrontmatterKeys(after, { learnings: ['new'] })).toBe(after);
  });

  it('keeps Windows line endings and adds a frontmatter block to a note without one', () => {
    const crlf = '---\r\ncreated: 2024-05-01\r\n---\r\nText\r\n';
    expect(setFrontmatterKeys(crlf, { project: 'p' })).toBe('---\r\ncreated: 2024-05-01\r\nproject: p\r\n---\r\nText\r\n');
    expect(setFrontmatterKeys('Just text\n', { project: 'p' })).toBe('---\nproject: p\n---\nJust text\n');
  });

  it('quotes strings that YAML would read as something else', () => {
    const text = setFrontmatterKeys('', { a: 'true', b: '2024-05-01', c: 'x: y', d: '#tag', e: 'plain words', f: null });
    expect(matter(text, {}).data).toEqual({ a: 'true', b: '2024-05-01', c: 'x: y', d: '#tag', e: 'plain words', f: null });
  });

  it('a generated note keeps the user frontmatter and text outside the markers byte for byte', () => {
    const first = mergeNote(undefined, { project: 'p', pending: 1 }, 'Generated one');
    const edited = first.replace('---\n', `---\n${USER_LINES.join('\n')}\n`).replace(END_MARKER, `${END_MARKER}\n\nMy own text, with [[links]] and - [ ] a task of mine.`);
    const next = mergeNote(edited, { project: 'p', pending: 2 }, 'Generated two');
    expect(next).toBe(edited.replace('pending: 1', 'pending: 2').replace('Generated one', 'Generated two'));
  });
});
