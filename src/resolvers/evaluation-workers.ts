// Where an evaluation's bootstrap resamples are computed. A large evaluation (1,000,000 predictions
// × 1,000 resamples is minutes of arithmetic) runs on worker threads: the request's thread only
// draws the patients of each resample (patientDraws, in order, so the numbers are the same wherever
// they are computed) and hands batches to the workers, which read the evaluation's layout from
// shared memory. The event loop stays free for other requests, health checks included, and the
// resamples use the machine's cores. A small one runs in the request's thread, yielding to the event
// loop between batches: starting a worker costs more than it would save.
import { Worker } from 'node:worker_threads';
import { DEFAULT_EVALUATION_THREADS } from '../config.ts';
import {
  type BatchRunner,
  type EvaluationLayout,
  inlineRunner,
  type WeightedEvaluation,
} from '../domain/evaluation-bootstrap.ts';

export type WorkerRequest =
  | { type: 'load'; key: number; layouts: EvaluationLayout[] }
  | { type: 'drop'; key: number }
  | { type: 'batch'; key: number; job: number; draws: Int32Array };
export type WorkerReply = { job: number; outs: Float64Array[] } | { job: number; error: string };

/**
 * Below this much work (segment positions × resamples: the images of the subset and of each
 * stratum, times the resamples) the resamples run in the request's thread. 20 million is about a
 * quarter of a second of passes.
 */
export const WORKER_MIN_WORK = 20_000_000;

/** How long the request's thread computes batches before it lets other callbacks run. */
const INLINE_SLICE_MS = 20;

let threads = DEFAULT_EVALUATION_THREADS;
let minWork = WORKER_MIN_WORK;

/**
 * The worker threads evaluations use: DERMASET_EVALUATION_THREADS at the server's start (0 computes
 * every evaluation in the request's thread), and the work from which they are used (tests).
 * Returns the settings it replaced.
 */
export function configureEvaluationWorkers(o: { threads?: number; minWork?: number }): {
  threads: number;
  minWork: number;
} {
  const before = { threads, minWork };
  if (o.threads !== undefined) {
    threads = o.threads;
    for (const s of pool.splice(threads)) void s.worker.terminate();
  }
  if (o.minWork !== undefined) minWork = o.minWork;
  return before;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, { resolve: (outs: Float64Array[]) => void; reject: (e: Error) => void }>;
}

const pool: Slot[] = [];
let nextKey = 1;
let nextJob = 1;
let answered = 0;

/** Batches of resamples the workers of this process have answered (tests: the workers were used). */
export const workerBatches = (): number => answered;

/** The pool's i-th worker, started on first use; a worker that fails fails its batches and is replaced next time. */
function slot(i: number): Slot {
  const found = pool[i];
  if (found) return found;
  const worker = new Worker(new URL('./evaluation-worker.mjs', import.meta.url));
  const s: Slot = { worker, jobs: new Map() };
  // an idle worker does not keep the process alive; one with batches to answer does
  worker.unref();
  const fail = (e: Error) => {
    const at = pool.indexOf(s);
    if (at >= 0) pool.splice(at, 1);
    for (const job of s.jobs.values()) job.reject(e);
    s.jobs.clear();
  };
  worker.on('message', (m: WorkerReply) => {
    const job = s.jobs.get(m.job);
    if (!job) return;
    s.jobs.delete(m.job);
    if (s.jobs.size === 0) worker.unref();
    if ('error' in m) job.reject(new Error(`evaluation worker: ${m.error}`));
    else {
      answered++;
      job.resolve(m.outs);
    }
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`evaluation worker stopped (exit code ${code})`)));
  pool[i] = s;
  return s;
}

/** passDraws in the request's thread, letting other callbacks run every INLINE_SLICE_MS. */
function yieldingRunner(evs: readonly WeightedEvaluation[]): BatchRunner {
  const inline = inlineRunner(evs);
  let since = performance.now();
  return {
    inFlight: 1,
    async run(draws) {
      const outs = inline.run(draws) as Float64Array[];
      if (performance.now() - since > INLINE_SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        since = performance.now();
      }
      return outs;
    },
  };
}

/** The evaluations' batches on `n` worker threads: each loads the layouts once, then takes batches. */
function workerRunner(evs: readonly WeightedEvaluation[], n: number): BatchRunner {
  const key = nextKey++;
  const slots = Array.from({ length: n }, (_, i) => slot(i));
  const load: WorkerRequest = { type: 'load', key, layouts: evs.map((ev) => ev.layout) };
  for (const s of slots) s.worker.postMessage(load);
  return {
    inFlight: 2 * n,
    run(draws) {
      const live = slots.filter((s) => pool.includes(s));
      const s = live.sort((a, b) => a.jobs.size - b.jobs.size)[0];
      if (!s) throw new Error('evaluation worker stopped: no worker of this evaluation is left');
      const job = nextJob++;
      return new Promise<Float64Array[]>((resolve, reject) => {
        s.jobs.set(job, { resolve, reject });
        s.worker.ref();
        const request: WorkerRequest = { type: 'batch', key, job, draws };
        s.worker.postMessage(request, [draws.buffer as ArrayBuffer]);
      });
    },
    close() {
      const drop: WorkerRequest = { type: 'drop', key };
      for (const s of slots) if (pool.includes(s)) s.worker.postMessage(drop);
    },
  };
}

/**
 * The runner of an evaluation's resamples (bootstrapEvaluation, pairedAurocDifference): worker
 * threads when the work is large enough and threads are configured, the request's thread otherwise.
 * `threads` and `minWork` override the server's setting (tests, benches).
 */
export function evaluationRunner(o: {
  resamples: number;
  threads?: number;
  minWork?: number;
}): (evs: readonly WeightedEvaluation[]) => BatchRunner {
  return (evs) => {
    const n = o.threads ?? threads;
    const work = evs.reduce((sum, ev) => sum + ev.layout.slot.length, 0) * o.resamples;
    return n > 0 && work >= (o.minWork ?? minWork) ? workerRunner(evs, n) : yieldingRunner(evs);
  };
}
