#!/usr/bin/env node
// What the Claude Code plugin runs (hooks/hooks.json, commands/*.md):
//
//   node "${CLAUDE_PLUGIN_ROOT}/scripts/plugin-run.cjs" <session-start|user-prompt-submit|post-tool-use|post-tool-use-failure|session-end> < payload
//   node "${CLAUDE_PLUGIN_ROOT}/scripts/plugin-run.cjs" cli <claude-family arguments...>
//   node "${CLAUDE_PLUGIN_ROOT}/scripts/plugin-run.cjs" mcp [--project NAME]   (plugin.json mcpServers)
//
// A plugin is a plain checkout of this repository: no node_modules, no dist/. On first use (the first
// SessionStart, or a slash command) this copies the checkout into the plugin's data directory
// ($CLAUDE_PLUGIN_DATA, else $XDG_DATA_HOME/claude-family/plugin, else ~/.local/share/claude-family/plugin),
// runs `npm ci`, the build of what the plugin runs, and `npm prune --omit=dev` there (quietly: one line
// before, one "installed in N s" line after; a failure is one line, retried by the next SessionStart), and
// from then on runs the hooks, the CLI and the MCP server from that build. It also writes a stable CLI
// launcher, <data>/bin/claude-family, linked into ~/.local/bin when that name is free. The
// build is named by a hash of package.json, package-lock.json and the plugin manifest, so a plugin update
// builds afresh and old builds are removed. A checkout that is already built (dist/hooks/ present, as
// with `claude --plugin-dir .` during development) runs from its own dist/. A hook event that arrives
// before the install is complete waits in <data>/deferred.jsonl and goes through the hooks once installed.
//
// No dependencies, CommonJS, and like every hook: a failure of ours exits 0 with one line on stderr.
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(process.env.CLAUDE_PLUGIN_ROOT || path.join(__dirname, '..'));
const HOOKS = ['session-start', 'user-prompt-submit', 'post-tool-use', 'post-tool-use-failure', 'session-end'];
const what = process.argv[2];

function fail(message) {
  process.stderr.write(`claude-family ${what || 'plugin'}: ${message}\n`);
  process.exitCode = what === 'cli' || what === 'mcp' ? 1 : 0;
}

function dataBase() {
  if (process.env.CLAUDE_PLUGIN_DATA) return process.env.CLAUDE_PLUGIN_DATA;
  const xdg = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(xdg, 'claude-family', 'plugin');
}

function buildId() {
  const h = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json', '.claude-plugin/plugin.json']) {
    try {
      h.update(f).update(fs.readFileSync(path.join(ROOT, f)));
    } catch {
      h.update(`${f} missing`);
    }
  }
  return `build-${h.digest('hex').slice(0, 16)}`;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** A directory lock: mkdir is atomic; a lock whose owner died is taken over. */
function acquireLock(lockDir, waitMs) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        // being written: wait
      }
      if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) return false;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
}

/** Runs a build step quietly: its output is kept, and only its last lines are said if it fails. */
function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  if (r.error) throw new Error(`${path.basename(cmd)} ${args[0]}: ${r.error.message}`);
  if (r.status !== 0) {
    const said = `${r.stderr || ''}\n${r.stdout || ''}`.split('\n').map((l) => l.replace(/^npm (ERR!|error) ?/, '').trim()).filter((l) => l !== '' && !/^(A complete log|Log files were written|\/.*debug.*\.log$)/i.test(l));
    const why = said.find((l) => /E[A-Z]{3,}|network|offline|fetch|registry|not found|ENOTFOUND|ECONNREFUSED/i.test(l)) ?? said[0] ?? `exit ${r.status}`;
    throw new Error(`${path.basename(cmd)} ${args[0]} failed: ${why.slice(0, 300)}`);
  }
}

/** An install that did not finish: said in one line, retried by the next SessionStart. */
class InstallError extends Error {}

