/**
 * Path patterns for the doc map, written by hand (three rules do not need a dependency):
 *   `*`   any characters except `/`
 *   `?`   one character except `/`
 *   `**`  any characters including `/`; as a whole segment (`a/** /b`, written without the space)
 *         it also matches zero directories
 * Patterns are matched against the whole repo-relative path (`/` separators, a leading `./` ignored).
 * A pattern with no wildcard matches that path exactly, or anything under it when it names a directory.
 */
export function globToRegExp(pattern: string): RegExp {
  const p = normalisePath(pattern);
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      const wholeSegment = i === 0 || p[i - 1] === '/';
      if (wholeSegment && p[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

export function hasWildcard(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/** `./a\\b/` → `a/b`: forward slashes, no leading `./`, no trailing `/`. */
export function normalisePath(path: string): string {
  return path.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

export function matchesPattern(path: string, pattern: string): boolean {
  const p = normalisePath(path);
  const pat = normalisePath(pattern);
  if (!pat) return false;
  if (!hasWildcard(pat)) return p === pat || p.startsWith(`${pat}/`);
  return globToRegExp(pat).test(p);
}

/** A matcher for a list of patterns (compiled once). */
export function compilePatterns(patterns: readonly string[]): (path: string) => boolean {
  const tests = patterns.map(normalisePath).filter((p) => p !== '').map((pat) => {
    if (!hasWildcard(pat)) return (p: string) => p === pat || p.startsWith(`${pat}/`);
    const re = globToRegExp(pat);
    return (p: string) => re.test(p);
  });
  return (path) => {
    const p = normalisePath(path);
    return tests.some((t) => t(p));
  };
}
