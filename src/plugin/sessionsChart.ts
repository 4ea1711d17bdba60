// Sessions per day as a plain SVG bar chart: the bars are one SVG path (today's a second one), coloured
// by the theme's CSS variables (styles.css), so light and dark themes both work. Over it lies a row of
// day cells, one per day, carrying data-day, data-count and data-project attributes and a native
// tooltip: the view listens once on its container (event delegation) for hover and click, so a chart adds
// no listeners of its own and a re-render leaks none. A small chart makes its day cells only when the
// pointer first enters it (ensureDayCells): a few nodes per chart, not a few per day, so fifty projects'
// charts render within the view's 50 ms budget.
const SVG_NS = 'http://www.w3.org/2000/svg';

export interface ChartOptions {
  /** The project the counts belong to; absent for the chart of all projects. */
  project?: string;
  /** Bars are scaled to this count (default: the largest of `counts`), so charts side by side compare. */
  max?: number;
  /** Height in CSS pixels. */
  height: number;
  /** Accessible title, e.g. "Sessions per day, last 30 days". */
  label: string;
  /** Make the day cells only when the pointer first enters the chart (ensureDayCells). */
  lazyCells?: boolean;
}

interface ChartData {
  days: readonly string[];
  counts: readonly number[];
  project?: string;
}

/** What a chart whose cells are not made yet needs to make them. */
const pending = new WeakMap<Element, ChartData>();

function svgEl<K extends keyof SVGElementTagNameMap>(parent: Element, tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = parent.ownerDocument.createElementNS<K>(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  parent.appendChild(el);
  return el;
}

/** "2026-12-02: 3 sessions" */
export function dayTitle(day: string, n: number): string {
  return `${day}: ${n === 0 ? 'no sessions' : n === 1 ? '1 session' : `${n} sessions`}`;
}

/** The bars of `counts` as one path in a viewBox 10 units wide per day and 100 high. */
export function barsPath(counts: readonly number[], max: number, only?: (i: number) => boolean): string {
  const parts: string[] = [];
  counts.forEach((n, i) => {
    if (n <= 0 || (only && !only(i))) return;
    const h = Math.max(4, (Math.min(n, max) / max) * 96);
    parts.push(`M${i * 10 + 1.5} 100V${(100 - h).toFixed(2)}h7V100z`);
  });
  return parts.join('');
}

/**
 * Draws the chart into `parent`. The SVG is stretched to the element's size (bars only, no text inside,
 * so nothing is distorted); the day cells share its width equally.
 */
export function renderSessionsChart(parent: HTMLElement, days: readonly string[], counts: readonly number[], options: ChartOptions): HTMLElement {
  const max = Math.max(1, options.max ?? Math.max(0, ...counts));
  const chart = parent.createDiv({ cls: 'claude-family-chart', attr: { role: 'img', 'aria-label': options.label } });
  chart.setCssStyles({ height: `${options.height}px` });
  const width = days.length * 10;
  const svg = svgEl(chart, 'svg', { class: 'claude-family-chart-svg', viewBox: `0 0 ${width} 100`, preserveAspectRatio: 'none', width: '100%', height: '100%', 'aria-hidden': 'true' });
  svgEl(svg, 'line', { class: 'claude-family-chart-base', x1: 0, y1: 99.5, x2: width, y2: 99.5, 'vector-effect': 'non-scaling-stroke' });
  const last = days.length - 1;
  svgEl(svg, 'path', { class: 'claude-family-chart-bars', d: barsPath(counts, max, (i) => i !== last) });
  svgEl(svg, 'path', { class: 'claude-family-chart-bars is-today', d: barsPath(counts, max, (i) => i === last) });
  const data = { days, counts, project: options.project };
  if (options.lazyCells) pending.set(chart, data);
  else makeCells(chart, data);
  return chart;
}

function makeCells(chart: HTMLElement, { days, counts, project }: ChartData): void {
  const cells = chart.createDiv({ cls: 'claude-family-chart-days' });
  const last = days.length - 1;
  days.forEach((day, i) => {
    const n = counts[i] ?? 0;
    cells.createDiv({
      cls: `claude-family-chart-day${i === last ? ' is-today' : ''}${n > 0 ? ' has-sessions' : ''}`,
      attr: { 'data-day': day, 'data-count': n, 'data-project': project ?? null, title: dayTitle(day, n) },
    });
  });
}

/** Makes the day cells of the chart `target` is in, if they are not made yet (on the pointer's first visit). */
export function ensureDayCells(target: EventTarget | null): void {
  const el = target as Element | null;
  const chart = el && typeof el.closest === 'function' ? el.closest<HTMLElement>('.claude-family-chart') : null;
  const data = chart ? pending.get(chart) : undefined;
  if (!chart || !data) return;
  pending.delete(chart);
  makeCells(chart, data);
}

/** The day (and project) a pointer event happened on, from the data attributes the chart sets. */
export function chartDayAt(target: EventTarget | null): { day: string; project?: string } | undefined {
  const el = target as Element | null;
  if (!el || typeof el.closest !== 'function') return undefined;
  const cell = el.closest('.claude-family-chart-day[data-day]');
  if (!cell) return undefined;
  return { day: cell.getAttribute('data-day')!, project: cell.getAttribute('data-project') ?? undefined };
}
