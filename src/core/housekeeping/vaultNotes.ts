import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import matter from 'gray-matter';

/** A vault note that says which repository files it documents (frontmatter `files` or `paths`). */
export interface VaultNote {
  /** Path inside the vault, `/`-separated: how the note is reported. */
  path: string;
  absPath: string;
  /** Repo-relative paths or patterns (see glob.ts) from `files` and `paths`. */
  files: string[];
  /** The note's `projects` frontmatter, when it has one. */
  projects?: string[];
}

export interface LoadVaultNotesResult {
  notes: VaultNote[];
  problems: string[];
}

const SKIP_DIRS = new Set(['node_modules']);
const MAX_NOTES = 20_000;
const MAX_BYTES = 1024 * 1024;

function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  return undefined;
}

/** Reads one note's frontmatter. `problem` is set when it cannot be parsed or a key has the wrong type. */
export function parseVaultNote(path: string, absPath: string, text: string): { note?: VaultNote; problem?: string } {
  let data: Record<string, unknown>;
  try {
    // Passing options keeps gray-matter from caching every note's text for the life of the process.
    data = matter(text, {}).data;
  } catch (err) {
    return { problem: `${path}: unreadable frontmatter (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
  const files: string[] = [];
  for (const key of ['files', 'paths']) {
    const list = stringList(data[key]);
    if (!list) return { problem: `${path}: frontmatter \`${key}\` must be a string or a list of strings` };
    files.push(...list.map((f) => f.trim()).filter((f) => f !== ''));
  }
  if (files.length === 0) return {};
  const projects = stringList(data.projects);
  return { note: { path, absPath, files: [...new Set(files)], ...(projects && projects.length > 0 ? { projects } : {}) } };
}

/**
 * Scans `vaultDir` for *.md notes whose frontmatter lists repository files. Hidden directories
 * (.obsidian, .trash, .git) and node_modules are skipped, as are files over 1 MB. Never throws.
 */
export function loadVaultNotes(vaultDir: string): LoadVaultNotesResult {
  const out: LoadVaultNotesResult = { notes: [], problems: [] };
  try {
    if (!statSync(vaultDir).isDirectory()) {
      out.problems.push(`${vaultDir} is not a directory`);
      return out;
    }
  } catch {
    out.problems.push(`vault ${vaultDir} does not exist`);
    return out;
  }
  let scanned = 0;
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      out.problems.push(`cannot read ${dir}: ${(err as Error).message}`);
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const abs = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(abs);
        continue;
      }
      if (!e.isFile() || !e.name.toLowerCase().endsWith('.md')) continue;
      if (++scanned > MAX_NOTES) {
        if (scanned === MAX_NOTES + 1) out.problems.push(`more than ${MAX_NOTES} notes in ${vaultDir}: the rest were not read`);
        return;
      }
      const rel = relative(vaultDir, abs).split(sep).join('/');
      try {
        if (statSync(abs).size > MAX_BYTES) continue;
        const { note, problem } = parseVaultNote(rel, abs, readFileSync(abs, 'utf8'));
        if (problem) out.problems.push(problem);
        if (note) out.notes.push(note);
      } catch (err) {
        out.problems.push(`cannot read ${rel}: ${(err as Error).message}`);
      }
    }
  };
  walk(vaultDir);
  return out;
}
