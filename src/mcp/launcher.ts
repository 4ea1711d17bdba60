// dist/mcp/server.cjs: what `claude-family mcp serve` (and .mcp.json) runs. It runs the server bundle,
// dist/mcp/server.body.cjs, through V8's code cache (src/hooks/codeCache.ts), like the hooks: the SDK and
// zod are most of a server's start-up time, and compiling them is a good part of that.
import { join } from 'node:path';
import { runBundle } from '../hooks/codeCache.js';

try {
  const run = runBundle(join(__dirname, 'server.body.cjs'));
  // At exit (stdin closed), or after a few seconds, once initialize has compiled what it needs: a server is
  // often ended by a signal, which runs no exit handler.
  if (run.cache !== 'hit') {
    let saved = false;
    const save = () => {
      if (!saved) run.saveCache();
      saved = true;
    };
    process.once('exit', save);
    setTimeout(save, 3000).unref();
  }
} catch (err) {
  process.stderr.write(`claude-family mcp serve: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
