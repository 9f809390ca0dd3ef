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
import { orderByScore, quantile, type Scored } from './evaluation-metrics.ts';
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
  const slot = new Int32Array(patient.length);
  const min = ids[0] ?? 0;
  const span = (ids[ids.length - 1] ?? 0) - min + 1;
  if (span <= 4 * patient.length + 1024) {
    // ids dense enough for a lookup table (row ids are)
    const rank = new Int32Array(span);
    for (let k = 0; k < ids.length; k++) rank[(ids[k] as number) - min] = k;
    for (let i = 0; i < patient.length; i++) slot[i] = rank[(patient[i] as number) - min] as number;
  } else {
    const rank = new Map<number, number>();
    for (let k = 0; k < ids.length; k++) rank.set(ids[k] as number, k);
    for (let i = 0; i < patient.length; i++) slot[i] = rank.get(patient[i] as number) as number;
  }
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

/** Resamples computed together in one pass: each image's multiplicities for them sit in one cache line. */
export const BATCH = 4;

/** Typed arrays on shared memory: worker threads read an evaluation's layout without a copy. */
const shared = {
  i32: (n: number) => new Int32Array(new SharedArrayBuffer(4 * n)),
  f64: (n: number) => new Float64Array(new SharedArrayBuffer(8 * n)),
  u8: (n: number) => new Uint8Array(new SharedArrayBuffer(n)),
};

/**
 * What a WeightedEvaluation reads in its passes, built once (layoutEvaluation) on shared memory, so
 * that worker threads compute resamples of the same layout (evaluation-workers.ts). Everything
 * but `order` (the main thread's) can be posted to a worker as it is.
 */
export interface EvaluationLayout {
  n: number;
  groupCount: number;
  bins: number;
  threshold: number;
  patients: number;
  /** the pass's number of a patient, by its slot (PatientSlots: ascending id) */
  perm: Int32Array;
  /** per position of the segments: the patient's pass number, its score, flags (1: positive, 2: the next position ties) */
  slot: Int32Array;
  score: Float64Array;
  flags: Uint8Array;
  /** segment q is [segStart[q], segStart[q + 1]) */
  segStart: Int32Array;
  /** events of segment q: [evStart[q], evStart[q + 1]) into evPos / evKind (1: threshold, 2: bin break) */
  evStart: Int32Array;
  evPos: Int32Array;
  evKind: Uint8Array;
  /** the groups the resamples compute (1) or leave out (0: NaN, no interval); every group by default */
  active: Uint8Array;
}

/**
 * Sorts a set of scored images once by score (highest first) and lays out the groups each image
 * counts in. Group 0 is always the whole set; `groups[d][i]` (d = 0…D−1) is the group
 * (1…groupCount−1) image i counts in along dimension d, or −1 for none. Each group is laid out as its
 * own contiguous segment in score order; its breaks (the threshold, the calibration bins) fall
 * between tie groups. Patients are numbered in the order they first appear by score, so that a
 * pass reads their multiplicities nearly in order.
 */
