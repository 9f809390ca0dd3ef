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
 * have the same number of raters (images with another count are left out by the caller). `weights`
 * (default 1 each) counts an item that many times: images with the same votes are one weighted item.
 */
export function fleissKappa(
  items: readonly (readonly number[])[],
  categories: number,
  weights?: readonly number[],
): KappaResult & { perCategory: KappaResult[] } {
  const w = (i: number) => weights?.[i] ?? 1;
  const N = items.reduce((s, _, i) => s + w(i), 0);
  const raters = items[0]?.reduce((s, x) => s + x, 0) ?? 0;
  const none = { kappa: null, n: N };
  if (N === 0 || raters < 2) return { ...none, perCategory: Array.from({ length: categories }, () => none) };
  const p = Array.from(
    { length: categories },
    (_, j) => items.reduce((s, row, i) => s + w(i) * (row[j] ?? 0), 0) / (N * raters),
  );
  const Pi = items.map((row) => (row.reduce((s, x) => s + x * x, 0) - raters) / (raters * (raters - 1)));
  const Pbar = Pi.reduce((s, x, i) => s + w(i) * x, 0) / N;
  const Pe = p.reduce((s, x) => s + x * x, 0);
  const kappa = Pe === 1 ? null : (Pbar - Pe) / (1 - Pe);
  const perCategory = p.map((pj, j) => {
    if (pj === 0 || pj === 1) return { kappa: null, n: N };
    const disagreement = items.reduce((s, row, i) => s + w(i) * (row[j] ?? 0) * (raters - (row[j] ?? 0)), 0);
    return { kappa: 1 - disagreement / (N * raters * (raters - 1) * pj * (1 - pj)), n: N };
  });
  return { kappa, n: N, perCategory };
}

/** Cohen's kappa from paired labels (a[i] and b[i] are the two raters' labels of item i). */
export function cohenKappa(a: readonly string[], b: readonly string[]): KappaResult {
  const n = Math.min(a.length, b.length);
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
  return cohenOfCounts(n, agree, fa, fb);
}

/**
 * Cohen's kappa from its counts: n paired items, how many agree, and each rater's count per label
 * (labels with no item may be left out).
 */
export function cohenOfCounts(
  n: number,
  agree: number,
  fa: ReadonlyMap<string, number>,
  fb: ReadonlyMap<string, number>,
): KappaResult {
  if (n === 0) return { kappa: null, n };
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

/** One independent review as agreement sees it: who, and which class. */
export interface Vote {
  reviewer: string;
  cls: DiagnosisClass;
}

/**
 * The kept form of an image's independent reviews (the image's review_votes column, written in the
 * transaction of every review): one "reviewer<TAB>CLASS" line per review, in reviewer order (by code
 * unit; reviewer codes are pseudonyms without tabs or line breaks); null without reviews. Images with
 * the same votes share one key, so agreement over a subset is a GROUP BY of the key, not a read of
 * every review. The migration review_votes computes the same text in SQL for stored reviews.
 */
export function votesKey(votes: readonly Vote[]): string | null {
  if (votes.length === 0) return null;
  return [...votes]
    .sort((a, b) => (a.reviewer < b.reviewer ? -1 : a.reviewer > b.reviewer ? 1 : 0))
    .map((v) => `${v.reviewer}\t${v.cls}`)
    .join('\n');
}

/** The votes a key holds (votesKey's inverse). */
export function parseVotes(key: string): Vote[] {
  return key.split('\n').map((line) => {
    const tab = line.lastIndexOf('\t');
    return { reviewer: line.slice(0, tab), cls: line.slice(tab + 1) as DiagnosisClass };
  });
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
  const groups = new Map<string, number>();
  for (const m of byImage.values()) {
    const key = votesKey([...m].map(([reviewer, cls]) => ({ reviewer, cls })));
    if (key !== null) groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return agreementOfVotes([...groups].map(([votes, count]) => ({ votes, count })));
}

/** Per pair of reviewers: images both reviewed, agreements, and each one's count per class and per agreed class. */
interface PairCounts {
  n: number;
  agree: number;
  a: Map<DiagnosisClass, number>;
  b: Map<DiagnosisClass, number>;
  both: Map<DiagnosisClass, number>;
}

const add = <K>(m: Map<K, number>, k: K, n: number) => m.set(k, (m.get(k) ?? 0) + n);

/**
 * agreementOf over images grouped by their votes (votesKey): `count` images hold each key. The same
 * figures as agreementOf over the reviews themselves: every image enters each sum `count` times.
 */
export function agreementOfVotes(groups: readonly { votes: string; count: number }[]): Agreement {
  const items: number[][] = [];
  const weights: number[] = [];
  const pairs = new Map<string, Map<string, PairCounts>>();
  const reviewerSet = new Set<string>();
  for (const g of groups) {
    if (g.count <= 0) continue;
    const votes = parseVotes(g.votes);
    const byReviewer = new Map(votes.map((v) => [v.reviewer, v.cls]));
    for (const r of byReviewer.keys()) reviewerSet.add(r);
    if (byReviewer.size === 3) {
      items.push(CLASS_CODES.map((c) => [...byReviewer.values()].filter((x) => x === c).length));
      weights.push(g.count);
    }
    const list = [...byReviewer].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [ra, x] = list[i] as [string, DiagnosisClass];
        const [rb, y] = list[j] as [string, DiagnosisClass];
        const row = pairs.get(ra) ?? new Map<string, PairCounts>();
        pairs.set(ra, row);
        const c = row.get(rb) ?? { n: 0, agree: 0, a: new Map(), b: new Map(), both: new Map() };
        row.set(rb, c);
        c.n += g.count;
        add(c.a, x, g.count);
        add(c.b, y, g.count);
        if (x === y) {
          c.agree += g.count;
          add(c.both, x, g.count);
        }
      }
    }
  }
  const fleiss = fleissKappa(items, CLASS_CODES.length, weights);
  const reviewers = [...reviewerSet].sort();
  const out: Agreement['pairs'] = [];
  for (let i = 0; i < reviewers.length; i++) {
    for (let j = i + 1; j < reviewers.length; j++) {
      const ra = reviewers[i] as string;
      const rb = reviewers[j] as string;
      const c = pairs.get(ra)?.get(rb);
      if (!c || c.n === 0) continue;
      const inOrder = (m: Map<DiagnosisClass, number>) =>
        new Map(CLASS_CODES.filter((k) => (m.get(k) ?? 0) > 0).map((k) => [k as string, m.get(k) ?? 0]));
      out.push({
        reviewerA: ra,
        reviewerB: rb,
        ...cohenOfCounts(c.n, c.agree, inOrder(c.a), inOrder(c.b)),
        perClass: CLASS_CODES.map((cls) => {
          // one class against the rest: "true" where the rater chose it
          const a = c.a.get(cls) ?? 0;
          const b = c.b.get(cls) ?? 0;
          const both = c.both.get(cls) ?? 0;
          const binary = (yes: number) =>
            new Map(
              [
                ['true', yes],
                ['false', c.n - yes],
              ].filter(([, v]) => (v as number) > 0) as [string, number][],
            );
          return {
            diagnosisClass: cls,
            ...cohenOfCounts(c.n, c.n - (a - both) - (b - both), binary(a), binary(b)),
          };
        }),
      });
    }
  }
  return {
    fleiss: { kappa: fleiss.kappa, n: fleiss.n },
    fleissPerClass: CLASS_CODES.map((c, k) => ({
      diagnosisClass: c,
      ...(fleiss.perCategory[k] ?? { kappa: null, n: 0 }),
    })),
    pairs: out,
  };
}
