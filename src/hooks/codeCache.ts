// Runs a hook's bundle (dist/hooks/<name>.body.cjs) compiled with V8's code cache, so a hook process
// skips most of the parsing and compiling it would otherwise repeat on every tool call (measured: 15-24 ms
// of a 100-130 ms hook on the development machine).
//
// The cache is written once, when the process that had none exits, so it holds what that run compiled
// (a function first needed by a later run is compiled as usual). It lives beside the bundles in
// dist/hooks/.v8-cache/; its name carries a hash of the bundle, Node's version and the architecture, so a
// rebuilt bundle or another Node never reads a cache that is not its own (V8 itself only compares
// lengths). When the directory is not writable the hook simply runs without a cache.
//
// CommonJS on purpose: vm.Script (the code cache API on every Node >= 20) compiles scripts, not ES modules,
// and a CommonJS main file also starts a few ms sooner than an ES module one.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { writeFileAtomic } from '../core/fs/atomicFile.js';

/** Where the launcher keeps code caches, relative to the bundles. */
export const CACHE_DIR_NAME = '.v8-cache';

export function cacheFileFor(bundlePath: string, source: string): string {
  const key = createHash('sha256').update(`${process.version} ${process.arch}\n`).update(source).digest('hex').slice(0, 20);
  return join(dirname(bundlePath), CACHE_DIR_NAME, `${basename(bundlePath)}.${key}.bin`);
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Best effort and atomic (a concurrent hook reads the whole file or none). */
function writeCache(file: string, script: Script): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileAtomic(file, script.createCachedData(), 0o600);
  } catch {
    // a read-only install: run uncached
  }
}

export interface BundleRun {
  /** hit: compiled from the cache; miss: there was none; rejected: V8 refused it (then it is rewritten). */
  cache: 'hit' | 'miss' | 'rejected';
  /** Writes the cache from what was compiled so far; the launcher calls it at exit after a miss or a rejection. */
  saveCache(): void;
}

/** Runs a CommonJS bundle as if required, compiled from the code cache when there is one. */
export function runBundle(bundlePath: string): BundleRun {
  const source = readFileSync(bundlePath, 'utf8');
  const cacheFile = cacheFileFor(bundlePath, source);
  const cachedData = readCache(cacheFile);
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  // The bundles make no import() (see esbuild.config.mjs): a vm.Script has no module loader of its own.
  const script = new Script(wrapper, { filename: bundlePath, cachedData });
  const module = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(bundlePath), module, bundlePath, dirname(bundlePath));
  return {
    cache: !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit',
    saveCache: () => writeCache(cacheFile, script),
  };
}
