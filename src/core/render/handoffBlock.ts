// The options of a `claude-handoff` code block: simple `key: value` lines, validated with zod.
//
//   ```claude-handoff
//   project: claude-family
//   sections: focus, todos, messages
//   limit: 5
//   ```
import { z } from 'zod';
import { ProjectName, ValidationError, parseInput } from '../models.js';
import { HANDOFF_SECTIONS, type HandoffSection } from './handoff.js';

export const HANDOFF_BLOCK_LANGUAGE = 'claude-handoff';

const SectionList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0))
  .pipe(z.array(z.enum(HANDOFF_SECTIONS as [HandoffSection, ...HandoffSection[]])).min(1, 'name at least one section'));

export const HandoffBlockOptions = z
  .object({
    project: ProjectName.optional(),
    sections: SectionList.optional(),
    limit: z.coerce.number().int('must be a whole number').min(1).max(100).optional(),
  })
  .strict();
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
  return parseInput(HandoffBlockOptions, raw, 'claude-handoff block');
}
