// TLS as libpq means it, against a Postgres that requires TLS (test/support/tlsServer.ts: a throw-away
// CA, a server certificate for "localhost" only, SCRAM roles, a free port). Every sslmode in both string
// forms, with no root certificate, the right CA and a wrong one, by host name and by address (the
// certificate does not name 127.0.0.1: a host mismatch for verify-full, none for verify-ca); the
// environment variables; sslrootcert=system; client certificates; a server without TLS; and the
// built CLI and hooks, whose stderr never carries a pg warning or the password.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DbUnavailableError } from '../src/core/db/db.js';
import { openPostgres } from '../src/core/db/pg.js';
import { Connection } from '../src/plugin/connection.js';
import { DEFAULT_SETTINGS } from '../src/plugin/settings.js';
import { StatusBar } from '../src/plugin/statusBar.js';
import { PG_ADMIN_URL } from './support/backends.js';
import { baseEnv, CLI, hookScript, runNode, type RunResult } from './support/processes.js';
import { startTlsCluster, type TlsCluster } from './support/tlsServer.js';
import { waitFor } from './faults/support.js';
import { spoolPaths } from '../src/core/events/spool.js';
import { FileLock } from '../src/core/fs/fileLock.js';

type Params = Record<string, string | undefined>;
const MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

let c: TlsCluster;
let home: string;
/** No ~/.postgresql, no PG* variables: only what each case says. */
let env: Record<string, string | undefined>;

beforeAll(async () => {
  c = await startTlsCluster();
  home = mkdtempSync(join(tmpdir(), 'cf-tls-home-'));
  env = { HOME: home };
}, 120_000);
afterAll(async () => {
  await c?.stop();
  rmSync(home, { recursive: true, force: true });
});

function url(params: Params, who: { user: string; password?: string } = { user: c.user, password: c.password }, host = 'localhost'): string {
  const q = Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(v!)}`).join('&');
  return `postgres://${who.user}${who.password ? `:${encodeURIComponent(who.password)}` : ''}@${host}:${c.port}/${c.database}${q ? `?${q}` : ''}`;
}

