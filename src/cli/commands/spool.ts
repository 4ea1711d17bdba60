import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appendToSpool, spoolPaths } from '../../core/events/spool.js';
import { readRejected, takeRejected, type RejectedEntry } from '../../core/events/rejected.js';
import { oneLine } from '../../core/render/handoff.js';
import { formatTime } from '../../core/render/format.js';
import { flag, json, type Command } from '../command.js';
import { withDb } from '../context.js';

function whatText(e: RejectedEntry): string {
  if (e.what.type === 'event') return `${e.what.event.kind} event of ${e.what.event.project}`;
  if (e.what.type === 'hook-input') return `${e.what.hook} hook input`;
  return 'unreadable line';
}

export const spoolRejected: Command = {
  name: 'spool rejected',
  summary: 'List the events and hook inputs that could not be recorded (spool.rejected.jsonl), with the reason for each.',
  usage: '[--json]',
  details: ['  --json           print JSON', '`claude-family spool retry-rejected` tries them again once their cause (a configuration error, say) is fixed.'],
  options: { json: { type: 'boolean' } },
  async run(args, ctx) {
    const entries = readRejected(ctx.config.dataDir);
    if (flag(args, 'json')) {
      return void ctx.io.out(json({ file: spoolPaths(ctx.config.dataDir).rejected, rejected: entries.map((e) => ({ rejected_at: e.rejectedAt, reason: e.reason, what: whatText(e), line: e.line })) }));
    }
    if (entries.length === 0) return void ctx.io.out('No rejected events.');
    ctx.io.out(entries.map((e) => `${e.rejectedAt && !Number.isNaN(Date.parse(e.rejectedAt)) ? formatTime(new Date(e.rejectedAt)) : '(unknown time)'}  ${whatText(e)}: ${oneLine(e.reason, 240)}`).join('\n'));
  },
};

export const spoolRetryRejected: Command = {
  name: 'spool retry-rejected',
  summary: 'Try the rejected events and hook inputs again: events go back into the spool (and are replayed), hook inputs through their hook. Those rejected again stay listed by `spool rejected`.',
  usage: '[--json]',
  details: ['  --json           print JSON', 'Unreadable lines (torn writes) are kept in the rejected file as they are.'],
  options: { json: { type: 'boolean' } },
  async run(args, ctx) {
    const dataDir = ctx.config.dataDir;
    const taken = takeRejected(dataDir);
    let requeued = 0;
    let rerun = 0;
    let kept = 0;
    try {
      for (const e of taken.entries) {
        if (e.what.type === 'event') {
          appendToSpool(dataDir, e.what.event);
          requeued += 1;
        } else if (e.what.type === 'hook-input') {
          const hook = join(ctx.io.distDir, 'hooks', `${e.what.hook}.cjs`);
          if (!existsSync(hook)) {
            taken.keep(e);
            kept += 1;
            continue;
          }
          // The hook records it as it would have then (its own failures land back in the rejected file).
          spawnSync(process.execPath, [hook], { input: e.line, stdio: ['pipe', 'ignore', 'ignore'], env: { ...ctx.io.env, ...(e.rejectedAt ? { CLAUDE_FAMILY_EVENT_AT: e.rejectedAt } : {}) }, cwd: ctx.io.cwd, timeout: 60_000 });
          rerun += 1;
        } else {
          taken.keep(e);
          kept += 1;
        }
      }
    } catch (err) {
      // Whatever was not handled yet stays rejected.
      for (const e of taken.entries.slice(requeued + rerun + kept)) taken.keep(e);
      throw err;
    } finally {
      taken.done();
    }
    const report = requeued > 0 ? await withDb(ctx, async (_db, opened) => opened.replay) : undefined;
    const again = readRejected(dataDir).length - kept;
    const out = { requeued, rerun_hook_inputs: rerun, applied: report?.applied ?? 0, rejected_again: Math.max(0, again), kept_unreadable: kept };
    if (flag(args, 'json')) return void ctx.io.out(json(out));
    ctx.io.out(`Re-queued ${requeued} event(s) (${out.applied} applied) and re-ran ${rerun} hook input(s); ${out.rejected_again} rejected again, ${kept} unreadable kept (see claude-family spool rejected).`);
    return out.rejected_again > 0 ? 1 : 0;
  },
};
