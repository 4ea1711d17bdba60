// Claude Code SessionEnd hook: closes the session (session_end is set once), reminds to run /session-end
// when no summary was recorded, then does the seed's housekeeping (sessionEndHousekeeping): a watcher
// that ends orphaned MCP servers once Claude Code exits, and the list of docs that may be stale.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sessionEndHousekeeping } from '../core/housekeeping/sessionHousekeeping.js';
import { deliver, errorText, slashCommand, eventFor, HOOK_DEADLINE_MS, hookContext, payloadOrReject, readHookStdin, runHook, SESSION_REPLAY_BUDGET_MS, SessionEndPayload, warn } from './common.js';

const NAME = 'session-end';
/** This code runs as dist/hooks/session-end.body.cjs; the CLI is dist/cli.mjs. */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.mjs');

/** How to call the CLI: the plugin's stable launcher (never a path inside a versioned build), else this build's. */
function cliCommand(): string {
  const launcher = process.env.CLAUDE_FAMILY_CLI?.trim();
  return launcher ? launcher : `node ${CLI}`;
}

void runHook(NAME, async () => {
  const raw = await readHookStdin(NAME);
  const payload = payloadOrReject(SessionEndPayload, raw, 'SessionEnd', NAME);
  const { config, cwd, project } = hookContext(raw, NAME, payload.cwd);
  const event = eventFor(raw, NAME, { kind: 'session_end', project, claude_session_id: payload.session_id, reason: payload.reason });

  const delivery = await deliver(config, event, { migrate: 'if-behind', replayBudgetMs: SESSION_REPLAY_BUDGET_MS });
  const db = delivery.db;
  try {
    const session = delivery.outcome?.status === 'applied' ? delivery.outcome.session : undefined;
    const lines: string[] = [];
    if (session && !session.session_summary) {
      lines.push(
        `claude-family: session ${session.session_id} of ${project} closed without a summary. ` +
          `Run ${slashCommand('session-end')} (or \`${cliCommand()} session end --session ${session.session_id} --summary "..."\`) to record what was done.`,
      );
    }
    const problems = delivery.spooledBecause ? [delivery.spooledBecause] : [];
    try {
      const done = await sessionEndHousekeeping({ config, db, project, claudeSessionId: payload.session_id, session, reason: payload.reason, cwd, cliPath: CLI });
      lines.push(...done.lines);
      problems.push(...done.problems);
    } catch (err) {
      problems.push(`housekeeping failed: ${errorText(err)}`);
    }
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    // ONE line on stderr, whatever went wrong.
    if (problems.length > 0) warn(NAME, problems.join('; also '));
  } finally {
    await db?.close().catch(() => {});
  }
}, HOOK_DEADLINE_MS[NAME]);
