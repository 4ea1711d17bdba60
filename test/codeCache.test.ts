// The hook launcher's V8 code cache (src/hooks/codeCache.ts): a cache is used only for the exact bundle,
// Node and architecture it was made from, a refused or unwritable cache never stops a hook, and the
// built launchers run their bundles (and the .mjs entries of earlier installs still work).
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_DIR_NAME, cacheFileFor, runBundle } from '../src/hooks/codeCache.js';
import { DIST, hookScript, runNode } from './support/processes.js';
import { tempDirs } from './support/tempDirs.js';

const tempDir = tempDirs('cf-codecache');

declare global {
  // eslint-disable-next-line no-var
  var __codeCacheProbe: string[] | undefined;
}

/** A CommonJS bundle that records what it ran and how it was called. */
function probeSource(tag: string): string {
  return `(globalThis.__codeCacheProbe ??= []).push(${JSON.stringify(tag)} + ':' + typeof require + ':' + require('node:path').basename(__filename) + ':' + (module.exports === exports));\n`;
}

const cacheFiles = (dir: string) => (existsSync(join(dir, CACHE_DIR_NAME)) ? readdirSync(join(dir, CACHE_DIR_NAME)) : []);

describe('code cache', () => {
  it('a miss writes the cache on request; the next run compiles from it', () => {
    const dir = tempDir('hit');
    const bundle = join(dir, 'probe.body.cjs');
    writeFileSync(bundle, probeSource('first'));
    globalThis.__codeCacheProbe = [];

    const first = runBundle(bundle);
    expect(first.cache).toBe('miss');
    expect(cacheFiles(dir)).toEqual([]);
    first.saveCache();
    expect(cacheFiles(dir)).toHaveLength(1);

    expect(runBundle(bundle).cache).toBe('hit');
    expect(globalThis.__codeCacheProbe).toEqual(['first:function:probe.body.cjs:true', 'first:function:probe.body.cjs:true']);
  });

  it('a bundle rebuilt to the same length gets its own cache, never the old code (V8 only compares lengths)', () => {
    const dir = tempDir('rebuilt');
    const bundle = join(dir, 'probe.body.cjs');
    writeFileSync(bundle, probeSource('old1'));
    runBundle(bundle).saveCache();
    const oldCache = cacheFileFor(bundle, probeSource('old1'));
    expect(existsSync(oldCache)).toBe(true);

    writeFileSync(bundle, probeSource('new2'));
    globalThis.__codeCacheProbe = [];
    expect(runBundle(bundle).cache).toBe('miss');
    expect(globalThis.__codeCacheProbe).toEqual(['new2:function:probe.body.cjs:true']);
    expect(cacheFileFor(bundle, probeSource('new2'))).not.toBe(oldCache);
  });

  it('a cache V8 refuses is reported as rejected, rewritten, and then used', () => {
    const dir = tempDir('rejected');
    const bundle = join(dir, 'probe.body.cjs');
    writeFileSync(bundle, probeSource('rej'));
    const file = cacheFileFor(bundle, probeSource('rej'));
    mkdirSync(join(dir, CACHE_DIR_NAME));
    writeFileSync(file, 'not a V8 code cache');
    globalThis.__codeCacheProbe = [];

    const run = runBundle(bundle);
    expect(run.cache).toBe('rejected');
    expect(globalThis.__codeCacheProbe).toEqual(['rej:function:probe.body.cjs:true']);
    run.saveCache();
    expect(runBundle(bundle).cache).toBe('hit');
  });

  it('an unwritable cache directory: the bundle runs, saving does nothing and does not throw', () => {
    const dir = tempDir('readonly');
    const bundle = join(dir, 'probe.body.cjs');
    writeFileSync(bundle, probeSource('ro'));
    writeFileSync(join(dir, CACHE_DIR_NAME), 'a file where the directory would go');
    globalThis.__codeCacheProbe = [];

    const run = runBundle(bundle);
    expect(() => run.saveCache()).not.toThrow();
    expect(runBundle(bundle).cache).toBe('miss');
    expect(globalThis.__codeCacheProbe).toEqual(['ro:function:probe.body.cjs:true', 'ro:function:probe.body.cjs:true']);
  });
});

describe('the built launchers', () => {
  it('run <name>.body.cjs beside them, write the cache at exit and use it next time', async () => {
    const dir = tempDir('launcher');
    copyFileSync(hookScript('session-start'), join(dir, 'probe.cjs'));
    writeFileSync(join(dir, 'probe.body.cjs'), `process.stdout.write('ran ' + require('node:path').basename(__filename));\n`);
    const first = await runNode(join(dir, 'probe.cjs'), { stdin: '' });
    expect(first).toMatchObject({ code: 0, stdout: 'ran probe.body.cjs', stderr: '' });
    expect(cacheFiles(dir)).toHaveLength(1);
    const second = await runNode(join(dir, 'probe.cjs'), { stdin: '' });
    expect(second).toMatchObject({ code: 0, stdout: 'ran probe.body.cjs', stderr: '' });
    expect(cacheFiles(dir)).toHaveLength(1);
  });

  it('a missing bundle: exit 0 and one line on stderr', async () => {
    const dir = tempDir('missing');
    copyFileSync(hookScript('post-tool-use'), join(dir, 'post-tool-use.cjs'));
    const r = await runNode(join(dir, 'post-tool-use.cjs'), { stdin: '{}' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^claude-family post-tool-use: could not start the hook: .*post-tool-use\.body\.cjs.*\n$/);
  });

  it('the .mjs entry that earlier installs point at still runs the hook', async () => {
    const r = await runNode(join(DIST, 'hooks', 'post-tool-use.mjs'), {
      stdin: JSON.stringify({ session_id: 'cc-legacy', tool_name: 'Read', tool_input: {} }),
      env: { PATH: process.env.PATH, HOME: tempDir('legacy-home') },
    });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const bad = await runNode(join(DIST, 'hooks', 'post-tool-use.mjs'), { stdin: 'not json', env: { PATH: process.env.PATH, HOME: tempDir('legacy-home2') } });
    expect(bad.code).toBe(0);
    expect(bad.stderr).toMatch(/^claude-family post-tool-use: stdin is not valid JSON/);
  });
});
