// What every bench section shares: a result row, percentiles, and the registry of sections that
// `BENCH_ONLY=<name> npm run bench` picks from (the full run runs every section after the core rows), the
// throw-away databases they measure on, and the longest event-loop stall.
import { join } from 'node:path';
import esbuild from 'esbuild';
import pg from 'pg';

/** One row of the final table: a measured value against its target. */
export type Result = { what: string; value: string; target: string; ok: boolean };

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[at]!;
}

export const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

/** A section measures one area on its own database and data, pushing its rows into `results`. */
export type BenchSection = (results: Result[]) => Promise<void>;

/**
 * The longest event-loop stall while it runs, two ways: wall clock (what a user sees on this machine) and
 * the process's own CPU time within each gap (the work the measured code did on its thread). On a machine
 * whose cores are busy with other processes (20 hooks starting at once on 2 cores), a wall-clock gap
 * also counts the time the OS ran them; the CPU time is the stall the code itself causes.
 */
export function stallMonitor(): { stop(): { wallMs: number; cpuMs: number } } {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let wallMs = 0;
  let cpuMs = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    wallMs = Math.max(wallMs, now - last);
    cpuMs = Math.max(cpuMs, Math.min(now - last, (cpu.user + cpu.system) / 1000));
    last = now;
    lastCpu = process.cpuUsage();
  }, 2);
  return {
    stop() {
      clearInterval(tick);
      return { wallMs, cpuMs };
    },
  };
}

/** The server the bench makes its throw-away databases on. */
export const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A new, empty database `name` on ADMIN_URL's server (one left by a crashed run is dropped first). */
export async function benchDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = async (sql: string[]) => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    try {
      for (const q of sql) await c.query(q);
    } finally {
      await c.end();
    }
  };
  await admin([`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, `CREATE DATABASE ${name}`]);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin([`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]) };
}

/**
 * The baseline the hooks are compared with: a bare Node process that opens one connection and runs
 * SELECT 1 (BENCH_CONNECTION, else CLAUDE_FAMILY_DATABASE_URL). It gets the same treatment as the hooks
 * (pg bundled and minified by esbuild, the same define), so a ratio measures what a hook adds, not how
 * slowly node_modules resolves. Written to `work`/bare.mjs; its path is returned.
 */
export async function bareScript(work: string, root: string): Promise<string> {
  const bare = join(work, 'bare.mjs');
  await esbuild.build({
    stdin: {
      contents: `import pg from 'pg';
const c = new pg.Client(process.env.BENCH_CONNECTION ? JSON.parse(process.env.BENCH_CONNECTION) : { connectionString: process.env.CLAUDE_FAMILY_DATABASE_URL });
await c.connect(); await c.query('SELECT 1'); await c.end();`,
      resolveDir: root,
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    outfile: bare,
    external: ['pg-native'],
    define: { navigator: '{"userAgent":"Node.js"}' },
    banner: { js: "import { createRequire as __cfCreateRequire } from 'node:module'; const require = __cfCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return bare;
}
