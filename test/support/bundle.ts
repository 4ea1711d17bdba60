// Bundles a snippet of TypeScript that imports from src/ into a runnable .mjs, so tests can start real
// child processes over the same core without a separate build step (Node 20 cannot run .ts itself).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import esbuild from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../..');

export async function bundleScript(source: string): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'cf-script-')), 'script.mjs');
  await esbuild.build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'ts', sourcefile: 'script.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    loader: { '.sql': 'text' },
    external: ['@electric-sql/pglite', 'pg-native'],
    nodePaths: [join(ROOT, 'node_modules')],
    banner: { js: "import { createRequire as __cfCreateRequire } from 'node:module'; const require = __cfCreateRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  return outfile;
}
