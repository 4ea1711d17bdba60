import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cleanupAllEndedSessions, cleanupOrphans, formatCleanup, runDeferredCleanup, type CleanupResult } from '../../core/housekeeping/mcpProcesses.js';
import { summariseMcpUsage } from '../../core/repos/mcpUsage.js';
import { flag, json, str, type Command } from '../command.js';
import { withDb } from '../context.js';
import { CliError, UsageError } from '../errors.js';

/** A whole number from 1 to `max`, checked before it gets anywhere near SQL. */
function wholeNumber(text: string | undefined, name: string, cmd: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) <= 0 || Number(text) > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}`, cmd);
  return Number(text);
}

export const mcpCleanup: Command = {
  name: 'mcp cleanup',
  summary:
    'List (the default) or end MCP server processes that a Claude Code session started and that outlived it. ' +
    'Only processes recorded for the session by pid and start time, never by name.',
  usage: '[--dry-run | --kill] [--session ID [--wait-for-pid PID]] [--json]',
  details: [
    '  --dry-run        list what would be ended and why (the default)',
    '  --kill           end them: SIGTERM, then SIGKILL after a grace period',
    '  --session ID     only this Claude Code session (default: every session whose Claude Code has exited)',
    '  --wait-for-pid   with --session: first wait (up to 30 s) for this Claude Code process to exit;',
    '                   the SessionEnd hook starts `mcp cleanup --kill --session ID --wait-for-pid PID` detached',
    '  --json           print JSON',
  ],
  options: { 'dry-run': { type: 'boolean' }, kill: { type: 'boolean' }, session: { type: 'string' }, 'wait-for-pid': { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    if (flag(args, 'dry-run') && flag(args, 'kill')) throw new UsageError('--dry-run and --kill contradict each other', this.name);
    const dryRun = !flag(args, 'kill');
    const session = str(args, 'session');
    const waitForPid = wholeNumber(str(args, 'wait-for-pid'), 'wait-for-pid', this.name, 4_194_304);
    if (waitForPid !== undefined && session === undefined) throw new UsageError('--wait-for-pid needs --session', this.name);
    const dataDir = ctx.config.dataDir;

    let results: CleanupResult[];
    let problems: string[];
    let stillRunning: string[] = [];
    if (session !== undefined) {
      const r = waitForPid !== undefined ? await runDeferredCleanup({ dataDir, claudeSessionId: session, dryRun, waitForPid }) : await cleanupOrphans({ dataDir, claudeSessionId: session, dryRun });
      results = [r];
      problems = r.problems;
    } else {
      const all = await cleanupAllEndedSessions({ dataDir, dryRun });
      results = all.sessions;
      problems = all.problems;
      stillRunning = all.stillRunning;
    }

    if (flag(args, 'json')) {
      ctx.io.out(json({ dryRun, sessions: results.map((r) => ({ claudeSessionId: r.claudeSessionId, claudeAlive: r.claudeAlive, ended: r.ended, wouldEnd: r.wouldEnd, failed: r.failed, skipped: r.skipped })), stillRunning, problems }));
    } else {
      const text = results.map(formatCleanup).filter((t) => t.trim() !== '');
      if (text.length === 0) ctx.io.out(dryRun ? 'Nothing to end: no recorded MCP server outlived its Claude Code session.' : 'Nothing was ended.');
      else ctx.io.out(text.join('\n'));
      if (stillRunning.length > 0) ctx.io.out(`Left alone (Claude Code still running): ${stillRunning.join(', ')}`);
      if (dryRun && results.some((r) => r.wouldEnd.length > 0)) ctx.io.out('Dry run: nothing was ended. Run with --kill to end them.');
    }
    const failed = results.some((r) => r.failed.length > 0);
    if (problems.length > 0 || failed) ctx.io.err(`claude-family: ${[...problems, ...(failed ? ['some processes could not be ended (see above)'] : [])].join('; ')}`);
    return failed ? 1 : 0;
  },
};

export const mcpUsage: Command = {
  name: 'mcp usage',
  summary: 'MCP tool calls recorded by the PostToolUse hook, per server and tool, with failures.',
  usage: '[--days N] [--json]',
  details: ['  --days N         look back N days (default 30)', '  --json           print JSON'],
  options: { days: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const days = wholeNumber(str(args, 'days'), 'days', this.name, 36_500) ?? 30;
    const rows = await withDb(ctx, (db) => summariseMcpUsage(db, days));
    if (flag(args, 'json')) return void ctx.io.out(json({ days, usage: rows }));
    if (rows.length === 0) return void ctx.io.out(`No MCP calls recorded in the last ${days} days.`);
    const width = Math.max(...rows.map((r) => `${r.mcp_server} ${r.tool_name}`.length));
    ctx.io.out(rows.map((r) => `${`${r.mcp_server} ${r.tool_name}`.padEnd(width)}  ${String(r.calls).padStart(6)} calls  ${r.failures} failed`).join('\n'));
  },
};

export const mcpServe: Command = {
  name: 'mcp serve',
  summary:
    'Run the claude-family MCP server over stdio (Claude Code starts it from the project\'s .mcp.json, which install-hooks writes). ' +
    'Tools: handoff, search, get, add_knowledge, list_todos, overview, send_message.',
  usage: '[--project NAME]',
  details: [
    '  --project NAME   the project the tools default to (else CLAUDE_FAMILY_PROJECT, the config file, or the git top level',
    '                   of the directory Claude Code starts it in)',
    'It speaks JSON-RPC on stdin/stdout until stdin closes; diagnostics go to stderr. The database is opened on the',
    'first tool call (the embedded one only for the length of each call).',
  ],
  options: {},
  async run(_args, ctx) {
    // Normally dist/cli.mjs hands `mcp serve` to the server bundle before the CLI loads; this is the same.
    const launcher = join(ctx.io.distDir, 'mcp', 'server.cjs');
    if (!existsSync(launcher)) throw new CliError(`${launcher} is missing; run npm run build first`);
    createRequire(import.meta.url)(launcher);
  },
};
