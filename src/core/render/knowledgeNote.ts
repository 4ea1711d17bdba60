// A vault note <-> a claude.knowledge entry. The frontmatter carries the fields (pattern_name, category,
// confidence_level, gotchas, knowledge_id once promoted); the body is the description, and a fenced
// block under an "## Example" heading, if any, is the example code.
import { KnowledgeInput, ValidationError, parseInput, type KnowledgeRow } from '../models.js';
import { parseNote, stringifyNote } from './generatedSection.js';

export const EXAMPLE_HEADING = '## Example';

/** KnowledgeInput field -> the frontmatter key a note uses for it. */
const FRONTMATTER_KEY: Record<string, string> = {
  knowledgeId: 'knowledge_id',
  patternName: 'pattern_name',
  category: 'category',
  description: 'description',
  exampleCode: 'example_code',
  gotchas: 'gotchas',
  confidenceLevel: 'confidence_level',
  sourceNotePath: 'source_note_path',
};

/** The note's title from its path: "Folder/My pattern.md" -> "My pattern". */
export function noteTitle(path: string): string {
  return (path.split('/').pop() ?? path).replace(/\.md$/i, '');
}

/** Splits a note body into the description and the example code under "## Example". */
export function splitKnowledgeBody(body: string): { description: string; exampleCode: string | null } {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  const at = lines.findIndex((l) => l.trim().toLowerCase() === EXAMPLE_HEADING.toLowerCase());
  if (at < 0) return { description: stripTitle(lines.join('\n')).trim(), exampleCode: null };
  const description = stripTitle(lines.slice(0, at).join('\n')).trim();
  const rest = lines.slice(at + 1);
  const open = rest.findIndex((l) => /^\s*(`{3,}|~{3,})/.test(l));
  if (open < 0) return { description, exampleCode: rest.join('\n').trim() || null };
  const fence = /^\s*(`{3,}|~{3,})/.exec(rest[open]!)![1]!;
  const close = rest.findIndex((l, i) => i > open && l.trim().startsWith(fence) && l.trim().replace(/[`~]/g, '') === '');
  const code = rest.slice(open + 1, close < 0 ? undefined : close).join('\n');
  return { description, exampleCode: code.length > 0 ? code : null };
}

/** A leading "# Title" line is the note's heading, not part of the description. */
function stripTitle(text: string): string {
  return text.replace(/^\s*# [^\n]*\n?/, '');
}

function asList(value: unknown): unknown {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.trim() === '' ? [] : [value];
  return value;
}

function asNumber(value: unknown): unknown {
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value);
  return value ?? undefined;
}

function optionalText(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' && value.trim() === '' ? undefined : value;
}

/**
 * Reads a note (its frontmatter and body) as a KnowledgeInput, validated with the same zod model the
 * hooks use. Throws a ValidationError whose issues name the frontmatter keys ("confidence_level: …").
 */
export function knowledgeInputFromNote(frontmatter: Record<string, unknown>, body: string, path: string): KnowledgeInput {
  const { description, exampleCode } = splitKnowledgeBody(body);
  const candidate = {
    knowledgeId: optionalText(frontmatter.knowledge_id),
    patternName: optionalText(frontmatter.pattern_name) ?? noteTitle(path),
    category: optionalText(frontmatter.category),
    description: optionalText(frontmatter.description) ?? description,
    exampleCode: optionalText(frontmatter.example_code) ?? exampleCode,
    gotchas: asList(frontmatter.gotchas),
    confidenceLevel: asNumber(frontmatter.confidence_level),
    sourceNotePath: path,
  };
  try {
    return parseInput(KnowledgeInput, candidate, 'knowledge note');
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    throw new ValidationError(
      err.what,
      err.issues.map((i) => {
        const [field, ...rest] = i.path.split('.');
        const key = FRONTMATTER_KEY[field ?? ''] ?? field ?? '';
        return { path: [key === 'description' && frontmatter.description === undefined ? 'description (the note body)' : key, ...rest].join('.'), message: i.message };
      }),
    );
  }
}

/** Reads a whole note's text (gray-matter for the frontmatter). */
export function knowledgeInputFromNoteText(text: string, path: string): KnowledgeInput {
  const { data, body } = parseNote(text);
  return knowledgeInputFromNote(data, body, path);
}

/** The frontmatter a knowledge note carries. */
export function knowledgeNoteFrontmatter(k: KnowledgeRow): Record<string, unknown> {
  return {
    knowledge_id: k.knowledge_id,
    pattern_name: k.pattern_name,
    category: k.category,
    confidence_level: k.confidence_level,
    gotchas: [...k.gotchas],
    updated_at: k.updated_at.toISOString(),
  };
}

/** A fence longer than any run of backticks inside the code, so the code can never close it. */
function fenceFor(code: string): string {
  const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((r) => r.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** Renders a knowledge entry as a note that knowledgeInputFromNoteText reads back to the same entry. */
export function renderKnowledgeNote(k: KnowledgeRow): string {
  const body = [`# ${k.pattern_name}`, '', k.description.trim(), ''];
  if (k.example_code !== null && k.example_code.length > 0) {
    const fence = fenceFor(k.example_code);
    body.push(EXAMPLE_HEADING, '', fence, k.example_code, fence, '');
  }
  return stringifyNote(knowledgeNoteFrontmatter(k), body.join('\n'));
}
