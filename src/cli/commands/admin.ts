import { describeTarget } from '../../core/config.js';
import { spoolPaths } from '../../core/events/spool.js';
import { flag, json, type Command } from '../command.js';
import { withDb } from '../context.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending schema migrations to the configured database (safe to run any time).',
  usage: '',
  details: [],
  options: {},
  async run(_args, ctx) {
    const report = await withDb(ctx, async (_db, opened) => opened.migrations!);
    ctx.io.out(`${describeTarget(ctx.config)}: applied ${report.applied.length > 0 ? report.applied.join(', ') : 'nothing'}; ${report.alreadyApplied.length} already applied${report.unknown.length > 0 ? `; recorded but unknown to this version: ${report.unknown.join(', ')}` : ''}.`);
  },
};

export const spoolReplay: Command = {
  name: 'spool replay',
  summary: 'Write the events hooks spooled (database unavailable, or embedded mode) into the database, and report.',
  usage: '[--json]',
  details: ['  --json           print JSON'],
  options: { json: { type: 'boolean' } },
  async run(args, ctx) {
    const report = await withDb(ctx, async (_db, opened) => opened.replay ?? { applied: 0, duplicates: 0, rejected: [], remaining: 0, busy: false });
    const out = { spool: spoolPaths(ctx.config.dataDir).live, applied: report.applied, duplicates: report.duplicates, rejected: report.rejected.length, remaining: report.remaining, busy: report.busy };
    if (flag(args, 'json')) ctx.io.out(json(out));
    else {
      ctx.io.out(
        report.busy
          ? 'Another process is replaying the spool right now; nothing done.'
          : `Replayed ${out.applied} event(s) (${out.duplicates} already applied, ${out.rejected} rejected into ${spoolPaths(ctx.config.dataDir).rejected}, ${out.remaining} left).`,
      );
    }
    if (report.busy) ctx.io.err('claude-family: another process is replaying the spool; try again in a moment');
    else if (report.remaining > 0) ctx.io.err(`claude-family: the database became unavailable part way; ${report.remaining} event(s) stay in the spool`);
    return report.remaining > 0 || report.busy ? 1 : 0;
  },
};
