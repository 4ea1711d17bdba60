// The options of a `claude-handoff` code block: simple `key: value` lines, validated with zod.
//
//   ```claude-handoff
//   project: claude-family
//   sections: focus, todos, messages
//   limit: 5
//   ```
// zod/mini, like the rest of src/core on main. The schema is applied with its own safeParse (not
// models.parseInput), so it works whichever zod flavour models.ts uses.
import * as z from 'zod/mini';
import { ProjectName, ValidationError } from '../models.js';
import { HANDOFF_SECTIONS, type HandoffSection } from './handoff.js';

export const HANDOFF_BLOCK_LANGUAGE = 'claude-handoff';

const SectionList = z.pipe(
  z.pipe(
    z.string(),
    z.transform((s: string) => s.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0)),
  ),
  z.array(z.enum(HANDOFF_SECTIONS as [HandoffSection, ...HandoffSection[]])).check(z.minLength(1, 'name at least one section')),
);

export const HandoffBlockOptions = z.strictObject({
  project: z.optional(ProjectName),
  sections: z.optional(SectionList),
  limit: z.optional(z.pipe(z.coerce.number(), z.int('must be a whole number').check(z.minimum(1, 'must be at least 1'), z.maximum(100, 'must be at most 100')))),
});
export type HandoffBlockOptions = z.output<typeof HandoffBlockOptions>;

/** Parses the block's text. Blank lines and lines starting with `#` or `//` are ignored. */
export function parseHandoffBlock(source: string): HandoffBlockOptions {
  const raw: Record<string, string> = {};
  const problems: { path: string; message: string }[] = [];
  source.split(/\r?\n/).forEach((line, i) => {
    const text = line.trim();
    if (text === '' || text.startsWith('#') || text.startsWith('//')) return;
    const colon = text.indexOf(':');
    if (colon <= 0) {
      problems.push({ path: `line ${i + 1}`, message: `expected "key: value", got ${JSON.stringify(text)}` });
      return;
    }
    const key = text.slice(0, colon).trim().toLowerCase();
    if (key in raw) problems.push({ path: key, message: 'given twice' });
    raw[key] = text.slice(colon + 1).trim();
  });
  if (problems.length > 0) throw new ValidationError('claude-handoff block', problems);
  const result = HandoffBlockOptions.safeParse(raw);
  if (result.success) return result.data;
  throw new ValidationError(
    'claude-handoff block',
    result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      // A key the block does not know: name it (zod reports it with an empty path).
      if (issue.code === 'unrecognized_keys') return { path: issue.keys.join(', '), message: 'unknown option (use project, sections, limit)' };
      return { path, message: issue.message };
    }),
  );
}
