// Migration files are bundled as text: esbuild's `text` loader, and the same transform in vitest.config.ts.
declare module '*.sql' {
  const text: string;
  export default text;
}
