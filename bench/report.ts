// One figure of a bench, printed for people and, with BENCH_JSON=1 (set by `npm run bench`), as one
// JSON line `BENCH {…}` that bench/run-all.ts collects into the table of the README.
export interface Figure {
  /** The bench script, e.g. "facets". */
  bench: string;
  /** What was measured, e.g. "facets, filter sex=FEMALE". */
  what: string;
  value: number;
  /** "ms", "req/s", "rows/s", "MB", "statements", "images/s" … */
  unit: string;
  /** The baseline measured in the same run, when the target is a ratio. */
  baseline?: { what: string; value: number };
  /** value ÷ baseline (or the share, for "≥ x % of" targets). */
  ratio?: number;
  /** The target in words, e.g. "< 300 ms", "≤ 5× the scan", "≥ 40 % of bare yoga". */
  target?: string;
  met?: boolean;
}

export function report(f: Figure): void {
  if (process.env.BENCH_JSON === '1') {
    console.log(`BENCH ${JSON.stringify(f)}`);
    return;
  }
  const base = f.baseline ? `  (baseline ${f.baseline.what}: ${fmt(f.baseline.value)} ${f.unit})` : '';
  const ratio = f.ratio === undefined ? '' : `  ratio ${f.ratio.toFixed(2)}`;
  const target = f.target ? `  target ${f.target}: ${f.met ? 'met' : 'NOT met'}` : '';
  console.log(`${f.what.padEnd(48)} ${fmt(f.value).padStart(10)} ${f.unit}${base}${ratio}${target}`);
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(2));
