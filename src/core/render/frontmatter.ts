// Editing a note's YAML frontmatter line by line: only the keys the plugin owns are written; every
// other line (the user's keys, their quoting, dates, flow lists, comments, blank lines, order) stays
// byte for byte. Re-serialising the whole block through a YAML library would not: it turns
// `created: 2024-05-01` into a timestamp, `tags: [a, b]` into a block list, and drops comments.

export interface SplitNote {
  /** The frontmatter lines between the fences (without them); undefined when the note has none. */
  frontmatter: string[] | undefined;
  /** Everything after the closing fence's line (the note's body), byte for byte. */
  body: string;
  /** The note's line ending, kept when lines are added. */
  eol: string;
}

const FENCE = /^---[ \t]*$/;
const CLOSE = /^(---|\.\.\.)[ \t]*$/;

/** Splits a note into its frontmatter lines and its body without parsing either. */
export function splitNote(text: string): SplitNote {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const firstEnd = text.indexOf('\n');
  const first = (firstEnd < 0 ? text : text.slice(0, firstEnd)).replace(/\r$/, '');
  if (!FENCE.test(first) || firstEnd < 0) return { frontmatter: undefined, body: text, eol };
  const lines: string[] = [];
  let pos = firstEnd + 1;
  while (pos <= text.length) {
    const end = text.indexOf('\n', pos);
    const line = (end < 0 ? text.slice(pos) : text.slice(pos, end)).replace(/\r$/, '');
    if (CLOSE.test(line)) return { frontmatter: lines, body: end < 0 ? '' : text.slice(end + 1), eol };
    lines.push(line);
    if (end < 0) break;
    pos = end + 1;
  }
  // No closing fence: not frontmatter, all of it is body.
  return { frontmatter: undefined, body: text, eol };
}

export function joinNote(frontmatter: string[] | undefined, body: string, eol = '\n'): string {
  if (frontmatter === undefined) return body;
  return `---${eol}${frontmatter.map((l) => l + eol).join('')}---${eol}${body}`;
}

/** The top-level key a frontmatter line starts, if it starts one (`key:`, `"key":`, `'key':`). */
export function keyOf(line: string): string | undefined {
  const m = /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s#'"{[\-?:][^:#]*?|[-?][^\s:#][^:#]*?))[ \t]*:(?:[ \t]|$)/.exec(line);
  if (!m) return undefined;
  return m[1] ?? m[2]?.replace(/''/g, "'") ?? m[3]?.trim();
}

/** Lines after a key's line that belong to its value: indented lines, and `- ` items at column 0. */
function valueEnd(lines: string[], keyLine: number): number {
  let i = keyLine + 1;
  let last = keyLine;
  while (i < lines.length) {
    const line = lines[i]!;
    if (/^[ \t]+\S/.test(line) || /^-([ \t]|$)/.test(line)) last = i;
    else if (line.trim() !== '') break;
    i += 1;
  }
  // Trailing blank lines stay where they are (they separate the user's keys).
  return last + 1;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9 _./+-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

/** One YAML scalar: plain when that reads back as the same string, else a JSON (double-quoted) string. */
export function yamlScalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const s = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : JSON.stringify(value);
  if (PLAIN.test(s) && !RESERVED.test(s) && !/\s$/.test(s) && !/ #|: /.test(s)) return s;
  return JSON.stringify(s);
}

/** `key: value` as YAML lines: scalars on one line, arrays as a block list (`[]` when empty). */
export function yamlEntry(key: string, value: unknown): string[] {
  const k = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${k}: []`];
    return [`${k}:`, ...value.map((v) => `  - ${yamlScalar(v)}`)];
  }
  return [`${k}: ${yamlScalar(value)}`];
}

/**
 * Sets `owned` keys in a note's frontmatter (creating the block when there is none) and returns the
 * note's text. A key that exists has its lines replaced where it stands; a new key is added at the
 * end; `undefined` removes the key. Every other line is left exactly as it was.
 */
export function setFrontmatterKeys(text: string, owned: Record<string, unknown>): string {
  const { frontmatter, body, eol } = splitNote(text);
  const lines = frontmatter ? [...frontmatter] : [];
  for (const [key, value] of Object.entries(owned)) {
    const at = lines.findIndex((l) => keyOf(l) === key);
    const next = value === undefined ? [] : yamlEntry(key, value);
    if (at < 0) {
      if (value === undefined) continue;
      // Before trailing blank lines, so the block keeps its shape.
      let end = lines.length;
      while (end > 0 && lines[end - 1]!.trim() === '') end -= 1;
      lines.splice(end, 0, ...next);
      continue;
    }
    lines.splice(at, valueEnd(lines, at) - at, ...next);
  }
  if (!frontmatter && lines.length === 0) return text;
  return joinNote(lines, frontmatter ? body : text, eol);
}
