import { DbUnavailableError } from './db.js';

/** A connection string that cannot be used as written. Never carries the password. */
export class ConnectionStringError extends DbUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionStringError';
  }
}

/**
 * What a connection string says, from either form, with libpq's key names for the TLS settings (read
 * by tls.ts, which applies libpq's defaults and environment variables). Nothing here is handed to pg
 * as a string: pg's own parser gives sslmode other meanings and prints warnings.
 */
export interface PgConnectionFields {
  host?: string;
  /** libpq's hostaddr: the address to connect to; `host` stays the name the certificate must carry. */
  hostaddr?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  application_name?: string;
  /** Command-line options for the server process (libpq's `options`), sent as given. */
  options?: string;
  /** Seconds (libpq's connect_timeout); 0 or absent: no limit of its own. */
  connect_timeout?: number;
  sslmode?: string;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  sslpassword?: string;
}

export const PERCENT_ENCODE_HINT =
  'if the user name or password contains any of @ # / : ? % or a space, percent-encode it ' +
  '(the password p@ss#1/x is written p%40ss%231%2Fx in the URL; encodeURIComponent does it)';

/** The keys this client understands, in both forms (a URL's query parameters are the same keys). */
const KEYS = [
  'host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'application_name', 'fallback_application_name', 'options', 'connect_timeout',
  'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword',
] as const;

/** libpq settings this client does not implement: refused by name rather than silently ignored. */
const LIBPQ_ONLY = new Set([
  'passfile', 'service', 'channel_binding', 'gssencmode', 'gsslib', 'gssdelegation', 'krbsrvname', 'requirepeer', 'require_auth', 'sslcrl', 'sslcrldir',
  'sslcompression', 'sslsni', 'sslnegotiation', 'sslcertmode', 'ssl_min_protocol_version', 'ssl_max_protocol_version', 'target_session_attrs',
  'load_balance_hosts', 'keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count', 'tcp_user_timeout', 'replication', 'client_encoding',
]);

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

/**
 * Reads a connection string the way libpq accepts it: a URL (postgres:// or postgresql://) or
 * key=value pairs (`host=db.example port=5432 dbname=claude user=me password='it\'s' sslmode=verify-full`).
 * A string that is neither usable form gets a ConnectionStringError saying what to fix (never echoing
 * the password).
 */
export function parseConnectionString(text: string): PgConnectionFields {
  const s = text.trim();
  if (s === '') throw new ConnectionStringError('the connection string is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    if (!/^postgres(ql)?:\/\//i.test(s)) throw new ConnectionStringError(`the connection string must start with postgres:// or postgresql:// (it starts with ${JSON.stringify(s.slice(0, s.indexOf('://') + 3))})`);
    return fromPairs(fromUrl(s), 'parameter');
  }
  if (!s.includes('=')) throw new ConnectionStringError('the connection string is neither a postgres:// URL nor key=value pairs (host=... dbname=...)');
  return fromPairs(keyValuePairs(s), 'key');
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConnectionStringError(`the connection string's ${what} has a % that does not start a valid escape: ${PERCENT_ENCODE_HINT}`);
  }
}

