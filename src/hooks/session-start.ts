// Claude Code SessionStart hook: records the session (a re-run for the same session id resumes it),
// prints "where we left off" for Claude's context and exports the session ids to $CLAUDE_ENV_FILE.
// Embedded mode: the first process to open the database replays the spool; when another process holds
// it, the event is spooled and the hook says so.
import { appendEnvFile } from '../core/fs/envFile.js';
import { deliver, errorText, eventFor, HOOK_DEADLINE_MS, hookContext, payloadOrReject, readHookStdin, runHook, SESSION_REPLAY_BUDGET_MS, SessionStartPayload, warn } from './common.js';

const NAME = 'session-start';
/** Most knowledge entries "where we left off" names. */
const SESSION_START_KNOWLEDGE = 3;

void runHook(NAME, async () => {
  const raw = await readHookStdin(NAME);
  const payload = payloadOrReject(SessionStartPayload, raw, 'SessionStart', NAME);
  const { config, project } = hookContext(raw, NAME, payload.cwd);
  const event = eventFor(raw, NAME, { kind: 'session_start', project, claude_session_id: payload.session_id, source: payload.source });

  // The handoff loader and renderer (needed on no other hook's path) load while the database is opened.
  const handoffModules = Promise.all([import('../core/session/handoff.js'), import('../core/render/handoff.js')]);
  handoffModules.catch(() => {}); // a failure is reported where it is awaited
  const delivery = await deliver(config, event, { migrate: 'if-behind', replayBudgetMs: SESSION_REPLAY_BUDGET_MS });
  const problems: string[] = [];
  if (delivery.spooledBecause) problems.push(delivery.spooledBecause);
  let familySessionId: string | undefined;
  let context = `=== WHERE WE LEFT OFF ===\nProject: ${project}\n(not available: the claude-family database could not be reached; this session is recorded once it can be. Run /session-resume later.)`;
  const started = delivery.outcome?.status === 'applied' ? delivery.outcome.session : undefined;
  if (delivery.db && started) {
    const db = delivery.db;
    familySessionId = started.session_id;
    try {
      const [{ loadHandoff }, { renderHandoffText }] = await handoffModules;
      // Knowledge matching the focus and next steps, at most 3 lines, unless switched off in the config.
      context = renderHandoffText(await loadHandoff(db, project, { currentSessionId: familySessionId, knowledgeLimit: config.sessionStartKnowledge ? SESSION_START_KNOWLEDGE : 0 }));
    } catch (err) {
      // The session is recorded; only the summary failed. Say so, and still export the ids below.
      context = `=== WHERE WE LEFT OFF ===\nProject: ${project}\n(could not be loaded: ${errorText(err)}. Run /session-resume later.)`;
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
  process.stdout.write(`${context}\n`);
  // ONE line on stderr, whatever went wrong.
  if (problems.length > 0) warn(NAME, problems.join('; also '));
}, HOOK_DEADLINE_MS[NAME]);
