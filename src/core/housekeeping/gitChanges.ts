import { execFileSync } from 'node:child_process';

/**
 * What a session changed in a git repository. Read-only: never takes git's index lock
 * (GIT_OPTIONAL_LOCKS=0), never throws.
 */

type GitResult = { ok: true; stdout: string } | { ok: false; error: string };

const gitEnv = () => ({ ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' });

function git(cwd: string, args: string[]): GitResult {
  try {
    const stdout = execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
      maxBuffer: 64 * 1024 * 1024,
      env: gitEnv(),
    });
    return { ok: true, stdout };
  } catch (err) {
    const e = err as { stderr?: unknown; message?: string };
    const stderr = typeof e.stderr === 'string' ? e.stderr.trim() : '';
    return { ok: false, error: stderr || e.message || String(err) };
  }
}

function nulList(text: string): string[] {
  return text.split('\0').filter((s) => s !== '');
}

/** The repository's top-level directory, or undefined outside a repository. */
export function repoRoot(cwd: string): string | undefined {
  const r = git(cwd, ['rev-parse', '--show-toplevel']);
  return r.ok ? r.stdout.trim() || undefined : undefined;
}

/** The full commit id `ref` names, if it names a commit here. Refs starting with `-` are refused. */
export function resolveCommit(cwd: string, ref: string): string | undefined {
  if (!ref || ref.startsWith('-')) return undefined;
  const r = git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  return r.ok ? r.stdout.trim() || undefined : undefined;
}

/** HEAD's commit id; undefined outside a repository or before the first commit. */
export function currentHead(cwd: string): string | undefined {
  return resolveCommit(cwd, 'HEAD');
}

/**
 * The commit HEAD pointed at when the session started, as far as history tells: the newest commit on
 * HEAD made before `when`. SessionEnd diffs against it, so SessionStart (which Claude Code waits for)
 * needs no git call. Undefined outside a repository or when every commit is newer.
 */
export function headAt(cwd: string, when: Date): string | undefined {
  const r = git(cwd, ['rev-list', '-1', `--before=${when.toISOString()}`, 'HEAD']);
  return r.ok ? r.stdout.trim() || undefined : undefined;
}

export interface ModifiedFilesResult {
  /** Repo-relative paths, deduplicated and sorted. */
  files: string[];
  /** The repository's top-level directory (undefined outside a repository). */
  root?: string;
  problems: string[];
}

/**
 * Files the session modified: everything that differs from `sinceRef` (where HEAD stood when the
 * session started, see headAt), so commits made during the session count, plus what is staged, unstaged or untracked
 * (ignored files left out). Deleted and renamed files are listed under their old and new paths.
 * Without a usable sinceRef it compares with HEAD and says so.
 */
export function modifiedFiles(options: { cwd: string; sinceRef?: string }): ModifiedFilesResult {
  const problems: string[] = [];
  try {
    const root = repoRoot(options.cwd);
    if (!root) return { files: [], problems: [`${options.cwd} is not inside a git repository: no modified files`] };
    let base: string | undefined;
    if (options.sinceRef) {
      base = resolveCommit(root, options.sinceRef);
      if (!base) problems.push(`${options.sinceRef} is not a commit in ${root}; comparing with HEAD instead (commits made during the session are not counted)`);
    }
    base ??= resolveCommit(root, 'HEAD');
    const files = new Set<string>();
    const run = (args: string[]) => {
      const r = git(root, args);
      if (r.ok) for (const f of nulList(r.stdout)) files.add(f);
      else problems.push(`git ${args.join(' ')} failed: ${r.error}`);
    };
    if (base) {
      run(['diff', '--name-only', '-z', '--no-renames', base, '--']);
      run(['diff', '--cached', '--name-only', '-z', '--no-renames', base, '--']);
    } else {
      // No commit yet: everything staged is new.
      run(['diff', '--cached', '--name-only', '-z', '--no-renames']);
    }
    run(['ls-files', '--others', '--exclude-standard', '-z']);
    return { files: [...files].sort(), root, problems };
  } catch (err) {
    problems.push(`listing modified files failed: ${err instanceof Error ? err.message : String(err)}`);
    return { files: [], problems };
  }
}