/**
 * The stable command line for the CLI: <data>/bin/claude-family, rewritten by every install (it runs this
 * plugin version's scripts/plugin-run.cjs), and linked into ~/.local/bin when nothing else is there.
 * Returns how to call it.
 */
function writeLauncher(base) {
  const bin = path.join(base, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const launcher = path.join(bin, 'claude-family');
  const runner = path.join(ROOT, 'scripts', 'plugin-run.cjs');
  fs.writeFileSync(`${launcher}.tmp`, `#!/bin/sh\n# Written by the claude-family Claude Code plugin; rewritten by each plugin update.\nexec node ${JSON.stringify(runner)} cli "$@"\n`, { mode: 0o755 });
  fs.renameSync(`${launcher}.tmp`, launcher);
  if (process.platform === 'win32') return launcher;
  const localBin = path.join(os.homedir(), '.local', 'bin');
  const link = path.join(localBin, 'claude-family');
  try {
    let ours = false;
    try {
      ours = fs.readlinkSync(link) === launcher;
      if (ours) return 'claude-family';
    } catch (err) {
      if (err.code !== 'ENOENT') return launcher; // something else is there: leave it alone
    }
    fs.mkdirSync(localBin, { recursive: true });
    fs.symlinkSync(launcher, link);
    return (process.env.PATH || '').split(path.delimiter).includes(localBin) ? 'claude-family' : link;
  } catch {
    return launcher;
  }
}

/** Copies the checkout into the data directory, installs and builds it there; returns the build's dist/. */
function install(base, id) {
  const target = path.join(base, id);
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  const lock = path.join(base, 'install.lock');
  if (!acquireLock(lock, 10 * 60_000)) throw new InstallError(`another process is installing into ${base}`);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    if (fs.existsSync(path.join(target, 'dist', 'hooks', 'session-start.cjs'))) return path.join(target, 'dist');
    const began = Date.now();
    process.stderr.write(`claude-family: installing this plugin version (once, about a minute)...\n`);
    // Leftovers of an install that was killed.
    for (const old of fs.readdirSync(base)) if (/^build-[0-9a-f]{16}\.tmp-\d+$/.test(old)) fs.rmSync(path.join(base, old), { recursive: true, force: true });
    const skip = new Set(['node_modules', '.git', 'dist', 'dist.next', 'main.js']);
    fs.cpSync(ROOT, tmp, { recursive: true, filter: (src) => path.relative(ROOT, src).split(path.sep).every((part, i) => i > 0 || !skip.has(part)) });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const quiet = ['--no-audit', '--no-fund', '--loglevel=error', '--no-progress'];
    try {
      // The build needs esbuild (a dev dependency); what runs afterwards needs only the production ones.
      run(npm, ['ci', '--prefer-offline', ...quiet], tmp);
      run(process.execPath, ['esbuild.config.mjs', 'production', '--plugin'], tmp);
      run(npm, ['prune', '--omit=dev', '--offline', ...quiet], tmp);
    } catch (err) {
      throw new InstallError(err.message);
    }
    fs.renameSync(tmp, target);
    for (const old of fs.readdirSync(base)) {
      if (/^build-[0-9a-f]{16}/.test(old) && old !== id) fs.rmSync(path.join(base, old), { recursive: true, force: true });
    }
    const cli = writeLauncher(base);
    process.stderr.write(`claude-family: installed in ${Math.max(1, Math.round((Date.now() - began) / 1000))} s; the CLI is ${cli}\n`);
    return path.join(target, 'dist');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Hook events that arrive before the install is complete wait here, one JSON line each ({ hook, at,
 * payload }), appended and fsync'd with Node alone; once installed, they go through the hooks (and so the
 * spool) in order, each keeping the time it happened.
 */
function deferredFile(base) {
  return path.join(base, 'deferred.jsonl');
}

function deferEvent(base, payload) {
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  const fd = fs.openSync(deferredFile(base), 'a', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify({ hook: what, at: new Date().toISOString(), payload })}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function readStdin() {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/** Runs the events deferred before the install through the installed hooks, oldest first. */
function applyDeferred(base, dist) {
  const file = deferredFile(base);
  if (!fs.existsSync(file)) return;
  const claimed = `${file}.claimed-${process.pid}`;
  try {
    fs.renameSync(file, claimed);
  } catch {
    return; // another process took them
  }
  const failed = [];
  for (const line of fs.readFileSync(claimed, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      continue; // a torn line: its hook had not returned
    }
    if (!HOOKS.includes(e.hook) || typeof e.payload !== 'string') continue;
    const r = spawnSync(process.execPath, [path.join(dist, 'hooks', `${e.hook}.cjs`)], { input: e.payload, stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, CLAUDE_FAMILY_EVENT_AT: e.at }, timeout: 60_000 });
    if (r.error || r.status !== 0) failed.push(line);
  }
  if (failed.length > 0) fs.appendFileSync(file, `${failed.join('\n')}\n`, { mode: 0o600 });
  fs.rmSync(claimed, { force: true });
}

function installedDist(base, id) {
  const built = path.join(base, id, 'dist');
  return fs.existsSync(path.join(built, 'hooks', 'session-start.cjs')) ? built : undefined;
}

const SESSION_START_NOTE =
  '=== WHERE WE LEFT OFF ===\n(claude-family: session memory is being installed and is not available in this session yet; the install will be retried at the next session start.)\n';

function main() {
  if (!HOOKS.includes(what) && what !== 'cli' && what !== 'mcp') {
    fail(`usage: plugin-run.cjs <${HOOKS.join('|')}|cli|mcp> [arguments]`);
    process.exitCode = 2;
    return;
  }
  let dist;
  let base;
  if (fs.existsSync(path.join(ROOT, 'dist', 'hooks', 'session-start.cjs'))) {
    dist = path.join(ROOT, 'dist');
  } else {
    base = dataBase();
    const id = buildId();
    dist = installedDist(base, id);
    if (!dist) {
      // Only SessionStart (first in every session), the CLI and the MCP server may take the minute an
      // install needs; the other hooks run under short timeouts: their event waits for the install.
      if (what !== 'session-start' && what !== 'cli' && what !== 'mcp') {
        // A prompt records nothing: its knowledge is for that moment only, and a late delivery would be
        // logged as given when Claude never saw it.
        if (what !== 'user-prompt-submit') deferEvent(base, readStdin());
        return;
      }
      try {
        dist = install(base, id);
      } catch (err) {
        if (!(err instanceof InstallError)) throw err;
        if (what === 'session-start') {
          // Claude still gets a word of context; the payload waits for the next try.
          deferEvent(base, readStdin());
          process.stdout.write(SESSION_START_NOTE);
        }
        fail(`could not install the plugin (${err.message}); it will be retried at the next SessionStart`);
        return;
      }
    }
    // The stable CLI the hooks name in their messages (never a path inside a versioned build).
    const launcher = path.join(base, 'bin', 'claude-family');
    if (!process.env.CLAUDE_FAMILY_CLI && fs.existsSync(launcher)) process.env.CLAUDE_FAMILY_CLI = launcher;
    if (what === 'session-start' || HOOKS.includes(what)) applyDeferred(base, dist);
  }
  process.env.CLAUDE_FAMILY_VIA_PLUGIN = '1';
  if (what === 'cli') {
    const r = spawnSync(process.execPath, [path.join(dist, 'cli.mjs'), ...process.argv.slice(3)], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
  } else if (what === 'mcp') {
    // The server reads its arguments after `mcp serve` from process.argv.
    process.argv.splice(3, 0, 'serve');
    require(path.join(dist, 'mcp', 'server.cjs'));
  } else {
    // The hook's own launcher: it reads stdin, runs the bundle and exits 0 on its own failures.
    require(path.join(dist, 'hooks', `${what}.cjs`));
  }
}

try {
  main();
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
