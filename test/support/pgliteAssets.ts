// vitest's stand-in for the 'claude-family:pglite-assets' module esbuild generates for main.js: the same
// gzipped, base64-encoded wasm and data, packed here from node_modules (fast gzip level), so the plugin
// glue under test goes through the same decode-once, compile-once path as the bundle.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
const packed = (file: string): string => gzipSync(readFileSync(join(dist, file)), { level: 1 }).toString('base64');

export const PGLITE_ASSETS: { pgliteWasm: string; initdbWasm: string; data: string } | null = {
  pgliteWasm: packed('pglite.wasm'),
  initdbWasm: packed('initdb.wasm'),
  data: packed('pglite.data'),
};