export function layoutEvaluation(
  s: Scored,
  slots: PatientSlots,
  options: { threshold: number; bins: number; groups?: readonly Int32Array[]; groupCount?: number },
): EvaluationLayout & { order: Uint32Array } {
  const n = s.score.length;
  const dims = options.groups ?? [];
  const g = Math.max(1, options.groupCount ?? 1);
  const score = s.score;
  const order = orderByScore(score);
  const perm = shared.i32(slots.patients).fill(-1);
  let next = 0;
  for (let k = 0; k < n; k++) {
    const p = slots.slot[order[k] as number] as number;
    if (perm[p] === -1) perm[p] = next++;
  }
  const size = shared.i32(g + 1);
  size[1] = n;
  for (const dim of dims)
    for (let i = 0; i < n; i++) {
      const q = dim[i] as number;
      if (q >= 0) size[q + 1] = (size[q + 1] as number) + 1;
    }
  for (let q = 1; q <= g; q++) size[q] = (size[q] as number) + (size[q - 1] as number);
  const total = size[g] as number;
  const segSlot = shared.i32(total);
  const segScore = shared.f64(total);
  const segFlags = shared.u8(total);
  const fill = size.slice(0, g);
  const patientOf = slots.slot;
  const positive = s.positive;
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    const p = perm[patientOf[i] as number] as number;
    const f = positive[i] ? 1 : 0;
    const v = score[i] as number;
    let at = fill[0] as number;
    segSlot[at] = p;
    segFlags[at] = f;
    segScore[at] = v;
    fill[0] = at + 1;
    for (let d = 0; d < dims.length; d++) {
      const q = (dims[d] as Int32Array)[i] as number;
      if (q < 0) continue;
      at = fill[q] as number;
      segSlot[at] = p;
      segFlags[at] = f;
      segScore[at] = v;
      fill[q] = at + 1;
    }
  }
  const evStart = shared.i32(g + 1);
  const evPos: number[] = [];
  const evKind: number[] = [];
  for (let q = 0; q < g; q++) {
    evStart[q] = evPos.length;
    const a = size[q] as number;
    const b = size[q + 1] as number;
    let lastBin = -1;
    let thresholdSeen = false;
    for (let k = a; k < b; k++) {
      const v = segScore[k] as number;
      if (k + 1 < b && segScore[k + 1] === v) segFlags[k] = (segFlags[k] as number) | 2;
      if (k > a && segScore[k - 1] === v) continue;
      // a tie group starts at k
      let kind = 0;
      const bin = Math.min(options.bins - 1, Math.floor(v * options.bins));
      if (bin !== lastBin) {
        if (lastBin >= 0) kind |= 2;
        lastBin = bin;
      }
      if (!thresholdSeen && v < options.threshold) {
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
  const pos = shared.i32(evPos.length);
  pos.set(evPos);
  const kinds = shared.u8(evKind.length);
  kinds.set(evKind);
  return {
    n,
    groupCount: g,
    bins: options.bins,
    threshold: options.threshold,
    patients: slots.patients,
    order,
    perm,
    slot: segSlot,
    score: segScore,
    flags: segFlags,
    segStart: size,
    evStart,
    evPos: pos,
    evKind: kinds,
    active: shared.u8(g).fill(1),
  };
}

/**
 * A set of scored images prepared for weighted passes (layoutEvaluation). A pass computes up to
 * BATCH resamples at once: the multiplicities are laid out patient by patient (BATCH per patient,
 * patients by their pass number).
 */
export class WeightedEvaluation {
  readonly n: number;
  readonly groupCount: number;
  readonly bins: number;
  readonly threshold: number;
  readonly patients: number;
  /** the images' indices by score, highest first, ties by index (orderByScore); empty when built from a posted layout */
  readonly order: Uint32Array;
  /** the pass's number of a patient, by its slot (PatientSlots: ascending id) */
  readonly perm: Int32Array;
  readonly layout: EvaluationLayout;
  readonly #slot: Int32Array;
  readonly #score: Float64Array;
  readonly #flags: Uint8Array;
  readonly #segStart: Int32Array;
  readonly #evStart: Int32Array;
  readonly #evPos: Int32Array;
  readonly #evKind: Uint8Array;
  readonly #last: Float64Array;

  /** The layout of `s` (layoutEvaluation), ready for passes. */
  static of(
    s: Scored,
    slots: PatientSlots,
    options: { threshold: number; bins: number; groups?: readonly Int32Array[]; groupCount?: number },
  ): WeightedEvaluation {
    return new WeightedEvaluation(layoutEvaluation(s, slots, options));
  }

  /** An evaluation over a layout: built here, or posted by the main thread to a worker. */
  constructor(layout: EvaluationLayout & { order?: Uint32Array }) {
    const { order, ...rest } = layout;
    this.layout = rest;
    this.n = layout.n;
    this.groupCount = layout.groupCount;
    this.bins = layout.bins;
    this.threshold = layout.threshold;
    this.patients = layout.patients;
    this.order = order ?? new Uint32Array(0);
    this.perm = layout.perm;
    this.#slot = layout.slot;
    this.#score = layout.score;
    this.#flags = layout.flags;
    this.#segStart = layout.segStart;
    this.#evStart = layout.evStart;
    this.#evPos = layout.evPos;
    this.#evKind = layout.evKind;
    this.#last = new Float64Array(layout.groupCount * 4);
    this.active = layout.active;
  }

  /**
   * Every metric of every group under the patient multiplicities `mult` (by slot, as patientDraws
   * fills it; null: every image once, the point estimate), written to out[group * METRICS.length +
   * metric] (NaN where undefined); the counts of the pass are kept for counts().
   */
  pass(mult: Int32Array | null, out: Float64Array): void {
    const m = new Int32Array(this.patients * BATCH);
    for (let p = 0; p < this.patients; p++)
      m[(this.perm[p] as number) * BATCH] = mult === null ? 1 : (mult[p] as number);
    const all = new Float64Array(BATCH * this.groupCount * M);
    this.passBatch(m, all, true);
    out.set(all.subarray(0, this.groupCount * M));
  }

  /**
   * BATCH resamples at once: multB[patient * BATCH + b] is the multiplicity of the patient (by its
   * pass number, perm) in resample b; out[(b * groupCount + group) * METRICS.length + metric].
   */
  passBatch(multB: Int32Array, out: Float64Array, keepCounts = false): void {
    const batch = BATCH;
    const g = this.groupCount;
    const size = this.#segStart;
    for (let q = 0; q < g; q++) {
      if (keepCounts) {
        this.#segment4(q, multB, out, true);
      } else if (this.active[q] === 0) {
        for (let b = 0; b < batch; b++) out.fill(Number.NaN, (b * g + q) * M, (b * g + q + 1) * M);
      } else if (q > 0 && (size[q + 1] as number) - (size[q] as number) === this.n) {
        // a group of every image (one collection, say) is the whole set: the same numbers
        for (let b = 0; b < batch; b++) out.copyWithin((b * g + q) * M, b * g * M, (b * g + 1) * M);
      } else this.#segment4(q, multB, out, false);
    }
  }

  /** The groups the resamples compute (1) or leave out (0: NaN, no interval); every group by default (shared with the layout). */
  readonly active: Uint8Array;

  /** #segment for exactly 4 resamples (stride 4), its sums in locals: the hot loop of the bootstrap. */
  #segment4(q: number, mult: Int32Array, out: Float64Array, keepCounts: boolean): void {
    const slot = this.#slot;
    const flags = this.#flags;
    const score = this.#score;
    const evPos = this.#evPos;
    const evKind = this.#evKind;
    let tp0 = 0,
      tp1 = 0,
      tp2 = 0,
      tp3 = 0,
      fp0 = 0,
      fp1 = 0,
      fp2 = 0,
      fp3 = 0,
      ws0 = 0,
      ws1 = 0,
      ws2 = 0,
      ws3 = 0,
      ar0 = 0,
      ar1 = 0,
      ar2 = 0,
      ar3 = 0,
      ap0 = 0,
      ap1 = 0,
      ap2 = 0,
      ap3 = 0,
      gt0 = 0,
      gt1 = 0,
      gt2 = 0,
      gt3 = 0,
      gf0 = 0,
      gf1 = 0,
      gf2 = 0,
      gf3 = 0,
      ta0 = 0,
      ta1 = 0,
      ta2 = 0,
      ta3 = 0,
      fa0 = 0,
      fa1 = 0,
      fa2 = 0,
      fa3 = 0,
      bt0 = 0,
      bt1 = 0,
      bt2 = 0,
      bt3 = 0,
      bw0 = 0,
      bw1 = 0,
      bw2 = 0,
      bw3 = 0,
      ec0 = 0,
      ec1 = 0,
      ec2 = 0,
      ec3 = 0;
    let prevTied = 0;
    let k = this.#segStart[q] as number;
    const e1 = this.#evStart[q + 1] as number;
    for (let e = this.#evStart[q] as number; e < e1; e++) {
      const stop = evPos[e] as number;
      for (; k < stop; k++) {
        const base = (slot[k] as number) << 2;
        const f = flags[k] as number;
        const v = score[k] as number;
        const w0 = mult[base + 0] as number;
        const w1 = mult[base + 1] as number;
        const w2 = mult[base + 2] as number;
        const w3 = mult[base + 3] as number;
        ws0 += w0 * v;
        ws1 += w1 * v;
        ws2 += w2 * v;
        ws3 += w3 * v;
        const tiedNext = f & 2;
        if (tiedNext === 0 && prevTied === 0) {
          if (f & 1) {
            tp0 += w0;
            tp1 += w1;
            tp2 += w2;
            tp3 += w3;
            if (w0 !== 0) ap0 += (w0 * tp0) / (tp0 + fp0);
            if (w1 !== 0) ap1 += (w1 * tp1) / (tp1 + fp1);
            if (w2 !== 0) ap2 += (w2 * tp2) / (tp2 + fp2);
            if (w3 !== 0) ap3 += (w3 * tp3) / (tp3 + fp3);
          } else {
            fp0 += w0;
            fp1 += w1;
            fp2 += w2;
            fp3 += w3;
            ar0 += w0 * tp0;
            ar1 += w1 * tp1;
            ar2 += w2 * tp2;
            ar3 += w3 * tp3;
          }
        } else {
          // tied scores count together: ties count half in AUROC, one precision per threshold in AUPRC
          if (f & 1) {
            gt0 += w0;
            gt1 += w1;
            gt2 += w2;
            gt3 += w3;
          } else {
            gf0 += w0;
            gf1 += w1;
            gf2 += w2;
            gf3 += w3;
          }
          if (tiedNext === 0) {
            ar0 += gf0 * (tp0 + gt0 / 2);
            tp0 += gt0;
            fp0 += gf0;
            if (gt0 > 0) ap0 += (gt0 * tp0) / (tp0 + fp0);
            gt0 = 0;
            gf0 = 0;
            ar1 += gf1 * (tp1 + gt1 / 2);
            tp1 += gt1;
            fp1 += gf1;
            if (gt1 > 0) ap1 += (gt1 * tp1) / (tp1 + fp1);
            gt1 = 0;
            gf1 = 0;
            ar2 += gf2 * (tp2 + gt2 / 2);
            tp2 += gt2;
            fp2 += gf2;
            if (gt2 > 0) ap2 += (gt2 * tp2) / (tp2 + fp2);
            gt2 = 0;
            gf2 = 0;
            ar3 += gf3 * (tp3 + gt3 / 2);
            tp3 += gt3;
            fp3 += gf3;
            if (gt3 > 0) ap3 += (gt3 * tp3) / (tp3 + fp3);
            gt3 = 0;
            gf3 = 0;
          }
        }
        prevTied = tiedNext;
      }
      const kind = evKind[e] as number;
      if (kind & 1) {
        ta0 = tp0;
        ta1 = tp1;
        ta2 = tp2;
        ta3 = tp3;
        fa0 = fp0;
        fa1 = fp1;
        fa2 = fp2;
        fa3 = fp3;
      }
      if (kind & 2) {
        // the bin that ends here: |observed positives − summed scores|, summed over bins, / total
        ec0 += Math.abs(tp0 - bt0 - (ws0 - bw0));
        bt0 = tp0;
        bw0 = ws0;
        ec1 += Math.abs(tp1 - bt1 - (ws1 - bw1));
        bt1 = tp1;
        bw1 = ws1;
        ec2 += Math.abs(tp2 - bt2 - (ws2 - bw2));
        bt2 = tp2;
        bw2 = ws2;
        ec3 += Math.abs(tp3 - bt3 - (ws3 - bw3));
        bt3 = tp3;
        bw3 = ws3;
      }
    }
    const g = this.groupCount;
    this.#metrics(out, (g * 0 + q) * M, tp0, fp0, ta0, fa0, ar0, ap0, ec0);
    this.#metrics(out, (g * 1 + q) * M, tp1, fp1, ta1, fa1, ar1, ap1, ec1);
    this.#metrics(out, (g * 2 + q) * M, tp2, fp2, ta2, fa2, ar2, ap2, ec2);
    this.#metrics(out, (g * 3 + q) * M, tp3, fp3, ta3, fa3, ar3, ap3, ec3);
    if (keepCounts) {
      const last = this.#last;
      last[q * 4] = tp0;
      last[q * 4 + 1] = fp0;
      last[q * 4 + 2] = ta0;
      last[q * 4 + 3] = fa0;
    }
  }

  /** One resample's metrics of one group from its sums. */
  #metrics(
    out: Float64Array,
    o: number,
    P: number,
    N: number,
    a: number,
    c: number,
    area: number,
    ap: number,
    ece: number,
  ) {
    const sens = P > 0 ? a / P : Number.NaN;
    const spec = N > 0 ? (N - c) / N : Number.NaN;
    out[o + SENS] = sens;
    out[o + SPEC] = spec;
    out[o + PPV] = a + c > 0 ? a / (a + c) : Number.NaN;
    out[o + NPV] = P - a + N - c > 0 ? (N - c) / (P - a + N - c) : Number.NaN;
    out[o + BA] = (sens + spec) / 2;
    out[o + AUROC] = P > 0 && N > 0 ? area / (P * N) : Number.NaN;
    out[o + AUPRC] = P > 0 ? ap / P : Number.NaN;
    out[o + ECE] = P + N > 0 ? ece / (P + N) : Number.NaN;
  }

  /** The counts of the last single pass (pass()) per group: positives, negatives, and the calls at the threshold. */
  counts(q: number): { positives: number; negatives: number; tp: number; fp: number; tn: number; fn: number } {
    const l = this.#last;
    const P = l[q * 4] as number;
    const N = l[q * 4 + 1] as number;
    const a = l[q * 4 + 2] as number;
    const b = l[q * 4 + 3] as number;
    return { positives: P, negatives: N, tp: a, fp: b, tn: N - b, fn: P - a };
  }
}

