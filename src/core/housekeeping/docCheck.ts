import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import * as z from 'zod/mini';
import type { Queryable } from '../db/db.js';
import { issuesText } from '../issueText.js';
import type { SessionStateRow } from '../models.js';
import { upsertSessionState } from '../repos/sessionState.js';
import { modifiedFiles, type ModifiedFilesResult } from './gitChanges.js';
import { compilePatterns, normalisePath } from './glob.js';
import type { VaultNote } from './vaultNotes.js';

export { currentHead, modifiedFiles, type ModifiedFilesResult } from './gitChanges.js';

/**
 * Doc-update check (SessionEnd duty): which docs may be stale given the files the session modified.
 * Reported, never edited.
 *
 *   SessionEnd hook:    const r = await checkDocs({ cwd, sinceRef: headAt(cwd, session_start), vaultDir? })
 *                       text = formatStaleDocs(r.stale)   // '' when nothing to say
 *                       await recordFilesModified(db, projectName, r.modified)   // or spool it
 */

// ---------------------------------------------------------------------------------------------
// The doc map
// ---------------------------------------------------------------------------------------------

/**
 * `.claude/doc-map.json`: each doc (repo-relative) with the patterns (glob.ts) of the files it
 * documents, e.g. `{ "docs": { "docs/api.md": ["src/api/**"], "README.md": ["src/**", "package.json"] } }`.
 */
export const DocMap = z.strictObject({
  docs: z.record(
    z.string().check(z.trim(), z.minLength(1, 'doc path must not be empty')),
    z.array(z.string().check(z.trim(), z.minLength(1, 'pattern must not be empty'))).check(z.minLength(1, 'list at least one pattern')),
  ),
});
export type DocMap = z.infer<typeof DocMap>;

export const DOC_MAP_PATH = '.claude/doc-map.json';

/** Without a doc map: README.md for any modified file that is not itself documentation. */
export const DEFAULT_DOC_MAP: DocMap = { docs: { 'README.md': ['**'] } };

/** Loads a doc map: no mapping (and no problem) when the file does not exist; a problem when invalid. */
export function loadDocMap(path: string): { mapping?: DocMap; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { problems: [] };
    return { problems: [`cannot read ${path}: ${(err as Error).message}`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problems: [`${path} is not valid JSON; using the default (README.md)`] };
  }
  const parsed = DocMap.safeParse(json);
  if (!parsed.success) {
    return {
      problems: [`${path}: ${issuesText(parsed.error.issues)}; using the default (README.md)`],
    };
  }
  return { mapping: parsed.data, problems: [] };
}

const DOC_EXTENSIONS = /\.(md|mdx|markdown|rst|adoc|txt)$/i;

/** Documentation itself: markdown and friends, or anything under docs/ or doc/. */
export function isDocPath(path: string): boolean {
  const p = normalisePath(path);
  return DOC_EXTENSIONS.test(p) || /^docs?\//i.test(p);
}

// ---------------------------------------------------------------------------------------------
// Stale docs
// ---------------------------------------------------------------------------------------------

export interface StaleDoc {
  /** Repo-relative doc path, or the note's path inside the vault. */
  doc: string;
  kind: 'repo' | 'vault';
  /** The modified files that make it possibly stale (sorted). */
  because: string[];
}

export interface VaultNoteRef extends Pick<VaultNote, 'path' | 'files' | 'projects'> {
  /** The note's repo-relative path when the vault lives inside the repository. */
  repoPath?: string;
}

export interface StaleDocsInput {
  modified: readonly string[];
  /** Default: DEFAULT_DOC_MAP, where only non-doc files count. With a map, its patterns are taken as written. */
  mapping?: DocMap;
  vaultNotes?: readonly VaultNoteRef[];
  /** When given, vault notes whose `projects` frontmatter names other projects only are left out. */
  project?: string;
}

/**
 * Which docs may be stale: docs of the map whose patterns match a modified file, and vault notes whose
 * `files`/`paths` frontmatter lists one. A doc modified in the session itself is not reported (someone
 * already touched it). Sorted: repo docs first, then vault notes, each by path.
 */
export function staleDocs(input: StaleDocsInput): StaleDoc[] {
  const modified = [...new Set(input.modified.map(normalisePath).filter((p) => p !== ''))];
  const touched = new Set(modified);
  const out: StaleDoc[] = [];
  const usingDefault = input.mapping === undefined;
  const mapping = input.mapping ?? DEFAULT_DOC_MAP;
  for (const [rawDoc, patterns] of Object.entries(mapping.docs)) {
    const doc = normalisePath(rawDoc);
    if (touched.has(doc)) continue;
    const matches = compilePatterns(patterns);
    const because = modified.filter((f) => f !== doc && (!usingDefault || !isDocPath(f)) && matches(f));
    if (because.length > 0) out.push({ doc, kind: 'repo', because: because.sort() });
  }
  for (const note of input.vaultNotes ?? []) {
    if (note.repoPath && touched.has(normalisePath(note.repoPath))) continue;
    if (input.project && note.projects && note.projects.length > 0 && !note.projects.includes(input.project)) continue;
    const matches = compilePatterns(note.files);
    const because = modified.filter((f) => matches(f));
    if (because.length > 0) out.push({ doc: note.path, kind: 'vault', because: because.sort() });
  }
  return out.sort((a, b) => (a.kind === b.kind ? a.doc.localeCompare(b.doc) : a.kind === 'repo' ? -1 : 1));
}

