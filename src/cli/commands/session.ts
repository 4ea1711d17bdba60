import { describeTarget } from '../../core/config.js';
import { loadHandoff } from '../../core/session/handoff.js';
import { oneLine } from '../../core/render/handoff.js';
import { formatTime, taskPrefix } from '../../core/render/format.js';
import { countPendingMessages } from '../../core/repos/messages.js';
import { getProjectByName } from '../../core/repos/projects.js';
import { getSessionState, upsertSessionState } from '../../core/repos/sessionState.js';
import { countTodos } from '../../core/repos/todos.js';
import { DbUnavailableError } from '../../core/db/db.js';
import { makeEvent, type HookEvent } from '../../core/events/events.js';
import { Uuid, ValidationError, type SessionRow } from '../../core/models.js';
import { NotFoundError } from '../../core/repos/sessions.js';
import { endSession, type Amendment, type EndedSession, type EndSessionInput } from '../../core/session/lifecycle.js';
import { appendToSpool, pendingSpoolCount, spoolPaths } from '../../core/events/spool.js';
import { flag, json, list, requireStr, str, type Command, type ParsedArgs } from '../command.js';
import { checkNamedProject, resolveSession, withDb, withDbReadOnly, type CliContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { commitTracked, uncommittedFiles } from '../git.js';

const SESSION_OPT = { session: { type: 'string' } } as const;
const JSON_OPT = { json: { type: 'boolean' } } as const;
const SESSION_HELP = '  --session UUID   which session (default: $CLAUDE_FAMILY_SESSION_ID, the Claude Code session in $CLAUDE_SESSION_ID, else the project\'s most recent open session)';
const END_OPTS = {
  ...SESSION_OPT,
  summary: { type: 'string' },
  task: { type: 'string', multiple: true },
  learning: { type: 'string', multiple: true },
  focus: { type: 'string' },
  next: { type: 'string', multiple: true },
  'replace-summary': { type: 'boolean' },
} as const;
const END_HELP = [
  '  --summary TEXT   what this session did (required)',
  '  --task TEXT      a task completed (repeat for several)',
  '  --learning TEXT  a reusable learning (repeat for several)',
  '  --focus TEXT     the project\'s current focus, for the next session',
  '  --next TEXT      a next step, in order (repeat for several)',
  '  --replace-summary  replace the summary of a session that was ended before (default: amend it:',
  '                   the summary is appended, tasks and learnings are added to those recorded)',
  SESSION_HELP,
  'With the database unavailable, the end is kept in the spool and recorded by the next hook or `spool replay`',
  '(the session must then be named by --session, CLAUDE_FAMILY_SESSION_ID or CLAUDE_SESSION_ID).',
];

function sessionJson(s: SessionRow) {
  return {
    session_id: s.session_id,
    claude_session_id: s.claude_session_id,
    session_start: s.session_start.toISOString(),
    session_end: s.session_end?.toISOString() ?? null,
    session_summary: s.session_summary,
    tasks_completed: s.tasks_completed,
    learnings_gained: s.learnings_gained,
  };
}

/** What became of a session end: recorded, or (the database unavailable) kept in the spool. */
interface EndOutcome {
  /** The line that tells the user. */
  line: string;
  recorded: boolean;
  /** What the session now says it did (tasks kept from before when none were given), for a commit message. */
  summary: string;
  tasks: string[];
}

async function endFromArgs(args: ParsedArgs, ctx: CliContext, name: string): Promise<EndOutcome> {
  const summary = requireStr(args, 'summary', name);
  const fields = {
    summary,
    tasksCompleted: list(args, 'task'),
    learningsGained: list(args, 'learning'),
    currentFocus: str(args, 'focus'),
    nextSteps: list(args, 'next'),
    ...(flag(args, 'replace-summary') ? { replaceSummary: true } : {}),
  };
  let ended: EndedSession;
  try {
    ended = await withDb(ctx, async (db) => {
      const session = await resolveSession(db, ctx, str(args, 'session'), true);
      return endSession(db, { sessionId: session.session_id, projectName: ctx.project, ...fields });
    });
  } catch (err) {
    if (!databaseUnusable(err)) throw err;
    return { line: spoolEnd(ctx, str(args, 'session'), fields, err), recorded: false, summary, tasks: fields.tasksCompleted };
  }
  const { session, state, amended } = ended;
  const line = amended ? amendedLine(session, amended, state !== undefined) : endedLine(session, state !== undefined);
  return { line, recorded: true, summary: session.session_summary ?? '', tasks: session.tasks_completed };
}

/**
 * The database is unavailable: keep the end in the spool (replayed, in order, by the next hook or
 * `spool replay`), so a summary typed at the end of a session is never lost. Needs to know the session
 * without the database: --session or $CLAUDE_FAMILY_SESSION_ID, or Claude Code's $CLAUDE_SESSION_ID.
 */
function spoolEnd(ctx: CliContext, sessionFlag: string | undefined, fields: Omit<EndSessionInput, 'sessionId' | 'projectName'>, cause: unknown): string {
  const unavailable = unavailableText(ctx, cause);
  const sessionId = sessionFlag ?? (ctx.io.env.CLAUDE_FAMILY_SESSION_ID?.trim() || undefined);
  const from = sessionFlag !== undefined ? '--session' : 'CLAUDE_FAMILY_SESSION_ID';
  if (sessionId !== undefined && !Uuid.safeParse(sessionId).success) throw new UsageError(`${from} must be a session uuid, got ${JSON.stringify(sessionId)}`);
  const claudeSessionId = ctx.io.env.CLAUDE_SESSION_ID?.trim() || undefined;
  if (sessionId === undefined && claudeSessionId === undefined) {
    throw new CliError(`${unavailable}; the session end was NOT recorded (to keep it until the database is back, name the session with --session or CLAUDE_SESSION_ID)`);
  }
  const event = makeEvent({
    kind: 'session_summary',
    project: ctx.project,
    ...(sessionId !== undefined ? { session_id: sessionId } : {}),
    ...(claudeSessionId !== undefined ? { claude_session_id: claudeSessionId } : {}),
    summary: fields.summary,
    tasks_completed: fields.tasksCompleted ?? [],
    learnings_gained: fields.learningsGained ?? [],
    ...(fields.currentFocus !== undefined ? { current_focus: fields.currentFocus } : {}),
    next_steps: fields.nextSteps ?? [],
    ...(fields.replaceSummary ? { replace_summary: true } : {}),
  });
  return keepInSpool(ctx, event, 'Session end', cause);
}

/**
 * True when the error is about the database, not about what was asked: then a session end or save is
 * kept in the spool (whatever the reason: unreachable, a bad connection string, a timeout, a failed
 * migration...). A usage error, an unknown session or invalid input is said as it is.
 */
function databaseUnusable(err: unknown): boolean {
  if (err instanceof UsageError || err instanceof CliError || err instanceof ValidationError || err instanceof NotFoundError) return false;
  return true;
}

function unavailableText(ctx: CliContext, cause: unknown): string {
  let target = 'the database';
  try {
    target = describeTarget(ctx.config);
  } catch {
    // the configuration itself is what failed
  }
  return `${cause instanceof DbUnavailableError ? 'database unavailable' : 'database failed'} (${target}): ${(cause as Error)?.message ?? String(cause)}`;
}

/** Appends `event` to the spool; the line that tells the user so. */
function keepInSpool(ctx: CliContext, event: HookEvent, what: string, cause: unknown): string {
  try {
    appendToSpool(ctx.config.dataDir, event);
  } catch (err) {
    throw new CliError(`${unavailableText(ctx, cause)}; and the spool could not keep it either (${(err as Error).message}): ${what.toLowerCase()} NOT kept`);
  }
  return `${what} kept in ${spoolPaths(ctx.config.dataDir).live} (${unavailableText(ctx, cause)}); the next hook run or \`claude-family spool replay\` records it.`;
}

function amendedLine(s: SessionRow, a: Amendment, stateSaved: boolean): string {
  const summary = { appended: 'the new summary appended to the earlier one', replaced: 'the summary replaced', unchanged: 'the summary unchanged' }[a.summary];
  const hint = a.summary === 'appended' ? ' (--replace-summary replaces it instead)' : '';
  return `Session ${s.session_id} was ended before (${formatTime(s.session_end!)}); amended: ${summary}${hint}, ${a.tasksAdded} task(s) and ${a.learningsAdded} learning(s) added (now ${s.tasks_completed.length} and ${s.learnings_gained.length})${stateSaved ? ', focus/next steps saved' : ''}.`;
}

function endedLine(s: SessionRow, stateSaved: boolean): string {
  return `Session ${s.session_id} closed at ${formatTime(s.session_end!)} (${s.tasks_completed.length} task(s), ${s.learnings_gained.length} learning(s)${stateSaved ? ', focus/next steps saved' : ''}).`;
}

export const sessionEnd: Command = {
  name: 'session end',
  summary: 'Close the session with a summary and save focus / next steps for the next one (/session-end).',
  usage: '--summary TEXT [--task TEXT]... [--learning TEXT]... [--focus TEXT] [--next TEXT]... [--replace-summary] [--session UUID]',
  details: END_HELP,
  options: END_OPTS,
  async run(args, ctx) {
    ctx.io.out((await endFromArgs(args, ctx, this.name)).line);
  },
};

export const sessionCommit: Command = {
  name: 'session commit',
  summary: 'Close the session like `session end`, then `git commit -a` the staged and modified tracked files with the summary as message (/session-commit). The session end counts even when the commit fails.',
  usage: '--summary TEXT [--task TEXT]... [--learning TEXT]... [--focus TEXT] [--next TEXT]... [--replace-summary] [--session UUID]',
  details: END_HELP,
  options: END_OPTS,
  async run(args, ctx) {
    const outcome = await endFromArgs(args, ctx, this.name);
    ctx.io.out(outcome.line);
    const tasks = outcome.tasks.map((t) => `- ${t}`);
    const message = [outcome.summary, ...(tasks.length > 0 ? ['', ...tasks] : [])].join('\n').trim();
    try {
      const hash = commitTracked(ctx.io.cwd, message);
      ctx.io.out(`Committed ${hash}: ${oneLine(message, 72)}`);
    } catch (err) {
      if (err instanceof CliError) throw new CliError(`${err.message} (the session end was ${outcome.recorded ? 'recorded' : 'kept in the spool'})`);
      throw err;
    }
  },
};

export const sessionSave: Command = {
  name: 'session save',
  summary: 'Checkpoint the project\'s state (focus, next steps, pending actions) without closing the session (/session-save). With the database unavailable it is kept in the spool and recorded later.',
  usage: '[--focus TEXT] [--next TEXT]... [--pending TEXT]...',
  details: [
    '  --focus TEXT     what you are working on',
    '  --next TEXT      a next step, in order (repeat; replaces the saved list)',
    '  --pending TEXT   an action that needs follow-up (repeat; replaces the saved list)',
    'At least one of them is required.',
  ],
  options: { focus: { type: 'string' }, next: { type: 'string', multiple: true }, pending: { type: 'string', multiple: true } },
  async run(args, ctx) {
    const focus = str(args, 'focus');
    const next = list(args, 'next');
    const pending = list(args, 'pending');
    if (focus === undefined && next.length === 0 && pending.length === 0) throw new UsageError('give at least one of --focus, --next, --pending', this.name);
    let state;
    try {
      state = await withDb(ctx, (db) =>
        upsertSessionState(db, {
          projectName: ctx.project,
          ...(focus !== undefined ? { currentFocus: focus } : {}),
          ...(next.length > 0 ? { nextSteps: next } : {}),
          ...(pending.length > 0 ? { pendingActions: pending } : {}),
        }),
      );
    } catch (err) {
      if (!databaseUnusable(err)) throw err;
      const event = makeEvent({
        kind: 'state_save',
        project: ctx.project,
        ...(focus !== undefined ? { current_focus: focus } : {}),
        ...(next.length > 0 ? { next_steps: next } : {}),
        ...(pending.length > 0 ? { pending_actions: pending } : {}),
      });
      return void ctx.io.out(keepInSpool(ctx, event, 'State', err));
    }
    ctx.io.out(`Saved state for ${state.project_name}: focus ${state.current_focus ? `"${oneLine(state.current_focus, 80)}"` : '(none)'}, ${state.next_steps.length} next step(s), ${state.pending_actions.length} pending action(s).`);
  },
};

export const sessionStatus: Command = {
  name: 'session status',
  summary: 'Show the current session, todo counts and waiting messages; changes nothing (/session-status).',
  usage: '[--session UUID] [--json]',
  details: [SESSION_HELP, '  --json           print JSON'],
  options: { ...SESSION_OPT, ...JSON_OPT },
  async run(args, ctx) {
    const result = await withDbReadOnly(ctx, async (db) => {
      await checkNamedProject(db, ctx);
      const session = await resolveSession(db, ctx, str(args, 'session'), false);
      const project = await getProjectByName(db, ctx.project);
      const [state, todos, messages] = await Promise.all([
        getSessionState(db, ctx.project),
        project ? countTodos(db, project.project_id) : Promise.resolve({ pending: 0, in_progress: 0, completed: 0 }),
        countPendingMessages(db, ctx.project),
      ]);
      return { session, state, todos, messages };
    });
    const out = {
      project: ctx.project,
      database: describeTarget(ctx.config),
      session: result.session ? sessionJson(result.session) : null,
      current_focus: result.state?.current_focus ?? null,
      todos: result.todos,
      pending_messages: result.messages,
      spooled_events: pendingSpoolCount(ctx.config.dataDir),
    };
    if (flag(args, 'json')) return void ctx.io.out(json(out));
    const s = result.session;
    ctx.io.out(
      [
        `Project: ${out.project}`,
        `Database: ${out.database}`,
        `Session: ${s ? `${s.session_id} started ${formatTime(s.session_start)}${s.session_end ? `, ended ${formatTime(s.session_end)}` : ' (open)'}` : '(no open session)'}`,
        `Focus: ${out.current_focus ? oneLine(out.current_focus) : '(none recorded)'}`,
        `Todos: ${out.todos.in_progress} in progress, ${out.todos.pending} pending, ${out.todos.completed} completed`,
        `Pending messages: ${out.pending_messages}`,
        ...(out.spooled_events > 0 ? [`Spooled events waiting: ${out.spooled_events}`] : []),
      ].join('\n'),
    );
  },
};

export const sessionResume: Command = {
  name: 'session resume',
  summary: 'Restore context: last session summary, next steps (top 3), active todos, pending messages and uncommitted files (/session-resume).',
  usage: '[--session UUID] [--json]',
  details: [SESSION_HELP.replace('which session', 'the session running now (left out of "last session")'), '  --json           print JSON'],
  options: { ...SESSION_OPT, ...JSON_OPT },
  async run(args, ctx) {
    const h = await withDb(ctx, async (db) => {
      await checkNamedProject(db, ctx);
      const current = await resolveSession(db, ctx, str(args, 'session'), false);
      return loadHandoff(db, ctx.project, { currentSessionId: current?.session_id, messageLimit: 20 });
    });
    const files = uncommittedFiles(ctx.io.cwd);
    const next = (h.state?.next_steps ?? []).map((s) => (typeof s === 'string' ? s : JSON.stringify(s))).slice(0, 3);
    const todo = (t: (typeof h.pending)[number]) => ({ todo_id: t.todo_id, task_id: t.task_id ?? null, content: t.content, status: t.status, priority: t.priority });
    const out = {
      project: h.projectName,
      current_focus: h.state?.current_focus ?? null,
      last_session: h.lastSession ? sessionJson(h.lastSession) : null,
      next_steps: next,
      todos: { in_progress: h.inProgress.map(todo), pending: h.pending.map(todo) },
      pending_messages: { count: h.pendingMessageCount, messages: h.messages.map((m) => ({ message_id: m.message_id, from_project: m.from_project, body: m.body, created_at: m.created_at.toISOString() })) },
      uncommitted_files: files === undefined ? null : files.length,
    };
    if (flag(args, 'json')) return void ctx.io.out(json(out));
    const lines = [`Project: ${out.project}`, `Focus: ${out.current_focus ? oneLine(out.current_focus) : '(none recorded)'}`];
    const last = h.lastSession;
    lines.push(`Last session: ${last ? `${formatTime(last.session_end ?? last.session_start)} - ${last.session_summary ? oneLine(last.session_summary) : last.session_end ? '(no summary)' : '(not closed)'}` : '(none)'}`);
    lines.push('', 'Next steps:', ...(next.length > 0 ? next.map((s, i) => `  ${i + 1}. ${oneLine(s)}`) : ['  (none)']));
    lines.push('', `Active todos: ${h.inProgress.length} in progress, ${h.pending.length} pending`);
    for (const t of h.inProgress) lines.push(`  [>] [P${t.priority}] ${taskPrefix(t.task_id)}${oneLine(t.content)}`);
    for (const t of h.pending) lines.push(`  [ ] [P${t.priority}] ${taskPrefix(t.task_id)}${oneLine(t.content)}`);
    lines.push('', `Pending messages: ${h.pendingMessageCount}`);
    for (const m of h.messages) lines.push(`  - ${m.message_id} from ${oneLine(m.from_project, 80)}: ${oneLine(m.body, 200)}`);
    lines.push('', `Uncommitted files: ${files === undefined ? '(not a git repository)' : files.length}`);
    ctx.io.out(lines.join('\n'));
  },
};
