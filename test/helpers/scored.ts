// Scored images for the evaluation tests: scores, truth and patients drawn from a seed.
import type { Scored } from '../../src/domain/evaluation-metrics.ts';
import { Random } from '../../src/domain/random.ts';

/** n images of ~n/3 patients (ids scattered), scores rounded to 2 decimals so that many tie. */
export function cohort(n: number, seed: number): Scored & { stratum: Int32Array } {
  const random = new Random(seed);
  const score = new Float64Array(n);
  const positive = new Uint8Array(n);
  const patient = new Int32Array(n);
  const stratum = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    patient[i] = 1000 + 7 * Math.floor(random.next() * (n / 3));
    positive[i] = random.chance(0.3) ? 1 : 0;
    score[i] =
      Math.round(Math.min(1, Math.max(0, (positive[i] ? 0.6 : 0.35) + (random.next() - 0.5) * 0.7)) * 100) / 100;
    stratum[i] = random.chance(0.1) ? -1 : 1 + Math.floor(random.next() * 3);
  }
  return { score, positive, patient, stratum };
}
