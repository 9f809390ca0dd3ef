// domain/evaluation-bootstrap.ts against the plain functions of domain/evaluation-metrics.ts: the
// weighted one-pass metrics equal the unweighted ones on the images a draw expands to (the whole set
// and a stratum, tied scores included), and its intervals equal patientBootstrap's on the same seed.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bootstrapEvaluation,
  type GroupMetrics,
  METRICS,
  type MetricName,
  pairedAurocDifference,
  patientDraws,
  patientSlots,
  WeightedEvaluation,
} from '../src/domain/evaluation-bootstrap.ts';
import {
  auroc,
  averagePrecision,
  calibration,
  confusionAt,
  orderByScore,
  patientBootstrap,
  quantile,
  type Scored,
} from '../src/domain/evaluation-metrics.ts';
import { Random } from '../src/domain/random.ts';
import { cohort } from './helpers/scored.ts';

const SEED = 17;

/** The plain metrics of the images selected by `keep`, each taken `times(i)` times. */
function expanded(s: Scored, times: (i: number) => number, threshold: number, bins: number) {
  const sc: number[] = [];
  const po: number[] = [];
  for (let i = 0; i < s.score.length; i++)
    for (let t = 0; t < times(i); t++) {
      sc.push(s.score[i] as number);
      po.push(s.positive[i] as number);
    }
  const e: Scored = { score: Float64Array.from(sc), positive: Uint8Array.from(po), patient: new Int32Array(sc.length) };
  const c = confusionAt(e, threshold);
  return {
    sensitivity: c.sensitivity,
    specificity: c.specificity,
    ppv: c.ppv,
    npv: c.npv,
    balancedAccuracy: c.balancedAccuracy,
    auroc: auroc(e),
    auprc: averagePrecision(e),
    ece: calibration(e, bins).ece,
  } satisfies Record<MetricName, number | null>;
}

const asNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);

describe('one weighted pass equals the plain metrics on the drawn images', () => {
  const s = cohort(400, SEED);
  const slots = patientSlots(s.patient);
  const groups = [s.stratum];
  const ev = WeightedEvaluation.of(s, slots, { threshold: 0.45, bins: 7, groups, groupCount: 4 });
  const out = new Float64Array(4 * METRICS.length);

  it('without weights: the point estimates of the whole set and of each stratum', () => {
    ev.pass(null, out);
    for (let q = 0; q < 4; q++) {
      const ref = expanded(s, (i) => (q === 0 || s.stratum[i] === q ? 1 : 0), 0.45, 7);
      METRICS.forEach((m, j) => {
        const got = asNull(out[q * METRICS.length + j]);
        if (ref[m] === null) expect(got, `${q} ${m}`).toBeNull();
        else expect(got, `${q} ${m}`).toBeCloseTo(ref[m] as number, 12);
      });
    }
  });

  it('under five draws: the whole set and each stratum (the draw restricted to its patients)', () => {
    const mult = new Int32Array(slots.patients);
    const draw = patientDraws(slots.patients, SEED);
    for (let r = 0; r < 5; r++) {
      draw(mult);
      ev.pass(mult, out);
      for (let q = 0; q < 4; q++) {
        const times = (i: number) => (q === 0 || s.stratum[i] === q ? (mult[slots.slot[i] as number] as number) : 0);
        const ref = expanded(s, times, 0.45, 7);
        METRICS.forEach((m, j) => {
          const got = asNull(out[q * METRICS.length + j]);
          if (ref[m] === null) expect(got).toBeNull();
          else expect(got, `draw ${r} group ${q} ${m}`).toBeCloseTo(ref[m] as number, 12);
        });
      }
    }
  });

  it('the counts at the threshold', () => {
    ev.pass(null, out);
    const c = confusionAt(s, 0.45);
    expect(ev.counts(0)).toEqual({
      positives: c.tp + c.fn,
      negatives: c.fp + c.tn,
      tp: c.tp,
      fp: c.fp,
      tn: c.tn,
      fn: c.fn,
    });
  });
});

