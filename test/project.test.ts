import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitTopLevel, resolveProjectName } from '../src/core/project.js';
import { tempDirs } from './support/tempDirs.js';

const tempDir = tempDirs('cf-project');

describe('project naming', () => {
  it('finds the git top level as git does, from any subdirectory', () => {
    const repo = join(tempDir('repo'), 'my-project');
    mkdirSync(join(repo, 'src', 'deep'), { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    const gitSays = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: join(repo, 'src', 'deep'), encoding: 'utf8' }).trim();
    expect(gitTopLevel(join(repo, 'src', 'deep'))).toBe(gitSays);
    expect(resolveProjectName(undefined, join(repo, 'src', 'deep'))).toBe('my-project');
  });

  it('treats a .git file (a worktree or submodule) as a top level too', () => {
    const wt = join(tempDir('wt'), 'feature-tree');
    mkdirSync(join(wt, 'lib'), { recursive: true });
    writeFileSync(join(wt, '.git'), 'gitdir: /somewhere/else/.git/worktrees/feature-tree\n');
    expect(gitTopLevel(join(wt, 'lib'))).toBe(wt);
  });

  it('outside a repository names the project after the directory; an explicit name wins', () => {
    const plain = join(tempDir('plain'), 'just-a-folder');
    mkdirSync(plain);
    expect(gitTopLevel(plain)).toBeUndefined();
    expect(resolveProjectName(undefined, plain)).toBe('just-a-folder');
    expect(resolveProjectName('  named  ', plain)).toBe('named');
  });
});
