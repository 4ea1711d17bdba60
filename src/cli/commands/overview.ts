import { loadOverview } from '../../core/overview/overview.js';
import { MAX_ACTIVITY_DAYS } from '../../core/overview/sessionActivity.js';
import { overviewJson, renderOverviewText } from '../../core/render/overview.js';
import { flag, json, str, type Command } from '../command.js';
import { withDb } from '../context.js';
import { UsageError } from '../errors.js';

export const overview: Command = {
  name: 'overview',
  summary: 'Every project at a glance: focus, todos, next steps, last session, messages, live sessions; sessions per day; MCP health; knowledge in use.',
  usage: '[--days N] [--json]',
  details: [
    `  --days N         sessions per day over the last N days (1-${MAX_ACTIVITY_DAYS}, default 30)`,
    '  --json           print JSON',
    'Projects come most recently active first; archived ones and those idle for 14 days are folded into one line.',
    'MCP health covers the last 7 days, knowledge deliveries the last 30. Days are UTC.',
  ],
  options: { days: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const text = str(args, 'days');
    if (text !== undefined && (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > MAX_ACTIVITY_DAYS)) {
      throw new UsageError(`--days must be a whole number from 1 to ${MAX_ACTIVITY_DAYS}, got ${JSON.stringify(text)}`, this.name);
    }
    const days = text === undefined ? 30 : Number(text);
    const o = await withDb(ctx, (db) => loadOverview(db, { days }));
    ctx.io.out(flag(args, 'json') ? json(overviewJson(o)) : renderOverviewText(o));
  },
};
