// Connection strings as libpq accepts them: URLs, including the local server's socket form with an
// empty host, and key=value pairs, read into the same fields (TLS settings included, by libpq's names);
// an unusable one is refused with a hint, never echoing it. tls.test.ts connects with them.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConnectionStringError, parseConnectionString } from '../src/core/db/connectionString.js';
import { tlsPlan } from '../src/core/db/tls.js';

it('reads URLs, including an empty host with a socket directory in ?host=, IPv6 and percent-encoding', () => {
  expect(parseConnectionString('postgres://claude_family@/db1?host=%2Ftmp%2Frun&port=5432')).toEqual({ host: '/tmp/run', port: 5432, database: 'db1', user: 'claude_family' });
  expect(parseConnectionString('postgresql:///db?host=/var/run/postgresql')).toEqual({ host: '/var/run/postgresql', database: 'db' });
  expect(parseConnectionString('postgres://u:p%40ss@db.example:5432/d')).toEqual({ host: 'db.example', port: 5432, database: 'd', user: 'u', password: 'p@ss' });
  expect(parseConnectionString('postgres://[::1]:5433/d')).toEqual({ host: '::1', port: 5433, database: 'd' });
  expect(parseConnectionString('postgres://%2Fvar%2Frun%2Fpostgresql/d')).toEqual({ host: '/var/run/postgresql', database: 'd' });
});

it('reads the TLS settings in both forms by the same names, and ssl=true as libpq does (sslmode=require)', () => {
  const tls = { sslmode: 'verify-full', sslrootcert: '/etc/ssl/ca b.crt', sslcert: '/c.crt', sslkey: '/c.key' };
  expect(parseConnectionString('postgres://h/d?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Fca%20b.crt&sslcert=/c.crt&sslkey=/c.key')).toEqual({ host: 'h', database: 'd', ...tls });
  expect(parseConnectionString("host=h dbname=d sslmode=verify-full sslrootcert='/etc/ssl/ca b.crt' sslcert=/c.crt sslkey=/c.key")).toEqual({ host: 'h', database: 'd', ...tls });
  expect(parseConnectionString('postgres://h/d?sslrootcert=system')).toEqual({ host: 'h', database: 'd', sslrootcert: 'system' });
  expect(parseConnectionString('postgres://h/d?ssl=true')).toMatchObject({ sslmode: 'require' });
  expect(() => parseConnectionString('postgres://h/d?sslmode=maybe')).toThrow(/sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full, got "maybe"/);
});

it('refuses what it would otherwise ignore: an unknown parameter, a libpq setting it does not implement, several hosts', () => {
  expect(() => parseConnectionString('postgres://h/d?schema=public')).toThrow(/unsupported parameter "schema"/);
  expect(() => parseConnectionString('host=h gssencmode=require')).toThrow(/key "gssencmode" is a libpq setting this client does not support/);
  expect(() => parseConnectionString('postgres://h1:5432,h2:5432/d')).toThrow(/several hosts/);
});

it('refuses a URL with an unencoded # or / in the password, saying to percent-encode it, without the password', () => {
  for (const url of ['postgres://u:pa#ss@h:5432/d', 'postgres://u:pa/ss@h:5432/d']) {
    const err = (() => {
      try {
        parseConnectionString(url);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConnectionStringError);
    expect(err!.message).toMatch(/percent-encode it/);
    expect(err!.message).not.toContain('pa#ss');
    expect(err!.message).not.toContain('pa/ss');
  }
});

it('reads key=value pairs with quoting and escapes, and names an unknown key', () => {
  expect(parseConnectionString("host=/tmp port=5433 dbname='a b' user=me password='it\\'s'")).toEqual({ host: '/tmp', port: 5433, database: 'a b', user: 'me', password: "it's" });
  expect(parseConnectionString('host = db sslmode=require')).toEqual({ host: 'db', sslmode: 'require' });
  expect(() => parseConnectionString('host=x dbnam=y')).toThrow(/unsupported key "dbnam"/);
  expect(() => parseConnectionString('host=x port=99999')).toThrow(/port must be a number from 1 to 65535/);
  expect(() => parseConnectionString("host=x password='open")).toThrow(/unterminated quoted value for password/);
});

describe('tlsPlan: libpq rules turned into connection attempts', () => {
  const none = { HOME: '/nonexistent-home' };
  const plan = (text: string, env: Record<string, string> = {}) => tlsPlan(parseConnectionString(text), { ...none, ...env }, '/nonexistent-home');

  it('prefer by default: TLS first, then without; allow the other way round; disable and a Unix socket never', () => {
    expect(plan('host=db').attempts.map((a) => a !== false)).toEqual([true, false]);
    expect(plan('host=db sslmode=allow').attempts.map((a) => a !== false)).toEqual([false, true]);
    expect(plan('host=db sslmode=disable').attempts).toEqual([false]);
    expect(plan('host=/var/run/postgresql sslmode=verify-full').attempts).toEqual([false]);
    expect(plan('postgres:///d?host=/tmp&sslmode=require').attempts).toEqual([false]);
  });

  it('require checks nothing without a root certificate, and the CA (never the name) with one', () => {
    const bare = plan('host=db sslmode=require').attempts[0] as Record<string, unknown>;
    expect(bare.rejectUnauthorized).toBe(false);
    const withCa = tlsPlan(parseConnectionString('host=db sslmode=require'), { ...none, PGSSLROOTCERT: fileURLToPath(import.meta.url) }, '/nonexistent-home');
    const attempt = withCa.attempts[0] as { rejectUnauthorized: boolean; ca: string[]; checkServerIdentity: () => unknown };
    expect(attempt.rejectUnauthorized).toBe(true);
    expect(attempt.ca).toHaveLength(1);
    expect(attempt.checkServerIdentity()).toBeUndefined();
  });

  it('sslrootcert=system makes verify-full the default and refuses a weaker mode', () => {
    expect(plan('host=db sslrootcert=system')).toMatchObject({ mode: 'verify-full', modeFrom: 'sslrootcert=system', trust: "the system's trusted CAs" });
    expect(() => plan('host=db sslrootcert=system sslmode=verify-ca')).toThrow(/sslrootcert=system needs sslmode=verify-full/);
    expect(() => plan('host=db sslrootcert=system', { PGSSLMODE: 'require' })).toThrow(/but sslmode is require \(from PGSSLMODE\)/);
  });

  it('hostaddr: the socket goes to the address, the certificate must name the host (sent as SNI)', () => {
    const p = plan('host=db.example hostaddr=10.0.0.5 sslmode=require');
    expect(p.host).toBe('db.example');
    expect((p.attempts[0] as { servername?: string }).servername).toBe('db.example');
  });

  it('verify-ca and verify-full need a root certificate, and say where to get one', () => {
    expect(() => plan('host=db sslmode=verify-full')).toThrow(/none is given \(\/nonexistent-home\/\.postgresql\/root\.crt does not exist\): name the server's CA with sslrootcert=/);
    expect(() => plan('host=db sslkey=/k.key sslmode=require')).toThrow(/sslkey is given without sslcert/);
  });
});
