// Builds the Obsidian plugin (main.js, CommonJS, as Obsidian loads it) and the Node entry points under
// dist/ (hooks, CLI, demo) from the same src/core. `node esbuild.config.mjs production` builds once and
// minifies the plugin; with no argument it watches.
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import esbuild from 'esbuild';

const production = process.argv[2] === 'production';
/**
 * `node esbuild.config.mjs production --plugin`: what the Claude Code plugin runs (scripts/plugin-run.cjs),
 * and nothing else: the hooks, the CLI and the MCP server; no Obsidian main.js, no demo; errors only.
 */
const pluginOnly = process.argv.includes('--plugin');
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** Node entry points sharing chunks (dist/chunks/): name in dist/ -> source. */
export const NODE_ENTRIES = {
  demo: 'src/demo.ts',
  cli: 'src/cli/main.ts',
};

/**
 * The hooks. Claude Code starts a Node process per hook, so each hook is ONE CommonJS file,
 * dist/hooks/<name>.body.cjs (resolving a dozen shared chunks measured 5-13 ms per process), run by the
 * launcher dist/hooks/<name>.cjs through V8's code cache (src/hooks/codeCache.ts: 15-24 ms more).
 * A lazily imported module stays lazy inside the file: evaluated on first use, only pre-parsed before.
 */
export const HOOK_NAMES = ['session-start', 'user-prompt-submit', 'post-tool-use', 'post-tool-use-failure', 'session-end'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  loader: { '.sql': 'text' },
  logLevel: pluginOnly ? 'error' : 'info',
  sourcemap: production ? false : 'inline',
  metafile: true,
};

const nodeBuild = {
  ...common,
  entryPoints: pluginOnly ? { cli: NODE_ENTRIES.cli } : NODE_ENTRIES,
  outdir: 'dist',
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  // PGlite (only for the one-time import of old data) ships wasm beside its JS: load it from node_modules.
  external: ['@electric-sql/pglite', 'pg-native'],
  // pg is CommonJS and requires Node built-ins; give the ESM bundle a real `require`.
  banner: { js: "import { createRequire as __cfCreateRequire } from 'node:module'; const require = __cfCreateRequire(import.meta.url);" },
  // pg asks "am I in a Cloudflare Worker?" by checking navigator.userAgent, and where Node has no
  // navigator (Node 20) by constructing a fetch Response, which loads Node's whole fetch stack (undici):
  // about 13 ms of every hook process. We are never in a Worker.
  define: { navigator: '{"userAgent":"Node.js"}' },
  // Smaller files compile faster: hooks start a Node process on every Claude Code tool call.
  minify: production,
  sourcemap: production ? 'linked' : 'inline',
};

const hookBuild = {
  ...common,
  entryPoints: Object.fromEntries(HOOK_NAMES.map((name) => [`hooks/${name}.body`, `src/hooks/${name}.ts`])),
  outdir: 'dist',
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  external: ['@electric-sql/pglite', 'pg-native'],
  // See nodeBuild; and the session-end hook finds the CLI relative to its own file.
  define: { ...nodeBuild.define, 'import.meta.url': '__cfImportMetaUrl' },
  banner: { js: "var __cfImportMetaUrl = require('url').pathToFileURL(__filename).href;" },
  // import() inside a vm.Script needs an experimental Node API (and prints a warning): load PGlite's
  // CommonJS build with require() instead, still lazily.
  supported: { 'dynamic-import': false },
  minify: production,
  sourcemap: production ? 'linked' : 'inline',
};

/** One launcher per hook, from the same source: it finds its bundle by its own file name. */
const launcherBuild = {
  ...common,
  entryPoints: HOOK_NAMES.map((name) => ({ in: 'src/hooks/launcher.ts', out: `hooks/${name}` })),
  outdir: 'dist',
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  minify: production,
  sourcemap: false,
};

