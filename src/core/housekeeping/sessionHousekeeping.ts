// The SessionEnd duties from the seed ("Session Lifecycle - Session End") beyond closing the session:
// leave no orphaned MCP server behind and say which docs may be stale. SessionStart has none: Claude
// Code waits for it, and everything here can be worked out at the end (Claude Code's children are
// still there, git history tells where HEAD stood when the session started).
// Never throws for an expected condition: returns lines for the user and problems for the hook's one
// stderr line, and the hook exits 0 whatever happens.
import { basename } from 'node:path';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import { headAt } from './gitChanges.js';
import { deferredCleanupCommand, findClaudePid, snapshotSessionProcesses, spawnDeferredCleanup } from './mcpProcesses.js';
import { defaultProcessSource, type ProcessSource } from './processes.js';
import type { SessionRow } from '../models.js';

export interface HousekeepingResult {
  /** Worth showing the user (stdout). */
  lines: string[];
  /** What went wrong, for the hook's one stderr line. */
  problems: string[];
}

/**
 * Is this the Claude Code process? Its command is `claude` (or a script named claude.js/claude.mjs,
 * or the @anthropic-ai/claude-code package) as the program or the script Node runs. Only then do we
 * record its children: the hook may also run under a terminal or a test runner, whose children are
 * not ours to end.
 */
export function looksLikeClaudeCode(command: string): boolean {
  if (command.includes('@anthropic-ai/claude-code')) return true;
  return command
    .split(/\s+/)
    .slice(0, 2)
    .some((token) => /^claude(\.[cm]?js)?$/i.test(basename(token)));
}


/** The Claude Code process this hook runs under, if it is one (not a shell, terminal or test runner). */
function claudePid(source: ProcessSource): number | undefined {
  const pid = findClaudePid(process.ppid, source);
  const info = pid === undefined ? undefined : source.get(pid);
  return info && looksLikeClaudeCode(info.command) ? info.pid : undefined;
}

/** What the SessionEnd hook knows when it hands over to housekeeping. */
export interface SessionEndContext {
  config: Config;
  claudeSessionId: string;
  cwd: string;
  /** Where process information comes from (tests may pass a fake); default /proc or ps. */
  source?: ProcessSource;
  /** The open database, or undefined when it was unavailable and the end event went to the spool. */
  db?: Db;
  project: string;
  /** Our session row as closed, when the database was reachable. */
  session?: SessionRow;
  /** Why Claude Code ended the session (clear, logout, prompt_input_exit, other, ...). */
  reason?: string;
  /** dist/cli.mjs, which the detached MCP cleanup watcher runs. */
  cliPath: string;
}

/**
 * SessionEnd, while Claude Code is still alive:
 *  1. orphaned MCP servers: record Claude Code's children (pid, start time), then start a detached watcher
 *     (`claude-family mcp cleanup --kill --session ID --wait-for-pid PID`) that waits for Claude Code to exit
 *     and ends, by pid and start time, those of its recorded children that outlived it;
 *  2. docs: the files changed since the session started (git: the last commit before session_start, plus
 *     uncommitted and untracked files), stored in session_state.files_modified,
 *     and the docs that describe them (README.md, .claude/doc-map.json, vault notes listing the path)
 *     reported as possibly stale. Nothing is edited.
 */
export async function sessionEndHousekeeping(ctx: SessionEndContext): Promise<HousekeepingResult> {
  const lines: string[] = [];
  const problems: string[] = [];

  const source = ctx.source ?? defaultProcessSource();
  const pid = claudePid(source);
  if (pid !== undefined) {
    const snap = await snapshotSessionProcesses({ dataDir: ctx.config.dataDir, claudeSessionId: ctx.claudeSessionId, claudePid: pid, source });
    problems.push(...snap.problems);
    if (snap.ok && snap.children.length > 0) {
      const spawned = spawnDeferredCleanup(deferredCleanupCommand({ cliPath: ctx.cliPath, claudeSessionId: ctx.claudeSessionId, claudePid: pid, extraArgs: ['--kill'] }));
      problems.push(...spawned.problems);
      if (spawned.pid !== undefined) {
        lines.push(`claude-family: watching ${snap.children.length} process(es) Claude Code started; any still running after it exits will be ended.`);
      }
    }
  }

  // Loaded here, not at the top: SessionStart shares this module and needs none of it.
  const { checkDocs, formatStaleDocs, recordFilesModified } = await import('./docCheck.js');
  // Without the session row (database unavailable) only uncommitted changes are seen.
  const sinceRef = ctx.session ? headAt(ctx.cwd, ctx.session.session_start) : undefined;
  const docs = await checkDocs({ cwd: ctx.cwd, sinceRef, vaultDir: ctx.config.vaultDir, project: ctx.project });
  // Outside a git repository there is nothing to check, which is not a problem worth a stderr line.
  if (docs.root) problems.push(...docs.problems);
  if (docs.root && ctx.db) {
    const stored = await recordFilesModified(ctx.db, ctx.project, docs.modified);
    problems.push(...stored.problems);
  }
  const stale = formatStaleDocs(docs.stale);
  if (stale) lines.push(stale);
  return { lines, problems };
}
