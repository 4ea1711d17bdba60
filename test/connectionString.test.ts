// Connection strings as libpq accepts them (issue 15): URLs, including the local server's socket form
// with an empty host, and key=value pairs; an unusable one is refused with a hint, never echoing it.
import { expect, it } from 'vitest';
import { ConnectionStringError, parseConnectionString } from '../src/core/db/connectionString.js';

it('passes URLs through, including an empty host with a socket directory in ?host=', () => {
  for (const url of ['postgres://claude_family@/db1?host=%2Ftmp%2Frun&port=5432', 'postgresql:///db?host=/var/run/postgresql', 'postgres://u:p%40ss@db.example:5432/d']) {
    expect(parseConnectionString(url)).toEqual({ connectionString: url });
  }
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
  expect(parseConnectionString('host = db sslmode=require')).toEqual({ host: 'db', ssl: { rejectUnauthorized: false } });
  expect(() => parseConnectionString('host=x dbnam=y')).toThrow(/unsupported key "dbnam"/);
  expect(() => parseConnectionString('host=x port=99999')).toThrow(/port must be a number from 1 to 65535/);
  expect(() => parseConnectionString("host=x password='open")).toThrow(/unterminated quoted value for password/);
});
