// The patient bootstrap of every metric of an evaluation at once, fast enough for 1,000,000
// predictions × 1,000 resamples (issue 17: ≤ 10× one pass reading the rows). patientBootstrap
// (evaluation-metrics.ts) copies the drawn images and re-sorts them per resample and per metric;
// here the images are sorted by score once, and a resample is a multiplicity per patient (how many
// times it was drawn): every metric of every group (the whole set and each stratum) is then one
// weighted pass over the presorted order, images with tied scores taken together. The draws are
// patientBootstrap's own (the same generator, one draw per patient, patients in ascending id), so
// on the whole set each resample is the same multiset of images, and so the same statistic.
//
// A stratum reads the same draws restricted to its own patients (every metric and every stratum
// shares each resample, as the comparison of two models shares them too): its resample size varies
// with how many of its patients were drawn.
import { quantile, type Scored } from './evaluation-metrics.ts';
import { Random } from './random.ts';

/** The metrics of one group, as they are computed per resample (index into a group's row). */
export const METRICS = [
  'sensitivity',
  'specificity',
  'ppv',
  'npv',
  'balancedAccuracy',
  'auroc',
  'auprc',
  'ece',
] as const;
export type MetricName = (typeof METRICS)[number];
const M = METRICS.length;
const SENS = 0;
const SPEC = 1;
const PPV = 2;
const NPV = 3;
const BA = 4;
const AUROC = 5;
const AUPRC = 6;
const ECE = 7;

export interface MetricInterval {
  /** the point estimate on the data as they are; null when undefined (no positive, …) */
  value: number | null;
  lower: number | null;
  upper: number | null;
  /** resamples whose value was defined */
  resamples: number;
}

/** One group's answer: its counts at the threshold and each metric with its interval. */
export interface GroupMetrics {
  images: number;
  positives: number;
  negatives: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  metrics: Record<MetricName, MetricInterval>;
}

/**
 * The patients of a set as the bootstrap draws them: `slot[i]` is the rank of image i's patient
 * among the distinct patient ids in ascending order (patientBootstrap's order).
 */
export interface PatientSlots {
  slot: Int32Array;
  patients: number;
}

export function patientSlots(patient: Int32Array): PatientSlots {
  const ids = Int32Array.from(new Set(patient)).sort();
  const rank = new Map<number, number>();
  for (let k = 0; k < ids.length; k++) rank.set(ids[k] as number, k);
  const slot = new Int32Array(patient.length);
  for (let i = 0; i < patient.length; i++) slot[i] = rank.get(patient[i] as number) as number;
  return { slot, patients: ids.length };
}

/**
 * The resamples' draws: `next(mult)` fills mult (length = patients) with how many times each
 * patient was drawn, drawing as many patients as there are with replacement, exactly as
 * patientBootstrap draws them from the same seed.
 */
export function patientDraws(patients: number, seed: number): (mult: Int32Array) => void {
  const random = new Random(seed);
  return (mult) => {
    mult.fill(0);
    for (let d = 0; d < patients; d++) {
      const k = Math.floor(random.next() * patients);
      mult[k] = (mult[k] as number) + 1;
    }
  };
}

/**
 * A set of scored images prepared for weighted passes: sorted once by score (highest first), with
 * the groups each image counts in. Group 0 is always the whole set; `groups[d][i]` (d = 0…D−1) is
 * the group (1…groupCount−1) image i counts in along dimension d, or −1 for none. Each group is laid
 * out as its own contiguous segment in score order, so that a pass is a tight loop per segment with
 * its sums in locals; its breaks (the threshold, the calibration bins) fall between tie groups.
 */
