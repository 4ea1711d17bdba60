import { execFileSync } from 'node:child_process';
import { basename, resolve } from 'node:path';

/** The top level of the git work tree containing `cwd`, or undefined outside one (or without git). */
export function gitTopLevel(cwd: string): string | undefined {
  try {
    const out = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 });
    const top = out.trim();
    return top === '' ? undefined : top;
  } catch {
    return undefined;
  }
}

/**
 * The project a hook or command works on: an explicit name (--project, CLAUDE_FAMILY_PROJECT, the
 * config file's "project"), else the basename of the git top level of `cwd`, else of `cwd` itself.
 */
export function resolveProjectName(explicit: string | undefined, cwd: string): string {
  const given = explicit?.trim();
  if (given) return given;
  const dir = resolve(cwd);
  return basename(gitTopLevel(dir) ?? dir) || dir;
}
