/** Summary statistics from a histogram of integer values (what SQL GROUP BY returns), without the rows. */
export interface Bin {
  value: number;
  count: number;
}

export interface Summary {
  n: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  median: number | null;
}

export function summarise(bins: readonly Bin[]): Summary {
  const sorted = bins.filter((b) => b.count > 0).sort((a, b) => a.value - b.value);
  const n = sorted.reduce((s, b) => s + b.count, 0);
  if (n === 0) return { n, min: null, max: null, mean: null, median: null };
  const sum = sorted.reduce((s, b) => s + b.value * b.count, 0);
  // the value at 0-based rank r
  const at = (r: number): number => {
    let seen = 0;
    for (const b of sorted) {
      seen += b.count;
      if (r < seen) return b.value;
    }
    return (sorted[sorted.length - 1] as Bin).value;
  };
  const median = n % 2 === 1 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
  return {
    n,
    min: (sorted[0] as Bin).value,
    max: (sorted[sorted.length - 1] as Bin).value,
    mean: sum / n,
    median,
  };
}
