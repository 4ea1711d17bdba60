#!/usr/bin/env node
// What the Claude Code plugin runs (hooks/hooks.json, commands/*.md):
//
//   node "${CLAUDE_PLUGIN_ROOT}/scripts/plugin-run.cjs" <session-start|user-prompt-submit|post-tool-use|post-tool-use-failure|session-end> < payload
//   node "${CLAUDE_PLUGIN_ROOT}/scripts/plugin-run.cjs" cli <claude-family arguments...>
//
// A plugin is a plain checkout of this repository: no node_modules, no dist/. On first use (the first
// SessionStart, or a slash command) this copies the checkout into the plugin's data directory
// ($CLAUDE_PLUGIN_DATA, else $XDG_DATA_HOME/claude-family/plugin, else ~/.local/share/claude-family/plugin),
// runs `npm ci` and the build there, and from then on runs the hooks and the CLI from that build. The
// build is named by a hash of package.json, package-lock.json and the plugin manifest, so a plugin update
// builds afresh and old builds are removed. A checkout that is already built (dist/hooks/ present, as
// with `claude --plugin-dir .` during development) runs from its own dist/.
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
  process.exitCode = what === 'cli' ? 1 : 0;
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

function run(cmd, args, cwd) {
  // The build's output goes to stderr: stdout of a SessionStart hook is Claude's context.
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 2, 2], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
}

/** Copies the checkout into the data directory, installs and builds it there; returns the build's dist/. */
function install(base, id) {
  const target = path.join(base, id);
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  const lock = path.join(base, 'install.lock');
  if (!acquireLock(lock, 10 * 60_000)) throw new Error(`another process is installing into ${base}`);
  try {
    if (fs.existsSync(path.join(target, 'dist', 'hooks', 'session-start.cjs'))) return path.join(target, 'dist');
    process.stderr.write(`claude-family: first run of this plugin version: installing into ${target} (npm ci, then the build; once)\n`);
    const tmp = `${target}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const skip = new Set(['node_modules', '.git', 'dist', 'dist.next', 'main.js']);
    fs.cpSync(ROOT, tmp, { recursive: true, filter: (src) => path.relative(ROOT, src).split(path.sep).every((part, i) => i > 0 || !skip.has(part)) });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    run(npm, ['ci', '--no-audit', '--no-fund', '--prefer-offline'], tmp);
    run(process.execPath, ['esbuild.config.mjs', 'production'], tmp);
    fs.renameSync(tmp, target);
    for (const old of fs.readdirSync(base)) {
      if (/^build-[0-9a-f]{16}/.test(old) && old !== id) fs.rmSync(path.join(base, old), { recursive: true, force: true });
    }
    return path.join(target, 'dist');
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function distDir() {
  if (fs.existsSync(path.join(ROOT, 'dist', 'hooks', 'session-start.cjs'))) return path.join(ROOT, 'dist');
  const base = dataBase();
  const id = buildId();
  const built = path.join(base, id, 'dist');
  if (fs.existsSync(path.join(built, 'hooks', 'session-start.cjs'))) return built;
  // Only SessionStart (first in every session) and the CLI may take the minute an install needs; the
  // other hooks run under short timeouts.
  if (what !== 'session-start' && what !== 'cli') {
    throw new Error(`not installed yet (the next SessionStart installs it into ${path.join(base, id)}); this event was not recorded`);
  }
  return install(base, id);
}

try {
  if (!HOOKS.includes(what) && what !== 'cli') {
    fail(`usage: plugin-run.cjs <${HOOKS.join('|')}|cli> [arguments]`);
    process.exitCode = 2;
  } else {
    const dist = distDir();
    if (what === 'cli') {
      const r = spawnSync(process.execPath, [path.join(dist, 'cli.mjs'), ...process.argv.slice(3)], { stdio: 'inherit' });
      process.exitCode = r.status ?? 1;
    } else {
      // The hook's own launcher: it reads stdin, runs the bundle and exits 0 on its own failures.
      require(path.join(dist, 'hooks', `${what}.cjs`));
    }
  }
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
