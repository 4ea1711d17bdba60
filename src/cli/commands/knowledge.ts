import { Uuid } from '../../core/models.js';
import { oneLine } from '../../core/render/handoff.js';
import { renderEntry } from '../../core/render/memory.js';
import { findKnowledgeByName, getKnowledge, listKnowledge, upsertKnowledge } from '../../core/repos/knowledge.js';
import { flag, json, list, requireStr, str, type Command } from '../command.js';
import { withDb } from '../context.js';
import { CliError, UsageError } from '../errors.js';

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

export const knowledgeList: Command = {
  name: 'knowledge list',
  summary: 'List the knowledge entries (shared by every project), by category and name.',
  usage: '[--category TEXT] [--json]',
  details: ['  --category TEXT  only this category', '  --json           print JSON'],
  options: { category: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const category = str(args, 'category')?.trim();
    const rows = await withDb(ctx, (db) => listKnowledge(db, category || undefined));
    if (flag(args, 'json')) {
      return void ctx.io.out(json({ knowledge: rows.map((k) => ({ knowledge_id: k.knowledge_id, pattern_name: k.pattern_name, category: k.category, confidence_level: k.confidence_level, updated_at: k.updated_at.toISOString() })) }));
    }
    if (rows.length === 0) return void ctx.io.out(category ? `No knowledge entries in category ${JSON.stringify(category)}.` : 'No knowledge entries yet.');
    ctx.io.out(rows.map((k) => `${oneLine(k.category, 40)}: ${oneLine(k.pattern_name, 120)} (confidence ${k.confidence_level}) ${k.knowledge_id}`).join('\n'));
  },
};

export const knowledgeShow: Command = {
  name: 'knowledge show',
  summary: 'Print one knowledge entry in full, by id (or by its exact pattern name).',
  usage: 'ID [--json]',
  details: ['  ID               the knowledge id (as search and knowledge list print it), or the pattern name', '  --json           print JSON'],
  options: { json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(args, ctx) {
    const key = args.positionals[0]!.trim();
    if (key === '') throw new UsageError('the id must not be empty', this.name);
    const k = await withDb(ctx, async (db) => (Uuid.safeParse(key.toLowerCase()).success ? getKnowledge(db, key.toLowerCase()) : undefined) ?? findKnowledgeByName(db, key));
    if (!k) throw new CliError(`no knowledge entry ${JSON.stringify(oneLine(key, 100))}`);
    if (flag(args, 'json')) return void ctx.io.out(json({ ...k, created_at: k.created_at.toISOString(), updated_at: k.updated_at.toISOString() }));
    ctx.io.out(renderEntry({ kind: 'knowledge', knowledge: k }));
  },
};
