import { upsertKnowledge } from '../../core/repos/knowledge.js';
import { list, requireStr, str, type Command } from '../command.js';
import { withDb } from '../context.js';
import { UsageError } from '../errors.js';

export const knowledgeAdd: Command = {
  name: 'knowledge add',
  summary: 'Store a reusable pattern in claude.knowledge (an existing entry with the same name is updated).',
  usage: '--name TEXT --category TEXT --description TEXT [--example TEXT] [--gotcha TEXT]... [--confidence 1-10]',
  details: [
    '  --name TEXT         the pattern name (unique)',
    '  --category TEXT     e.g. testing, postgres',
    '  --description TEXT  what it is and when to use it',
    '  --example TEXT      example code',
    '  --gotcha TEXT       a pitfall (repeat for several)',
    '  --confidence N      1 (a hunch) to 10 (proven); default 5',
  ],
  options: { name: { type: 'string' }, category: { type: 'string' }, description: { type: 'string' }, example: { type: 'string' }, gotcha: { type: 'string', multiple: true }, confidence: { type: 'string' } },
  async run(args, ctx) {
    const patternName = requireStr(args, 'name', this.name);
    const category = requireStr(args, 'category', this.name);
    const description = requireStr(args, 'description', this.name);
    const conf = str(args, 'confidence');
    let confidenceLevel: number | undefined;
    if (conf !== undefined) {
      // Digits only: Number() would also take "1e1", "0x5" or " 7 ".
      confidenceLevel = /^\d{1,2}$/.test(conf) ? Number(conf) : NaN;
      if (!Number.isInteger(confidenceLevel) || confidenceLevel < 1 || confidenceLevel > 10) throw new UsageError(`--confidence must be a whole number from 1 to 10, got ${JSON.stringify(conf)}`, this.name);
    }
    const { knowledge, created } = await withDb(ctx, (db) =>
      upsertKnowledge(db, { patternName, category, description, exampleCode: str(args, 'example') ?? null, gotchas: list(args, 'gotcha'), ...(confidenceLevel !== undefined ? { confidenceLevel } : {}) }),
    );
    ctx.io.out(`${created ? 'Added' : 'Updated'} knowledge "${knowledge.pattern_name}" (${knowledge.category}, confidence ${knowledge.confidence_level}) ${knowledge.knowledge_id}.`);
  },
};