/**
 * One batch of resamples for each of `evs`: `draws` holds BATCH resamples' multiplicities by patient
 * slot (resample b at [b × patients, (b + 1) × patients), as patientDraws fills them; all zeros for a
 * resample the batch does not use). Each evaluation lays them out by its own patient numbering
 * (into `layouts[e]`, reused between batches) and makes one passBatch; the result of evaluation e is
 * out[e][(b * groupCount + group) * METRICS.length + metric].
 */
export function passDraws(
  evs: readonly WeightedEvaluation[],
  draws: Int32Array,
  layouts: Int32Array[] = [],
): Float64Array[] {
  return evs.map((ev, e) => {
    const P = ev.patients;
    let target = layouts[e];
    if (!target) {
      target = new Int32Array(P * BATCH);
      layouts[e] = target;
    }
    const perm = ev.perm;
    for (let b = 0; b < BATCH; b++) {
      const o = b * P;
      for (let p = 0; p < P; p++) target[(perm[p] as number) * BATCH + b] = draws[o + p] as number;
    }
    const out = new Float64Array(BATCH * ev.groupCount * M);
    ev.passBatch(target, out);
    return out;
  });
}

/**
 * What computes a batch of draws (passDraws' contract): in this thread by default, or on worker
 * threads (resolvers/evaluation-workers.ts). `inFlight` batches may be handed over before the first
 * answer is awaited. A runner may keep `draws` (it is not reused).
 */
