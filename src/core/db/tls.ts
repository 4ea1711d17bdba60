// TLS as libpq means it. sslmode, sslrootcert, sslcert and sslkey from the connection string, else
// PGSSLMODE, PGSSLROOTCERT, PGSSLCERT and PGSSLKEY, else libpq's defaults (sslmode=prefer, the files in
// ~/.postgresql), turned into the attempts node-postgres makes, in order:
//
//   disable      no TLS
//   allow        without TLS; again with TLS (not verified) if the server refuses that
//   prefer       with TLS (not verified); without if the server does not offer TLS (on the same socket:
//                preferTls.ts), or again without if the handshake fails or the server refuses it
//   require      TLS, not verified; verified against the CA (as verify-ca) when a root certificate is given
//   verify-ca    TLS; the server's certificate must chain to the root certificate; the host name is not checked
//   verify-full  as verify-ca, and the certificate must name the host
//
// sslrootcert=system trusts the CAs this machine trusts and needs sslmode=verify-full (its default then).
// A Unix socket never uses TLS, whatever sslmode says (libpq does the same).
// Every file is read here, once, so a missing or unreadable one is reported as what it is.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { isIP } from 'node:net';
import { ConnectionStringError, SSL_MODES, type PgConnectionFields } from './connectionString.js';

export type SslMode = (typeof SSL_MODES)[number];
type Env = Record<string, string | undefined>;

/** One way of connecting: `false` without TLS, else the options for tls.connect. */
export type TlsAttempt = false | tls.ConnectionOptions;

export interface TlsPlan {
  mode: SslMode;
  /** Where sslmode came from, for messages. */
  modeFrom: 'the connection string' | 'PGSSLMODE' | 'the default' | 'sslrootcert=system';
  /** The root certificate the server's certificate is checked against, in words ("/etc/ca.crt", "the system's CAs"). */
  trust?: string;
  /** The host name a verify-full certificate must carry. */
  host?: string;
  /** The attempts in order: the next is tried when the previous one fails in a way that calls for it. */
  attempts: TlsAttempt[];
}