function keyValue(params: Params, who: { user: string; password?: string } = { user: c.user, password: c.password }, host = 'localhost'): string {
  const q = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const all: Params = { host, port: String(c.port), dbname: c.database, user: who.user, password: who.password, ...params };
  return Object.entries(all).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${q(v!)}`).join(' ');
}

/** Connects with `connectionString` and says whether the connection is encrypted, or why it failed. */
async function attempt(connectionString: string, extraEnv: Params = {}): Promise<{ ssl?: boolean; error?: string; unavailable?: boolean }> {
  let db;
  try {
    db = openPostgres({ connectionString, connectTimeoutMs: 5000, env: { ...env, ...extraEnv } });
    const { rows } = await db.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return { ssl: rows[0]!.ssl };
  } catch (err) {
    return { error: (err as Error).message, unavailable: err instanceof DbUnavailableError };
  } finally {
    await db?.close();
  }
}

const FORMS = { url, 'key=value': keyValue } as const;

/** What libpq does (psql 15 on this machine agrees, row by row), as a pattern for our outcome. */
function expected(mode: (typeof MODES)[number], root: 'none' | 'ca' | 'wrong', host: 'localhost' | '127.0.0.1'): RegExp | true {
  const requiresTls = /the server requires TLS for this connection .*use sslmode=require or verify-full/;
  const untrusted = /the server's TLS certificate is not trusted: it does not chain to .*(wrong\.crt)/;
  if (mode === 'disable') return requiresTls;
  if (root === 'wrong') return mode === 'prefer' ? /with TLS: the server's TLS certificate is not trusted.*; then without TLS: the server requires TLS/ : untrusted;
  if (root === 'none' && (mode === 'verify-ca' || mode === 'verify-full')) return /sslmode=verify-(ca|full) checks the server's certificate against a root certificate, and none is given .*sslrootcert=system/;
  if (mode === 'verify-full' && host === '127.0.0.1') return /the server's TLS certificate does not name the host "127\.0\.0\.1" .*sslmode=verify-ca/;
  return true;
}

describe('every sslmode, in both forms, as libpq means it [TLS server]', () => {
  for (const [form, make] of Object.entries(FORMS)) {
    for (const host of ['localhost', '127.0.0.1'] as const) {
      it(`${form}, host ${host}`, async () => {
        const seen: string[] = [];
        for (const mode of MODES) {
          for (const root of ['none', 'ca', 'wrong'] as const) {
            const sslrootcert = root === 'none' ? undefined : root === 'ca' ? c.ca : c.wrongCa;
            const outcome = await attempt(make({ sslmode: mode, sslrootcert }, undefined, host));
            const want = expected(mode, root, host);
            const label = `${mode} root=${root}`;
            if (want === true) {
              seen.push(`${label}: ${outcome.ssl === true ? 'encrypted' : outcome.error}`);
            } else {
              expect(outcome.unavailable, `${label}: ${outcome.error ?? 'connected'}`).toBe(true);
              expect(outcome.error, label).toMatch(want);
              expect(outcome.error).not.toContain(c.password);
              seen.push(`${label}: refused`);
            }
          }
        }
        expect(seen).toEqual(
          MODES.flatMap((mode) =>
            (['none', 'ca', 'wrong'] as const).map((root) => `${mode} root=${root}: ${expected(mode, root, host) === true ? 'encrypted' : 'refused'}`),
          ),
        );
      });
    }
  }

  it('prefer goes on without TLS when pg_hba.conf refuses the encrypted connection; require says so', async () => {
    const plain = { user: c.plainUser, password: c.password };
    for (const make of Object.values(FORMS)) {
      expect(await attempt(make({}, plain))).toEqual({ ssl: false });
      expect(await attempt(make({ sslmode: 'prefer' }, plain))).toEqual({ ssl: false });
      const refused = await attempt(make({ sslmode: 'require' }, plain));
      expect(refused.error).toMatch(/the server refuses this connection encrypted \(pg_hba\.conf accepts it only without TLS\) and sslmode=require requires TLS/);
    }
  });

  it('no sslmode at all is prefer: encrypted here, plain against a server without TLS', async () => {
    expect(await attempt(keyValue({}))).toEqual({ ssl: true });
    expect(await attempt(url({}))).toEqual({ ssl: true });
    expect(await attempt(PG_ADMIN_URL)).toEqual({ ssl: false });
  });

  it('prefer asks once: a server without TLS is used on the same connection, as libpq does (one TCP connection, not two)', async () => {
    const counted = async (target: { host: string; port: number }, connectionString: (port: number) => string) => {
      let accepted = 0;
      const proxy = createServer((client) => {
        accepted++;
        const server = netConnect(target.port, target.host);
        client.pipe(server).pipe(client);
        client.on('error', () => server.destroy());
        server.on('error', () => client.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      try {
        const port = (proxy.address() as AddressInfo).port;
        return { outcome: await attempt(connectionString(port)), accepted };
      } finally {
        proxy.close();
      }
    };
    const admin = new URL(PG_ADMIN_URL);
    const withoutTls = await counted({ host: admin.hostname, port: Number(admin.port || 5432) }, (port) => `postgres://${admin.username}@127.0.0.1:${port}${admin.pathname}`);
    expect(withoutTls).toEqual({ outcome: { ssl: false }, accepted: 1 });
    const withTls = await counted({ host: '127.0.0.1', port: c.port }, (port) => url({}, undefined, `127.0.0.1:${port}`).replace(`:${c.port}/`, '/'));
    expect(withTls).toEqual({ outcome: { ssl: true }, accepted: 1 });
  });

  it('sslmode=require against a server without TLS names the cause', async () => {
    for (const s of [`${PG_ADMIN_URL}?sslmode=require`, 'host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=require']) {
      const r = await attempt(s);
      expect(r.unavailable).toBe(true);
      expect(r.error).toMatch(/the server does not accept TLS connections, and sslmode=require requires TLS/);
    }
  });
});

