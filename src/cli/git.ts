import { execFileSync, spawnSync } from 'node:child_process';
import { CliError } from './errors.js';
import { gitTopLevel } from '../core/project.js';

function git(cwd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const res = spawnSync('git', args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (res.error) throw new CliError(`could not run git: ${res.error.message}`);
  return { status: res.status ?? 1, stdout: res.stdout, stderr: res.stderr };
}

/** Files git reports as changed or untracked, or undefined outside a repository. */
export function uncommittedFiles(cwd: string): string[] | undefined {
  if (!gitTopLevel(cwd)) return undefined;
  const res = git(cwd, ['status', '--porcelain']);
  if (res.status !== 0) return undefined;
  return res.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.slice(3));
}

/**
 * Commits the staged changes and the modified tracked files (`git commit -a`), never untracked files.
 * Returns the new commit's short hash.
 */
export function commitTracked(cwd: string, message: string): string {
  if (!gitTopLevel(cwd)) throw new CliError(`${cwd} is not inside a git repository: nothing committed`);
  const staged = git(cwd, ['diff', '--cached', '--quiet']).status !== 0;
  const modified = git(cwd, ['diff', '--quiet']).status !== 0;
  if (!staged && !modified) throw new CliError('nothing to commit: no staged or modified tracked files');
  const res = git(cwd, ['commit', '-a', '-q', '-m', message]);
  if (res.status !== 0) throw new CliError(`git commit failed: ${(res.stderr || res.stdout).trim().split('\n')[0]}`);
  return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
}