/** A TLS setting or file that cannot be used. */
export class TlsConfigError extends ConnectionStringError {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

const isSocket = (host: string | undefined) => !!host && (host.startsWith('/') || /^[A-Za-z]:[\\/]/.test(host) || host.startsWith('@'));

function readFile(path: string, what: string, from: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new TlsConfigError(`the ${what} file ${path} (${from}) does not exist`);
    if (code === 'EACCES' || code === 'EPERM') throw new TlsConfigError(`the ${what} file ${path} (${from}) cannot be read by this user`);
    throw new TlsConfigError(`the ${what} file ${path} (${from}) cannot be read: ${(err as Error).message}`);
  }
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** libpq refuses a private key others may read: the same check, the same advice. */
function checkKeyMode(path: string): void {
  if (process.platform === 'win32') return;
  const st = statSync(path);
  const uid = process.getuid?.();
  const allowed = st.uid === 0 && uid !== 0 ? 0o640 : 0o600;
  if ((st.mode & 0o777 & ~allowed) !== 0) {
    throw new TlsConfigError(
      `the private key file ${path} may be read by others (mode ${(st.mode & 0o777).toString(8)}); ` +
        `it must be u=rw (0600) or less${allowed === 0o640 ? ', or u=rw,g=r (0640) when owned by root' : ''}: chmod 600 ${path}`,
    );
  }
}

/** The CAs of Node's own store plus, where this Node can read it, the operating system's store. */
function systemCas(): string[] | undefined {
  const get = (tls as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
  if (typeof get !== 'function') return undefined; // Node's default store (its bundled CAs and NODE_EXTRA_CA_CERTS)
  try {
    return [...new Set([...get('default'), ...get('system')])];
  } catch {
    return undefined;
  }
}

/**
 * The attempts for `fields` (a parsed connection string) under libpq's rules. `connectHost` is where
 * the socket goes (hostaddr, else host); verify-full checks `host`. Throws TlsConfigError for a setting
 * or file that cannot be used, naming it and where it came from.
 */
export function tlsPlan(fields: PgConnectionFields, env: Env = process.env, home: string = homedir()): TlsPlan {
  const host = fields.host ?? env.PGHOST;
  const connectHost = fields.hostaddr ?? env.PGHOSTADDR ?? host;
  const rootSetting = fields.sslrootcert ?? env.PGSSLROOTCERT;
  const rootFrom = fields.sslrootcert !== undefined ? 'sslrootcert in the connection string' : 'PGSSLROOTCERT';
  let mode: SslMode;
  let modeFrom: TlsPlan['modeFrom'];
  const envMode = env.PGSSLMODE?.trim() || undefined;
  if (fields.sslmode !== undefined) [mode, modeFrom] = [fields.sslmode as SslMode, 'the connection string'];
  else if (envMode !== undefined) {
    if (!(SSL_MODES as readonly string[]).includes(envMode)) throw new TlsConfigError(`PGSSLMODE must be one of ${SSL_MODES.join(', ')}, got ${JSON.stringify(envMode)}`);
    [mode, modeFrom] = [envMode as SslMode, 'PGSSLMODE'];
  } else if (rootSetting === 'system') [mode, modeFrom] = ['verify-full', 'sslrootcert=system'];
  else [mode, modeFrom] = ['prefer', 'the default'];

  if (rootSetting === 'system' && mode !== 'verify-full' && mode !== 'disable') {
    throw new TlsConfigError(`sslrootcert=system needs sslmode=verify-full (libpq refuses a weaker mode with the system's CAs), but sslmode is ${mode} (from ${modeFrom})`);
  }
  // libpq uses no TLS over a Unix socket, whatever sslmode says.
  if (mode === 'disable' || isSocket(connectHost)) return { mode, modeFrom, attempts: [false] };

  // The root certificate: named, or libpq's default file when it exists.
  let ca: string[] | undefined;
  let trust: string | undefined;
  if (rootSetting === 'system') {
    ca = systemCas();
    trust = "the system's trusted CAs";
  } else if (rootSetting !== undefined && rootSetting !== '') {
    ca = [readFile(rootSetting, 'root certificate', rootFrom).toString('utf8')];
    trust = rootSetting;
  } else {
    const fallback = join(home, '.postgresql', 'root.crt');
    if (exists(fallback)) {
      ca = [readFile(fallback, 'root certificate', 'the default location').toString('utf8')];
      trust = fallback;
    } else if (mode === 'verify-ca' || mode === 'verify-full') {
      throw new TlsConfigError(
        `sslmode=${mode}${modeFrom === 'the connection string' ? '' : ` (from ${modeFrom})`} checks the server's certificate against a root certificate, and none is given (${fallback} does not exist): ` +
          "name the server's CA with sslrootcert=/path/to/ca.crt, use sslrootcert=system for a certificate from a public CA, or use sslmode=require to encrypt without checking",
      );
    }
  }
  const verify = trust !== undefined;

  // The client certificate: named (it must exist), or libpq's default files when both exist.
  const certSetting = fields.sslcert ?? env.PGSSLCERT;
  const keySetting = fields.sslkey ?? env.PGSSLKEY;
  const client: tls.ConnectionOptions = {};
  const certPath = certSetting || (exists(join(home, '.postgresql', 'postgresql.crt')) ? join(home, '.postgresql', 'postgresql.crt') : undefined);
  if (certPath) {
    const certFrom = certSetting ? (fields.sslcert !== undefined ? 'sslcert in the connection string' : 'PGSSLCERT') : 'the default location';
    client.cert = readFile(certPath, 'client certificate', certFrom);
    const keyPath = keySetting || join(home, '.postgresql', 'postgresql.key');
    const keyFrom = keySetting ? (fields.sslkey !== undefined ? 'sslkey in the connection string' : 'PGSSLKEY') : 'the default location';
    client.key = readFile(keyPath, 'private key', keyFrom);
    checkKeyMode(keyPath);
    if (fields.sslpassword !== undefined) client.passphrase = fields.sslpassword;
  } else if (keySetting) {
    throw new TlsConfigError('sslkey is given without sslcert: name the client certificate too');
  }

  const name = host && !isSocket(host) ? host : connectHost ?? 'localhost';
  const secure: tls.ConnectionOptions = {
    ...client,
    rejectUnauthorized: verify,
    ...(ca ? { ca } : {}),
    // verify-ca (and require or prefer with a root certificate): the chain only, never the name.
    ...(verify && mode !== 'verify-full' ? { checkServerIdentity: () => undefined } : {}),
    ...(mode === 'verify-full' ? { checkServerIdentity: (_h: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(name, cert) } : {}),
    // hostaddr: SNI carries the host name, as libpq sends it.
    ...(fields.hostaddr && host && isIP(host) === 0 ? { servername: host } : {}),
  };
  const attempts: TlsAttempt[] = mode === 'allow' ? [false, secure] : mode === 'prefer' ? [secure, false] : [secure];
  return { mode, modeFrom, trust, host: name, attempts };
}

/** Node's codes for a certificate that does not chain to a trusted root. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_CHAIN_TOO_LONG', 'INVALID_CA', 'CERT_REJECTED',
]);

const NO_TLS_FROM_SERVER = /server does not support SSL connections|error establishing an SSL connection/i;

/** A pg_hba.conf refusal (no entry, or a reject line) names whether the connection was encrypted. */
const hbaRefusal = (err: { code?: string; message?: string }) => err?.code === '28000' && /pg_hba\.conf/i.test(err.message ?? '');

/**
 * Whether a failed attempt calls for the next one, as libpq decides: `prefer` goes on without TLS when
 * the server does not offer it, the TLS handshake fails, or pg_hba.conf refuses the encrypted
 * connection; `allow` goes on with TLS when pg_hba.conf refuses the plain one. A wrong password is not
 * tried twice.
 */
export function callsForNextAttempt(err: unknown, attempt: TlsAttempt): boolean {
  const e = err as { code?: string; message?: string; library?: string };
  if (hbaRefusal(e)) return true;
  if (attempt === false) return false;
  return NO_TLS_FROM_SERVER.test(e?.message ?? '') || e?.code === 'EPROTO' || /^ERR_SSL_|^ERR_TLS_/.test(e?.code ?? '') || e?.library === 'SSL routines' || UNTRUSTED.has(e?.code ?? '') || e?.code === 'CERT_HAS_EXPIRED';
}

/** True for an error about TLS (the handshake, the certificate, the server's answer to the TLS request). */
export function isTlsFailure(err: unknown): boolean {
  const e = err as { code?: string; message?: string; library?: string };
  const code = e?.code ?? '';
  return (
    UNTRUSTED.has(code) || code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID' || code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'EPROTO' ||
    /^ERR_SSL_|^ERR_OSSL_/.test(code) || e?.library === 'SSL routines' || NO_TLS_FROM_SERVER.test(e?.message ?? '')
  );
}

/**
 * Says in plain words why a TLS connection failed, or undefined when `err` is not about TLS. `plan`
 * gives the mode, the root certificate and the host the messages name.
 */
export function describeTlsFailure(err: unknown, plan: TlsPlan | undefined): string | undefined {
  const e = err as { code?: string; message?: string; reason?: string };
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  const mode = plan ? `sslmode=${plan.mode}${plan.modeFrom === 'the connection string' || plan.modeFrom === 'the default' ? '' : ` (from ${plan.modeFrom})`}` : 'the sslmode';
  if (UNTRUSTED.has(code)) {
    return `the server's TLS certificate is not trusted: it does not chain to ${plan?.trust ?? 'a trusted root certificate'} (${code}); ` +
      "name the CA that signed it with sslrootcert=/path/to/ca.crt, or use sslmode=require to encrypt without checking";
  }
  if (code === 'CERT_HAS_EXPIRED') return `the server's TLS certificate has expired (${msg})`;
  if (code === 'CERT_NOT_YET_VALID') return `the server's TLS certificate is not valid yet: check this machine's clock (${msg})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server's TLS certificate does not name the host ${JSON.stringify(plan?.host ?? '')} (${e.reason ?? msg}); ` +
      'connect with a host name the certificate lists, or use sslmode=verify-ca to check the certificate without the name';
  }
  if (/server does not support SSL connections/i.test(msg)) return `the server does not accept TLS connections, and ${mode} requires TLS; use sslmode=prefer or disable for this server`;
  if (/error establishing an SSL connection/i.test(msg)) return `the server answered the TLS request with an error, and ${mode} requires TLS`;
  if (e?.code === '28000' && /pg_hba\.conf/i.test(msg)) {
    if (/no encryption|SSL off/i.test(msg)) return `the server requires TLS for this connection (pg_hba.conf accepts it only encrypted), and ${mode} did not use it; use sslmode=require or verify-full (${msg})`;
    if (/SSL encryption|SSL on|GSS encryption/i.test(msg)) return `the server refuses this connection encrypted (pg_hba.conf accepts it only without TLS) and ${mode} requires TLS (${msg})`;
    return undefined;
  }
  if (e?.code === '28000' && /certificate/i.test(msg)) return `the server requires a client certificate (${msg}); name it with sslcert and sslkey`;
  if (/^ERR_OSSL_|^ERR_SSL_/.test(code) || /key values mismatch|bad decrypt|PEM/i.test(msg)) return `the TLS client certificate or key could not be used (${msg})`;
  if (code === 'EPROTO' || (e as { library?: string })?.library === 'SSL routines') return `the TLS handshake with the server failed (${msg})`;
  return undefined;
}