/**
 * The MCP server (`claude-family mcp serve`): one CommonJS bundle, dist/mcp/server.body.cjs, run through the
 * code cache by dist/mcp/server.cjs, built like a hook: it starts as a whole process whenever Claude Code
 * starts a session. The SDK's ajv-based JSON Schema validator (about 40 ms to load; used only to check
 * elicitation answers, which this server never asks for) is replaced by a module that says so.
 */
const noAjv = {
  name: 'no-ajv',
  setup(build) {
    build.onResolve({ filter: /validation\/ajv-provider\.js$/ }, (args) => ({ path: args.path, namespace: 'no-ajv' }));
    build.onLoad({ filter: /.*/, namespace: 'no-ajv' }, () => ({
      contents: 'export class AjvJsonSchemaValidator { constructor() { throw new Error("ajv is not bundled: pass jsonSchemaValidator"); } }',
      loader: 'js',
    }));
  },
};
const mcpBuild = {
  ...hookBuild,
  entryPoints: { 'mcp/server.body': 'src/mcp/main.ts' },
  plugins: [noAjv],
};
const mcpLauncherBuild = { ...launcherBuild, entryPoints: [{ in: 'src/mcp/launcher.ts', out: 'mcp/server' }] };

const builds = [nodeBuild, hookBuild, launcherBuild, mcpBuild, mcpLauncherBuild];

/**
 * The plugin never runs a database engine inside Obsidian: it speaks pg to the local server. This
 * fails the plugin build if anything pulls PGlite (kept only for the one-time import of old data) in.
 */
const noDatabaseEngine = {
  name: 'no-database-engine',
  setup(build) {
    build.onResolve({ filter: /^@electric-sql\/pglite/ }, (args) => ({
      errors: [{ text: `${args.path} must not be bundled into the Obsidian plugin (imported by ${args.importer})` }],
    }));
  },
};

if (existsSync('src/plugin/main.ts') && !pluginOnly) {
  builds.push({
    ...common,
    entryPoints: ['src/plugin/main.ts'],
    outfile: 'main.js',
    format: 'cjs',
    external: ['obsidian', 'electron', '@codemirror/*', '@lezer/*', 'pg-native', ...nodeBuiltins],
    plugins: [noDatabaseEngine],
    // pg asks "am I in a Cloudflare Worker?" (see nodeBuild): never, in Obsidian either.
    define: nodeBuild.define,
    minify: production,
    treeShaking: true,
    sourcemap: production ? false : 'inline',
  });
}

if (production) {
  // Build into an empty dist.next/ (chunk names carry content hashes: old ones must not pile up), then
  // swap it in with two renames, so hooks installed from this checkout find a whole dist/ meanwhile.
  const next = 'dist.next';
  rmSync(next, { recursive: true, force: true });
  for (const options of builds) await esbuild.build(options.outdir === 'dist' ? { ...options, outdir: next } : options);
  // dist/cli.mjs starts with the source's `#!/usr/bin/env node`: make it directly executable too.
  if (existsSync(`${next}/cli.mjs`)) chmodSync(`${next}/cli.mjs`, 0o755);
  writeLegacyHookEntries(next);
  const old = `dist.old-${process.pid}`;
  if (existsSync('dist')) renameSync('dist', old);
  renameSync(next, 'dist');
  rmSync(old, { recursive: true, force: true });
} else {
  for (const options of builds) await (await esbuild.context(options)).watch();
  writeLegacyHookEntries('dist');
}

/**
 * Hook commands installed by earlier builds run dist/hooks/<name>.mjs: keep them working (a few ms
 * slower than the .cjs launchers, which running install-hooks again switches them to).
 */
function writeLegacyHookEntries(outdir) {
  mkdirSync(`${outdir}/hooks`, { recursive: true });
  for (const name of HOOK_NAMES) {
    writeFileSync(`${outdir}/hooks/${name}.mjs`, `// Kept for hook commands installed by earlier builds; see ${name}.cjs.\nimport './${name}.cjs';\n`);
  }
}