/** Text for the hook's output; '' when no doc is stale. Lists at most `maxFiles` reasons per doc. */
export function formatStaleDocs(result: readonly StaleDoc[], maxFiles = 5): string {
  if (result.length === 0) return '';
  const lines = [`Docs that may need updating (${result.length}), because these files changed this session:`];
  for (const s of result) {
    const shown = s.because.slice(0, maxFiles).join(', ');
    const more = s.because.length > maxFiles ? ` and ${s.because.length - maxFiles} more` : '';
    lines.push(`  - ${s.kind === 'vault' ? 'vault note ' : ''}${s.doc}: ${shown}${more}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// All of it, for the SessionEnd hook
// ---------------------------------------------------------------------------------------------

export interface CheckDocsOptions {
  cwd: string;
  /** Where HEAD stood when the session started (gitChanges.headAt). */
  sinceRef?: string;
  /** An Obsidian vault to scan for notes with `files`/`paths` frontmatter. */
  vaultDir?: string;
  /** Default: <repo root>/.claude/doc-map.json. */
  docMapPath?: string;
  project?: string;
}

export interface CheckDocsResult {
  root?: string;
  modified: string[];
  stale: StaleDoc[];
  problems: string[];
}

/**
 * modifiedFiles + the doc map (or the default, README.md if it exists) + the vault notes → staleDocs.
 * Never throws.
 */
export async function checkDocs(options: CheckDocsOptions): Promise<CheckDocsResult> {
  const problems: string[] = [];
  try {
    const changes: ModifiedFilesResult = modifiedFiles({ cwd: options.cwd, sinceRef: options.sinceRef });
    problems.push(...changes.problems);
    if (!changes.root) return { modified: [], stale: [], problems };
    const root = changes.root;
    const mapPath = options.docMapPath ?? join(root, DOC_MAP_PATH);
    const map = loadDocMap(mapPath);
    problems.push(...map.problems);
    let mapping = map.mapping;
    // The default README rule only applies when the repository has a README.md.
    if (!mapping && !existsSync(join(root, 'README.md'))) mapping = { docs: {} };
    let vaultNotes: VaultNoteRef[] = [];
    if (options.vaultDir) {
      // Loaded only when a vault is configured: gray-matter (and the js-yaml it brings) is the
      // heaviest thing SessionEnd would otherwise load.
      const { loadVaultNotes } = await import('./vaultNotes.js');
      const loaded = loadVaultNotes(options.vaultDir);
      problems.push(...loaded.problems);
      vaultNotes = loaded.notes.map((n) => {
        const rel = relative(root, n.absPath);
        const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
        return { path: n.path, files: n.files, ...(n.projects ? { projects: n.projects } : {}), ...(inside ? { repoPath: rel.split(sep).join('/') } : {}) };
      });
    }
    const stale = staleDocs({ modified: changes.files, mapping, vaultNotes, project: options.project });
    return { root, modified: changes.files, stale, problems };
  } catch (err) {
    problems.push(`doc check failed: ${err instanceof Error ? err.message : String(err)}`);
    return { modified: [], stale: [], problems };
  }
}

// ---------------------------------------------------------------------------------------------
// Storing the list
// ---------------------------------------------------------------------------------------------

export interface RecordFilesResult {
  ok: boolean;
  /** What was stored: deduplicated, sorted, empty and over-long paths left out. */
  stored: string[];
  row?: SessionStateRow;
  /** The error, when the write failed (the hook decides whether to spool or drop it). */
  error?: unknown;
  problems: string[];
}

const MAX_FILES = 10_000;
const MAX_PATH = 4096;

/**
 * Stores the session's modified files in claude.session_state.files_modified for the project (only that
 * column changes). Never throws: a failed write comes back with ok false and the error.
 */
export async function recordFilesModified(q: Queryable, projectName: string, files: readonly string[]): Promise<RecordFilesResult> {
  const problems: string[] = [];
  const cleaned = [...new Set(files.map((f) => f.trim()).filter((f) => f !== ''))].sort();
  const tooLong = cleaned.filter((f) => f.length > MAX_PATH);
  if (tooLong.length > 0) problems.push(`${tooLong.length} path(s) longer than ${MAX_PATH} characters left out`);
  let stored = cleaned.filter((f) => f.length <= MAX_PATH);
  if (stored.length > MAX_FILES) {
    problems.push(`${stored.length} files modified; only the first ${MAX_FILES} stored`);
    stored = stored.slice(0, MAX_FILES);
  }
  try {
    const row = await upsertSessionState(q, { projectName, filesModified: stored });
    return { ok: true, stored, row, problems };
  } catch (err) {
    problems.push(`storing files_modified failed: ${err instanceof Error ? err.message : String(err)}`);
    return { ok: false, stored, error: err, problems };
  }
}