export class WeightedEvaluation {
  readonly n: number;
  readonly groupCount: number;
  readonly bins: number;
  readonly threshold: number;
  /** per position of the segments: the image's patient slot, positive flag, score, and 1 when the next position ties */
  readonly #slot: Int32Array;
  readonly #pos: Uint8Array;
  readonly #score: Float64Array;
  readonly #tied: Uint8Array;
  /** segment q is [segStart[q], segStart[q + 1]) */
  readonly #segStart: Int32Array;
  /** events of segment q: [evStart[q], evStart[q + 1]) into evPos / evKind (1: threshold, 2: bin break) */
  readonly #evStart: Int32Array;
  readonly #evPos: Int32Array;
  readonly #evKind: Uint8Array;
  readonly #last: Float64Array;
  readonly #patients: number;
  #ones: Int32Array | null = null;

  constructor(
    s: Scored,
    slots: PatientSlots,
    options: { threshold: number; bins: number; groups?: readonly Int32Array[]; groupCount?: number },
  ) {
    const n = s.score.length;
    this.n = n;
    this.bins = options.bins;
    this.threshold = options.threshold;
    const dims = options.groups ?? [];
    const g = Math.max(1, options.groupCount ?? 1);
    this.groupCount = g;
    this.#patients = slots.patients;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const score = s.score;
    order.sort((a, b) => (score[b] as number) - (score[a] as number) || a - b);
    const size = new Int32Array(g + 1);
    size[1] = n;
    for (const dim of dims)
      for (let i = 0; i < n; i++) {
        const q = dim[i] as number;
        if (q >= 0) size[q + 1] = (size[q + 1] as number) + 1;
      }
    for (let q = 1; q <= g; q++) size[q] = (size[q] as number) + (size[q - 1] as number);
    this.#segStart = size;
    const total = size[g] as number;
    this.#slot = new Int32Array(total);
    this.#pos = new Uint8Array(total);
    this.#score = new Float64Array(total);
    this.#tied = new Uint8Array(total);
    const fill = size.slice(0, g);
    const put = (q: number, i: number) => {
      const at = fill[q] as number;
      this.#slot[at] = slots.slot[i] as number;
      this.#pos[at] = s.positive[i] as number;
      this.#score[at] = score[i] as number;
      fill[q] = at + 1;
    };
    for (let k = 0; k < n; k++) {
      const i = order[k] as number;
      put(0, i);
      for (const dim of dims) {
        const q = dim[i] as number;
        if (q >= 0) put(q, i);
      }
    }
    const evStart = new Int32Array(g + 1);
    const evPos: number[] = [];
    const evKind: number[] = [];
    for (let q = 0; q < g; q++) {
      evStart[q] = evPos.length;
      const a = size[q] as number;
      const b = size[q + 1] as number;
      let lastBin = -1;
      let thresholdSeen = false;
      for (let k = a; k < b; k++) {
        const v = this.#score[k] as number;
        if (k + 1 < b && this.#score[k + 1] === v) this.#tied[k] = 1;
        if (k > a && this.#score[k - 1] === v) continue;
        // a tie group starts at k
        let kind = 0;
        const bin = Math.min(this.bins - 1, Math.floor(v * this.bins));
        if (bin !== lastBin) {
          if (lastBin >= 0) kind |= 2;
          lastBin = bin;
        }
        if (!thresholdSeen && v < this.threshold) {
          kind |= 1;
          thresholdSeen = true;
        }
        if (kind) {
          evPos.push(k);
          evKind.push(kind);
        }
      }
      // the end of the segment: the last bin closes, and the threshold is met if it was not
      evPos.push(b);
      evKind.push(2 | (thresholdSeen ? 0 : 1));
    }
    evStart[g] = evPos.length;
    this.#evStart = evStart;
    this.#evPos = Int32Array.from(evPos);
    this.#evKind = Uint8Array.from(evKind);
    this.#last = new Float64Array(g * 4);
  }

  /**
   * Every metric of every group under the patient multiplicities `mult` (null: every image once, the
   * point estimate), written to out[group * METRICS.length + metric] (NaN where undefined); the
   * counts of the last pass are kept for counts().
   */
  pass(mult: Int32Array | null, out: Float64Array): void {
    if (mult === null) {
      this.#ones ??= new Int32Array(this.#patients).fill(1);
    }
    const m = mult ?? (this.#ones as Int32Array);
    for (let q = 0; q < this.groupCount; q++) this.#segment(q, m, out);
  }

  #segment(q: number, mult: Int32Array, out: Float64Array): void {
    const slot = this.#slot;
    const pos = this.#pos;
    const score = this.#score;
    const tied = this.#tied;
    const evPos = this.#evPos;
    const evKind = this.#evKind;
    let tp = 0;
    let fp = 0;
    let ws = 0;
    let area = 0;
    let ap = 0;
    let gtp = 0;
    let gfp = 0;
    let pending = 0;
    let tpAt = 0;
    let fpAt = 0;
    let binTp = 0;
    let binWs = 0;
    let ece = 0;
    let k = this.#segStart[q] as number;
    const e1 = this.#evStart[q + 1] as number;
    for (let e = this.#evStart[q] as number; e < e1; e++) {
      const stop = evPos[e] as number;
      for (; k < stop; k++) {
        const w = mult[slot[k] as number] as number;
        // branch-free on the class: wp is the weight if positive, wn if negative
        const wp = w * (pos[k] as number);
        const wn = w - wp;
        if (tied[k] === 0 && pending === 0) {
          // a tie group of its own (or the last of one whose others drew nothing)
          area += wn * tp;
          tp += wp;
          fp += wn;
          ap += (wp * tp) / Math.max(tp + fp, 1);
          ws += w * (score[k] as number);
        } else {
          // tied scores count together: ties count half in AUROC, one precision per threshold in AUPRC
          gtp += wp;
          gfp += wn;
          pending = gtp + gfp;
          ws += w * (score[k] as number);
          if (tied[k] === 0) {
            area += gfp * (tp + gtp / 2);
            tp += gtp;
            fp += gfp;
            if (gtp > 0) ap += (gtp * tp) / (tp + fp);
            gtp = 0;
            gfp = 0;
            pending = 0;
          }
        }
      }
      const kind = evKind[e] as number;
      if (kind & 1) {
        tpAt = tp;
        fpAt = fp;
      }
      if (kind & 2) {
        // the bin that ends here: |observed positives − summed scores|, summed over bins, / total
        ece += Math.abs(tp - binTp - (ws - binWs));
        binTp = tp;
        binWs = ws;
      }
    }
    const P = tp;
    const N = fp;
    const o = q * M;
    const sens = P > 0 ? tpAt / P : Number.NaN;
    const spec = N > 0 ? (N - fpAt) / N : Number.NaN;
    out[o + SENS] = sens;
    out[o + SPEC] = spec;
    out[o + PPV] = tpAt + fpAt > 0 ? tpAt / (tpAt + fpAt) : Number.NaN;
    out[o + NPV] = P - tpAt + N - fpAt > 0 ? (N - fpAt) / (P - tpAt + N - fpAt) : Number.NaN;
    out[o + BA] = (sens + spec) / 2;
    out[o + AUROC] = P > 0 && N > 0 ? area / (P * N) : Number.NaN;
    out[o + AUPRC] = P > 0 ? ap / P : Number.NaN;
    out[o + ECE] = P + N > 0 ? ece / (P + N) : Number.NaN;
    const last = this.#last;
    last[q * 4] = P;
    last[q * 4 + 1] = N;
    last[q * 4 + 2] = tpAt;
    last[q * 4 + 3] = fpAt;
  }

  /** The counts of the last pass per group: positives, negatives, and the calls at the threshold. */
  counts(q: number): { positives: number; negatives: number; tp: number; fp: number; tn: number; fn: number } {
    const l = this.#last;
    const P = l[q * 4] as number;
    const N = l[q * 4 + 1] as number;
    const a = l[q * 4 + 2] as number;
    const b = l[q * 4 + 3] as number;
    return { positives: P, negatives: N, tp: a, fp: b, tn: N - b, fn: P - a };
  }
}

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** 0.95 by default */
  level?: number;
}

/** The percentile interval of the defined values (patientBootstrap's rule: fewer than half defined gives none). */
export function percentileInterval(
  values: Float64Array,
  resamples: number,
  level: number,
): { lower: number | null; upper: number | null; defined: number } {
  const defined = values.filter((v) => Number.isFinite(v)).sort();
  if (resamples === 0 || defined.length < resamples / 2 || defined.length === 0)
    return { lower: null, upper: null, defined: defined.length };
  const alpha = (1 - level) / 2;
  return { lower: quantile(defined, alpha), upper: quantile(defined, 1 - alpha), defined: defined.length };
}

const orNull = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);

