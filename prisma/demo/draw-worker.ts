// Draws lesion pixels off the main thread, which meanwhile runs the acquisition pipeline.
import { parentPort } from 'node:worker_threads';
import { drawLesion, type LesionDrawing } from './synthesize.ts';

parentPort?.on('message', (msg: { id: number; drawing: LesionDrawing }) => {
  const pixels = drawLesion(msg.drawing);
  const copy = new Uint8Array(pixels); // an ArrayBuffer of its own, transferred without another copy
  parentPort?.postMessage({ id: msg.id, pixels: copy }, [copy.buffer]);
});
