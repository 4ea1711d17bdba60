// vitest stands in this for the generated 'claude-family:pglite-assets' module: under vitest PGlite loads
// its wasm and data from node_modules, as the hooks do. The inlined assets are exercised by
// test/plugin-bundle.test.ts, which loads the built main.js.
export const PGLITE_ASSETS: { pgliteWasm: string; initdbWasm: string; data: string } | null = null;
