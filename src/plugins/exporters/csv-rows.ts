import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify';

/** Streams rows as CSV (RFC 4180, a header line) into `out` with backpressure. */
export async function writeCsv(
  out: Writable,
  columns: readonly string[],
  rows: AsyncIterable<Record<string, string>>,
): Promise<void> {
  const csv = stringify({ header: true, columns: [...columns], record_delimiter: 'unix' });
  const piped = new Promise<void>((resolve, reject) => {
    csv.on('error', reject);
    csv.on('end', resolve);
    csv.on('data', (chunk: Buffer) => {
      if (!out.write(chunk)) {
        csv.pause();
        out.once('drain', () => csv.resume());
      }
    });
  });
  for await (const row of rows) {
    if (!csv.write(row)) await once(csv, 'drain');
  }
  csv.end();
  await piped;
}
