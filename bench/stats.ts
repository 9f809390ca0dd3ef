// bench/stats: the time of the full stats(…) + datasheet (with its four figures) beside one raw
// GROUP BY scan of the image table, in the same run (goal: at most 5×): on the demo cohort, or with
// --db on an existing cohort (read only).
//   npm run bench:stats
//   npm run bench:stats -- --db file:/work/cohorts/sqlite-1m/dermaset.db --data-dir /work/cohorts/sqlite-1m [--cohort 1m]
// Figures (bench/report.ts): the scan; stats and stats + datasheet cold (the stats and the dataset
// version kept by data version and the rendered figures forgotten, as after a write of the records)
// and warm (all kept); the first call of the process (nothing built yet, whatever the facets keep
// included).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemo } from '../prisma/demo/seed.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { useDatabase } from '../src/db/current.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { clearDatasheetCache, computeDatasheet } from '../src/resolvers/datasheet.ts';
import { clearChartCache } from '../src/resolvers/datasheet-charts.ts';
import { clearStatsCache, computeStats } from '../src/resolvers/stats.ts';
import { requestScope, resolveSubset } from '../src/resolvers/subset.ts';
import { report } from './report.ts';
import { median } from './timing.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const url = arg('db');
const cohort = arg('cohort') ?? (url ? 'cohort' : 'demo');

let dataDir = arg('data-dir') ?? '';
let own = false;
if (!url) {
  dataDir = mkdtempSync(join(tmpdir(), 'dermaset-bench-stats-'));
  own = true;
}
const config = loadConfig({
  DATA_DIR: dataDir,
  ...(url ? { DATABASE_URL: url } : {}),
  DERMASET_MIN_SIDE: '32',
  DERMASET_PSEUDONYM_KEY: 'bench-key-0123456789abcdef',
});
if (!url) {
  console.log('bench/stats: seeding the demo cohort (96×72 px images)…');
  await migrate(config.databaseUrl);
}
const database = openDatabase(config.databaseUrl);
useDatabase(database.db);
if (!url) await seedDemo(database.db, createPipeline(config, database.db), { size: { width: 96, height: 72 } });

const images = await database.db.image.count();
// at a million images each call takes seconds: fewer runs
const runs = images > 200_000 ? 3 : images > 20_000 ? 5 : 7;
const bench = 'stats';
const label = (what: string) => `${what} (${cohort})`;

try {
  const scanSql =
    'SELECT diagnosis_class, verification_stage, patient_id, COUNT(*) AS n FROM image GROUP BY diagnosis_class, verification_stage, patient_id';
  const sheet = async () => computeDatasheet(await resolveSubset(requestScope(), {}));
  // the first call of the process: nothing kept, nothing rendered
  let t = performance.now();
  await sheet();
  const first = performance.now() - t;
  const scan = await median(() => database.db.$queryRawUnsafe(scanSql), runs);
  const statsCold = await median(async () => {
    clearStatsCache();
    await computeStats(await resolveSubset(requestScope(), {}));
  }, runs);
  const sheetCold = await median(async () => {
    clearStatsCache();
    clearChartCache();
    clearDatasheetCache();
    await sheet();
  }, runs);
  const sheetWarm = await median(sheet, runs);
  t = performance.now();
  await database.db.$queryRawUnsafe(scanSql);
  const scanAfter = performance.now() - t;
  const baseline = { what: 'raw GROUP BY (class, stage, patient) scan of the image table', value: scan };
  console.log(
    `bench/stats: ${images.toLocaleString('en')} images, median of ${runs} (scan again at the end: ${scanAfter.toFixed(0)} ms)`,
  );
  report({ bench, what: label('raw GROUP BY scan'), value: scan, unit: 'ms' });
  for (const [what, value] of [
    ['stats, cold', statsCold],
    ['stats + datasheet with figures, cold', sheetCold],
    ['stats + datasheet with figures, warm', sheetWarm],
    ['stats + datasheet, first call of the process', first],
  ] as const) {
    const ratio = value / scan;
    report({ bench, what: label(what), value, unit: 'ms', baseline, ratio, target: '≤ 5× the scan', met: ratio <= 5 });
  }
} finally {
  await database.close();
  if (own) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