describe('settings from the environment, files, and client certificates [TLS server]', () => {
  it('PGSSLMODE and PGSSLROOTCERT apply when the string says nothing; the string wins over them', async () => {
    const bare = keyValue({});
    expect((await attempt(bare, { PGSSLMODE: 'disable' })).error).toMatch(/the server requires TLS for this connection .*sslmode=disable \(from PGSSLMODE\)/);
    expect(await attempt(bare, { PGSSLMODE: 'verify-full', PGSSLROOTCERT: c.ca })).toEqual({ ssl: true });
    expect((await attempt(keyValue({}, undefined, '127.0.0.1'), { PGSSLMODE: 'verify-full', PGSSLROOTCERT: c.ca })).error).toMatch(/does not name the host "127\.0\.0\.1"/);
    expect((await attempt(bare, { PGSSLMODE: 'verify-ca', PGSSLROOTCERT: c.wrongCa })).error).toMatch(/not trusted: it does not chain to .*wrong\.crt/);
    expect(await attempt(url({ sslmode: 'require' }), { PGSSLMODE: 'disable' })).toEqual({ ssl: true });
    expect(await attempt(url({ sslrootcert: c.ca, sslmode: 'verify-full' }), { PGSSLROOTCERT: c.wrongCa })).toEqual({ ssl: true });
    expect((await attempt(bare, { PGSSLMODE: 'sometimes' })).error).toMatch(/PGSSLMODE must be one of disable, allow, prefer, require, verify-ca, verify-full/);
  });

  it("~/.postgresql/root.crt is libpq's default root certificate: verify-full works with it, and require then checks the CA", async () => {
    const own = mkdtempSync(join(tmpdir(), 'cf-tls-home2-'));
    try {
      mkdirSync(join(own, '.postgresql'));
      copyFileSync(c.ca, join(own, '.postgresql', 'root.crt'));
      expect(await attempt(url({ sslmode: 'verify-full' }), { HOME: own })).toEqual({ ssl: true });
      copyFileSync(c.wrongCa, join(own, '.postgresql', 'root.crt'));
      expect((await attempt(url({ sslmode: 'require' }), { HOME: own })).error).toMatch(/not trusted: it does not chain to .*\.postgresql\/root\.crt/);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('a CA file that does not exist is named, in either form and from PGSSLROOTCERT, before connecting', async () => {
    for (const s of [url({ sslmode: 'verify-full', sslrootcert: '/nonexistent/ca.crt' }), keyValue({ sslmode: 'require', sslrootcert: '/nonexistent/ca.crt' })]) {
      const r = await attempt(s);
      expect(r.unavailable).toBe(true);
      expect(r.error).toMatch(/the root certificate file \/nonexistent\/ca\.crt \(sslrootcert in the connection string\) does not exist/);
      expect(r.error).not.toMatch(/socket/);
    }
    expect((await attempt(keyValue({ sslmode: 'verify-ca' }), { PGSSLROOTCERT: '/nonexistent/x.pem' })).error).toMatch(/root certificate file \/nonexistent\/x\.pem \(PGSSLROOTCERT\) does not exist/);
  });

  it('sslcert and sslkey log in a certificate-only role, in both forms; without them the cause is named', async () => {
    const who = { user: c.certUser };
    for (const make of Object.values(FORMS)) {
      expect(await attempt(make({ sslmode: 'verify-full', sslrootcert: c.ca, sslcert: c.clientCert, sslkey: c.clientKey }, who))).toEqual({ ssl: true });
      expect((await attempt(make({ sslmode: 'verify-full', sslrootcert: c.ca }, who))).error).toMatch(/the server requires a client certificate .*sslcert and sslkey/);
    }
    expect(await attempt(keyValue({ sslmode: 'require' }, who), { PGSSLCERT: c.clientCert, PGSSLKEY: c.clientKey })).toEqual({ ssl: true });
  });

  it('a private key others may read is refused as libpq refuses it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-tls-key-'));
    try {
      const key = join(dir, 'client.key');
      copyFileSync(c.clientKey, key);
      chmodSync(key, 0o644);
      const r = await attempt(keyValue({ sslmode: 'require', sslcert: c.clientCert, sslkey: key }, { user: c.certUser }));
      expect(r.error).toMatch(/the private key file .*client\.key may be read by others \(mode 644\).*chmod 600/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sslrootcert=system: verify-full by default, a weaker mode refused; trusts what the machine trusts', async () => {
    expect((await attempt(url({ sslrootcert: 'system', sslmode: 'require' }))).error).toMatch(/sslrootcert=system needs sslmode=verify-full/);
    // This CA is in no system store: the certificate is not trusted, and the message says by what.
    const r = await attempt(keyValue({ sslrootcert: 'system' }));
    expect(r.error).toMatch(/not trusted: it does not chain to the system's trusted CAs/);
  });
});

describe("the plugin's status bar names the TLS cause [TLS server]", () => {
  it('certificate not trusted, host name mismatch, TLS required, a CA file that does not exist', async () => {
    // The plugin's timers are window's (Obsidian's review rule); here Node's stand in for them.
    vi.stubGlobal('window', globalThis);
    const cases: [string, string, RegExp][] = [
      [url({ sslmode: 'verify-full', sslrootcert: c.wrongCa }), 'Claude: offline, TLS certificate not trusted', /not trusted: it does not chain to .*wrong\.crt/],
      [url({ sslmode: 'verify-full', sslrootcert: c.ca }, undefined, '127.0.0.1'), 'Claude: offline, TLS host name mismatch', /does not name the host "127\.0\.0\.1"/],
      [url({ sslmode: 'disable' }), 'Claude: offline, TLS settings do not match the server', /the server requires TLS for this connection/],
      [url({ sslmode: 'verify-full', sslrootcert: '/nonexistent/ca.pem' }), 'Claude: offline, TLS file missing', /the root certificate file \/nonexistent\/ca\.pem .* does not exist/],
    ];
    for (const [connectionString, text, tooltip] of cases) {
      const attrs = new Map<string, string>();
      const el = { textContent: '', classList: { add() {} }, setAttribute: (k: string, v: string) => void attrs.set(k, v) } as unknown as HTMLElement;
      const connection = new Connection({ settings: () => ({ ...DEFAULT_SETTINGS, mode: 'postgres', connectionString, projects: 'tls-bar' }) });
      const bar = new StatusBar(el, connection, () => 'tls-bar');
      try {
        await bar.refresh();
        expect(el.textContent).toBe(text);
        expect(attrs.get('aria-label')).toMatch(tooltip);
        expect(attrs.get('aria-label')).not.toContain(c.password);
      } finally {
        bar.stop();
        await connection.close();
      }
    }
    vi.unstubAllGlobals();
  });
});

describe('the built CLI and hooks over TLS [TLS server]', () => {
  const run = (script: string, extra: Params, args: string[] = [], stdin = '') => {
    const h = mkdtempSync(join(tmpdir(), 'cf-tls-proc-'));
    return runNode(script, { args, stdin, env: { ...baseEnv(h), CLAUDE_FAMILY_DATA_DIR: join(h, 'data'), ...extra } }).finally(() => rmSync(h, { recursive: true, force: true }));
  };

  it('migrate, a hook and session status with sslmode=require and verify-full, in both forms: no warning, no password on stderr', async () => {
    for (const s of [url({ sslmode: 'require' }), keyValue({ sslmode: 'verify-full', sslrootcert: c.ca }), url({ sslmode: 'verify-ca', sslrootcert: c.ca }, undefined, '127.0.0.1')]) {
      const e = { CLAUDE_FAMILY_DATABASE_URL: s, CLAUDE_FAMILY_PROJECT: 'tls-proj' };
      const m = await run(CLI, e, ['migrate']);
      expect(m.stderr).toBe('');
      expect(m.code).toBe(0);
      const h = await run(hookScript('session-start'), e, [], JSON.stringify({ session_id: `cc-tls-${Math.random()}`, cwd: tmpdir() }));
      expect(h.code).toBe(0);
      expect(h.stderr).not.toMatch(/WARNING|warning|kept in/);
      const st = await run(CLI, e, ['session', 'status']);
      expect(st.code).toBe(0);
      expect(st.stderr).toBe('');
      for (const out of [m, h, st]) expect(out.stdout + out.stderr).not.toContain(c.password);
    }
  });

  it("a password from the password file (PGPASSFILE, as libpq reads it), with no warning from pg's own reader", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-tls-pgpass-'));
    try {
      const file = join(dir, 'pgpass');
      writeFileSync(file, `# comment\nother:*:*:*:nope\nlocalhost:${c.port}:${c.database}:${c.user}:${c.password.replace(/:/g, '\\:')}\n`, { mode: 0o600 });
      const e = { CLAUDE_FAMILY_DATABASE_URL: keyValue({ sslmode: 'require' }, { user: c.user }), PGPASSFILE: file };
      const m = await run(CLI, e, ['migrate']);
      expect(m.stderr).toBe('');
      expect(m.code).toBe(0);
      // A file others may read is ignored, as libpq ignores it: the missing password is named.
      chmodSync(file, 0o644);
      const refused = await run(CLI, e, ['migrate']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/the server asks for a password and none is given/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sslrootcert=system trusts a CA the machine was told to trust (NODE_EXTRA_CA_CERTS)', async () => {
    const e = { CLAUDE_FAMILY_DATABASE_URL: url({ sslrootcert: 'system' }), NODE_EXTRA_CA_CERTS: c.ca };
    const m = await run(CLI, e, ['migrate']);
    expect(m.stderr).toBe('');
    expect(m.code).toBe(0);
  });

  it('pg_ctl restart during 50 hooks over verify-full: every hook exits 0 within its deadline, every event is applied exactly once', async () => {
    const h = mkdtempSync(join(tmpdir(), 'cf-tls-restart-'));
    try {
      const project = `tls-restart-${process.pid}`;
      const e = { ...baseEnv(h), CLAUDE_FAMILY_DATA_DIR: join(h, 'data'), CLAUDE_FAMILY_PROJECT: project, CLAUDE_FAMILY_DATABASE_URL: url({ sslmode: 'verify-full', sslrootcert: c.ca }) };
      const hook = (name: 'session-start' | 'post-tool-use', payload: object) =>
        runNode(hookScript(name), { env: e, cwd: h, timeoutMs: 15_000, stdin: JSON.stringify({ session_id: `cc-${project}`, cwd: h, ...payload }) });
      expect((await hook('session-start', { source: 'startup' })).stderr).toBe('');
      const runs: RunResult[] = [];
      let restarted: Promise<void> | undefined;
      for (let i = 0; i < 50; i += 5) {
        if (i === 15) restarted = c.restart();
        runs.push(...(await Promise.all(Array.from({ length: 5 }, (_, k) => hook('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: `mcp__restart__t${i + k}`, tool_input: {}, tool_response: {} })))));
      }
      await restarted;
      for (const r of runs) {
        expect(r.killed).toBeUndefined();
        expect(r.code).toBe(0);
        expect(r.stderr.trim().split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
        expect(r.stderr).not.toContain(c.password);
      }
      // A hook may have handed a backlog to a detached replayer: let it finish, then replay the rest.
      await waitFor(() => FileLock.inspect(spoolPaths(join(h, 'data')).lock).state !== 'held', 60_000, 'a detached replay');
      const replay = await runNode(CLI, { args: ['spool', 'replay', '--json'], env: e, cwd: h });
      expect(replay.code).toBe(0);
      expect(JSON.parse(replay.stdout)).toMatchObject({ rejected: 0, remaining: 0 });
      const db = openPostgres({ connectionString: url({ sslmode: 'verify-full', sslrootcert: c.ca }), env });
      try {
        const { rows } = await db.query<{ tool_name: string; n: number }>("SELECT tool_name, count(*)::int AS n FROM claude.mcp_usage WHERE mcp_server = 'restart' GROUP BY tool_name");
        expect(rows).toHaveLength(50);
        expect(rows.every((r) => r.n === 1)).toBe(true);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(h, { recursive: true, force: true });
    }
  });

  it('a wrong CA, a host mismatch and a server requiring TLS: exit 1 from the CLI, exit 0 and one line from a hook, each naming the cause', async () => {
    const cases: [string, RegExp][] = [
      [url({ sslmode: 'verify-full', sslrootcert: c.wrongCa }), /TLS certificate is not trusted/],
      [keyValue({ sslmode: 'verify-full', sslrootcert: c.ca }, undefined, '127.0.0.1'), /does not name the host "127\.0\.0\.1"/],
      [url({ sslmode: 'disable' }), /the server requires TLS for this connection/],
    ];
    for (const [s, cause] of cases) {
      const cli = await run(CLI, { CLAUDE_FAMILY_DATABASE_URL: s }, ['todos', 'list']);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(cause);
      expect(cli.stderr.trim().split('\n')).toHaveLength(1);
      const h = await run(hookScript('session-start'), { CLAUDE_FAMILY_DATABASE_URL: s }, [], JSON.stringify({ session_id: 'cc-tls-fail', cwd: tmpdir() }));
      expect(h.code).toBe(0);
      expect(h.stderr).toMatch(cause);
      expect(h.stderr).toMatch(/event kept in/);
      expect(h.stderr.trim().split('\n')).toHaveLength(1);
      for (const out of [cli, h]) expect(out.stderr).not.toContain(c.password);
    }
  });
});
