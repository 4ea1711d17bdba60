// Builds the Obsidian plugin (main.js, CommonJS, as Obsidian loads it) and the Node entry points under
// dist/ (hooks, CLI, demo) from the same src/core. `node esbuild.config.mjs production` builds once and
// minifies the plugin; with no argument it watches.
import { chmodSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import esbuild from 'esbuild';

const production = process.argv[2] === 'production';
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** Node entry points: name in dist/ -> source. */
export const NODE_ENTRIES = {
  demo: 'src/demo.ts',
  cli: 'src/cli/main.ts',
  'hooks/session-start': 'src/hooks/session-start.ts',
  'hooks/post-tool-use': 'src/hooks/post-tool-use.ts',
  'hooks/session-end': 'src/hooks/session-end.ts',
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  loader: { '.sql': 'text' },
  logLevel: 'info',
  sourcemap: production ? false : 'inline',
  metafile: true,
};

const nodeBuild = {
  ...common,
  entryPoints: NODE_ENTRIES,
  outdir: 'dist',
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  // PGlite ships its wasm and data files beside its JS: resolve it from node_modules at run time.
  external: ['@electric-sql/pglite', 'pg-native'],
  // pg is CommonJS and requires Node built-ins; give the ESM bundle a real `require`.
  banner: { js: "import { createRequire as __cfCreateRequire } from 'node:module'; const require = __cfCreateRequire(import.meta.url);" },
};

const builds = [nodeBuild];

if (existsSync('src/plugin/main.ts')) {
  builds.push({
    ...common,
    entryPoints: ['src/plugin/main.ts'],
    outfile: 'main.js',
    format: 'cjs',
    external: ['obsidian', 'electron', '@codemirror/*', '@lezer/*', 'pg-native', ...nodeBuiltins],
    minify: production,
    treeShaking: true,
  });
}

if (production) {
  for (const options of builds) await esbuild.build(options);
  // dist/cli.mjs starts with the source's `#!/usr/bin/env node`: make it directly executable too.
  if (existsSync('dist/cli.mjs')) chmodSync('dist/cli.mjs', 0o755);
} else {
  for (const options of builds) await (await esbuild.context(options)).watch();
}
