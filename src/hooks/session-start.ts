// Claude Code SessionStart hook: records the session (a re-run for the same session id resumes it, and so
// does `source: resume`: no new session row), prints "where we left off" for Claude's context (plain
// stdout, which Claude Code adds to the context for SessionStart) and exports the session ids to
// $CLAUDE_ENV_FILE. After a compaction (`source: compact`) it prints a short reminder of the focus and the
// open tasks instead. When events wait in the spool it says how many and since when, in one line.
// Its event goes through the spool first; when the database cannot be reached or started, it waits
// there and the hook says so.
import { spoolBacklog } from '../core/events/spool.js';
import { appendEnvFile } from '../core/fs/envFile.js';
import { resolveProjectName } from '../core/project.js';
import { formatTime } from '../core/render/format.js';
import { deliver, errorText, slashCommand, eventFor, HOOK_DEADLINE_MS, hookContext, payloadOrReject, readHookStdin, runHook, sessionStartReplayBudgetMs, SessionStartPayload, warn } from './common.js';

const NAME = 'session-start';
/** Most knowledge entries "where we left off" names. */
const SESSION_START_KNOWLEDGE = 3;

void runHook(NAME, async () => {
  const raw = await readHookStdin(NAME);
  const payload = payloadOrReject(SessionStartPayload, raw, 'SessionStart', NAME);
  let context0: ReturnType<typeof hookContext>;
  try {
    context0 = hookContext(raw, NAME, payload.cwd);
  } catch (err) {
    // A broken configuration: Claude still learns why there is no memory this time (the input is kept).
    let name = '(unknown)';
    try {
      name = resolveProjectName(process.env.CLAUDE_FAMILY_PROJECT, payload.cwd ?? process.cwd());
    } catch {
      // no name to give
    }
    process.stdout.write(
      `=== WHERE WE LEFT OFF ===\nProject: ${name}\n(not available: claude-family ${errorText(err)}. Once it is fixed, \`claude-family spool retry-rejected\` records this session's start.)\n`,
    );
    throw err;
  }
  const { config, project } = context0;
  const event = eventFor(raw, NAME, { kind: 'session_start', project, claude_session_id: payload.session_id, source: payload.source });

  // The handoff loader and renderer (needed on no other hook's path) load while the database is opened.
  const handoffModules = Promise.all([import('../core/session/handoff.js'), import('../core/render/handoff.js')]);
  handoffModules.catch(() => {}); // a failure is reported where it is awaited
  const delivery = await deliver(config, event, { migrate: 'if-behind', replayBudgetMs: sessionStartReplayBudgetMs() });
  const problems: string[] = [];
  if (delivery.spooledBecause) problems.push(delivery.spooledBecause);
  let familySessionId: string | undefined;
  const compact = payload.source === 'compact';
  const unavailable = delivery.schemaBehind ?? 'the claude-family database could not be reached';
  let context = `=== WHERE WE LEFT OFF ===\nProject: ${project}\n(not available: ${unavailable}; this session is recorded once it can be. Run ${slashCommand('session-resume')} later.)`;
  let started = delivery.outcome?.status === 'applied' ? delivery.outcome.session : undefined;
  if (!started && delivery.appliedElsewhere && delivery.db) {
    // Applied by another process's replay: the session is there all the same.
    const { findSessionByClaudeId } = await import('../core/repos/sessions.js');
    started = await findSessionByClaudeId(delivery.db, payload.session_id).catch(() => undefined);
  }
  if (delivery.db && started) {
    const db = delivery.db;
    familySessionId = started.session_id;
    try {
      const [{ loadHandoff }, { renderCompactReminder, renderHandoffText }] = await handoffModules;
      // Knowledge matching the focus and next steps, at most 3 lines, unless switched off in the config.
      const handoff = await loadHandoff(db, project, { currentSessionId: familySessionId, knowledgeLimit: compact || !config.sessionStartKnowledge ? 0 : SESSION_START_KNOWLEDGE });
      context = compact ? renderCompactReminder(handoff) : renderHandoffText(handoff);
      const named = (handoff.knowledge ?? []).filter((k) => k.entry_hash !== undefined);
      if (named.length > 0) {
        // The knowledge lines are deliveries like the prompt's: logged (claude-family knowledge retrievals).
        const { logDeliveries } = await import('../core/knowledge/delivery.js');
        await logDeliveries(db, named.map((k) => ({ knowledge_id: k.knowledge_id, entry_hash: k.entry_hash!, score: k.score })), { channel: 'session_start', claudeSessionId: payload.session_id, project }).catch((err: unknown) =>
          problems.push(`could not log the knowledge named: ${errorText(err)}`),
        );
      }
    } catch (err) {
      // The session is recorded; only the summary failed. Say so, and still export the ids below.
      context = `=== WHERE WE LEFT OFF ===\nProject: ${project}\n(could not be loaded: ${errorText(err)}. Run ${slashCommand('session-resume')} later.)`;
      problems.push(`session recorded, but loading where we left off failed: ${errorText(err)}`);
    } finally {
      await db.close().catch(() => {});
    }
  } else if (delivery.db) {
    // The event waits in the spool behind older ones: still show where we left off.
    const db = delivery.db;
    try {
      const [{ loadHandoff }, { renderHandoffText }] = await handoffModules;
      context = renderHandoffText(await loadHandoff(db, project, {}));
    } catch {
      // keep the "not available" text
    } finally {
      await db.close().catch(() => {});
    }
  }

  // The env file matters most for the rest of the session (MCP usage, the CLI).
  const envFile = process.env.CLAUDE_ENV_FILE;
  if (envFile) {
    try {
      appendEnvFile(envFile, { CLAUDE_SESSION_ID: payload.session_id, CLAUDE_FAMILY_SESSION_ID: familySessionId, CLAUDE_FAMILY_PROJECT: project });
    } catch (err) {
      problems.push(`could not write CLAUDE_ENV_FILE ${envFile}: ${errorText(err)}`);
    }
  }
  const backlog = backlogLine(config.dataDir);
  process.stdout.write(`${context}\n${backlog ? `\n${backlog}\n` : ''}`);
  // ONE line on stderr, whatever went wrong.
  if (problems.length > 0) warn(NAME, problems.join('; also '));
}, HOOK_DEADLINE_MS[NAME]);;

/** One line when events wait in the spool (what a replay could not apply yet), else undefined. */
function backlogLine(dataDir: string): string | undefined {
  try {
    const { count, since } = spoolBacklog(dataDir);
    if (count === 0) return undefined;
    const when = since ? ` since ${formatTime(since)}` : '';
    return `claude-family: ${count} event${count === 1 ? '' : 's'} waiting in the spool${when}, not yet in the database (they are recorded at the next replay: claude-family spool replay).`;
  } catch {
    return undefined;
  }
}
