// The overview as text (the CLI's `overview`, the MCP tool `overview`) and as JSON. Database text is
// flattened to one line and bounded; error texts arrive password-redacted from src/core/overview.
import type { Overview } from '../overview/overview.js';
import type { ProjectSummary } from '../overview/projectSummaries.js';
import { IDLE_DAYS } from '../overview/projectSummaries.js';
import { oneLine } from './handoff.js';

/** "just now", "5 min ago", "3 h ago", "2 d ago", "5 wk ago", "4 mo ago", "2 y ago" (or "in ..." for the future). */
export function relativeTime(then: Date, now: Date = new Date()): string {
  const ms = now.getTime() - then.getTime();
  const s = Math.abs(ms) / 1000;
  const say = (n: number, unit: string) => (ms >= 0 ? `${Math.floor(n)} ${unit} ago` : `in ${Math.floor(n)} ${unit}`);
  if (s < 60) return 'just now';
  if (s < 3600) return say(s / 60, 'min');
  if (s < 86_400) return say(s / 3600, 'h');
  if (s < 14 * 86_400) return say(s / 86_400, 'd');
  if (s < 60 * 86_400) return say(s / (7 * 86_400), 'wk');
  if (s < 365 * 86_400) return say(s / (30 * 86_400), 'mo');
  return say(s / (365 * 86_400), 'y');
}

/** Whether the overview folds a project away (archived, or idle). */
export function isFolded(p: Pick<ProjectSummary, 'archivedAt' | 'idle'>): boolean {
  return p.archivedAt !== null || p.idle;
}

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** A one-line chart of counts: a space for 0, otherwise ▁ to █ scaled to `max` (default: the largest). */
export function sparkline(counts: readonly number[], max = Math.max(0, ...counts)): string {
  return counts.map((n) => (n <= 0 || max <= 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.ceil((n / max) * BARS.length) - 1)]!)).join('');
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;
}

function projectRow(p: ProjectSummary, now: Date): string[] {
  const last = p.lastSession ? `${relativeTime(p.lastSession.start, now)}${p.lastSession.summary ? `: ${oneLine(p.lastSession.summary, 60)}` : ''}` : '-';
  return [
    oneLine(p.name, 40),
    p.focus ? oneLine(p.focus, 40) : '-',
    `${p.inProgress}/${p.pending}`,
    String(p.nextSteps),
    String(p.pendingMessages),
    p.liveSessions > 0 ? `● ${p.liveSessions}` : '',
    last,
  ];
}

/** The whole overview as plain text for a terminal (or Claude). */
export function renderOverviewText(o: Overview): string {
  const now = o.generatedAt;
  const out: string[] = [];
  const shown = o.projects.filter((p) => !isFolded(p));
  const folded = o.projects.filter(isFolded);
  out.push(`Projects (${o.projects.length}), most recently active first:`);
  if (o.projects.length === 0) out.push('  none recorded yet');
  else if (shown.length > 0) out.push(...table(['project', 'focus', 'todos (in progress/pending)', 'next', 'msgs', 'live', 'last session'], shown.map((p) => projectRow(p, now))).map((l) => `  ${l}`));
  if (folded.length > 0) {
    out.push(`  folded (archived, or idle for ${IDLE_DAYS} days): ${folded.map((p) => `${oneLine(p.name, 40)}${p.archivedAt ? ' (archived)' : ''}`).join(', ')}`);
  }

  const a = o.activity;
  const sum = (xs: number[]) => xs.reduce((s, n) => s + n, 0);
  out.push('', `Sessions per day, last ${o.days} days (${a.days[0]} to ${a.days[a.days.length - 1]}, UTC):`);
  const max = Math.max(0, ...a.total);
  const names = Object.keys(a.perProject).sort((x, y) => sum(a.perProject[y]!) - sum(a.perProject[x]!) || x.localeCompare(y));
  const width = Math.max(3, ...names.map((n) => oneLine(n, 40).length));
  out.push(`  ${pad('all', width)}  |${sparkline(a.total)}|  ${sum(a.total)} (busiest day ${max})`);
  for (const n of names) {
    const counts = a.perProject[n]!;
    out.push(`  ${pad(oneLine(n, 40), width)}  |${sparkline(counts, max)}|  ${sum(counts)}`);
  }

  out.push('', `MCP health, last ${o.mcpDays} days (failure rate first):`);
  if (o.mcp.length === 0) out.push('  no MCP calls recorded');
  else {
    out.push(
      ...table(
        ['server', 'tool', 'calls', 'failed', 'rate', 'last error'],
        o.mcp.map((m) => [oneLine(m.server, 40), oneLine(m.tool, 40), String(m.calls), String(m.failures), percent(m.failureRate), m.lastError ? `${m.lastErrorAt ? `${relativeTime(m.lastErrorAt, now)}: ` : ''}${oneLine(m.lastError, 100)}` : '']),
      ).map((l) => `  ${l}`),
    );
  }

  const k = o.knowledge;
  out.push('', `Knowledge in use, last ${o.knowledgeDays} days:`);
  if (k.mostDelivered.length === 0) out.push('  nothing delivered');
  else for (const e of k.mostDelivered) out.push(`  ${String(e.deliveries).padStart(5)}x  ${oneLine(e.name, 80)} [${oneLine(e.category, 30)}] (id ${e.knowledgeId})`);
  if (k.neverDeliveredCount > 0) {
    out.push(`  never delivered (${k.neverDeliveredCount}): ${k.neverDelivered.map((e) => oneLine(e.name, 60)).join(', ')}${k.neverDeliveredCount > k.neverDelivered.length ? ', …' : ''}`);
  }
  return out.join('\n');
}

/** The overview as plain JSON (dates as ISO strings). */
export function overviewJson(o: Overview): unknown {
  return JSON.parse(JSON.stringify(o)) as unknown;
}
