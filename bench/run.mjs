// `npm run bench`: bundles bench/bench.ts against the same src/core (as the tests do) and runs it.
// Needs the build (dist/hooks/*.cjs) and the system Postgres; starts (and stops) an embedded local server
// of its own. See bench/bench.ts for what it measures.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import esbuild from 'esbuild';

const root = resolve(import.meta.dirname, '..');
// Inside the repository (not /tmp) so the bundle's external packages resolve from node_modules.
const outfile = join(root, 'node_modules', '.cache', 'claude-family', 'bench.mjs');
await esbuild.build({
  entryPoints: [join(root, 'bench/bench.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  loader: { '.sql': 'text' },
  external: ['@electric-sql/pglite', 'pg-native', 'esbuild'],
  nodePaths: [join(root, 'node_modules')],
  // The plugin's refresh is measured with its real modules; `obsidian` exists only inside the app.
  alias: { obsidian: join(root, 'test/fakes/obsidian.ts') },
  banner: { js: "import { createRequire as __cfCreateRequire } from 'node:module'; const require = __cfCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
process.env.CF_ROOT = root;
await import(pathToFileURL(outfile).href);
