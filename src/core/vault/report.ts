// What a sync did and what it could not do, for stdout, --json and the plugin's status line. Problems
// name the note and why it was left as it is (bad YAML, not UTF-8, too large, a title claimed twice).
import type { NoteProblem } from './note.js';
import type { SyncPlan } from './plan.js';

export interface SyncReport {
  dryRun: boolean;
  /** Markdown files seen in the vault. */
  scanned: number;
  inserted: number;
  updated: number;
  archived: number;
  unchanged: number;
  /** Notes written from entries made elsewhere. */
  notesCreated: string[];
  /** Notes updated from their changed entries. */
  notesUpdated: string[];
  /** Notes that got `synced: true` and `synced_at`. */
  marked: number;
  conflicts: { path: string; conflictPath: string; name: string }[];
  problems: NoteProblem[];
  errors: string[];
  durationMs: number;
  /** What the plan said (a dry run's whole answer). */
  planned: { inserts: number; updates: number; archives: number; toVault: number; fromEntry: number; conflicts: number; marks: number };
}

export function emptyReport(scanned: number, plan: SyncPlan, dryRun: boolean): SyncReport {
  return {
    dryRun,
    scanned,
    inserted: 0,
    updated: 0,
    archived: 0,
    unchanged: plan.unchanged + plan.stats.length,
    notesCreated: [],
    notesUpdated: [],
    marked: 0,
    conflicts: [],
    problems: plan.problems,
    errors: [],
    durationMs: 0,
    planned: {
      inserts: plan.inserts.length,
      updates: plan.updates.length,
      archives: plan.archives.length,
      toVault: plan.toVault.length,
      fromEntry: plan.fromEntry.length,
      conflicts: plan.conflicts.length,
      marks: plan.marks.length,
    },
  };
}

const PROBLEM_WORDS: Record<NoteProblem['kind'], string> = {
  'bad-yaml': 'frontmatter is not valid YAML (body indexed, note left as it is)',
  'not-utf8': 'not UTF-8 (left as it is)',
  'too-large': 'too large (left as it is)',
  'duplicate-title': 'title claimed twice',
};

export function problemText(p: NoteProblem): string {
  return `${p.path}: ${PROBLEM_WORDS[p.kind]}${p.kind === 'bad-yaml' || p.kind === 'duplicate-title' || p.kind === 'too-large' ? `: ${p.message}` : ''}`;
}

/** The report as lines for a terminal. */
export function reportText(r: SyncReport): string {
  const lines: string[] = [];
  if (r.dryRun) {
    const p = r.planned;
    lines.push(`Dry run, nothing written. ${r.scanned} notes scanned: would store ${p.inserts} new and ${p.updates} changed, archive ${p.archives}, write ${p.toVault} new note(s) and update ${p.fromEntry} from their entries, ${p.conflicts} conflict(s), mark ${p.marks} note(s) synced.`);
  } else {
    lines.push(`${r.scanned} notes scanned in ${(r.durationMs / 1000).toFixed(1)} s: ${r.inserted} new, ${r.updated} updated, ${r.archived} archived, ${r.unchanged} unchanged; ${r.notesCreated.length} note(s) written from entries, ${r.notesUpdated.length} updated from entries; ${r.marked} marked synced.`);
  }
  for (const c of r.conflicts) lines.push(`Conflict: ${c.path} and its entry both changed; the note is kept as written, the database's version is in ${c.conflictPath}.`);
  for (const p of r.problems) lines.push(`Problem: ${problemText(p)}`);
  for (const e of r.errors) lines.push(`Error: ${e}`);
  return lines.join('\n');
}

/** Notes that are in sync, waiting, with problems: the plugin's status line. */
export function reportSummary(r: SyncReport): string {
  const parts = [`${r.inserted + r.updated} synced`, `${r.problems.length} with problems`];
  if (r.conflicts.length > 0) parts.push(`${r.conflicts.length} conflict(s)`);
  if (r.errors.length > 0) parts.push(`${r.errors.length} error(s)`);
  return parts.join(', ');
}
