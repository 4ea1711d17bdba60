import { DbUnavailableError } from './db.js';

/** A connection string that cannot be used as written. Never carries the password. */
export class ConnectionStringError extends DbUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionStringError';
  }
}

/** What node-postgres needs, from either form of connection string. */
export interface PgConnectionFields {
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  ssl?: boolean | { rejectUnauthorized: boolean };
  application_name?: string;
}

export const PERCENT_ENCODE_HINT =
  'if the user name or password contains any of @ # / : ? % or a space, percent-encode it ' +
  '(the password p@ss#1/x is written p%40ss%231%2Fx in the URL; encodeURIComponent does it)';

/**
 * Reads a connection string the way libpq accepts it: a URL (postgres:// or postgresql://) or
 * key=value pairs (`host=db.example port=5432 dbname=claude user=me password='it''s'`). A string that
 * is neither usable form gets a ConnectionStringError saying what to fix (never echoing the password).
 */
export function parseConnectionString(text: string): PgConnectionFields {
  const s = text.trim();
  if (s === '') throw new ConnectionStringError('the connection string is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    if (!/^postgres(ql)?:\/\//i.test(s)) throw new ConnectionStringError(`the connection string must start with postgres:// or postgresql:// (it starts with ${JSON.stringify(s.slice(0, s.indexOf('://') + 3))})`);
    let url: URL;
    try {
      // An empty host is allowed (libpq: the default socket; `?host=/dir` names a socket directory), but
      // WHATWG URL refuses it: check the rest with a stand-in host. pg is given the string as it is.
      url = new URL(s.replace(/^(postgres(?:ql)?:\/\/(?:[^@/?#]*@)?)(?=[/?]|$)/i, '$1localhost'));
    } catch {
      throw new ConnectionStringError(`the connection string is not a valid URL: ${PERCENT_ENCODE_HINT}`);
    }
    if (url.port !== '' && !/^\d+$/.test(url.port)) throw new ConnectionStringError(`the connection string's port is not a number: ${PERCENT_ENCODE_HINT}`);
    try {
      decodeURIComponent(url.password);
      decodeURIComponent(url.username);
    } catch {
      throw new ConnectionStringError(`the connection string's user name or password has a % that does not start a valid escape: ${PERCENT_ENCODE_HINT}`);
    }
    return { connectionString: s };
  }
  if (!s.includes('=')) throw new ConnectionStringError('the connection string is neither a postgres:// URL nor key=value pairs (host=... dbname=...)');
  return fromKeyValue(s);
}

const KEYS = ['host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'sslmode', 'connect_timeout', 'application_name'] as const;

/** libpq's key=value syntax: values bare (backslash escapes) or single-quoted ('' is not it: \' is). */
function fromKeyValue(s: string): PgConnectionFields {
  const pairs = new Map<string, string>();
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  while (ws(), i < s.length) {
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
    if (!(KEYS as readonly string[]).includes(key)) throw new ConnectionStringError(`the connection string has the unsupported key ${JSON.stringify(key)} (supported: ${KEYS.join(', ')})`);
    pairs.set(key, value);
  }
  const out: PgConnectionFields = {};
  const host = pairs.get('hostaddr') || pairs.get('host');
  if (host) out.host = host;
  const port = pairs.get('port');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new ConnectionStringError(`the connection string's port must be a number from 1 to 65535, got ${JSON.stringify(port)}`);
    out.port = Number(port);
  }
  if (pairs.has('dbname')) out.database = pairs.get('dbname');
  if (pairs.has('user')) out.user = pairs.get('user');
  if (pairs.has('password')) out.password = pairs.get('password');
  if (pairs.has('application_name')) out.application_name = pairs.get('application_name');
  const sslmode = pairs.get('sslmode');
  if (sslmode !== undefined) {
    if (sslmode === 'disable' || sslmode === 'allow' || sslmode === 'prefer') out.ssl = false;
    else if (sslmode === 'require') out.ssl = { rejectUnauthorized: false };
    else if (sslmode === 'verify-ca' || sslmode === 'verify-full') out.ssl = { rejectUnauthorized: true };
    else throw new ConnectionStringError(`the connection string's sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full, got ${JSON.stringify(sslmode)}`);
  }
  return out;
}
