// "Did you mean": the nearest known word by edit distance, when it is near enough to be a typo.

/** Levenshtein distance (insert, delete, substitute; an adjacent swap counts as one). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known word nearest to `word`, if it is within a third of its length (at least 1, at most 3 edits). */
export function nearest(word: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: { w: string; d: number } | undefined;
  for (const w of known) {
    const dist = editDistance(word.toLowerCase(), w.toLowerCase());
    if (dist <= limit && (!best || dist < best.d)) best = { w, d: dist };
  }
  return best?.w;
}

/** " (did you mean X?)", or "". */
export function didYouMean(word: string, known: readonly string[]): string {
  const n = nearest(word, known);
  return n === undefined ? '' : ` (did you mean ${n}?)`;
}
