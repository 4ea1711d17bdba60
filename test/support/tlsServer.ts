// A Postgres that requires TLS, started by the test that needs it: the embedded binaries (the same ones
// the local server uses), a throw-away CA with a server certificate for "localhost" only, a client
// certificate, and SCRAM roles, on a free TCP port. Stopped by pid, and its directory removed, by stop().
// As root, initdb and postgres run as the server account, as the local server does.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { installedPackage, keepCopy } from '../../src/core/db/local/binaries.js';
import { serverAccount, type Account } from '../../src/core/db/localServer.js';
import { reachableTempDir, resolveHere } from './localServerSetup.js';

export interface TlsCluster {
  port: number;
  dir: string;
  /** The CA that signed the server's and the client's certificates. */
  ca: string;
  /** A CA that signed nothing of this server's. */
  wrongCa: string;
  clientCert: string;
  clientKey: string;
  /** SCRAM role and its database. */
  user: string;
  password: string;
  database: string;
  /** A role that may log in only with a client certificate (pg_hba `cert`). */
  certUser: string;
  /** A role pg_hba.conf accepts only without TLS (to test sslmode=prefer going on without it). */
  plainUser: string;
  /** A superuser connection through the Unix socket (trust), for setting up. */
  admin(): pg.Client;
  /** `pg_ctl restart -m fast`: every connection is ended, the server comes back on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** A CA (key and self-signed certificate) named `name` in `dir`. */
function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
    '-subj', `/CN=${name} test CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

/** A certificate `name` signed by the CA `ca`, for `cn`, with the extensions given. */
function makeCert(dir: string, name: string, ca: string, cn: string, ext: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
  chmodSync(join(dir, `${name}.key`), 0o600);
}

function ownedBy(path: string, account: Account | undefined, mode: number): void {
  if (account) chownSync(path, account.uid, account.gid);
  chmodSync(path, mode);
}

function asAccount(account: Account | undefined) {
  return account ? { uid: account.uid, gid: account.gid, env: { ...process.env, HOME: '/', USER: account.name, LOGNAME: account.name } } : {};
}

export interface TlsClusterOptions {
  /** Also accept the SCRAM role without TLS (the bench's plain baseline on the same server). */
  plainToo?: boolean;
}

export async function startTlsCluster(options: TlsClusterOptions = {}): Promise<TlsCluster> {
  const account = serverAccount();
  const dir = reachableTempDir('cf-tls-');
  // A copy of the embedded binaries inside the cluster's folder (the server's account can run it).
  const pkg = installedPackage(resolveHere);
  const bin = keepCopy(join(dir, 'bin'), pkg.root, pkg.version, account).binaries;
  const certs = join(dir, 'certs');
  const data = join(dir, 'data');
  const run = join(dir, 'run');
  mkdirSync(certs, { mode: 0o700 });
  makeCa(certs, 'ca');
  makeCa(certs, 'wrong');
  makeCert(certs, 'server', 'ca', 'localhost', 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  const certUser = 'cf_tls_cert';
  makeCert(certs, 'client', 'ca', certUser, 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  // The server's own copies, owned by its account (postgres refuses a key others may read).
  const serverFiles = join(dir, 'server');
  mkdirSync(serverFiles, { mode: 0o700 });
  for (const f of ['server.crt', 'server.key', 'ca.crt']) {
    writeFileSync(join(serverFiles, f), readFileSync(join(certs, f)), { mode: 0o600 });
    ownedBy(join(serverFiles, f), account, 0o600);
  }
  ownedBy(serverFiles, account, 0o700);
  for (const d of [data, run]) {
    mkdirSync(d, { mode: 0o700 });
    ownedBy(d, account, 0o700);
  }
  const log = join(dir, 'server.log');
  writeFileSync(log, '');
  ownedBy(log, account, 0o600);

  execFileSync(bin.initdb, ['-D', data, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-instructions', '--no-sync'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...asAccount(account),
  });
  const port = await freePort();
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      '',
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${run}'`,
      'ssl = on',
      `ssl_cert_file = '${join(serverFiles, 'server.crt')}'`,
      `ssl_key_file = '${join(serverFiles, 'server.key')}'`,
      `ssl_ca_file = '${join(serverFiles, 'ca.crt')}'`,
      'max_connections = 30',
      "shared_buffers = '16MB'",
      'fsync = off',
      "log_min_messages = 'warning'",
      '',
    ].join('\n'),
  );
  const plainUser = 'cf_tls_plain';
  // Every TCP connection must be encrypted (hostssl), except the one role that must not be.
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all all trust',
      `hostssl all ${certUser} 127.0.0.1/32 cert`,
      `hostssl all ${plainUser} 127.0.0.1/32 reject`,
      `hostnossl all ${plainUser} 127.0.0.1/32 scram-sha-256`,
      'hostssl all all 127.0.0.1/32 scram-sha-256',
      ...(options.plainToo ? ['hostnossl all all 127.0.0.1/32 scram-sha-256'] : []),
      '',
    ].join('\n'),
  );

  const child = spawn(bin.postgres, ['-D', data], { detached: true, stdio: ['ignore', 'ignore', 'ignore'], ...asAccount(account) });
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  /** The running postmaster (after a restart, not the child spawned here). */
  const postmaster = (): number | undefined => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const admin = () => new pg.Client({ host: run, port, user: 'postgres', database: 'postgres' });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const c = admin();
    c.on('error', () => {});
    try {
      await c.connect();
      await c.end();
      break;
    } catch {
      await c.end().catch(() => {});
      if (exited || Date.now() > deadline) {
        const tail = readFileSync(log, 'utf8').slice(-2000);
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`the TLS test server did not start: ${tail}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const user = 'cf_tls';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const database = 'cf_tls';
  const setup = admin();
  await setup.connect();
  try {
    await setup.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
    await setup.query(`CREATE ROLE ${plainUser} LOGIN PASSWORD '${password}'`);
    await setup.query(`CREATE ROLE ${certUser} LOGIN`);
    await setup.query(`CREATE DATABASE ${database} OWNER ${user}`);
    await setup.query(`GRANT CONNECT ON DATABASE ${database} TO ${plainUser}, ${certUser}`);
  } finally {
    await setup.end();
  }

  return {
    port,
    dir,
    ca: join(certs, 'ca.crt'),
    wrongCa: join(certs, 'wrong.crt'),
    clientCert: join(certs, 'client.crt'),
    clientKey: join(certs, 'client.key'),
    user,
    password,
    database,
    certUser,
    plainUser,
    admin,
    async restart() {
      await new Promise<void>((resolve, reject) => {
        const ctl = spawn(bin.pgCtl, ['restart', '-D', data, '-m', 'fast', '-w', '-t', '60'], { stdio: ['ignore', 'ignore', 'pipe'], ...asAccount(account) });
        let err = '';
        ctl.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        ctl.once('error', reject);
        ctl.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl restart failed (exit ${code}): ${err}`))));
      });
    },
    async stop() {
      const pid = postmaster();
      if (pid !== undefined && alive(pid)) {
        process.kill(pid, 'SIGINT');
        const until = Date.now() + 15_000;
        // Postgres removes its pid file last when it shuts down (a reparented postmaster may linger as a zombie).
        const running = () => alive(pid) && existsSync(join(data, 'postmaster.pid'));
        while (running() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        if (running()) process.kill(pid, 'SIGQUIT');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
