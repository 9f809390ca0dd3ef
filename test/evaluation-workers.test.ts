// resolvers/evaluation-workers.ts: the resamples of an evaluation computed on worker threads give
// the numbers the request's thread gives (the draws are made in one place, in order), leave the event
// loop free while they run, and a worker that stops fails its evaluation, not the next one.
import { afterAll, describe, expect, it } from 'vitest';
import {
  bootstrapEvaluation,
  pairedAurocDifference,
  patientSlots,
  WeightedEvaluation,
} from '../src/domain/evaluation-bootstrap.ts';
import type { Scored } from '../src/domain/evaluation-metrics.ts';
import { Random } from '../src/domain/random.ts';
import { configureEvaluationWorkers, evaluationRunner } from '../src/resolvers/evaluation-workers.ts';
import { cohort } from './helpers/scored.ts';

const s = cohort(3000, 41);
const slots = patientSlots(s.patient);
const evaluation = () =>
  WeightedEvaluation.of(s, slots, { threshold: 0.5, bins: 10, groups: [s.stratum], groupCount: 4 });
const workers = (resamples: number) => evaluationRunner({ resamples, threads: 2, minWork: 0 });

afterAll(() => {
  // the pool's workers are unreferenced when idle; stop them with the file
  configureEvaluationWorkers({ threads: 0 });
});

describe('evaluation resamples on worker threads', () => {
  it('every metric of every stratum, interval for interval, as in the request’s thread', async () => {
    const inline = await bootstrapEvaluation(evaluation(), { resamples: 101, seed: 7 });
    const threaded = await bootstrapEvaluation(evaluation(), { resamples: 101, seed: 7 }, workers(101));
    expect(threaded).toEqual(inline);
    expect(inline[0]?.metrics.auroc.lower).not.toBeNull();
  });

  it('the paired AUROC difference of two models, on the same draws', async () => {
    const random = new Random(5);
    const b: Scored = { ...s, score: s.score.map((v) => Math.min(1, Math.max(0, v + (random.next() - 0.5) * 0.2))) };
    const inline = await pairedAurocDifference(s, b, { resamples: 60, seed: 3 });
    const threaded = await pairedAurocDifference(s, b, { resamples: 60, seed: 3 }, workers(60));
    expect(threaded).toEqual(inline);
  });

  it('lets other callbacks run while the workers compute', async () => {
    const order: string[] = [];
    setTimeout(() => order.push('timer'), 0);
    await bootstrapEvaluation(evaluation(), { resamples: 400, seed: 1 }, workers(400));
    order.push('evaluation');
    expect(order).toEqual(['timer', 'evaluation']);
  });

  it('a small evaluation in the request’s thread lets other callbacks run too, between batches', async () => {
    const big = cohort(20_000, 43);
    const ev = WeightedEvaluation.of(big, patientSlots(big.patient), { threshold: 0.5, bins: 10 });
    const order: string[] = [];
    setImmediate(() => order.push('callback'));
    // threads 0: every batch in this thread, yielding every 20 ms of passes
    await bootstrapEvaluation(ev, { resamples: 400, seed: 1 }, evaluationRunner({ resamples: 400, threads: 0 }));
    order.push('evaluation');
    expect(order).toEqual(['callback', 'evaluation']);
  });

  it('a worker stopped mid-evaluation fails that evaluation; the next one starts new workers', async () => {
    const running = bootstrapEvaluation(evaluation(), { resamples: 2000, seed: 2 }, workers(2000));
    // one turn of the event loop: the first batches are handed over, the workers still starting
    await new Promise((r) => setImmediate(r));
    configureEvaluationWorkers({ threads: 0 });
    await expect(running).rejects.toThrow(/evaluation worker stopped/);
    configureEvaluationWorkers({ threads: 2 });
    const again = await bootstrapEvaluation(evaluation(), { resamples: 41, seed: 2 }, workers(41));
    const inline = await bootstrapEvaluation(evaluation(), { resamples: 41, seed: 2 });
    expect(again).toEqual(inline);
  });
});
