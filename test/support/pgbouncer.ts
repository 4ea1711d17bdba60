// A real PgBouncer in transaction mode in front of the system Postgres, started by the test that needs
// it (tests and bench): its own ini in a temporary directory, a free port, default settings otherwise (startup parameters
// it does not know, such as statement_timeout, are refused as in any default install). Stopped by pid.
// Debian: `apt-get install pgbouncer` (.ci/run installs it). As root it runs as the server account.
import { spawn } from 'node:child_process';
import { chownSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { serverAccount } from '../../src/core/db/localServer.js';
import { reachableTempDir } from './localServerSetup.js';
import { freePort } from './tlsServer.js';

/** Where the pgbouncer binary is, or undefined (PATH, then Debian's /usr/sbin). */
export function pgbouncerBinary(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    if (dir && existsSync(join(dir, 'pgbouncer'))) return join(dir, 'pgbouncer');
  }
  return undefined;
}

export interface Bouncer {
  port: number;
  /** `url` (a database on the system Postgres) with host and port changed to the pooler's. */
  through(url: string): string;
  stop(): Promise<void>;
}

/** Starts PgBouncer in front of the server of `adminUrl` (a superuser's URL: it checks the pooler works with it). */
export async function startPgBouncer(adminUrl: string): Promise<Bouncer> {
  const bin = pgbouncerBinary();
  if (!bin) throw new Error('pgbouncer is not installed (Debian: apt-get install pgbouncer; .ci/run installs it)');
  const target = new URL(adminUrl);
  const account = serverAccount();
  const dir = reachableTempDir('cf-pgbouncer-');
  if (account) chownSync(dir, account.uid, account.gid);
  const port = await freePort();
  const users = join(dir, 'userlist.txt');
  writeFileSync(users, `"${decodeURIComponent(target.username) || 'postgres'}" ""\n`);
  const log = join(dir, 'pgbouncer.log');
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 8',
      `logfile = ${log}`,
      '',
    ].join('\n'),
  );
  for (const f of ['userlist.txt', 'pgbouncer.ini']) if (account) chownSync(join(dir, f), account.uid, account.gid);
  const child = spawn(bin, [join(dir, 'pgbouncer.ini')], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(account ? { uid: account.uid, gid: account.gid, env: { ...process.env, HOME: '/' } } : {}),
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  child.unref();
  const pid = child.pid!;

  const through = (url: string) => {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(port);
    return u.toString();
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const c = new pg.Client({ connectionString: through(adminUrl) });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      break;
    } catch {
      await c.end().catch(() => {});
      if (exited || Date.now() > deadline) {
        const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-1500) : '';
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone
        }
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`pgbouncer did not start: ${stderr} ${tail}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    through,
    async stop() {
      try {
        process.kill(pid, 'SIGTERM'); // immediate shutdown
        const until = Date.now() + 10_000;
        while (!exited && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        if (!exited) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
