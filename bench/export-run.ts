// One measurement of bench/export, in its own process so that its peak RSS is its own.
//   tsx bench/export-run.ts <scan|isic-csv|parquet> <database url> <data dir>

import { join } from 'node:path';
import { Writable } from 'node:stream';
import { openDatabase } from '../src/db/client.ts';
import { useDatabase } from '../src/db/current.ts';
import { DEFAULT_PROFILE } from '../src/domain/deidentify.ts';
import { defaultOptions } from '../src/plugins/exporters/options.ts';
import { registry } from '../src/plugins/index.ts';
import { EXPORT_BATCH, EXPORT_INCLUDE, writeExport } from '../src/resolvers/exports.ts';
import { requestScope, resolveSubset } from '../src/resolvers/subset.ts';
import { BlobStore } from '../src/storage/blob-store.ts';

const [mode = 'scan', url = '', dataDir = ''] = process.argv.slice(2);
const database = openDatabase(url);
useDatabase(database.db);
const baseline = process.memoryUsage().rss;
const started = performance.now();
let rows = 0;
let bytes = 0;
if (mode === 'scan') {
  // the raw row scan: the same keyset batches and columns, read and dropped
  let after = 0;
  for (;;) {
    const batch = await database.db.image.findMany({
      where: { id: { gt: after } },
      orderBy: { id: 'asc' },
      take: EXPORT_BATCH,
      include: EXPORT_INCLUDE,
    });
    rows += batch.length;
    const last = batch[batch.length - 1];
    if (!last || batch.length < EXPORT_BATCH) break;
    after = last.id;
  }
} else {
  const exporter = registry.exporter(mode);
  const policy = registry.policy('nine-class');
  if (!exporter || !policy) throw new Error(mode);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done();
    },
  });
  const scope = requestScope();
  const result = await writeExport(
    {
      exporter,
      subset: await resolveSubset(scope, { filter: {}, policy: policy.id }),
      split: null,
      options: defaultOptions(exporter.options),
      withExaminer: false,
      profile: DEFAULT_PROFILE,
      store: new BlobStore(join(dataDir, 'blobs')),
    },
    sink,
  );
  rows = result.rowCount;
}
const ms = performance.now() - started;
console.log(
  JSON.stringify({
    mode,
    rows,
    ms,
    bytes,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    baselineRssMb: baseline / 2 ** 20,
  }),
);
await database.close();
process.exit(0);
