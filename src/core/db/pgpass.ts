// libpq's password file (~/.pgpass, or PGPASSFILE), read here rather than by pg: pg's reader prints a
// deprecation warning and its own warnings on stderr, which must never reach a hook's or the CLI's user.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Record<string, string | undefined>;

export function pgpassPath(env: Env = process.env, home: string = homedir()): string {
  if (env.PGPASSFILE) return env.PGPASSFILE;
  return process.platform === 'win32' ? join(env.APPDATA ?? home, 'postgresql', 'pgpass.conf') : join(home, '.pgpass');
}

/** hostname:port:database:username:password, `\` escaping `:` and `\`. */
function fieldsOf(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === ':' && out.length < 4) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * The password the file gives for this connection, as libpq looks it up: the first line whose fields
 * match (`*` matches anything; a socket connection matches `localhost`). Undefined when there is no
 * file, no match, or the file may be read by others (libpq ignores it then too).
 */
export function pgpassLookup(target: { host?: string; port?: number; database?: string; user?: string }, env: Env = process.env, home: string = homedir()): string | undefined {
  const path = pgpassPath(env, home);
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile() || (process.platform !== 'win32' && (st.mode & 0o077) !== 0)) return undefined;
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const host = !target.host || target.host.startsWith('/') ? 'localhost' : target.host;
  const user = target.user ?? env.PGUSER ?? env.USER ?? '';
  const want = [host, String(target.port ?? 5432), target.database ?? user, user];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const f = fieldsOf(raw);
    if (f.length < 5) continue;
    if (want.every((w, i) => f[i] === '*' || f[i] === w)) return f[4];
  }
  return undefined;
}
