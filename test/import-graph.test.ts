// The shape of the code: no import circles anywhere in src/ (type-only imports included), src/core never
// imports Obsidian or the entry points, and the plugin never loads a database engine.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []));
}

/** Every module specifier a file imports or re-exports, statically or with import(). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => (m[1] ?? m[2])!);
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, specifiers(f).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(f), s.replace(/\.js$/, '.ts')))]));

describe('the import graph of src/', () => {
  it('has no circles', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        circles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const to of graph.get(f) ?? []) walk(to, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of files) walk(f, []);
    expect(circles).toEqual([]);
  });

  it('keeps src/core free of Obsidian and of the entry points', () => {
    const offenders = files
      .filter((f) => relative(SRC, f).startsWith('core/'))
      .flatMap((f) => specifiers(f).filter((s) => s === 'obsidian' || /\/(plugin|hooks|cli)\//.test(resolve(dirname(f), s))).map((s) => `${relative(SRC, f)}: ${s}`));
    expect(offenders).toEqual([]);
  });

  it('keeps PGlite out of everything but the one-time import of old data', () => {
    const users = files.filter((f) => specifiers(f).some((s) => s.startsWith('@electric-sql/pglite'))).map((f) => relative(SRC, f));
    expect(users).toEqual(['core/db/legacyImport.ts']);
  });
});
