// A vault note as the sync stores it: parsed from its bytes, purely (text in, value out). The title is
// `title:` or the file name; the body is everything after the frontmatter; `projects:` and `tags:` are
// lists. The content hash leaves out the keys the sync owns (`synced`, `synced_at`), so writing them
// never makes the note look changed. Problems (not UTF-8, too big, frontmatter that is not YAML) are
// named, never thrown: a note with bad YAML still has its body indexed.
import { createHash } from 'node:crypto';
import matter from 'gray-matter';
import { joinNote, keyOf, setFrontmatterKeys, splitNote } from '../render/frontmatter.js';

/** Notes over this size are reported and left alone. */
export const MAX_NOTE_BYTES = 1024 * 1024;

/** The frontmatter keys the sync writes; everything else in a note belongs to its author. */
export const OWNED_KEYS = ['synced', 'synced_at'] as const;

export type NoteProblemKind = 'bad-yaml' | 'not-utf8' | 'too-large' | 'duplicate-title';

export interface NoteProblem {
  path: string;
  kind: NoteProblemKind;
  message: string;
}

export interface ParsedVaultNote {
  path: string;
  title: string;
  body: string;
  projects: string[];
  tags: string[];
  /** `gotchas:` (notes promoted the old way carry them in their frontmatter). */
  gotchas: string[];
  /** `review: pending` keeps an entry Claude wrote out of delivery until a person accepts it. */
  review: 'pending' | 'accepted';
  /** An optional `category:`; 'note' otherwise. */
  category: string;
  /** The first paragraph of the body (the entry's short description). */
  description: string;
  /** `knowledge_id:` (a note promoted before, or written from an entry): the entry it belongs to. */
  knowledgeId?: string;
  hash: string;
  /** The note has a `synced:` key (so the sync marks it), and its value is true. */
  hasSyncedKey: boolean;
  syncedTrue: boolean;
  /** The frontmatter could not be read as YAML (the body is still stored; the note is never written). */
  badYaml?: string;
}

export type NoteParse = { ok: true; note: ParsedVaultNote } | { ok: false; problem: NoteProblem };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The file name without folder and extension: "Folder/My note.md" -> "My note". */
export function fileTitle(path: string): string {
  return (path.split('/').pop() ?? path).replace(/\.md$/i, '');
}

/** The top-level keys present in a note's frontmatter, read line by line (works when the YAML is broken). */
export function frontmatterKeys(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  const { frontmatter } = splitNote(text);
  for (const line of frontmatter ?? []) {
    const key = keyOf(line);
    if (key !== undefined && !keys.has(key)) keys.set(key, line.slice(line.indexOf(':') + 1).replace(/\s+#.*$/, '').trim());
  }
  return keys;
}

/**
 * The hash of a note's text without the owned keys' lines. The frontmatter is taken as the line-level
 * writer writes it back (its fences as `---`; a block left empty is no block), so a note hashes the same
 * before and after `synced`/`synced_at` are written into it.
 */
export function contentHash(text: string): string {
  const split = splitNote(text);
  const owned = split.frontmatter?.some((l) => OWNED_KEYS.includes(keyOf(l) as (typeof OWNED_KEYS)[number])) ?? false;
  const { frontmatter, body, eol } = owned ? splitNote(setFrontmatterKeys(text, { synced: undefined, synced_at: undefined })) : split;
  const canonical = frontmatter === undefined ? body : frontmatter.every((l) => l.trim() === '') ? body : joinNote(frontmatter, body, eol);
  return createHash('sha256').update(canonical).digest('hex');
}

function asList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  const out: string[] = [];
  for (const item of items) {
    if (item === null || item === undefined || typeof item === 'object') continue;
    const s = String(item).trim().replace(/^#/, '').trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The first paragraph of prose: headings, fences, rules and link-only lines skipped; at most 300 characters. */
export function firstParagraph(body: string): string {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  let inFence = false;
  const para: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (/^(`{3,}|~{3,})/.test(line)) {
      inFence = !inFence;
      if (para.length > 0) break;
      continue;
    }
    if (inFence) continue;
    if (line === '' || /^#{1,6}\s/.test(line) || /^(-{3,}|\*{3,}|_{3,})$/.test(line)) {
      if (para.length > 0) break;
      continue;
    }
    para.push(line);
  }
  const joined = para.join(' ').replace(/\s+/g, ' ').trim();
  return joined.length > 300 ? `${joined.slice(0, 299).trimEnd()}…` : joined;
}

/** Decodes UTF-8 strictly: undefined for bytes that are not UTF-8. A BOM is dropped. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Parses a note's bytes. */
export function parseNoteBytes(path: string, bytes: Uint8Array): NoteParse {
  if (bytes.byteLength > MAX_NOTE_BYTES) {
    return { ok: false, problem: { path, kind: 'too-large', message: `${(bytes.byteLength / 1048576).toFixed(1)} MiB, over the ${MAX_NOTE_BYTES / 1048576} MiB limit` } };
  }
  const decoded = decodeUtf8(bytes);
  if (decoded === undefined) return { ok: false, problem: { path, kind: 'not-utf8', message: 'not UTF-8 text' } };
  return { ok: true, note: parseNoteText(path, decoded) };
}

/** Parses a note's text. */
export function parseNoteText(path: string, source: string): ParsedVaultNote {
  const { frontmatter, body } = splitNote(source);
  let data: Record<string, unknown> = {};
  let badYaml: string | undefined;
  if (frontmatter && frontmatter.some((l) => l.trim() !== '')) {
    try {
      const parsed = matter(joinNote(frontmatter, '', '\n'), {}).data as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
      else badYaml = 'the frontmatter is not a set of keys';
    } catch (err) {
      badYaml = ((err as Error).message ?? String(err)).split('\n')[0]!;
    }
  }
  const title = text(data.title) ?? text(data.pattern_name) ?? fileTitle(path);
  const id = text(data.knowledge_id);
  const synced = data.synced;
  const hasSyncedKey = badYaml === undefined && 'synced' in data;
  return {
    path,
    title,
    body,
    projects: asList(data.projects),
    tags: asList(data.tags),
    gotchas: Array.isArray(data.gotchas) ? asList(data.gotchas) : [],
    review: text(data.review)?.toLowerCase() === 'pending' ? 'pending' : 'accepted',
    category: text(data.category) ?? 'note',
    description: firstParagraph(body) || title,
    ...(id && UUID.test(id) ? { knowledgeId: id.toLowerCase() } : {}),
    hash: contentHash(source),
    hasSyncedKey,
    syncedTrue: synced === true,
    ...(badYaml !== undefined ? { badYaml } : {}),
  };
}

/** The note with `synced: true` and `synced_at` set, every other byte kept. */
export function markSynced(source: string, at: Date): string {
  return setFrontmatterKeys(source, { synced: true, synced_at: at.toISOString() });
}
