// Inter-rater agreement over independent specialist reviews: Fleiss' kappa for the three reviews of
// each image (overall and per class), and Cohen's kappa for each pair of reviewers (overall and per
// class, one class against the rest).

export interface KappaResult {
  kappa: number | null;
  /** Images (items) the value rests on. */
  n: number;
}

/**
 * Fleiss' kappa. `items` holds, per image, how many raters chose each category; every image must
 * have the same number of raters (images with another count are left out by the caller).
 */
export function fleissKappa(
  items: readonly (readonly number[])[],
  categories: number,
): KappaResult & { perCategory: KappaResult[] } {
  const N = items.length;
  const raters = items[0]?.reduce((s, x) => s + x, 0) ?? 0;
  const none = { kappa: null, n: N };
  if (N === 0 || raters < 2) return { ...none, perCategory: Array.from({ length: categories }, () => none) };
  const p = Array.from({ length: categories }, (_, j) => items.reduce((s, row) => s + (row[j] ?? 0), 0) / (N * raters));
  const Pi = items.map((row) => (row.reduce((s, x) => s + x * x, 0) - raters) / (raters * (raters - 1)));
  const Pbar = Pi.reduce((s, x) => s + x, 0) / N;
  const Pe = p.reduce((s, x) => s + x * x, 0);
  const kappa = Pe === 1 ? null : (Pbar - Pe) / (1 - Pe);
  const perCategory = p.map((pj, j) => {
    if (pj === 0 || pj === 1) return { kappa: null, n: N };
    const disagreement = items.reduce((s, row) => s + (row[j] ?? 0) * (raters - (row[j] ?? 0)), 0);
    return { kappa: 1 - disagreement / (N * raters * (raters - 1) * pj * (1 - pj)), n: N };
  });
  return { kappa, n: N, perCategory };
}

/** Cohen's kappa from paired labels (a[i] and b[i] are the two raters' labels of item i). */
export function cohenKappa(a: readonly string[], b: readonly string[]): KappaResult {
  const n = Math.min(a.length, b.length);
  if (n === 0) return { kappa: null, n };
  let agree = 0;
  const fa = new Map<string, number>();
  const fb = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) agree++;
    fa.set(x, (fa.get(x) ?? 0) + 1);
    fb.set(y, (fb.get(y) ?? 0) + 1);
  }
  const po = agree / n;
  let pe = 0;
  for (const [k, v] of fa) pe += (v / n) * ((fb.get(k) ?? 0) / n);
  return { kappa: pe === 1 ? null : (po - pe) / (1 - pe), n };
}
