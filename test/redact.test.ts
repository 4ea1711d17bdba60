// Passwords never reach a message: redact() on connection strings as users actually type them.
import { describe, expect, it } from 'vitest';
import { redact } from '../src/core/db/db.js';

describe('redact', () => {
  it.each([
    ['postgres://alice:s3cret@db.example:5432/claude', 'postgres://alice:***@db.example:5432/claude'],
    ['postgresql://alice:s3cret@db/claude?sslmode=require', 'postgresql://alice:***@db/claude?sslmode=require'],
    // An unencoded '@' or '/' in the password: hidden whole, up to the host.
    ['postgres://alice:p@ss@w0rd@db:5432/claude', 'postgres://alice:***@db:5432/claude'],
    ['postgres://alice:pa/ss@db/claude', 'postgres://alice:***@db/claude'],
    ['failed: connect to postgres://bob:x@y@host/db refused; retry', 'failed: connect to postgres://bob:***@host/db refused; retry'],
    ['POSTGRES://Bob:Secret@HOST/db', 'POSTGRES://Bob:***@HOST/db'],
    ['host=db user=alice password=s3cret dbname=claude', 'host=db user=alice password=*** dbname=claude'],
    ["host=db password='with spaces' dbname=claude", 'host=db password=*** dbname=claude'],
  ])('%s', (input, expected) => {
    const out = redact(input);
    expect(out).toBe(expected);
    for (const secret of ['s3cret', 'p@ss', 'w0rd', 'pa/ss', 'x@y', 'Secret', 'with spaces']) expect(out).not.toContain(secret);
  });

  it('leaves text without credentials alone', () => {
    for (const text of ['postgres://alice@db/claude', 'postgres://db:5432/claude', 'mail me at alice@example.com', 'embedded PGlite at /home/a/pglite']) {
      expect(redact(text)).toBe(text);
    }
  });
});
