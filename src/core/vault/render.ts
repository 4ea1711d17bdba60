// Database -> vault: an entry made elsewhere (MCP add_knowledge, `knowledge add`, a learning at session
// end) written as a note, and a note updated from its entry line by line (only the keys and the body
// that differ are touched). An entry still waiting for review carries `review: pending`: the inbox.
import { joinNote, setFrontmatterKeys, splitNote } from '../render/frontmatter.js';
import { fileTitle, parseNoteText } from './note.js';

/** What a note is written from. */
export interface EntryContent {
  knowledge_id: string;
  pattern_name: string;
  description: string;
  example_code: string | null;
  gotchas: string[];
  body: string | null;
  projects: string[];
  tags: string[];
  review: 'pending' | 'accepted';
}

function fenceFor(code: string): string {
  const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((r) => r.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** The note body of an entry: its own body, or (an entry made the old way) title, description, example, gotchas. */
export function entryBody(k: EntryContent): string {
  if (k.body !== null) return k.body;
  const parts = [`# ${k.pattern_name}`, '', k.description.trim(), ''];
  if (k.example_code !== null && k.example_code.length > 0) {
    const fence = fenceFor(k.example_code);
    parts.push('## Example', '', fence, k.example_code, fence, '');
  }
  if (k.gotchas.length > 0) parts.push('## Gotchas', '', ...k.gotchas.map((g) => `- ${g.replace(/\s*\n\s*/g, ' ')}`), '');
  return parts.join('\n');
}

function ownedKeys(k: EntryContent, path: string): Record<string, unknown> {
  return {
    ...(fileTitle(path) !== k.pattern_name ? { title: k.pattern_name } : {}),
    knowledge_id: k.knowledge_id,
    projects: k.projects,
    tags: k.tags,
    ...(k.review === 'pending' ? { review: 'pending' } : {}),
  };
}

/** A new note for an entry. `extra` adds keys (a conflict copy gets `claude: false`, so it never syncs itself). */
export function renderEntryNote(k: EntryContent, path: string, extra: Record<string, unknown> = {}): string {
  return setFrontmatterKeys(joinNote([], entryBody(k)), { ...ownedKeys(k, path), ...extra });
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The note updated from its entry: only what differs is written (title, projects, tags, review, the
 * body); every other frontmatter line keeps its bytes. Returns the text unchanged when nothing differs.
 */
export function updateNoteFromEntry(text: string, path: string, k: EntryContent): string {
  const note = parseNoteText(path, text);
  const keys: Record<string, unknown> = {};
  if (note.title !== k.pattern_name) keys.title = fileTitle(path) === k.pattern_name ? undefined : k.pattern_name;
  if (!same(note.projects, k.projects)) keys.projects = k.projects;
  if (!same(note.tags, k.tags)) keys.tags = k.tags;
  if (note.review !== k.review) keys.review = k.review === 'pending' ? 'pending' : undefined;
  let next = text;
  const body = entryBody(k);
  if (note.body !== body) {
    const { frontmatter, eol } = splitNote(text);
    next = joinNote(frontmatter, eol === '\r\n' ? body.replace(/\r?\n/g, '\r\n') : body, eol);
  }
  return Object.keys(keys).length > 0 ? setFrontmatterKeys(next, keys) : next;
}
