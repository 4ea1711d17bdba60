import { MessageInput, parseInput, Uuid } from '../../core/models.js';
import { oneLine } from '../../core/render/handoff.js';
import { listMessages, markMessageRead, sendMessage } from '../../core/repos/messages.js';
import { NotFoundError } from '../../core/repos/sessions.js';
import { flag, json, requireStr, type Command } from '../command.js';
import { requireKnownProject, withDb } from '../context.js';
import { CliError, UsageError } from '../errors.js';

export const messageSend: Command = {
  name: 'message send',
  summary: 'Send a message from this project to another one; it shows at that project\'s next session start.',
  usage: '--to PROJECT [--new-project] TEXT',
  details: [
    '  --to PROJECT     the receiving project (required; one `claude-family projects` lists)',
    '  --new-project    send to a project that has had no session yet (else an unknown name is an error)',
  ],
  options: { to: { type: 'string' }, 'new-project': { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(args, ctx) {
    const to = requireStr(args, 'to', this.name);
    // What is wrong with the message itself is said first; then whether its recipient exists.
    const input = parseInput(MessageInput, { fromProject: ctx.project, toProject: to, body: args.positionals[0]! }, 'message');
    const m = await withDb(ctx, async (db) => {
      if (!flag(args, 'new-project') && input.toProject !== input.fromProject) await requireKnownProject(db, input.toProject);
      return sendMessage(db, input);
    });
    ctx.io.out(`Sent message ${m.message_id} from ${m.from_project} to ${m.to_project}.`);
  },
};

export const messageList: Command = {
  name: 'message list',
  summary: 'List messages to or from this project, newest first.',
  usage: '[--json]',
  details: ['  --json           print JSON'],
  options: { json: { type: 'boolean' } },
  async run(args, ctx) {
    const rows = await withDb(ctx, (db) => listMessages(db, ctx.project));
    if (flag(args, 'json')) {
      return void ctx.io.out(json({
        project: ctx.project,
        messages: rows.map((m) => ({ message_id: m.message_id, from_project: m.from_project, to_project: m.to_project, body: m.body, status: m.status, created_at: m.created_at.toISOString(), read_at: m.read_at?.toISOString() ?? null })),
      }));
    }
    if (rows.length === 0) return void ctx.io.out(`No messages for ${ctx.project}.`);
    ctx.io.out(rows.map((m) => `${m.message_id} ${m.status.padEnd(8)} ${m.from_project} -> ${m.to_project}: ${oneLine(m.body, 120)}`).join('\n'));
  },
};

export const messageRead: Command = {
  name: 'message read',
  summary: 'Show a message and mark it read.',
  usage: 'MESSAGE_ID',
  details: [],
  options: {},
  positionals: { min: 1, max: 1 },
  async run(args, ctx) {
    const id = args.positionals[0]!;
    if (!Uuid.safeParse(id).success) throw new UsageError(`MESSAGE_ID must be a uuid, got ${JSON.stringify(id)}`, this.name);
    const m = await withDb(ctx, async (db) => {
      try {
        return await markMessageRead(db, id);
      } catch (err) {
        if (err instanceof NotFoundError) throw new CliError(err.message);
        throw err;
      }
    });
    ctx.io.out(`From: ${m.from_project}\nTo: ${m.to_project}\nSent: ${m.created_at.toISOString()}\n\n${m.body}`);
  },
};