export interface BatchRunner {
  run(draws: Int32Array): Float64Array[] | Promise<Float64Array[]>;
  inFlight: number;
  /** called by runResamples when it is done with the runner, whatever happened */
  close?(): void;
}

/** passDraws in this thread, one batch at a time. */
export function inlineRunner(evs: readonly WeightedEvaluation[]): BatchRunner {
  const layouts: Int32Array[] = [];
  return { run: (draws) => passDraws(evs, draws, layouts), inFlight: 1 };
}

/**
 * Runs the resamples of `evs` (one or more evaluations of the same images and patients, e.g. two
 * models) BATCH at a time: each resample's draws are patientDraws' (the same seed, the same
 * sequence); `take(r, e, values)` receives resample r's metrics of evaluation e (values[group *
 * METRICS.length + metric]), evaluations of one resample in order. Batches may be computed
 * elsewhere (`runner`), and answered in any order; the draws are made here, in order, so the result
 * does not depend on where. runResamples closes the runner.
 */
export async function runResamples(
  evs: readonly WeightedEvaluation[],
  o: { resamples: number; seed: number },
  take: (r: number, e: number, values: Float64Array) => void,
  runner: BatchRunner = inlineRunner(evs),
): Promise<void> {
  try {
    const first = evs[0];
    if (!first || o.resamples === 0) return;
    const P = first.patients;
    const draw = patientDraws(P, o.seed);
    const pending = new Set<Promise<void>>();
    let failed: { error: unknown } | undefined;
    for (let r0 = 0; r0 < o.resamples && !failed; r0 += BATCH) {
      const B = Math.min(BATCH, o.resamples - r0);
      const draws = new Int32Array(P * BATCH);
      for (let b = 0; b < B; b++) draw(draws.subarray(b * P, (b + 1) * P));
      const job: Promise<void> = Promise.resolve()
        .then(() => runner.run(draws))
        .then(
          (outs) => {
            pending.delete(job);
            evs.forEach((ev, e) => {
              const width = ev.groupCount * M;
              const out = outs[e] as Float64Array;
              for (let b = 0; b < B; b++) take(r0 + b, e, out.subarray(b * width, (b + 1) * width));
            });
          },
          (error: unknown) => {
            pending.delete(job);
            failed ??= { error };
          },
        );
      pending.add(job);
      if (pending.size >= runner.inFlight) await Promise.race(pending);
    }
    await Promise.all(pending);
    if (failed) throw failed.error;
  } finally {
    runner.close?.();
  }
}

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** whether a group gets an interval, given its point counts (default: every group); the others are not resampled */
  intervals?: (group: number, counts: { positives: number; negatives: number }) => boolean;
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
export async function bootstrapEvaluation(
  ev: WeightedEvaluation,
  o: BootstrapOptions,
  runner?: (evs: readonly WeightedEvaluation[]) => BatchRunner,
): Promise<GroupMetrics[]> {
  const g = ev.groupCount;
  const point = new Float64Array(g * M);
  ev.pass(null, point);
  const counts = Array.from({ length: g }, (_, q) => ev.counts(q));
  if (o.intervals)
    for (let q = 0; q < g; q++)
      ev.active[q] = q === 0 || o.intervals(q, counts[q] as { positives: number; negatives: number }) ? 1 : 0;
  const R = o.resamples;
  // samples[(q * M + m) * R + r]
  const samples = new Float64Array(g * M * R);
  await runResamples(
    [ev],
    { resamples: R, seed: o.seed },
    (r, _e, values) => {
      for (let j = 0; j < g * M; j++) samples[j * R + r] = values[j] as number;
    },
    runner?.([ev]),
  );
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
export async function pairedAurocDifference(
  a: Scored,
  b: Scored,
  o: BootstrapOptions,
  runner?: (evs: readonly WeightedEvaluation[]) => BatchRunner,
): Promise<{ a: MetricInterval; b: MetricInterval; difference: MetricInterval }> {
  const slots = patientSlots(a.patient);
  const ea = WeightedEvaluation.of(a, slots, { threshold: 0.5, bins: 2 });
  const eb = WeightedEvaluation.of(b, slots, { threshold: 0.5, bins: 2 });
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
  await runResamples(
    [ea, eb],
    { resamples: R, seed: o.seed },
    (r, e, values) => {
      (e === 0 ? sa : sb)[r] = values[AUROC] as number;
      if (e === 1) sd[r] = (values[AUROC] as number) - (sa[r] as number);
    },
    runner?.([ea, eb]),
  );
  const level = o.level ?? 0.95;
  const interval = (value: number, s: Float64Array): MetricInterval => {
    const iv = percentileInterval(s, R, level);
    return { value: orNull(value), lower: iv.lower, upper: iv.upper, resamples: iv.defined };
  };
  return { a: interval(va, sa), b: interval(vb, sb), difference: interval(vb - va, sd) };
}
