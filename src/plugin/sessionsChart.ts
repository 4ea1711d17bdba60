// Sessions per day as a plain SVG bar chart: one bar per day, coloured by the theme's CSS variables
// (styles.css), so light and dark themes both work and nothing but the DOM is needed. Each day carries
// data-day and data-project attributes: the view listens once on its container (event delegation) for
// hover and click, so a chart adds no listeners of its own and a re-render leaks none.
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
}

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

/**
 * Draws the chart into `parent`. The viewBox is one unit per day wide and 100 high, stretched to the
 * element's size (bars only, no text inside the SVG, so nothing is distorted).
 */
export function renderSessionsChart(parent: HTMLElement, days: readonly string[], counts: readonly number[], options: ChartOptions): SVGSVGElement {
  const max = Math.max(1, options.max ?? Math.max(0, ...counts));
  const svg = svgEl(parent, 'svg', {
    class: 'claude-family-chart',
    viewBox: `0 0 ${days.length * 10} 100`,
    preserveAspectRatio: 'none',
    height: options.height,
    role: 'img',
    'aria-label': options.label,
  });
  svgEl(svg, 'line', { class: 'claude-family-chart-base', x1: 0, y1: 99.5, x2: days.length * 10, y2: 99.5, 'vector-effect': 'non-scaling-stroke' });
  days.forEach((day, i) => {
    const n = counts[i] ?? 0;
    const attrs = { 'data-day': day, 'data-count': n, ...(options.project !== undefined ? { 'data-project': options.project } : {}) };
    const g = svgEl(svg, 'g', { class: `claude-family-chart-day${i === days.length - 1 ? ' is-today' : ''}${n > 0 ? ' has-sessions' : ''}`, ...attrs });
    svgEl(g, 'title', {}).textContent = dayTitle(day, n);
    // The whole column answers the pointer, not only the bar (a day with one session is a thin bar).
    svgEl(g, 'rect', { class: 'claude-family-chart-hit', x: i * 10, y: 0, width: 10, height: 100, ...attrs });
    if (n > 0) {
      const h = Math.max(4, (n / max) * 96);
      svgEl(g, 'rect', { class: 'claude-family-chart-bar', x: i * 10 + 1.5, y: 100 - h, width: 7, height: h, rx: 1, ...attrs });
    }
  });
  return svg;
}

/** The day (and project) a pointer event happened on, from the data attributes the chart sets. */
export function chartDayAt(target: EventTarget | null): { day: string; project?: string } | undefined {
  let el = target as Element | null;
  while (el && typeof el.getAttribute === 'function') {
    const day = el.getAttribute('data-day');
    if (day) return { day, project: el.getAttribute('data-project') ?? undefined };
    if (el.tagName.toLowerCase() === 'svg') return undefined;
    el = el.parentElement;
  }
  return undefined;
}
