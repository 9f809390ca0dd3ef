// bench/export: rows/s and peak RSS of the isic-csv and parquet exports beside a raw row scan of the
// same rows (the baseline, measured in the same run), each in its own process so that its peak RSS
// is its own.
//
//   npm run bench:export                        the demo cohort (1,026 records), seeded into a temporary folder
//   npm run bench:export -- --db file:/work/cohorts/sqlite-1m/dermaset.db --data-dir /work/cohorts/sqlite-1m
//   npm run bench:export -- --db postgresql://postgres@127.0.0.1:5432/dermaset_bench_1m --data-dir /work/cohorts/pg-1m
//        [--modes scan,isic-csv,parquet] [--runs 1] [--cohort 1m]
//
// With --db the cohort is only read. Figures go through bench/report.ts (BENCH_JSON=1: one JSON line
// each). Targets (issue 15): an export at ≥ 50 % of the scan's rows/s, peak RSS < 256 MB.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { seedDemo } from '../prisma/demo/seed.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { report } from './report.ts';

const MODES = ['scan', 'isic-csv', 'parquet'] as const;
type Mode = (typeof MODES)[number];

const o = new Command()
  .option('--db <url>', 'an existing cohort (read only); default: seed the demo cohort into a temporary folder')
  .option('--data-dir <dir>', "the cohort's data folder (its blobs)")
  .option('--cohort <name>', 'the cohort size, for the figures (set by npm run bench)')
  .option('--modes <list>', `what to measure, of ${MODES.join(', ')} (the scan is the baseline)`, MODES.join(','))
  .option('--runs <n>', 'runs of each, the fastest counted (default 2 on the demo, 1 on a cohort)')
  .parse()
  .opts<{ db?: string; dataDir?: string; cohort?: string; modes: string; runs?: string }>();

const modes = o.modes.split(',').map((m) => m.trim());
for (const m of modes) if (!(MODES as readonly string[]).includes(m)) throw new Error(`unknown mode ${m}`);
if (o.db && !o.dataDir) throw new Error('--db needs --data-dir (the cohort whose rows are read)');
const runs = Number(o.runs ?? (o.db ? 1 : 2));
if (!(Number.isInteger(runs) && runs >= 1 && runs <= 5)) throw new Error('--runs must be 1 to 5');

const root = join(import.meta.dirname, '..');
let url: string;
let dataDir: string;
let temporary: string | null = null;
if (o.db && o.dataDir) {
  url = o.db;
  dataDir = o.dataDir;
} else {
  temporary = mkdtempSync(join(tmpdir(), 'dermaset-bench-export-'));
  dataDir = temporary;
  const config = loadConfig({
    DATA_DIR: dataDir,
    DERMASET_MIN_SIDE: '32',
    DERMASET_PSEUDONYM_KEY: 'bench-key-0123456789abcdef',
  });
  url = config.databaseUrl;
  console.log('bench/export: seeding the demo cohort (96×72 px images)…');
  await migrate(config.databaseUrl);
  const database = openDatabase(config.databaseUrl);
  await seedDemo(database.db, createPipeline(config, database.db), { size: { width: 96, height: 72 } });
  await database.close();
}
const cohort = o.cohort ?? (o.db ? 'cohort' : 'demo');

interface Result {
  mode: Mode;
  rows: number;
  ms: number;
  bytes: number;
  peakRssMb: number;
  runtimeRssMb: number;
  firstBatch: { rssMb: number; heapUsedMb: number } | null;
  liveHeapMb: number | null;
}
const run = (mode: Mode): Result =>
  JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/export-run.ts', mode, url, dataDir], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    }).trim(),
  );

try {
  const results: Result[] = [];
  // alternate the modes, so that none gets a quieter machine
  for (let r = 0; r < runs; r++) for (const m of modes) results.push(run(m as Mode));
  const best = (mode: string) =>
    results.filter((r) => r.mode === mode).reduce<Result | null>((a, b) => (a === null || b.ms < a.ms ? b : a), null);
  const scan = best('scan');
  const rate = (r: Result) => (r.rows / r.ms) * 1000;
  const what = (s: string) => `${s} (${cohort})`;
  if (scan) {
    report({
      bench: 'export',
      what: what('raw row scan, same batches and columns'),
      value: rate(scan),
      unit: 'rows/s',
    });
    report({ bench: 'export', what: what('raw row scan, peak RSS'), value: scan.peakRssMb, unit: 'MB' });
  }
  for (const mode of ['isic-csv', 'parquet'] as const) {
    const r = best(mode);
    if (!r) continue;
    report({
      bench: 'export',
      what: what(`${mode} export, ${r.rows.toLocaleString('en')} rows`),
      value: rate(r),
      unit: 'rows/s',
      ...(scan
        ? {
            baseline: { what: 'raw row scan', value: rate(scan) },
            ratio: rate(r) / rate(scan),
            target: '≥ 50 % of the scan',
            met: rate(r) / rate(scan) >= 0.5,
          }
        : {}),
    });
    report({
      bench: 'export',
      what: what(`${mode} export, peak RSS`),
      value: r.peakRssMb,
      unit: 'MB',
      baseline: { what: 'the runtime before the first row', value: r.runtimeRssMb },
      ratio: r.peakRssMb / r.runtimeRssMb,
      target: '< 256 MB',
      met: r.peakRssMb < 256,
    });
    if (r.liveHeapMb !== null)
      report({
        bench: 'export',
        what: what(`${mode} export, live V8 heap at the end (after GC)`),
        value: r.liveHeapMb,
        unit: 'MB',
        ...(r.firstBatch
          ? { baseline: { what: 'heap in use after the first batch', value: r.firstBatch.heapUsedMb } }
          : {}),
      });
  }
} finally {
  if (temporary) rmSync(temporary, { recursive: true, force: true });
}
process.exit(0);
