// Notes the plugin writes are shared with their reader: only the part between the markers and the
// frontmatter keys the plugin owns are ever rewritten; everything else the user wrote stays as it is.
import matter from 'gray-matter';
import { joinNote, setFrontmatterKeys, splitNote } from './frontmatter.js';

export const BEGIN_MARKER = '<!-- claude-family:begin -->';
export const END_MARKER = '<!-- claude-family:end -->';

export function wrapGenerated(content: string): string {
  return `${BEGIN_MARKER}\n${content.trim()}\n${END_MARKER}`;
}

/**
 * Puts `generated` between the markers of `body`. The last begin marker before the first end marker
 * is used, so a stray marker the user left never swallows their text. A body without a complete
 * marked section keeps all its text and gets the section appended.
 */
export function mergeGenerated(body: string | undefined, generated: string): string {
  const section = wrapGenerated(generated);
  if (body === undefined || body.trim() === '') return `${section}\n`;
  const end = body.indexOf(END_MARKER);
  const begin = end < 0 ? -1 : body.lastIndexOf(BEGIN_MARKER, end);
  if (begin < 0 || end < 0) return `${body.replace(/\s+$/, '')}\n\n${section}\n`;
  return body.slice(0, begin) + section + body.slice(end + END_MARKER.length);
}

/** The text between the markers, or undefined when the body has no complete marked section. */
export function generatedPart(body: string): string | undefined {
  const end = body.indexOf(END_MARKER);
  const begin = end < 0 ? -1 : body.lastIndexOf(BEGIN_MARKER, end);
  if (begin < 0) return undefined;
  return body.slice(begin + BEGIN_MARKER.length, end).trim();
}

export interface ParsedNote {
  data: Record<string, unknown>;
  body: string;
}

/** Splits a note into frontmatter and body (gray-matter; its cache is bypassed so results are never shared). */
export function parseNote(text: string): ParsedNote {
  const parsed = matter(text, {});
  return { data: { ...(parsed.data as Record<string, unknown>) }, body: parsed.content };
}

/** Serialises frontmatter and body as a note; no frontmatter block when there are no keys. */
export function stringifyNote(data: Record<string, unknown>, body: string): string {
  const clean = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
  if (Object.keys(clean).length === 0) return body;
  return matter.stringify(body, clean);
}

/**
 * Merges a generated note into what is on disk: the plugin's frontmatter keys are set line by line
 * (every other frontmatter line keeps its bytes: value, quoting, comments, order), the marked section
 * is replaced, the user's text outside it is kept as it was.
 */
export function mergeNote(existing: string | undefined, owned: Record<string, unknown>, generated: string): string {
  if (existing === undefined) return setFrontmatterKeys(mergeGenerated(undefined, generated), owned);
  const { frontmatter, body, eol } = splitNote(existing);
  return setFrontmatterKeys(joinNote(frontmatter, mergeGenerated(body, generated), eol), owned);
}
