// Inter-rater agreement over independent specialist reviews: Fleiss' kappa for the three reviews of
// each image (overall and per class), and Cohen's kappa for each pair of reviewers (overall and per
// class, one class against the rest).
import { CLASS_CODES } from './classes.ts';
import type { DiagnosisClass } from './enums.ts';

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

export interface Agreement {
  /** Fleiss' kappa over images with exactly three independent reviews. */
  fleiss: KappaResult;
  fleissPerClass: (KappaResult & { diagnosisClass: DiagnosisClass })[];
  /** Cohen's kappa for every pair of reviewers on the images both reviewed. */
  pairs: (KappaResult & {
    reviewerA: string;
    reviewerB: string;
    perClass: (KappaResult & { diagnosisClass: DiagnosisClass })[];
  })[];
}

/**
 * The agreement of independent reviews (one class per reviewer and image): Fleiss' kappa over the
 * images with exactly three reviewers, Cohen's kappa for every pair of reviewers on the images both
 * reviewed, each overall and per class.
 */
export function agreementOf(reviews: readonly { imageId: number; reviewer: string; cls: DiagnosisClass }[]): Agreement {
  const byImage = new Map<number, Map<string, DiagnosisClass>>();
  for (const r of reviews) {
    const m = byImage.get(r.imageId) ?? new Map<string, DiagnosisClass>();
    byImage.set(r.imageId, m);
    m.set(r.reviewer, r.cls);
  }
  const triple = [...byImage.values()].filter((m) => m.size === 3);
  const items = triple.map((m) => CLASS_CODES.map((c) => [...m.values()].filter((x) => x === c).length));
  const fleiss = fleissKappa(items, CLASS_CODES.length);
  const reviewers = [...new Set(reviews.map((r) => r.reviewer))].sort();
  const pairs: Agreement['pairs'] = [];
  for (let i = 0; i < reviewers.length; i++) {
    for (let j = i + 1; j < reviewers.length; j++) {
      const ra = reviewers[i] as string;
      const rb = reviewers[j] as string;
      const a: DiagnosisClass[] = [];
      const b: DiagnosisClass[] = [];
      for (const m of byImage.values()) {
        const x = m.get(ra);
        const y = m.get(rb);
        if (x && y) {
          a.push(x);
          b.push(y);
        }
      }
      if (a.length === 0) continue;
      pairs.push({
        reviewerA: ra,
        reviewerB: rb,
        ...cohenKappa(a, b),
        perClass: CLASS_CODES.map((c) => ({
          diagnosisClass: c,
          ...cohenKappa(
            a.map((x) => String(x === c)),
            b.map((y) => String(y === c)),
          ),
        })),
      });
    }
  }
  return {
    fleiss: { kappa: fleiss.kappa, n: fleiss.n },
    fleissPerClass: CLASS_CODES.map((c, k) => ({
      diagnosisClass: c,
      ...(fleiss.perCategory[k] ?? { kappa: null, n: 0 }),
    })),
    pairs,
  };
}