/**
 * Every metric of every group of `ev`, with its 95 % (or `level`) percentile interval from the same
 * patient resamples. `resamples: 0` gives the estimates without intervals.
 */
export function bootstrapEvaluation(ev: WeightedEvaluation, slots: PatientSlots, o: BootstrapOptions): GroupMetrics[] {
  const g = ev.groupCount;
  const point = new Float64Array(g * M);
  ev.pass(null, point);
  const counts = Array.from({ length: g }, (_, q) => ev.counts(q));
  const R = o.resamples;
  // samples[(q * M + m) * R + r]
  const samples = new Float64Array(g * M * R);
  const out = new Float64Array(g * M);
  const mult = new Int32Array(slots.patients);
  const draw = patientDraws(slots.patients, o.seed);
  for (let r = 0; r < R; r++) {
    draw(mult);
    ev.pass(mult, out);
    for (let j = 0; j < g * M; j++) samples[j * R + r] = out[j] as number;
  }
  const level = o.level ?? 0.95;
  return counts.map((c, q) => {
    const metrics = {} as Record<MetricName, MetricInterval>;
    for (let m = 0; m < M; m++) {
      const j = q * M + m;
      const iv = percentileInterval(samples.subarray(j * R, (j + 1) * R), R, level);
      metrics[METRICS[m] as MetricName] = {
        value: orNull(point[j]),
        lower: iv.lower,
        upper: iv.upper,
        resamples: iv.defined,
      };
    }
    return { images: c.positives + c.negatives, ...c, metrics };
  });
}

