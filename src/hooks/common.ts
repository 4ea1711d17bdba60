// Shared by the three hook entry points: validate the stdin payload, keep unusable input aside, and
// deliver an event to the database or, when that fails, to the spool. The database adapters are loaded
// lazily by openDatabase; the exit-0 wrapper lives in run.ts.
import * as z from 'zod/mini';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataDir, describeTarget, loadConfig, type Config } from '../core/config.js';
import { openDatabase } from '../core/db/open.js';
import { DbUnavailableError, type Db } from '../core/db/db.js';
import { migrate, MigrationNotPermittedError, pendingMigrationCount } from '../core/db/migrate.js';
import { writeFileAtomic } from '../core/fs/atomicFile.js';
import { applyEvent, makeEvent, type ApplyOutcome, type EventBody, type HookEvent } from '../core/events/events.js';
import { issuesText } from '../core/issueText.js';
import { noNul, ValidationError } from '../core/models.js';
import { resolveProjectName } from '../core/project.js';
import { appendRejected, appendToSpool, replaySpool, spoolPaths, SpoolWriteError, type ReplayReport } from '../core/events/spool.js';
import type { FileLock } from '../core/fs/fileLock.js';
import { errorText, HookFailure, hookState, note, OversizedStdin, OVERSIZED_HEAD, readStdin } from './run.js';

export { errorText, HookFailure, readStdin, runHook, warn } from './run.js';

/** Postgres connect timeout for hooks: Claude Code must never wait on a dead server. */
export const HOOK_CONNECT_TIMEOUT_MS = 1000;
/** Postgres statement timeout for hooks: a lock held elsewhere makes the event wait in the spool, not the hook. */
export const HOOK_STATEMENT_TIMEOUT_MS = 1000;
/** Client-side deadline per statement: a server that stops answering (frozen, network gone) is given up on. */
export const HOOK_QUERY_DEADLINE_MS = 2000;
/**
 * Embedded: how long a hook may spend starting the local server when it is down (the first-ever start
 * creates the cluster, about a second). Inside PostToolUse's whole-hook deadline; the event is already
 * in the spool, so running out of time loses nothing.
 */
export const HOOK_START_TIMEOUT_MS = 5000;
/** Replay budget on the hot path (PostToolUse); the rest goes to one detached `spool replay`. */
export const HOT_REPLAY_BUDGET_MS = 200;
/** Replay budget of SessionEnd (Claude Code gives it 30 s). */
export const SESSION_REPLAY_BUDGET_MS = 3000;
/** SessionStart's whole budget, however long the backlog: the session waits for it. */
export const SESSION_START_BUDGET_MS = 3000;
/** What SessionStart keeps of its budget for the work after the replay: the handoff, the env file, exiting. */
const SESSION_START_AFTER_REPLAY_MS = 900;

/**
 * SessionStart's replay budget: what is left of its 3 s once Node has started and read its input (on a
 * loaded machine that alone can take half a second), less what the handoff needs; at least 250 ms.
 */
export function sessionStartReplayBudgetMs(): number {
  return Math.max(250, Math.round(SESSION_START_BUDGET_MS - SESSION_START_AFTER_REPLAY_MS - process.uptime() * 1000));
}
/** Whole-hook deadlines, well inside the timeouts install-hooks writes (PostToolUse 10 s, the others 30 s). */
export const HOOK_DEADLINE_MS = { 'post-tool-use': 7000, 'session-start': 20_000, 'session-end': 20_000 } as const;
/** A payload nested deeper than this is not parsed (it would exhaust the stack): it is kept as rejected. */
export const MAX_PAYLOAD_DEPTH = 512;

/** Deepest nesting of arrays/objects in a JSON text, counted without parsing it (strings skipped). */
export function jsonDepth(raw: string, stopAt = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAt) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** readStdin; stdin too large to use is kept as a bounded record (size, hash, first 64 KB) before the failure goes up. */
export async function readHookStdin(hookName: string): Promise<string> {
  try {
    return await readStdin();
  } catch (err) {
    if (err instanceof OversizedStdin) keepOversized(hookName, err);
    throw err;
  }
}

