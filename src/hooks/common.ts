// Shared by the three hook entry points: validate the stdin payload, keep unusable input aside, and
// deliver an event to the database or, when that fails, to the spool. The database adapters are loaded
// lazily by openDatabase; the exit-0 wrapper lives in run.ts.
import * as z from 'zod/mini';
import { defaultDataDir, describeTarget, loadConfig, type Config } from '../core/config.js';
import { DbUnavailableError, type Db } from '../core/db/db.js';
import { applyEvent, makeEvent, type ApplyOutcome, type EventBody, type HookEvent } from '../core/events/events.js';
import { issuesText } from '../core/issueText.js';
import { noNul, ValidationError } from '../core/models.js';
import { openForWork } from '../core/db/openForWork.js';
import { resolveProjectName } from '../core/project.js';
import { appendRejected, appendToSpool, spoolPaths } from '../core/events/spool.js';
import { errorText, HookFailure, warn } from './run.js';

export { errorText, HookFailure, readStdin, runHook, warn } from './run.js';

/** Postgres connect timeout for hooks: Claude Code must never wait on a dead server. */
export const HOOK_CONNECT_TIMEOUT_MS = 1000;
/** Postgres statement timeout for hooks: a lock held elsewhere makes the event go to the spool, not hang. */
export const HOOK_STATEMENT_TIMEOUT_MS = 5000;
/**
 * Embedded: how long a hook may spend starting the local server when it is down (the first-ever start
 * creates the cluster, about a second). Inside PostToolUse's 10 s limit; past it the event is spooled.
 */
export const HOOK_START_TIMEOUT_MS = 6000;

/** Fields every hook payload carries; unknown fields pass through (Claude Code adds some over time). */
const base = {
  session_id: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200), noNul()),
  cwd: z.optional(z.string().check(z.minLength(1), noNul())),
  transcript_path: z.optional(z.string()),
  hook_event_name: z.optional(z.string()),
  permission_mode: z.optional(z.string()),
};
export const SessionStartPayload = z.looseObject({ ...base, source: z.optional(z.string().check(z.maxLength(50))) });
export const PostToolUsePayload = z.looseObject({
  ...base,
  tool_name: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(300), noNul()),
  tool_input: z.optional(z.unknown()),
  tool_response: z.optional(z.unknown()),
});
export const SessionEndPayload = z.looseObject({ ...base, reason: z.optional(z.string().check(z.maxLength(200))) });

/** Parses stdin as JSON and validates it; a HookFailure names what is wrong. */
export function parsePayload<S extends z.ZodMiniType>(schema: S, raw: string, what: string): z.output<S> {
  if (raw.trim() === '') throw new HookFailure(`no ${what} payload on stdin (expected a JSON object)`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new HookFailure(`stdin is not valid JSON (expected the ${what} payload)`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new HookFailure(`invalid ${what} payload: ${issuesText(parsed.error.issues)}`);
  }
  return parsed.data;
}

/** Runs `fn`; when it fails with a HookFailure, the input is kept in the rejected file before the failure goes up. */
export function orReject<T>(raw: string, hookName: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HookFailure) keepRejectedInput(fallbackDataDir(), raw, `${hookName}: ${err.message}`);
    throw err;
  }
}

/** parsePayload, keeping input that fails in the rejected file before the failure goes up. */
export function payloadOrReject<S extends z.ZodMiniType>(schema: S, raw: string, what: string, hookName: string): z.output<S> {
  return orReject(raw, hookName, () => parsePayload(schema, raw, what));
}

/** Where a hook's event belongs: the configuration, the directory and the project named after it. */
export function hookContext(raw: string, hookName: string, payloadCwd: string | undefined): { config: Config; cwd: string; project: string } {
  const config = hookConfig(raw, hookName);
  const cwd = payloadCwd ?? process.cwd();
  return { config, cwd, project: resolveProjectName(config.project, cwd) };
}

/**
 * Keeps input we could not use beside the spool (spool.rejected.jsonl, written as replay writes it), so a
 * bad payload is never silently lost. Best effort: this runs on an error path already.
 */
export function keepRejectedInput(dataDir: string, raw: string, reason: string): void {
  try {
    appendRejected(dataDir, raw.length > 1_000_000 ? `${raw.slice(0, 1_000_000)}…(truncated)` : raw, reason);
  } catch {
    // nothing more we can do without breaking the session
  }
}

/**
 * The configuration; when the config file is broken, the input is kept in the rejected file (under
 * CLAUDE_FAMILY_DATA_DIR or the default data dir) and the error goes up as one line.
 */
export function hookConfig(raw: string, hookName: string): Config {
  try {
    return loadConfig();
  } catch (err) {
    keepRejectedInput(fallbackDataDir(), raw, `${hookName}: configuration error: ${errorText(err)}`);
    throw new HookFailure(`configuration error: ${errorText(err)} (input kept in ${spoolPaths(fallbackDataDir()).rejected})`);
  }
}

export function fallbackDataDir(): string {
  try {
    return loadConfig().dataDir;
  } catch {
    return defaultDataDir();
  }
}

/**
 * Builds the hook's event from a validated payload. A payload can still yield an event that is not valid
 * (say, a cwd whose name is too long for a project name, or an MCP server name over 200 characters): then
 * the input is kept in the rejected file like any other bad payload and a HookFailure names the field.
 */
export function eventFor<B extends EventBody>(raw: string, hookName: string, body: B): ReturnType<typeof makeEvent<B>> {
  try {
    return makeEvent(body);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    keepRejectedInput(fallbackDataDir(), raw, `${hookName}: ${err.message}`);
    throw new HookFailure(err.message);
  }
}

export interface Delivery {
  /** The database, still open (the caller closes it), when the event was applied. */
  db?: Db;
  outcome?: ApplyOutcome;
  /** Set when the event went to the spool instead: why. */
  spooledBecause?: string;
}

/**
 * Writes `event` to the database (migrating and replaying the spool first), or, when the database is
 * unavailable or refuses, appends it to the spool so nothing is lost. Throws only when even the spool
 * cannot be written.
 */
export async function deliver(config: Config, event: HookEvent, options: { migrate: boolean | 'if-behind'; importLegacy?: boolean }): Promise<Delivery> {
  let db: Db | undefined;
  try {
    const opened = await openForWork(config, {
      migrate: options.migrate,
      importLegacy: options.importLegacy,
      connectTimeoutMs: HOOK_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: HOOK_STATEMENT_TIMEOUT_MS,
      startTimeoutMs: HOOK_START_TIMEOUT_MS,
      onNotice: (message) => warn('claude-family', message),
      max: 1,
    });
    db = opened.db;
    const outcome = await applyEvent(db, event);
    return { db, outcome };
  } catch (err) {
    await db?.close().catch(() => {});
    appendToSpool(config.dataDir, event);
    const what = err instanceof DbUnavailableError ? 'database unavailable' : 'database write failed';
    return { spooledBecause: `${what} (${describeTarget(config)}): ${errorText(err)}; event kept in ${spoolPaths(config.dataDir).live} for the next replay` };
  }
}
