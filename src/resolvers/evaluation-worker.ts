// An evaluation worker thread: computes batches of bootstrap resamples (passDraws) of the
// evaluations its parent loaded, reading their layouts from shared memory. Started by
// evaluation-workers.ts through evaluation-worker.mjs.
import { parentPort } from 'node:worker_threads';
import { type EvaluationLayout, passDraws, WeightedEvaluation } from '../domain/evaluation-bootstrap.ts';
import type { WorkerReply, WorkerRequest } from './evaluation-workers.ts';

const port = parentPort;
if (!port) throw new Error('evaluation-worker.ts runs as a worker thread (evaluation-workers.ts)');

const loaded = new Map<number, { evs: WeightedEvaluation[]; layouts: Int32Array[] }>();

port.on('message', (m: WorkerRequest) => {
  if (m.type === 'load') {
    loaded.set(m.key, { evs: m.layouts.map((l: EvaluationLayout) => new WeightedEvaluation(l)), layouts: [] });
    return;
  }
  if (m.type === 'drop') {
    loaded.delete(m.key);
    return;
  }
  let reply: WorkerReply;
  try {
    const found = loaded.get(m.key);
    if (!found) throw new Error(`evaluation ${m.key} is not loaded in this worker`);
    reply = { job: m.job, outs: passDraws(found.evs, m.draws, found.layouts) };
  } catch (e) {
    port.postMessage({ job: m.job, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    return;
  }
  port.postMessage(
    reply,
    reply.outs.map((o) => o.buffer as ArrayBuffer),
  );
});