/**
 * The paired difference of two models' AUROC on the same images (aurocB − aurocA), each resample
 * drawing the same patients for both: the estimates and 95 % percentile intervals of A, B and B − A.
 */
export function pairedAurocDifference(
  a: Scored,
  b: Scored,
  o: BootstrapOptions,
): { a: MetricInterval; b: MetricInterval; difference: MetricInterval } {
  const slots = patientSlots(a.patient);
  const ea = new WeightedEvaluation(a, slots, { threshold: 0.5, bins: 2 });
  const eb = new WeightedEvaluation(b, slots, { threshold: 0.5, bins: 2 });
  const oa = new Float64Array(M);
  const ob = new Float64Array(M);
  ea.pass(null, oa);
  eb.pass(null, ob);
  const va = oa[AUROC] as number;
  const vb = ob[AUROC] as number;
  const R = o.resamples;
  const sa = new Float64Array(R);
  const sb = new Float64Array(R);
  const sd = new Float64Array(R);
  const mult = new Int32Array(slots.patients);
  const draw = patientDraws(slots.patients, o.seed);
  for (let r = 0; r < R; r++) {
    draw(mult);
    ea.pass(mult, oa);
    eb.pass(mult, ob);
    sa[r] = oa[AUROC] as number;
    sb[r] = ob[AUROC] as number;
    sd[r] = (ob[AUROC] as number) - (oa[AUROC] as number);
  }
  const level = o.level ?? 0.95;
  const interval = (value: number, s: Float64Array): MetricInterval => {
    const iv = percentileInterval(s, R, level);
    return { value: orNull(value), lower: iv.lower, upper: iv.upper, resamples: iv.defined };
  };
  return { a: interval(va, sa), b: interval(vb, sb), difference: interval(vb - va, sd) };
}
