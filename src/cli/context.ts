import { loadConfig, ConfigError, type Config } from '../core/config.js';
import type { Db } from '../core/db/db.js';
import { Uuid } from '../core/models.js';
import { openForWork, type OpenedForWork, type OpenForWorkOptions } from '../core/db/openForWork.js';
import { openDatabase } from '../core/db/open.js';
import { resolveProjectName } from '../core/project.js';
import { requireProject, UnknownProjectError } from '../core/repos/projects.js';
import { findSessionByClaudeId, getSession } from '../core/repos/sessions.js';
import { latestOpenSession } from '../core/session/lifecycle.js';
import type { SessionRow } from '../core/models.js';
import { CliError, UsageError } from './errors.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** The directory holding cli.mjs and hooks/ (absolute), for install-hooks. */
  distDir: string;
}

export interface CliContext {
  io: Io;
  config: Config;
  project: string;
  /** --project as given (undefined when the project came from the environment, the config or git). */
  projectFlag?: string;
}

/** The configuration and project are resolved on first use, so commands that need neither never fail on them. */
export function makeContext(io: Io, projectFlag: string | undefined): CliContext {
  let config: Config | undefined;
  let project: string | undefined;
  return {
    io,
    projectFlag,
    get config(): Config {
      if (!config) {
        try {
          config = loadConfig(io.env);
        } catch (err) {
          if (err instanceof ConfigError) throw new CliError(err.message);
          throw err;
        }
      }
      return config;
    },
    get project(): string {
      project ??= resolveProjectName(projectFlag ?? this.config.project, io.cwd);
      return project;
    },
  };
}

/** Opens the database (migrating and replaying the spool first), runs `fn`, closes it. */
export async function withDb<T>(ctx: CliContext, fn: (db: Db, opened: OpenedForWork) => Promise<T>, options: Pick<OpenForWorkOptions, 'replay'> = {}): Promise<T> {
  const opened = await openForWork(ctx.config, { migrate: true, connectTimeoutMs: 5000, startTimeoutMs: 30_000, max: 2, onNotice: (m) => ctx.io.err(`claude-family: ${m}`), ...options });
  try {
    if (opened.replay && opened.replay.rejected.length > 0) {
      ctx.io.err(`claude-family: ${opened.replay.rejected.length} spooled event(s) could not be applied; see spool.rejected.jsonl in ${ctx.config.dataDir}`);
    }
    return await fn(opened.db, opened);
  } finally {
    await opened.db.close().catch(() => {});
  }
}

/**
 * Opens the database for reading only: no migration, no replay of the spool (`session status` changes
 * nothing). A schema that is not there yet is said in words.
 */
export async function withDbReadOnly<T>(ctx: CliContext, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(ctx.config, { connectTimeoutMs: 5000, startTimeoutMs: 30_000, max: 2, importLegacy: false, onNotice: (m) => ctx.io.err(`claude-family: ${m}`) });
  try {
    return await fn(db);
  } catch (err) {
    if ((err as { code?: string })?.code === '42P01' || /relation "claude\.\w+" does not exist|schema "claude" does not exist/.test((err as Error)?.message ?? '')) {
      throw new CliError('the database has no claude schema yet; run `claude-family migrate` (or any hook) first');
    }
    throw err;
  } finally {
    await db.close().catch(() => {});
  }
}

/**
 * Which session a command means: --session <uuid>, else $CLAUDE_FAMILY_SESSION_ID, else the Claude Code
 * session in $CLAUDE_SESSION_ID, else the project's most recent open session.
 */
export async function resolveSession(db: Db, ctx: CliContext, flag: string | undefined, required: true): Promise<SessionRow>;
export async function resolveSession(db: Db, ctx: CliContext, flag: string | undefined, required: false): Promise<SessionRow | undefined>;
export async function resolveSession(db: Db, ctx: CliContext, flag: string | undefined, required: boolean): Promise<SessionRow | undefined> {
  const byId = async (id: string, from: string) => {
    if (!Uuid.safeParse(id).success) throw new UsageError(`${from} must be a session uuid, got ${JSON.stringify(id)}`);
    const s = await getSession(db, id);
    if (!s) throw new CliError(`no session ${id} (from ${from})`);
    return s;
  };
  if (flag !== undefined) return byId(flag, '--session');
  const familyId = ctx.io.env.CLAUDE_FAMILY_SESSION_ID?.trim();
  if (familyId) return byId(familyId, 'CLAUDE_FAMILY_SESSION_ID');
  const claudeId = ctx.io.env.CLAUDE_SESSION_ID?.trim();
  if (claudeId) {
    const s = await findSessionByClaudeId(db, claudeId);
    if (s) return s;
  }
  const open = await latestOpenSession(db, ctx.project);
  if (!open && required) throw new CliError(`no open session for project ${ctx.project}; pass --session <uuid>`);
  return open;
}

/** A project named by --project must exist (a typo is not a new, empty project): a CliError lists the known ones. */
export async function checkNamedProject(db: Db, ctx: CliContext): Promise<void> {
  if (ctx.projectFlag !== undefined) await requireKnownProject(db, ctx.project);
}

/** The project must exist: a CliError naming the known projects otherwise. */
export async function requireKnownProject(db: Db, name: string): Promise<void> {
  try {
    await requireProject(db, name);
  } catch (err) {
    if (err instanceof UnknownProjectError) throw new CliError(err.message);
    throw err;
  }
}
