// Issue 20's CLI edges, run in-process through runCli: --version, "did you mean", missing arguments named
// alone, mcp serve --help, the config file named but missing or broken, a password with an unencoded @,
// db copy blaming the target, and the rejected spool listed and retried.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { positionalNames } from '../src/cli/command.js';
import { runCli } from '../src/cli/run.js';
import { editDistance, nearest } from '../src/cli/suggest.js';
import { loadConfig } from '../src/core/config.js';
import { parseConnectionString } from '../src/core/db/connectionString.js';
import { VERSION } from '../src/core/version.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';
import { DIST, hookScript, ROOT, runNode } from './support/processes.js';

function home(): string {
  return mkdtempSync(join(tmpdir(), 'cf-cli-edges-'));
}

async function cli(args: string[], env: Record<string, string | undefined> = {}, cwd?: string) {
  const h = home();
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
    env: { PATH: process.env.PATH, HOME: h, XDG_CONFIG_HOME: join(h, '.config'), CLAUDE_FAMILY_DATA_DIR: join(h, 'data'), ...env },
    cwd: cwd ?? h,
    distDir: DIST,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the CLI tells the truth', () => {
  it('--version prints the version, the same as package.json and the plugin manifest', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const plugin = JSON.parse(readFileSync(join(ROOT, '.claude-plugin', 'plugin.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(plugin.version).toBe(pkg.version);
    expect(await cli(['--version'])).toEqual({ code: 0, out: `claude-family ${VERSION}`, err: '' });
  });

  it('suggests the command or flag meant', async () => {
    expect(editDistance('sesion', 'session')).toBe(1);
    expect(nearest('--sumary', ['--summary', '--session'])).toBe('--summary');
    expect(nearest('zzz', ['session'])).toBeUndefined();
    const group = await cli(['sesion', 'end']);
    expect(group.code).toBe(2);
    expect(group.err).toMatch(/^claude-family: unknown command "sesion" \(did you mean session end\?\); try claude-family --help$/);
    expect((await cli(['projcts'])).err).toMatch(/\(did you mean projects\?\)/);
    expect((await cli(['session', 'ned'])).err).toMatch(/unknown session command "ned" \(did you mean session end\?\)/);
    const flag = await cli(['session', 'end', '--sumary', 'x']);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/^claude-family session end: Unknown option '--sumary' \(did you mean --summary\?\) \(see claude-family session end --help\)$/);
  });

  it('a missing argument is named alone', async () => {
    expect(positionalNames('--to PROJECT [--new-project] TEXT')).toEqual(['TEXT']);
    expect(positionalNames('ID [--json]')).toEqual(['ID']);
    expect(positionalNames('[--in KIND]... QUERY...')).toEqual(['QUERY']);
    const r = await cli(['message', 'send', '--to', 'web']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('claude-family message send: missing argument: TEXT (see claude-family message send --help)');
  });

  it('mcp serve --help names --project once and says how the connection is kept', async () => {
    const r = await cli(['mcp', 'serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.out.match(/--project NAME/g)).toHaveLength(1);
    expect(r.out).toContain('kept for the next calls');
    expect(r.out).not.toMatch(/only for the length of each call/);
    expect(r.out).toMatch(/Tools: .*projects/);
  });

  it('CLAUDE_FAMILY_CONFIG naming a missing file is an error; the default file may be missing', async () => {
    const h = home();
    expect(() => loadConfig({ HOME: h, CLAUDE_FAMILY_CONFIG: join(h, 'nope.json') })).toThrow(/CLAUDE_FAMILY_CONFIG names .*nope\.json, which does not exist/);
    expect(loadConfig({ HOME: h }).databaseUrl).toBeUndefined();
    const r = await cli(['session', 'status'], { CLAUDE_FAMILY_CONFIG: join(h, 'nope.json') });
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
  });

  it('an unencoded @ in the password gets the percent-encoding hint', () => {
    for (const url of ['postgres://u:p@ss#1@host/db', 'postgres://u:p@ss@host/db']) {
      expect(() => parseConnectionString(url), url).toThrow(/more than one @ before the host: .*percent-encode/);
    }
    expect(parseConnectionString('postgres://u:p%40ss%231@host/db')).toMatchObject({ user: 'u', password: 'p@ss#1', host: 'host' });
  });

  it('db copy --to a bad target blames the target', async () => {
    const bad = await cli(['db', 'copy', '--to', 'not-a-url'], { CLAUDE_FAMILY_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^claude-family db copy: --to is not a usable connection string: /);
    const closed = await cli(['db', 'copy', '--to', 'postgres://someone:s3cret@127.0.0.1:1/x'], { CLAUDE_FAMILY_DATABASE_URL: 'postgres://nobody@127.0.0.1:2/none' });
    expect(closed.code).toBe(1);
    expect(closed.err).toMatch(/^claude-family db copy: the target \(--to .*127\.0\.0\.1:1.*\) failed: /);
    expect(closed.err).not.toContain('s3cret');
  });
});

describeEachBackend('a broken config file, then fixed', (t) => {
  it('SessionStart still gives Claude context; spool rejected lists the input and retry-rejected records it', { timeout: 60_000 }, async () => {
    const h = home();
    const project = uniqueProject('cfg');
    const config = join(h, 'config.json');
    writeFileSync(config, '{ "databaseUrl": ');
    const env = { PATH: process.env.PATH, HOME: h, CLAUDE_FAMILY_CONFIG: config, CLAUDE_FAMILY_DATA_DIR: join(h, 'data'), CLAUDE_FAMILY_PROJECT: project };
    mkdirSync(join(h, 'work'));
    const sid = `cc-${project}`;
    const start = await runNode(hookScript('session-start'), { stdin: JSON.stringify({ session_id: sid, cwd: join(h, 'work'), source: 'startup' }), env, cwd: h });
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(new RegExp(`^=== WHERE WE LEFT OFF ===\\nProject: ${project}\\n\\(not available: claude-family configuration error: .*not valid JSON.*spool retry-rejected`));
    expect(start.stderr.trim().split('\n')).toHaveLength(1);

    writeFileSync(config, JSON.stringify({ databaseUrl: t().url }));
    const listed = await cli(['spool', 'rejected'], env);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC {2}session-start hook input: session-start: configuration error: .*not valid JSON/);
    const asJson = JSON.parse((await cli(['spool', 'rejected', '--json'], env)).out) as { rejected: unknown[] };
    expect(asJson.rejected).toHaveLength(1);

    const retried = await cli(['spool', 'retry-rejected'], env);
    expect(retried.err).toBe('');
    expect(retried.out).toMatch(/re-ran 1 hook input\(s\); 0 rejected again/);
    expect(retried.code).toBe(0);
    const { rows } = await t().db.query<{ n: number }>('SELECT count(*)::int AS n FROM claude.sessions WHERE claude_session_id = $1', [sid]);
    expect(rows[0]!.n).toBe(1);
    expect((await cli(['spool', 'rejected'], env)).out).toBe('No rejected events.');
  });
});
