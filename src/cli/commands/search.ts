import { hitJson, renderHits } from '../../core/render/memory.js';
import { MAX_SEARCH_LIMIT, parseKinds, searchMemory } from '../../core/search/search.js';
import { flag, json, list, str, type Command } from '../command.js';
import { withDb } from '../context.js';
import { UsageError } from '../errors.js';

export function parseLimit(text: string | undefined, cmd: string, max = MAX_SEARCH_LIMIT): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > max) throw new UsageError(`--limit must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}`, cmd);
  return Number(text);
}

export const search: Command = {
  name: 'search',
  summary: 'Full-text search over knowledge, sessions (summary, tasks, learnings) and todos, best matches first.',
  usage: '"QUERY" [--in knowledge,sessions,todos] [--all-projects] [--limit N] [--json]',
  details: [
    '  QUERY            words to find (all of them); "a phrase", either OR other, -excluded',
    '  --in KINDS       knowledge, sessions, todos (comma-separated; default all three)',
    '  --all-projects   sessions and todos of every project (default: this project\'s; knowledge is shared by all)',
    `  --limit N        at most N hits (1-${MAX_SEARCH_LIMIT}, default 10)`,
    '  --json           print JSON',
    'Each hit shows its kind, id, project, date and a snippet (at most 200 characters, matches in **bold**);',
    '`claude-family knowledge show ID` prints a knowledge entry in full.',
  ],
  options: { in: { type: 'string', multiple: true }, 'all-projects': { type: 'boolean' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 64 },
  async run(args, ctx) {
    const query = args.positionals.join(' ');
    if (query.trim() === '') throw new UsageError('the query must not be empty', this.name);
    if (flag(args, 'all-projects') && str(args, 'project') !== undefined) throw new UsageError('--project and --all-projects contradict each other', this.name);
    let kinds;
    try {
      kinds = parseKinds(list(args, 'in'));
    } catch (err) {
      throw new UsageError(`--in: ${(err as Error).message}`, this.name);
    }
    const limit = parseLimit(str(args, 'limit'), this.name) ?? 10;
    const project = flag(args, 'all-projects') ? undefined : ctx.project;
    const hits = await withDb(ctx, (db) => searchMemory(db, { query, kinds, project, limit }));
    if (flag(args, 'json')) return void ctx.io.out(json({ query, project: project ?? null, kinds, hits: hits.map(hitJson) }));
    ctx.io.out(renderHits(hits, query));
  },
};