describe('intervals equal patientBootstrap on the same seed', () => {
  const s = cohort(300, SEED + 1);
  const slots = patientSlots(s.patient);
  const ev = WeightedEvaluation.of(s, slots, { threshold: 0.5, bins: 10 });
  let overall: GroupMetrics | undefined;
  beforeAll(async () => {
    [overall] = await bootstrapEvaluation(ev, { resamples: 200, seed: 5 });
  });
  const plain: Record<MetricName, (x: Scored) => number | null> = {
    sensitivity: (x) => confusionAt(x, 0.5).sensitivity,
    specificity: (x) => confusionAt(x, 0.5).specificity,
    ppv: (x) => confusionAt(x, 0.5).ppv,
    npv: (x) => confusionAt(x, 0.5).npv,
    balancedAccuracy: (x) => confusionAt(x, 0.5).balancedAccuracy,
    auroc,
    auprc: averagePrecision,
    ece: (x) => calibration(x, 10).ece,
  };
  it.each(METRICS)('%s', (m) => {
    const ref = patientBootstrap(s, plain[m], { resamples: 200, seed: 5 });
    const got = overall?.metrics[m];
    expect(got?.value).toBeCloseTo(ref.estimate as number, 12);
    expect(got?.lower).toBeCloseTo(ref.lower as number, 12);
    expect(got?.upper).toBeCloseTo(ref.upper as number, 12);
    expect(got?.resamples).toBe(ref.resamples);
  });

  it('no resamples: estimates without intervals', async () => {
    const [o] = await bootstrapEvaluation(ev, { resamples: 0, seed: 5 });
    expect(o?.metrics.auroc.value).toBeCloseTo(auroc(s) as number, 12);
    expect(o?.metrics.auroc.lower).toBeNull();
  });
});

describe('the paired AUROC difference', () => {
  it('draws the same patients for both models: each side equals patientBootstrap, the difference its own draws', async () => {
    const a = cohort(240, SEED + 2);
    const random = new Random(3);
    const b: Scored = {
      ...a,
      score: a.score.map((v, i) =>
        Math.min(1, Math.max(0, v + (a.positive[i] ? 0.1 : -0.05) + (random.next() - 0.5) * 0.1)),
      ),
    };
    const d = await pairedAurocDifference(a, b, { resamples: 150, seed: 9 });
    const ra = patientBootstrap(a, auroc, { resamples: 150, seed: 9 });
    const rb = patientBootstrap(b, auroc, { resamples: 150, seed: 9 });
    expect(d.a.lower).toBeCloseTo(ra.lower as number, 12);
    expect(d.b.upper).toBeCloseTo(rb.upper as number, 12);
    expect(d.difference.value).toBeCloseTo((auroc(b) as number) - (auroc(a) as number), 12);
    // the difference's resamples pair the draws: B − A on the images each draw expands to, for both
    const mult = new Int32Array(patientSlots(a.patient).patients);
    const draw = patientDraws(mult.length, 9);
    const slots = patientSlots(a.patient);
    const diffs: number[] = [];
    for (let r = 0; r < 150; r++) {
      draw(mult);
      const times = (i: number) => mult[slots.slot[i] as number] as number;
      const da = expanded(a, times, 0.5, 2).auroc;
      const db = expanded(b, times, 0.5, 2).auroc;
      if (da !== null && db !== null) diffs.push(db - da);
    }
    const sorted = Float64Array.from(diffs).sort();
    expect(d.difference.lower).toBeCloseTo(quantile(sorted, 0.025), 12);
    expect(d.difference.upper).toBeCloseTo(quantile(sorted, 0.975), 12);
    expect(d.difference.resamples).toBe(diffs.length);
  });
});

describe('orderByScore', () => {
  it('orders by score, highest first, ties by index, as a comparator sort does', () => {
    const s = cohort(2000, SEED + 5).score;
    const expected = Array.from(s.keys()).sort((a, b) => (s[b] as number) - (s[a] as number) || a - b);
    expect(Array.from(orderByScore(s))).toEqual(expected);
  });
});

describe('strata left out of the resamples', () => {
  it('a group that needs no interval is not resampled: its estimate stays, its interval is null', async () => {
    const s = cohort(300, SEED + 6);
    const slots = patientSlots(s.patient);
    const ev = WeightedEvaluation.of(s, slots, { threshold: 0.5, bins: 10, groups: [s.stratum], groupCount: 4 });
    const all = await bootstrapEvaluation(ev, { resamples: 100, seed: 1 });
    const some = await bootstrapEvaluation(ev, { resamples: 100, seed: 1, intervals: (q) => q !== 2 });
    expect(some[2]?.metrics.auroc.value).toBe(all[2]?.metrics.auroc.value);
    expect(some[2]?.metrics.auroc.lower).toBeNull();
    expect(some[1]?.metrics).toEqual(all[1]?.metrics);
    expect(some[0]?.metrics).toEqual(all[0]?.metrics);
  });
});
