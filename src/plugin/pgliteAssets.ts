// PGlite normally fetches pglite.wasm, initdb.wasm and pglite.data from beside its JS (import.meta.url).
// Inside Obsidian the plugin is one main.js, so the build inlines them (gzipped) and they are handed
// to PGlite here: compiled once, reused by every open of the embedded database.
import { gunzipSync } from 'node:zlib';
import { PGLITE_ASSETS } from 'claude-family:pglite-assets';
import type { PgliteAssets } from '../core/db/pglite.js';

let cached: Promise<PgliteAssets | undefined> | undefined;

export function loadPgliteAssets(): Promise<PgliteAssets | undefined> {
  cached ??= decode().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function decode(): Promise<PgliteAssets | undefined> {
  const inlined = PGLITE_ASSETS;
  if (!inlined) return undefined;
  const bytes = (b64: string): Uint8Array<ArrayBuffer> => new Uint8Array(gunzipSync(Buffer.from(b64, 'base64')));
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
    WebAssembly.compile(bytes(inlined.pgliteWasm)),
    WebAssembly.compile(bytes(inlined.initdbWasm)),
  ]);
  return { pgliteWasmModule, initdbWasmModule, fsBundle: new Blob([bytes(inlined.data)]) };
}