export function keepOversized(hookName: string, err: OversizedStdin): void {
  const dataDir = fallbackDataDir();
  try {
    appendRejected(dataDir, err.head, `${hookName}: ${err.message}; kept: its size, sha256 and first ${OVERSIZED_HEAD} bytes`, { size: err.size, sha256: err.sha256, truncated: true });
    err.message = `${err.message}; its size, hash and first 64 KB are kept in ${spoolPaths(dataDir).rejected}`;
  } catch (e) {
    err.message = `${err.message}; NOT kept: ${errorText(e)}`;
  }
}

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
  if (jsonDepth(raw, MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH) throw new HookFailure(`the ${what} payload is nested deeper than ${MAX_PAYLOAD_DEPTH} levels; not parsed`);
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
    // An event deferred by the plugin before its install (scripts/plugin-run.cjs) keeps the time it happened.
    const at = process.env.CLAUDE_FAMILY_EVENT_AT;
    return makeEvent(at && !Number.isNaN(Date.parse(at)) && body.at === undefined ? { ...body, at } : body);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    keepRejectedInput(fallbackDataDir(), raw, `${hookName}: ${err.message}`);
    throw new HookFailure(err.message);
  }
}

export interface Delivery {
  /** The database, still open (the caller closes it), when it could be opened. */
  db?: Db;
  /** Migrations are pending that the configured role may not apply: why, in words (the event waits in the spool). */
  schemaBehind?: string;
  /** Set when the event itself was applied (by the replay that follows its append, or directly). */
  outcome?: ApplyOutcome;
  /** Set when the event is waiting in the spool instead: why. */
  spooledBecause?: string;
  /** The event was applied, by another process's replay (its outcome is not known here). */
  appliedElsewhere?: boolean;
  replay?: ReplayReport;
}

/** The CLI beside the hooks (dist/cli.mjs; the hook bundles are dist/hooks/<name>.body.cjs). */
function cliPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.mjs');
}

/**
 * Starts one detached `claude-family spool replay --background` and hands it the spool lock, so the
 * rest of a backlog is replayed without holding up Claude Code. Only the lock's holder starts one, and
 * it passes the lock on: at most one runs at a time.
 */
