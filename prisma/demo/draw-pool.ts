import { Worker } from 'node:worker_threads';
import type { LesionDrawing } from './synthesize.ts';

/**
 * One drawing thread. Drawing is plain JavaScript (about 40 ms an image); in a worker it overlaps
 * with the pipeline's work on the main thread and in libvips, which shortens the demo seed.
 */
export class DrawPool {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  #next = 0;

  constructor() {
    // the worker is TypeScript: its JavaScript entry loads it through tsx, whatever started this process
    this.#worker = new Worker(new URL('./draw-worker.mjs', import.meta.url));
    this.#worker.on('message', (m: { id: number; pixels: Uint8Array }) => {
      this.#pending.get(m.id)?.resolve(Buffer.from(m.pixels.buffer, m.pixels.byteOffset, m.pixels.byteLength));
      this.#pending.delete(m.id);
    });
    this.#worker.on('error', (e) => {
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    });
  }

  draw(drawing: LesionDrawing): Promise<Buffer> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, drawing });
    });
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}