/** libpq's URI form: postgresql://[user[:password]@][host][:port][/dbname][?key=value&...]. */
function fromUrl(s: string): Map<string, string> {
  const pairs = new Map<string, string>();
  const authority = /^postgres(?:ql)?:\/\/([^/?#]*)/i.exec(s)![1]!;
  // An unencoded @ in the password (p@ss) makes everything before the last @ look like user:password and
  // the rest of the password like a host name: say what it is.
  const beforePath = /^postgres(?:ql)?:\/\/([^/?]*)/i.exec(s)![1]!;
  if ((beforePath.match(/@/g) ?? []).length > 1) {
    throw new ConnectionStringError(`the connection string has more than one @ before the host: ${PERCENT_ENCODE_HINT}`);
  }
  const hostPart = authority.slice(authority.lastIndexOf('@') + 1);
  if (hostPart.replace(/\[[^\]]*\]/g, '').includes(',')) {
    throw new ConnectionStringError('the connection string names several hosts; this client connects to one: name a single host');
  }
  let url: URL;
  try {
    // An empty host is allowed (libpq: the default socket; `?host=/dir` names a socket directory), but
    // WHATWG URL refuses it: the rest is checked with a stand-in host, which is not kept.
    url = new URL(s.replace(/^(postgres(?:ql)?:\/\/(?:[^@/?#]*@)?)(?=[/?#]|$)/i, '$1localhost'));
  } catch {
    throw new ConnectionStringError(`the connection string is not a valid URL: ${PERCENT_ENCODE_HINT}`);
  }
  if (url.port !== '' && !/^\d+$/.test(url.port)) throw new ConnectionStringError(`the connection string's port is not a number: ${PERCENT_ENCODE_HINT}`);
  if (url.hash !== '') throw new ConnectionStringError(`the connection string has a # (a fragment), which libpq does not accept: ${PERCENT_ENCODE_HINT}`);
  const user = decode(url.username, 'user name or password');
  const password = decode(url.password, 'user name or password');
  if (user !== '') pairs.set('user', user);
  if (url.password !== '') pairs.set('password', password);
  if (hostPart.replace(/:\d*$/, '') !== '') {
    const host = decode(url.hostname, 'host');
    pairs.set('host', host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
  }
  if (url.port !== '') pairs.set('port', url.port);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '') pairs.set('dbname', decode(path, 'database name'));
  const query = /\?([^#]*)/.exec(s)?.[1] ?? '';
  for (const param of query.split('&')) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    if (eq <= 0) throw new ConnectionStringError(`the connection string's query parameter ${JSON.stringify(param.replace(/password.*/i, 'password…'))} is not key=value`);
    let key = decode(param.slice(0, eq), 'query');
    let value = decode(param.slice(eq + 1), 'query');
    // libpq: "for compatibility with JDBC connection URIs, ssl=true is translated into sslmode=require".
    if (key === 'ssl' && value === 'true') [key, value] = ['sslmode', 'require'];
    pairs.set(key, value);
  }
  return pairs;
}

/** libpq's key=value syntax: values bare (backslash escapes) or single-quoted ('' is not it: \' is). */
function keyValuePairs(s: string): Map<string, string> {
  const pairs = new Map<string, string>();
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  while ((ws(), i < s.length)) {
    const keyStart = i;
    while (i < s.length && /[A-Za-z0-9_]/.test(s[i]!)) i++;
    const key = s.slice(keyStart, i);
    ws();
    if (key === '' || s[i] !== '=') throw new ConnectionStringError(`the connection string is not key=value pairs near ${JSON.stringify(s.slice(keyStart, keyStart + 12).replace(/password.*/i, 'password…'))}`);
    i++;
    ws();
    let value = '';
    if (s[i] === "'") {
      i++;
      let closed = false;
      while (i < s.length) {
        const c = s[i]!;
        if (c === '\\' && i + 1 < s.length) {
          value += s[i + 1];
          i += 2;
        } else if (c === "'") {
          closed = true;
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) throw new ConnectionStringError(`the connection string has an unterminated quoted value for ${key}`);
    } else {
      while (i < s.length && !/\s/.test(s[i]!)) {
        if (s[i] === '\\' && i + 1 < s.length) {
          value += s[i + 1];
          i += 2;
        } else value += s[i++];
      }
    }
    pairs.set(key, value);
  }
  return pairs;
}

function fromPairs(pairs: Map<string, string>, what: 'key' | 'parameter'): PgConnectionFields {
  for (const key of pairs.keys()) {
    if ((KEYS as readonly string[]).includes(key)) continue;
    if (LIBPQ_ONLY.has(key)) throw new ConnectionStringError(`the connection string's ${what} ${JSON.stringify(key)} is a libpq setting this client does not support; remove it`);
    throw new ConnectionStringError(`the connection string has the unsupported ${what} ${JSON.stringify(key)} (supported: ${KEYS.join(', ')})`);
  }
  const out: PgConnectionFields = {};
  const text = (key: (typeof KEYS)[number]) => (pairs.get(key) === '' ? undefined : pairs.get(key));
  const host = text('host');
  if (host !== undefined) out.host = host;
  const hostaddr = text('hostaddr');
  if (hostaddr !== undefined) out.hostaddr = hostaddr;
  const port = text('port');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new ConnectionStringError(`the connection string's port must be a number from 1 to 65535, got ${JSON.stringify(port)}`);
    out.port = Number(port);
  }
  if (pairs.has('dbname')) out.database = pairs.get('dbname');
  if (pairs.has('user')) out.user = pairs.get('user');
  if (pairs.has('password')) out.password = pairs.get('password');
  const app = text('application_name') ?? text('fallback_application_name');
  if (app !== undefined) out.application_name = app;
  const options = text('options');
  if (options !== undefined) out.options = options;
  const timeout = text('connect_timeout');
  if (timeout !== undefined) {
    if (!/^\d+$/.test(timeout)) throw new ConnectionStringError(`the connection string's connect_timeout must be a whole number of seconds, got ${JSON.stringify(timeout)}`);
    out.connect_timeout = Number(timeout);
  }
  const sslmode = text('sslmode');
  if (sslmode !== undefined) {
    if (!(SSL_MODES as readonly string[]).includes(sslmode)) throw new ConnectionStringError(`the connection string's sslmode must be one of ${SSL_MODES.join(', ')}, got ${JSON.stringify(sslmode)}`);
    out.sslmode = sslmode;
  }
  for (const key of ['sslrootcert', 'sslcert', 'sslkey', 'sslpassword'] as const) {
    const v = key === 'sslpassword' ? pairs.get(key) : text(key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
