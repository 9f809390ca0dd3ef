// bench/export: rows/s and peak RSS of the isic-csv and parquet exports beside a raw row scan of
// the same data, each in its own process, in the same run.
//   npm run bench:export
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemo } from '../prisma/demo/seed.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';

const root = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'dermaset-bench-export-'));
const config = loadConfig({
  DATA_DIR: dataDir,
  DERMASET_MIN_SIDE: '32',
  DERMASET_PSEUDONYM_KEY: 'bench-key-0123456789abcdef',
});
console.log('bench/export: seeding the demo cohort (96×72 px images)…');
await migrate(config.databaseUrl);
const database = openDatabase(config.databaseUrl);
await seedDemo(database.db, createPipeline(config, database.db), { size: { width: 96, height: 72 } });
await database.close();

type Result = { mode: string; rows: number; ms: number; bytes: number; peakRssMb: number; baselineRssMb: number };
const run = (mode: string): Result =>
  JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/export-run.ts', mode, config.databaseUrl, dataDir], {
      cwd: root,
      encoding: 'utf8',
    }).trim(),
  );

try {
  const results = ['scan', 'isic-csv', 'parquet', 'scan', 'isic-csv', 'parquet'].map(run);
  const best = (mode: string) => results.filter((r) => r.mode === mode).reduce((a, b) => (b.ms < a.ms ? b : a));
  const scan = best('scan');
  for (const mode of ['scan', 'isic-csv', 'parquet']) {
    const r = best(mode);
    const rate = (r.rows / r.ms) * 1000;
    console.log(
      `${mode.padEnd(9)} ${String(r.rows).padStart(6)} rows  ${rate.toFixed(0).padStart(7)} rows/s  ` +
        `peak RSS ${r.peakRssMb.toFixed(0)} MB (start ${r.baselineRssMb.toFixed(0)} MB)` +
        (mode === 'scan'
          ? ''
          : `  ${((scan.ms / r.ms) * 100).toFixed(0)} % of the raw scan's speed, ${(r.bytes / 1024).toFixed(0)} kB`),
    );
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
