// `BENCH_ONLY=remote npm run bench`: what a team's Postgres costs a hook, as a whole process (the
// post-tool-use hook recording an MCP call), p50 over interleaved runs:
//   - the default sslmode (prefer) against a server that offers no TLS, next to sslmode=disable: the
//     refused TLS request (one round trip on the same socket, as libpq does) costs <= 5 ms;
//   - TLS (require, and verify-full against the test CA) next to the same server without TLS (a
//     cluster started from the embedded binaries with a throw-away CA): <= 15 ms more;
//   - through PgBouncer in transaction mode next to the same database directly: <= 10 ms more.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPgBouncer } from '../test/support/pgbouncer.js';
import { startTlsCluster } from '../test/support/tlsServer.js';
import { ADMIN_URL, fmt, percentile, type Result } from './support.js';

const ROOT = process.env.CF_ROOT ?? process.cwd();
const RUNS = Number(process.env.BENCH_RUNS ?? 40);

interface Case {
  name: string;
  url: string;
}

/** Each case RUNS times, interleaved, after one SessionStart (which also migrates) per case. */
function timeHooks(cases: Case[], work: string): number[] {
  const hook = (name: string) => join(ROOT, 'dist', 'hooks', `${name}.cjs`);
  const envs = cases.map((c, k) => {
    const dir = join(work, `case${k}`);
    mkdirSync(dir, { recursive: true });
    return { ...process.env, CLAUDE_FAMILY_DATABASE_URL: c.url, CLAUDE_FAMILY_DATA_DIR: join(dir, 'data'), CLAUDE_FAMILY_PROJECT: `bench-remote-${k}` };
  });
  const payload = (extra: Record<string, unknown>) => JSON.stringify({ session_id: 'bench-remote', transcript_path: '/dev/null', cwd: work, ...extra });
  const run = (k: number, name: string, input: string) => {
    const start = performance.now();
    const res = spawnSync(process.execPath, [hook(name)], { input, env: envs[k], encoding: 'utf8' });
    const ms = performance.now() - start;
    if (res.status !== 0 || res.stderr.trim() !== '') throw new Error(`${cases[k]!.name}: ${name} failed (exit ${res.status}): ${res.stderr}`);
    return ms;
  };
  cases.forEach((_, k) => run(k, 'session-start', payload({ hook_event_name: 'SessionStart', source: 'startup' })));
  const times = cases.map(() => [] as number[]);
  const mcp = payload({ hook_event_name: 'PostToolUse', tool_name: 'mcp__bench__remote', tool_input: {}, tool_response: { content: [] } });
  // The order turns each round: a hook does not wait for its backend to exit, so the case run right
  // after another shares the cores with that backend's teardown; no case should always be that one.
  for (let i = 0; i < RUNS + 3; i++) {
    for (let j = 0; j < cases.length; j++) {
      const k = (i + j) % cases.length;
      const ms = run(k, 'post-tool-use', mcp);
      if (i >= 3) times[k]!.push(ms);
    }
  }
  return times.map((t) => percentile(t, 50));
}

export async function remote(results: Result[]): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cf-bench-remote-'));
  const name = `cf_bench_remote_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const tls = await startTlsCluster({ plainToo: true });
  const bouncer = await startPgBouncer(ADMIN_URL);
  try {
    const direct = url.toString();
    const on = (mode: string) => `${direct}${direct.includes('?') ? '&' : '?'}sslmode=${mode}`;
    const tlsUrl = (params: string) => `postgres://${tls.user}:${encodeURIComponent(tls.password)}@localhost:${tls.port}/${tls.database}?${params}`;
    const cases: Case[] = [
      { name: 'system Postgres, sslmode=disable', url: on('disable') },
      { name: 'system Postgres, default (prefer)', url: direct },
      { name: 'through PgBouncer (transaction mode)', url: bouncer.through(direct) },
      { name: 'TLS server, without TLS', url: tlsUrl('sslmode=disable') },
      { name: 'TLS server, sslmode=require', url: tlsUrl('sslmode=require') },
      { name: 'TLS server, verify-full', url: tlsUrl(`sslmode=verify-full&sslrootcert=${encodeURIComponent(tls.ca)}`) },
    ];
    const p50 = timeHooks(cases, work);
    console.log(`\npost-tool-use hook (MCP call) as a whole process, ${RUNS} interleaved runs each:`);
    cases.forEach((c, k) => console.log(`  ${c.name.padEnd(40)} p50 ${fmt(p50[k]!).padStart(9)}`));
    const row = (what: string, value: number, base: number, limit: number) => {
      const d = value - base;
      results.push({ what, value: `${fmt(value)} (${d >= 0 ? '+' : '-'}${fmt(Math.abs(d))} against ${fmt(base)})`, target: `<= +${limit} ms`, ok: d <= limit });
    };
    row('post-tool-use hook, sslmode prefer vs disable (server without TLS)', p50[1]!, p50[0]!, 5);
    row('post-tool-use hook, through PgBouncer vs directly', p50[2]!, p50[1]!, 10);
    row('post-tool-use hook, TLS require vs no TLS (same server)', p50[4]!, p50[3]!, 15);
    row('post-tool-use hook, TLS verify-full vs no TLS (same server)', p50[5]!, p50[3]!, 15);
  } finally {
    await bouncer.stop();
    await tls.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    rmSync(work, { recursive: true, force: true });
  }
}
