// Binary classification metrics of a model's scores against reference labels (issue 17): the
// confusion matrix at a threshold, the threshold at a stated sensitivity, AUROC, AUPRC (average
// precision), calibration (ECE and the reliability table), and the percentile bootstrap resampled
// by patient. Pure functions over typed arrays; every definition is scikit-learn's, and
// test/evaluation-metrics.test.ts holds them to values scripts/evaluation-reference.py computed.
import { Random } from './random.ts';

/** One scored image: its score for the positive label, whether it is positive, and its patient. */
export interface Scored {
  /** Scores, probabilities in [0, 1]. */
  score: Float64Array;
  /** 1: the reference label is the positive one; 0: it is not. */
  positive: Uint8Array;
  /** The patient of each image: the unit the bootstrap resamples. */
  patient: Int32Array;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface ThresholdMetrics extends Confusion {
  threshold: number;
  /** null where the denominator is 0 */
  sensitivity: number | null;
  specificity: number | null;
  ppv: number | null;
  npv: number | null;
  balancedAccuracy: number | null;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** Positive when score ≥ threshold (scikit-learn's `predict_proba >= t`). */
export function confusionAt(s: Scored, threshold: number): ThresholdMetrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < s.score.length; i++) {
    const predicted = (s.score[i] as number) >= threshold;
    if (s.positive[i]) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
  }
  const sensitivity = ratio(tp, tp + fn);
  const specificity = ratio(tn, tn + fp);
  return {
    threshold,
    tp,
    fp,
    tn,
    fn,
    sensitivity,
    specificity,
    ppv: ratio(tp, tp + fp),
    npv: ratio(tn, tn + fn),
    balancedAccuracy: sensitivity === null || specificity === null ? null : (sensitivity + specificity) / 2,
  };
}

/**
 * Indices ordered by score, highest first, ties by index (the order changes no metric): a native numeric sort of the scores, each
 * image's rank among the distinct values found by binary search, then a counting sort by rank (a
 * comparator sort of a million indices costs seconds).
 */
export function orderByScore(score: Float64Array): Uint32Array {
  const n = score.length;
  const distinct = Float64Array.from(score).sort();
  let u = 0;
  for (let k = 0; k < n; k++) if (k === 0 || distinct[k] !== distinct[u - 1]) distinct[u++] = distinct[k] as number;
  const rank = new Int32Array(n);
  const start = new Int32Array(u + 1);
  for (let i = 0; i < n; i++) {
    const v = score[i] as number;
    let lo = 0;
    let hi = u - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((distinct[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    // descending: the highest value first
    const r = u - 1 - lo;
    rank[i] = r;
    start[r + 1] = (start[r + 1] as number) + 1;
  }
  for (let r = 1; r <= u; r++) start[r] = (start[r] as number) + (start[r - 1] as number);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rank[i] as number;
    order[start[r] as number] = i;
    start[r] = (start[r] as number) + 1;
  }
  return order;
}

/**
 * The highest threshold at which the sensitivity is at least `target` (0–1): the operating point
 * "at a stated sensitivity". Null when there is no positive image.
 */
export function thresholdAtSensitivity(s: Scored, target: number): number | null {
  let positives = 0;
  for (const p of s.positive) positives += p;
  if (positives === 0) return null;
  const need = Math.ceil(target * positives - 1e-12);
  if (need <= 0) return Number.POSITIVE_INFINITY;
  const order = orderByScore(s.score);
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    tp += s.positive[i] as number;
    // a threshold is a score: every image tied with it is predicted positive too
    const next = order[k + 1];
    if (tp >= need && (next === undefined || s.score[next] !== s.score[i])) return s.score[i] as number;
  }
  return s.score[order[order.length - 1] as number] as number;
}

/**
 * The ROC and precision-recall points: one per distinct score, highest first (with ties together):
 * the true and false positives at each threshold, the threshold itself (score ≥ it is positive).
 * `order` is orderByScore's, when the caller has it already.
 */
export function curve(s: Scored, order: Uint32Array = orderByScore(s.score)) {
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    if (s.positive[i]) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || s.score[next] !== s.score[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(s.score[i] as number);
    }
  }
  return { tps, fps, thresholds, positives: tp, negatives: fp };
}

/** Area under the ROC curve (trapezoids over the distinct thresholds: ties count half). Null without both classes. */
export function auroc(s: Scored): number | null {
  const { tps, fps, positives, negatives } = curve(s);
  if (positives === 0 || negatives === 0) return null;
  let area = 0;
  let x0 = 0;
  let y0 = 0;
  for (let k = 0; k < tps.length; k++) {
    const x = (fps[k] as number) / negatives;
    const y = (tps[k] as number) / positives;
    area += ((x - x0) * (y + y0)) / 2;
    x0 = x;
    y0 = y;
  }
  return area;
}

/** Average precision, scikit-learn's AUPRC: Σ (recall_k − recall_{k−1}) · precision_k. Null without a positive. */
export function averagePrecision(s: Scored): number | null {
  const { tps, fps, positives } = curve(s);
  if (positives === 0) return null;
  let ap = 0;
  let recall0 = 0;
  for (let k = 0; k < tps.length; k++) {
    const tp = tps[k] as number;
    const recall = tp / positives;
    ap += (recall - recall0) * (tp / (tp + (fps[k] as number)));
    recall0 = recall;
  }
  return ap;
}

export interface ReliabilityBin {
  /** [lower, upper): the last bin includes 1 */
  lower: number;
  upper: number;
  n: number;
  /** mean score of the bin's images; null for an empty bin */
  meanScore: number | null;
  /** share of positives among them */
  observed: number | null;
}

/**
 * Calibration with `bins` equal-width bins over [0, 1]: the reliability table and the expected
 * calibration error Σ (n_b / N) · |observed_b − meanScore_b|.
 */
export function calibration(s: Scored, bins = 10): { ece: number | null; table: ReliabilityBin[] } {
  const n = new Float64Array(bins);
  const sum = new Float64Array(bins);
  const pos = new Float64Array(bins);
  for (let i = 0; i < s.score.length; i++) {
    const score = s.score[i] as number;
    const b = Math.min(bins - 1, Math.floor(score * bins));
    n[b] = (n[b] as number) + 1;
    sum[b] = (sum[b] as number) + score;
    pos[b] = (pos[b] as number) + (s.positive[i] as number);
  }
  const total = s.score.length;
  let ece = 0;
  const table: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const count = n[b] as number;
    const meanScore = count ? (sum[b] as number) / count : null;
    const observed = count ? (pos[b] as number) / count : null;
    if (meanScore !== null && observed !== null) ece += (count / total) * Math.abs(observed - meanScore);
    table.push({ lower: b / bins, upper: (b + 1) / bins, n: count, meanScore, observed });
  }
  return { ece: total ? ece : null, table };
}

