// What Claude Code runs for each hook: dist/hooks/<name>.cjs (built from this one file for every hook).
// It runs dist/hooks/<name>.body.cjs through the code cache (codeCache.ts). Kept tiny: this file is
// compiled without a cache on every start.
import { basename, join } from 'node:path';
import { runBundle } from './codeCache.js';

const name = basename(__filename).replace(/\.c?js$/, '');
try {
  const run = runBundle(join(__dirname, `${name}.body.cjs`));
  // At exit, so the cache also holds the functions compiled lazily while the hook ran.
  if (run.cache !== 'hit') process.once('exit', () => run.saveCache());
} catch (err) {
  // The hook's own code reports its failures; this is for a missing or broken install. Exit 0 all the same.
  process.stderr.write(`claude-family ${name}: could not start the hook: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 0;
}
