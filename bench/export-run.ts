// One measurement of bench/export, in its own process so that its peak RSS is its own.
//   node --expose-gc --import tsx bench/export-run.ts <scan|isic-csv|parquet> <database url> <data dir>
// Prints one JSON line: rows, time, bytes, peak RSS (getrusage), the RSS before the first row (the
// runtime: node, tsx, Prisma and the module graph), the RSS and V8 heap after the first batch, and the
// live V8 heap after a full collection at the end (what the run still holds: flat if nothing grows
// with the row count). The collection at the end runs after the peak was read and cannot lower it.
import { Writable } from 'node:stream';
import { openDatabase } from '../src/db/client.ts';
import { useDatabase } from '../src/db/current.ts';
import { DEFAULT_PROFILE } from '../src/domain/deidentify.ts';
import { defaultOptions } from '../src/plugins/exporters/options.ts';
import { registry } from '../src/plugins/index.ts';
import { EXPORT_BATCH, EXPORT_INCLUDE, writeExport } from '../src/resolvers/exports.ts';
import { requestScope, resolveSubset } from '../src/resolvers/subset.ts';
import { blobStore } from '../src/storage/open.ts';

const MB = 2 ** 20;
const [mode = 'scan', url = '', dataDir = ''] = process.argv.slice(2);
const database = openDatabase(url);
useDatabase(database.db);
// one statement first, so that "before the first row" includes Prisma's query compiler
await database.db.$queryRawUnsafe('SELECT 1');
const runtimeRss = process.memoryUsage().rss / MB;
let firstBatch: { rssMb: number; heapUsedMb: number } | null = null;
const afterFirst = (n: number) => {
  if (firstBatch === null && n >= EXPORT_BATCH) {
    const m = process.memoryUsage();
    firstBatch = { rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB };
  }
};
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
    afterFirst(rows);
    const last = batch[batch.length - 1];
    if (!last || batch.length < EXPORT_BATCH) break;
    after = last.id;
  }
} else {
  const exporter = registry.exporter(mode);
  const policy = registry.policy('nine-class');
  if (!exporter || !policy) throw new Error(mode);
  let written = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      // the CSV writer's rows reach here as they are written: the first batch is in memory by now
      if (++written % 64 === 0) afterFirst(EXPORT_BATCH);
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
      store: blobStore(dataDir),
    },
    sink,
  );
  rows = result.rowCount;
}
const ms = performance.now() - started;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
console.log(
  JSON.stringify({
    mode,
    rows,
    ms,
    bytes,
    peakRssMb,
    runtimeRssMb: runtimeRss,
    firstBatch,
    liveHeapMb: gc ? process.memoryUsage().heapUsed / MB : null,
  }),
);
await database.close();
process.exit(0);
