// A deterministic, streaming zip for exporters: entries are added one at a time (so at most one
// image is in flight), every entry has the same timestamp, and each file's SHA-256 is taken as it
// passes through, for the manifest.
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import type { ExportFile } from '../types.ts';
import { hashingTap } from './hashing.ts';

/** Fixed entry time: the same inputs give a byte-identical archive. */
const MTIME = new Date(2000, 0, 1, 0, 0, 0);

export class ZipWriter {
  readonly #zip = new yazl.ZipFile();
  readonly #done: Promise<void>;
  readonly files: ExportFile[] = [];

  constructor(out: Writable) {
    this.#done = pipeline(this.#zip.outputStream, out);
  }

  /** Adds a file from a stream or a buffer; resolves once its bytes have been read. */
  async add(path: string, source: Readable | Buffer, opts: { compress?: boolean } = {}): Promise<ExportFile> {
    const { stream: tap, result } = hashingTap();
    const ended = new Promise<void>((resolve, reject) => {
      tap.on('end', resolve);
      tap.on('error', reject);
    });
    this.#zip.addReadStream(tap, path, { mtime: MTIME, compress: opts.compress ?? true, mode: 0o100644 });
    if (Buffer.isBuffer(source)) tap.end(source);
    else source.pipe(tap);
    await ended;
    const file = { path, ...result() };
    this.files.push(file);
    return file;
  }

  async finish(): Promise<void> {
    this.#zip.end();
    await this.#done;
  }
}
