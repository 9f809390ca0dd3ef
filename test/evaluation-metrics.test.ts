// domain/evaluation-metrics.ts against independent computations: scikit-learn's confusion matrix,
// balanced accuracy, roc_auc_score and average_precision_score, and a numpy ECE, as
// scripts/evaluation-reference.py printed them for the cases written out there and here; then the
// patient-clustered bootstrap on a constructed case where clustering changes the interval.
import { describe, expect, it } from 'vitest';
import {
  auroc,
  averagePrecision,
  calibration,
  confusionAt,
  patientBootstrap,
  type Scored,
  thresholdAtSensitivity,
} from '../src/domain/evaluation-metrics.ts';

const SCORES = [
  0.95, 0.9, 0.8, 0.8, 0.7, 0.62, 0.55, 0.5, 0.45, 0.35, 0.35, 0.35, 0.3, 0.22, 0.2, 0.15, 0.1, 0.08, 0.05, 0.01,
];
const LABELS = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];

/** scripts/evaluation-reference.py's output (scikit-learn 1.9.1, numpy). */
const REFERENCE = {
  't0.5': { tp: 5, fp: 3, tn: 10, fn: 2, balancedAccuracy: 0.7417582417582418 },
  't0.35': { tp: 6, fp: 6, tn: 7, fn: 1, balancedAccuracy: 0.6978021978021978 },
  't0.8': { tp: 3, fp: 1, tn: 12, fn: 4, balancedAccuracy: 0.6758241758241759 },
  auroc: 0.8296703296703296,
  averagePrecision: 0.7520408163265306,
  ece10: 0.17450000000000002,
  ece5: 0.0945,
};

const scored = (scores: number[], labels: number[], patients?: number[]): Scored => ({
  score: Float64Array.from(scores),
  positive: Uint8Array.from(labels),
  patient: Int32Array.from(patients ?? scores.map((_, i) => i)),
});

describe('metrics against scikit-learn', () => {
  const s = scored(SCORES, LABELS);

  it.each([0.5, 0.35, 0.8] as const)(
    'the confusion matrix and balanced accuracy at %s (ties predicted positive)',
    (t) => {
      const ref = REFERENCE[`t${t}`];
      const m = confusionAt(s, t);
      expect({ tp: m.tp, fp: m.fp, tn: m.tn, fn: m.fn }).toEqual({ tp: ref.tp, fp: ref.fp, tn: ref.tn, fn: ref.fn });
      expect(m.balancedAccuracy).toBeCloseTo(ref.balancedAccuracy, 12);
      expect(m.sensitivity).toBeCloseTo(ref.tp / (ref.tp + ref.fn), 12);
      expect(m.specificity).toBeCloseTo(ref.tn / (ref.tn + ref.fp), 12);
      expect(m.ppv).toBeCloseTo(ref.tp / (ref.tp + ref.fp), 12);
      expect(m.npv).toBeCloseTo(ref.tn / (ref.tn + ref.fn), 12);
    },
  );

  it('AUROC (roc_auc_score) and AUPRC (average_precision_score), ties included', () => {
    expect(auroc(s)).toBeCloseTo(REFERENCE.auroc, 12);
    expect(averagePrecision(s)).toBeCloseTo(REFERENCE.averagePrecision, 12);
    // the order of the input does not matter
    const order = SCORES.map((_, i) => i).reverse();
    const reversed = scored(
      order.map((i) => SCORES[i] as number),
      order.map((i) => LABELS[i] as number),
    );
    expect(auroc(reversed)).toBeCloseTo(REFERENCE.auroc, 12);
    expect(averagePrecision(reversed)).toBeCloseTo(REFERENCE.averagePrecision, 12);
  });

  it('ECE over 10 and 5 equal-width bins, and a reliability table that adds up', () => {
    expect(calibration(s, 10).ece).toBeCloseTo(REFERENCE.ece10, 12);
    expect(calibration(s, 5).ece).toBeCloseTo(REFERENCE.ece5, 12);
    const { table } = calibration(s, 10);
    expect(table.reduce((n, b) => n + b.n, 0)).toBe(SCORES.length);
    expect(table[9]).toMatchObject({ lower: 0.9, upper: 1, n: 2, observed: 1 });
  });

  it('undefined metrics are null, not NaN: one class only', () => {
    const negatives = scored([0.2, 0.4], [0, 0]);
    expect(auroc(negatives)).toBeNull();
    expect(averagePrecision(negatives)).toBeNull();
    expect(confusionAt(negatives, 0.5)).toMatchObject({ sensitivity: null, ppv: null, balancedAccuracy: null });
  });

  it('the threshold at a stated sensitivity is the highest that reaches it', () => {
    // 7 positives: 5/7 = 0.714 are at or above 0.55; 6/7 at 0.35
    expect(thresholdAtSensitivity(s, 0.7)).toBe(0.55);
    expect(thresholdAtSensitivity(s, 0.8)).toBe(0.35);
    expect(confusionAt(s, thresholdAtSensitivity(s, 0.8) as number).sensitivity).toBeGreaterThanOrEqual(0.8);
    expect(thresholdAtSensitivity(s, 1)).toBe(0.22);
    expect(thresholdAtSensitivity(scored([0.3], [0]), 0.9)).toBeNull();
  });
});