export interface Interval {
  estimate: number | null;
  lower: number | null;
  upper: number | null;
  /** resamples whose statistic was defined (a resample may miss a class) */
  resamples: number;
}

/** The q-quantile of sorted values, linearly interpolated (numpy's default). */
export function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

/**
 * The percentile bootstrap resampled **by patient**: each resample draws as many patients as there
 * are, with replacement, and takes every image of each patient drawn (images of one patient are not
 * independent). A statistic undefined on a resample (null) is left out; fewer than half of the
 * resamples defined gives no interval.
 */
export function patientBootstrap(
  s: Scored,
  statistic: (s: Scored) => number | null,
  options: { resamples?: number; seed?: number; level?: number } = {},
): Interval {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const estimate = statistic(s);
  // the images of each patient, as index ranges of one array
  const ids = [...new Set(s.patient)].sort((a, b) => a - b);
  const slot = new Map(ids.map((p, k) => [p, k]));
  const counts = new Int32Array(ids.length + 1);
  for (const p of s.patient) {
    const k = (slot.get(p) as number) + 1;
    counts[k] = (counts[k] as number) + 1;
  }
  for (let k = 1; k < counts.length; k++) counts[k] = (counts[k] as number) + (counts[k - 1] as number);
  const members = new Int32Array(s.patient.length);
  const fill = counts.slice(0, ids.length);
  for (let i = 0; i < s.patient.length; i++) {
    const k = slot.get(s.patient[i] as number) as number;
    members[fill[k] as number] = i;
    fill[k] = (fill[k] as number) + 1;
  }
  const random = new Random(options.seed ?? 0);
  const values: number[] = [];
  // one buffer pair for every resample, grown when a resample draws more images than it holds
  let sc = new Float64Array(s.score.length * 2);
  let po = new Uint8Array(s.score.length * 2);
  for (let r = 0; r < resamples; r++) {
    let size = 0;
    for (let d = 0; d < ids.length; d++) {
      const k = Math.floor(random.next() * ids.length);
      for (let m = counts[k] as number; m < (counts[k + 1] as number); m++) {
        if (size === sc.length) {
          const grown = new Float64Array(sc.length * 2);
          grown.set(sc);
          sc = grown;
          const grownP = new Uint8Array(po.length * 2);
          grownP.set(po);
          po = grownP;
        }
        const i = members[m] as number;
        sc[size] = s.score[i] as number;
        po[size] = s.positive[i] as number;
        size++;
      }
    }
    const v = statistic({ score: sc.subarray(0, size), positive: po.subarray(0, size), patient: new Int32Array(0) });
    if (v !== null && Number.isFinite(v)) values.push(v);
  }
  if (values.length < resamples / 2) return { estimate, lower: null, upper: null, resamples: values.length };
  const sorted = Float64Array.from(values).sort();
  const alpha = (1 - level) / 2;
  return { estimate, lower: quantile(sorted, alpha), upper: quantile(sorted, 1 - alpha), resamples: values.length };
}