export function startDetachedReplay(lock: FileLock): boolean {
  const cli = cliPath();
  if (!existsSync(cli)) return false;
  try {
    const child = spawn(process.execPath, [cli, 'spool', 'replay', '--background'], { detached: true, stdio: 'ignore', env: process.env });
    child.on('error', () => {});
    if (child.pid === undefined) return false;
    lock.handOver(child.pid);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

/**
 * Delivers `event`: first made durable (appended to the spool and fsync'd), then the spool is replayed in
 * order, within `replayBudgetMs`, so the event is applied after every older one, whichever process wrote
 * them. When the budget runs out with events left, a detached `spool replay` carries on. When the spool
 * cannot take the event (a full disk), it is written directly, as the one place left. Throws a
 * HookFailure only when the event could be kept nowhere.
 */
export async function deliver(config: Config, event: HookEvent, options: { migrate: boolean | 'if-behind'; replayBudgetMs: number; importLegacy?: boolean; upgrade?: boolean }): Promise<Delivery> {
  const { live } = spoolPaths(config.dataDir);
  let notKept: SpoolWriteError | undefined;
  try {
    appendToSpool(config.dataDir, event);
    hookState.kept = live;
  } catch (err) {
    if (!(err instanceof SpoolWriteError)) throw err;
    notKept = err;
  }
  let db: Db | undefined;
  try {
    db = await openDatabase(config, {
      connectTimeoutMs: HOOK_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: HOOK_STATEMENT_TIMEOUT_MS,
      queryTimeoutMs: HOOK_QUERY_DEADLINE_MS,
      startTimeoutMs: HOOK_START_TIMEOUT_MS,
      // Server created or started, old data imported: said in the hook's one stderr line.
      onNotice: note,
      importLegacy: options.importLegacy,
      // A major-version upgrade: tried by SessionStart and SessionEnd, but not again by every hook once
      // one was cut short by a deadline (db start finishes it); PostToolUse never tries (false).
      upgrade: options.upgrade ?? 'unless-failed',
      max: 1,
    });
    const needed = options.migrate === 'if-behind' ? (await pendingMigrationCount(db)) > 0 : options.migrate;
    if (needed) await migrate(db);
    forgetSchemaBehind(config.dataDir);
    if (notKept) {
      // Nowhere else to keep it: write it now, even if older events wait in the spool.
      const outcome = await applyEvent(db, event);
      hookState.kept = 'the database';
      return { db, outcome, spooledBecause: undefined };
    }
    const replay = await replaySpool(db, config.dataDir, { budgetMs: options.replayBudgetMs, handOff: startDetachedReplay });
    const outcome = replay.outcomes.get(event.event_id);
    if (outcome) return { db, outcome, replay };
    // Another process's replay may have applied it (it took the event with its batch): then nothing waits.
    if (await appliedAlready(db, event.event_id)) return { db, replay, appliedElsewhere: true };
    return { db, replay, spooledBecause: waitingText(config, event, replay) };
  } catch (err) {
    await db?.close().catch(() => {});
    if (notKept) throw new HookFailure(`event NOT kept: the spool could not take it (${notKept.message}) and ${errorText(err)}`);
    if (err instanceof MigrationNotPermittedError) {
      // Said once (per set of pending migrations), not on every tool call: the events wait meanwhile.
      const why = `${errorText(err)}; until then events wait in ${live}`;
      return { schemaBehind: why, spooledBecause: sayOnce(config.dataDir, err.pending.join(',')) ? why : undefined };
    }
    const what = err instanceof DbUnavailableError ? 'database unavailable' : 'database write failed';
    return { spooledBecause: `${what} (${describeTarget(config)}): ${errorText(err)}; event kept in ${live} for the next replay` };
  }
}

async function appliedAlready(db: Db, eventId: string): Promise<boolean> {
  try {
    return (await db.query('SELECT 1 FROM claude.applied_events WHERE event_id = $1', [eventId])).rowCount > 0;
  } catch {
    return false;
  }
}

/** Remembers that the hooks said the schema is behind (with these pending migrations), in the data directory. */
const schemaBehindFile = (dataDir: string) => join(dataDir, 'schema-behind.said');

/** True the first time `key` is seen (and remembered); false while it stays the same. */
function sayOnce(dataDir: string, key: string): boolean {
  const file = schemaBehindFile(dataDir);
  try {
    if (readFileSync(file, 'utf8') === key) return false;
  } catch {
    // not said yet
  }
  try {
    writeFileAtomic(file, key, 0o600);
  } catch {
    // saying it again next time is the lesser harm
  }
  return true;
}

/** The schema is current: a later lag is said again. */
function forgetSchemaBehind(dataDir: string): void {
  const file = schemaBehindFile(dataDir);
  if (existsSync(file)) rmSync(file, { force: true });
}

/** Why an event appended to the spool was not applied by the replay that followed. */
function waitingText(config: Config, event: HookEvent, replay: ReplayReport): string {
  const { live, rejected } = spoolPaths(config.dataDir);
  const refused = replay.rejected.find((r) => r.line.includes(event.event_id));
  if (refused) return `the database refused the event (${refused.reason}); kept in ${rejected}`;
  if (replay.busy) return `another process is replaying the spool; event kept in ${live} behind the events before it`;
  if (replay.handedOff) return `${replay.remaining} earlier event(s) are being replayed in the background; event kept in ${live} behind them`;
  if (replay.stopped?.by === 'error') return `database write failed (${describeTarget(config)}): ${replay.stopped.reason}; event kept in ${live} for the next replay`;
  return `${replay.remaining} event(s) wait in the spool; event kept in ${live} for the next replay`;
}

/** A slash command as this user has it: the plugin's are namespaced (/claude-family:session-end). */
export function slashCommand(name: string): string {
  return process.env.CLAUDE_FAMILY_VIA_PLUGIN === '1' ? `/claude-family:${name}` : `/${name}`;
}