describe('the bootstrap resampled by patient', () => {
  // 40 patients of 10 images each; a patient's images are alike (the same score and label), so
  // there are 40 independent observations, not 400
  const patients: number[] = [];
  const scores: number[] = [];
  const labels: number[] = [];
  for (let p = 0; p < 40; p++) {
    const label = p % 3 === 0 ? 1 : 0;
    const score = label ? 0.3 + ((p * 37) % 60) / 100 : 0.1 + ((p * 53) % 60) / 100;
    for (let k = 0; k < 10; k++) {
      patients.push(p);
      scores.push(score);
      labels.push(label);
    }
  }
  const clustered = scored(scores, labels, patients);
  const asIfIndependent = scored(scores, labels);

  it('is wider than the image-level bootstrap when images of a patient are alike, around the same estimate', () => {
    const byPatient = patientBootstrap(clustered, auroc, { resamples: 400, seed: 7 });
    const byImage = patientBootstrap(asIfIndependent, auroc, { resamples: 400, seed: 7 });
    expect(byPatient.estimate).toBeCloseTo(byImage.estimate as number, 12);
    const width = (i: typeof byPatient) => (i.upper as number) - (i.lower as number);
    // ~√10 wider: 10 images of one patient carry one patient's information
    expect(width(byPatient)).toBeGreaterThan(2 * width(byImage));
    expect(byPatient.lower).toBeLessThan(byPatient.estimate as number);
    expect(byPatient.upper).toBeGreaterThan(byPatient.estimate as number);
  });

  it('is reproducible from its seed and moves with it', () => {
    const a = patientBootstrap(clustered, averagePrecision, { resamples: 200, seed: 3 });
    expect(patientBootstrap(clustered, averagePrecision, { resamples: 200, seed: 3 })).toEqual(a);
    expect(patientBootstrap(clustered, averagePrecision, { resamples: 200, seed: 4 })).not.toEqual(a);
  });

  it('gives no interval when most resamples leave the statistic undefined', () => {
    // one positive patient among 30: a resample that does not draw it has no AUROC and is left out
    const few = scored(
      Array.from({ length: 30 }, (_, i) => i / 30),
      Array.from({ length: 30 }, (_, i) => (i === 29 ? 1 : 0)),
    );
    const r = patientBootstrap(few, auroc, { resamples: 300, seed: 1 });
    expect(r.estimate).toBe(1);
    // P(the positive patient is drawn at least once) = 1 - (29/30)^30 ≈ 0.64: more than half defined
    expect(r.resamples).toBeGreaterThan(150);
    expect(r.resamples).toBeLessThan(300);
    expect(r.lower).not.toBeNull();
    const rare = scored(
      Array.from({ length: 200 }, (_, i) => i / 200),
      Array.from({ length: 200 }, (_, i) => (i === 199 ? 1 : 0)),
    );
    // 1 - (199/200)^200 ≈ 0.63 of the resamples defined
    expect(patientBootstrap(rare, auroc, { resamples: 300, seed: 1 }).resamples).toBeLessThan(300);
    const never = scored([0.1, 0.2, 0.3], [0, 0, 0]);
    expect(patientBootstrap(never, auroc, { resamples: 50, seed: 1 })).toEqual({
      estimate: null,
      lower: null,
      upper: null,
      resamples: 0,
    });
  });
});
