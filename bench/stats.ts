// bench/stats: the time of the full stats(…) + datasheet (with its four figures) beside one raw
// GROUP BY scan of the image table, on the demo cohort, in the same run (goal: at most 5×).
//   npm run bench:stats
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemo } from '../prisma/demo/seed.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { useDatabase } from '../src/db/current.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { computeDatasheet } from '../src/resolvers/datasheet.ts';
import { clearChartCache } from '../src/resolvers/datasheet-charts.ts';
import { computeStats } from '../src/resolvers/stats.ts';
import { requestScope, resolveSubset } from '../src/resolvers/subset.ts';
import { median } from './timing.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'dermaset-bench-stats-'));
const config = loadConfig({
  DATA_DIR: dataDir,
  DERMASET_MIN_SIDE: '32',
  DERMASET_PSEUDONYM_KEY: 'bench-key-0123456789abcdef',
});
console.log('bench/stats: seeding the demo cohort (96×72 px images)…');
await migrate(config.databaseUrl);
const database = openDatabase(config.databaseUrl);
useDatabase(database.db);
await seedDemo(database.db, createPipeline(config, database.db), { size: { width: 96, height: 72 } });

const time = median;

try {
  const scan = await time(() =>
    database.db.$queryRawUnsafe(
      'SELECT diagnosis_class, verification_stage, patient_id, COUNT(*) AS n FROM image GROUP BY diagnosis_class, verification_stage, patient_id',
    ),
  );
  const stats = await time(async () => computeStats(await resolveSubset(requestScope(), {})));
  // cold: every figure rendered; warm: the figures of unchanged data come from the cache
  const cold = await time(async () => {
    clearChartCache();
    await computeDatasheet(await resolveSubset(requestScope(), {}));
  });
  const sheet = await time(async () => computeDatasheet(await resolveSubset(requestScope(), {})));
  console.log(`raw GROUP BY scan of the image table   ${scan.toFixed(1).padStart(8)} ms (median of 7)`);
  console.log(
    `stats(), every section                 ${stats.toFixed(1).padStart(8)} ms  ${(stats / scan).toFixed(1)}×`,
  );
  console.log(
    `stats + datasheet, figures rendered    ${cold.toFixed(1).padStart(8)} ms  ${(cold / scan).toFixed(1)}× (goal ≤ 5×)`,
  );
  console.log(
    `stats + datasheet, figures cached      ${sheet.toFixed(1).padStart(8)} ms  ${(sheet / scan).toFixed(1)}× (goal ≤ 5×)`,
  );
} finally {
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
