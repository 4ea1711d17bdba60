import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * The top level of the git work tree containing `cwd`, or undefined outside one: the nearest directory
 * at or above `cwd` holding a `.git` entry (a directory, or the file a worktree or submodule has),
 * which is what `git rev-parse --show-toplevel` answers in those layouts. Found with a few stat calls
 * instead of spawning git, because every hook, PostToolUse included, names the project this way.
 */
export function gitTopLevel(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return undefined;
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
