import { listRetrievals } from '../../core/knowledge/delivery.js';
import { oneLine } from '../../core/render/handoff.js';
import { flag, json, str, type Command } from '../command.js';
import { withDb } from '../context.js';
import { UsageError } from '../errors.js';

export const knowledgeRetrievals: Command = {
  name: 'knowledge retrievals',
  summary: 'What knowledge Claude was given, and when: the delivery log (at the prompt and at SessionStart), newest first.',
  usage: '[--session ID] [--limit N] [--json]',
  details: [
    "  --session ID  one session's deliveries: Claude Code's session id, or the claude-family session uuid",
    '  --limit N     at most N rows (1-10000, default 100)',
    '  --json        print JSON',
  ],
  options: { session: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const session = str(args, 'session')?.trim();
    if (session === '') throw new UsageError('--session must not be empty', this.name);
    const limitText = str(args, 'limit');
    const limit = limitText === undefined ? 100 : /^\d{1,5}$/.test(limitText) ? Number(limitText) : NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError(`--limit must be a whole number from 1 to 10000, got ${JSON.stringify(limitText)}`, this.name);
    const rows = await withDb(ctx, (db) => listRetrievals(db, { session, limit }));
    if (flag(args, 'json')) {
      return void ctx.io.out(json({ retrievals: rows.map((r) => ({ ...r, retrieved_at: r.retrieved_at.toISOString() })) }));
    }
    if (rows.length === 0) return void ctx.io.out(session ? `No knowledge was delivered to session ${oneLine(session, 100)}.` : 'No knowledge has been delivered yet.');
    ctx.io.out(
      rows
        .map((r) => {
          const when = `${r.retrieved_at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
          const score = r.score === null ? '' : ` score ${r.score.toFixed(3)}`;
          return `${when} · ${r.channel === 'prompt' ? 'prompt' : 'session start'} #${r.rank}${score} · ${oneLine(r.title, 100)}${r.changed ? ' (changed since)' : ''} · ${r.project ? `${oneLine(r.project, 60)} · ` : ''}session ${r.claude_session_id ?? r.session_id ?? '?'} · id ${r.knowledge_id}`;
        })
        .join('\n'),
    );
  },
};
