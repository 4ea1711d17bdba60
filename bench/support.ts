// What every bench section shares: a result row, percentiles, and the registry of sections that
// `BENCH_ONLY=<name> npm run bench` picks from (the full run runs every section after the core rows).

/** One row of the final table: a measured value against its target. */
export type Result = { what: string; value: string; target: string; ok: boolean };

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[at]!;
}

export const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

/** A section measures one area on its own database and data, pushing its rows into `results`. */
export type BenchSection = (results: Result[]) => Promise<void>;
