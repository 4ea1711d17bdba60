import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeTarget } from '../../core/config.js';
import { localStatus } from '../../core/db/localServer.js';
import { resolveFromHere } from '../../core/db/open.js';
import { emptyReport, pendingSpoolCount, spoolPaths } from '../../core/events/spool.js';
import { FileLock, type LockState } from '../../core/fs/fileLock.js';
import { flag, json, type Command } from '../command.js';
import { withDb } from '../context.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending schema migrations to the configured database (safe to run any time).',
  usage: '',
  details: [],
  options: {},
  async run(_args, ctx) {
    const report = await withDb(ctx, async (_db, opened) => opened.migrations!);
    ctx.io.out(`${describeTarget(ctx.config)}: applied ${report.applied.length > 0 ? report.applied.join(', ') : 'nothing'}; ${report.alreadyApplied.length} already applied${report.unknown.length > 0 ? `; recorded but unknown to this version: ${report.unknown.join(', ')}` : ''}.`);
  },
};

export const spoolReplay: Command = {
  name: 'spool replay',
  summary: 'Write the events hooks spooled into the database, in order, and report.',
  usage: '[--json]',
  details: [
    '  --json           print JSON',
    'A hook that finds a backlog replays it for 200 ms (SessionStart/SessionEnd: 3 s) and hands the rest',
    'to one detached `spool replay --background`, which takes over the spool lock from it.',
  ],
  options: { json: { type: 'boolean' }, background: { type: 'boolean' } },
  async run(args, ctx) {
    // Started by a hook, which hands its spool lock over to this process.
    const lock = flag(args, 'background') ? await FileLock.adopt(spoolPaths(ctx.config.dataDir).lock, 2000) : undefined;
    let report;
    try {
      report = await withDb(ctx, async (_db, opened) => opened.replay ?? emptyReport(), { replay: lock ? { lock } : {} });
    } finally {
      lock?.release();
    }
    const out = { spool: spoolPaths(ctx.config.dataDir).live, applied: report.applied, duplicates: report.duplicates, rejected: report.rejected.length, remaining: report.remaining, busy: report.busy };
    if (flag(args, 'json')) ctx.io.out(json(out));
    else {
      ctx.io.out(
        report.busy
          ? 'Another process is replaying the spool right now; nothing done.'
          : `Replayed ${out.applied} event(s) (${out.duplicates} already applied, ${out.rejected} rejected into ${spoolPaths(ctx.config.dataDir).rejected}, ${out.remaining} left).`,
      );
    }
    if (report.busy) ctx.io.err('claude-family: another process is replaying the spool; try again in a moment');
    else if (report.remaining > 0) ctx.io.err(`claude-family: the replay stopped (${report.stopped?.reason ?? 'unknown reason'}); ${report.remaining} event(s) stay in the spool for the next replay`);
    return report.remaining > 0 || report.busy ? 1 : 0;
  },
};

/**
 * Our lock files: those directly in the data directory (spool.lock, server.lock, ...) and the session
 * snapshots' (sessions/*.lock). Never anything inside the local server's own directories: Postgres keeps
 * its socket lock (.s.PGSQL.*.lock) there, in a format of its own, and must be left alone.
 */
function lockFiles(dataDir: string): string[] {
  const found: string[] = [];
  for (const dir of [dataDir, join(dataDir, 'sessions')]) {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.isFile() && !e.name.startsWith('.') && (e.name.endsWith('.lock') || e.name.endsWith('.lock.break'))) found.push(join(dir, e.name));
    }
  }
  return found.sort();
}

export const doctor: Command = {
  name: 'doctor',
  summary: 'Check the data directory: the local server (and why it is not running), lock files (held, or stale and wedging everything) and the spool. Changes nothing unless --clear-stale-locks.',
  usage: '[--clear-stale-locks] [--json]',
  details: [
    '  --clear-stale-locks  remove the stale locks found (a lock whose owner is gone, or an empty or unreadable',
    '                       one older than a few seconds); a held lock is never removed',
    '  --json               print JSON',
  ],
  options: { 'clear-stale-locks': { type: 'boolean' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const dataDir = ctx.config.dataDir;
    const clear = flag(args, 'clear-stale-locks');
    const locks: (LockState & { cleared?: boolean })[] = lockFiles(dataDir).map((p) => {
      const state = FileLock.inspect(p);
      return clear && state.state === 'stale' ? { ...state, cleared: FileLock.clearIfStale(p) } : state;
    });
    const spooled = pendingSpoolCount(dataDir);
    // The local server, when it is the database in use: running, or why not.
    const local = ctx.config.databaseUrl ? undefined : localStatus(dataDir, { resolve: resolveFromHere });
    const localServer = local && {
      running: local.running,
      pid: local.pid ?? null,
      initialized: local.initialized,
      problem: local.problem ?? null,
      notes: local.notes,
      lastStartError: local.running ? null : (local.lastStartError ?? null),
    };
    if (flag(args, 'json')) {
      ctx.io.out(json({ dataDir, locks, spooledEvents: spooled, localServer: localServer ?? null }));
    } else {
      const lines = [`Data directory: ${dataDir}`, `Spooled events waiting: ${spooled}`];
      if (localServer) {
        lines.push(
          localServer.running
            ? `Local Postgres: running, pid ${localServer.pid}.`
            : localServer.problem
              ? `Local Postgres: not running: ${localServer.problem}.`
              : localServer.initialized
                ? 'Local Postgres: stopped; the next hook or `claude-family db start` starts it.'
                : 'Local Postgres: not created yet; `claude-family db start` or any hook creates it.',
        );
        if (localServer.lastStartError) lines.push(`  last start failed: ${localServer.lastStartError}`);
        for (const note of localServer.notes) lines.push(`  note: ${note}`);
      }
      if (locks.length === 0) lines.push('Locks: none');
      for (const l of locks) {
        lines.push(`Lock ${l.path}: ${l.state}${l.state === 'free' ? '' : ` (${l.reason})`}${l.cleared === true ? '; cleared' : l.cleared === false ? '; could not be cleared (it changed meanwhile)' : ''}`);
      }
      const stale = locks.filter((l) => l.state === 'stale' && !l.cleared);
      if (stale.length > 0) lines.push(`${stale.length} stale lock(s): run claude-family doctor --clear-stale-locks to remove them.`);
      ctx.io.out(lines.join('\n'));
    }
    return locks.some((l) => l.state === 'stale' && !l.cleared) || localServer?.problem ? 1 : 0;
  },
};
