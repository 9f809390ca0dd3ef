// bench/ingest: the acquisition pipeline's throughput beside bare sharp decode + thumbnail on the
// same images, at the same concurrency, in the same run (goal: pipeline ≥ 70 % of bare with both
// cores busy), once per database, and the time of a first start.
//
//   npm run bench:ingest [-- --images 120 --concurrency 2,4 --no-first-start]
//   npm run bench:ingest -- --db postgresql://postgres@127.0.0.1:5432/dermaset_bench_1m --data-dir …
//
// Given --db (as npm run bench does), the images go into a scratch database of the same kind: a
// temporary SQLite file, or a database created beside the named one on the same PostgreSQL server
// and dropped at the end. A cohort is never written to. Figures go through bench/report.ts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import pg from 'pg';
import sharp from 'sharp';
import { lesionJpeg } from '../prisma/demo/synthesize.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { providerOf } from '../src/db/provider.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { report } from './report.ts';

const o = new Command()
  .option('--images <n>', 'synthetic images per concurrency level', '120')
  .option('--concurrency <list>', 'images in flight, for bare sharp and the pipeline alike', '2,4')
  .option('--width <px>', 'image width', '1024')
  .option('--height <px>', 'image height', '768')
  .option('--db <url>', 'the kind of database to ingest into (a scratch database beside it; default SQLite)')
  .option('--data-dir <dir>', 'ignored: a cohort is never written to (accepted as npm run bench passes it)')
  .option('--cohort <name>', 'ignored (ingest runs once per database)')
  .option('--no-first-start', 'skip the first-start measurement')
  .parse()
  .opts<{
    images: string;
    concurrency: string;
    width: string;
    height: string;
    db?: string;
    firstStart: boolean;
  }>();
const N = Number(o.images);
const LEVELS = o.concurrency.split(',').map(Number);
const WIDTH = Number(o.width);
const HEIGHT = Number(o.height);
if (!(Number.isInteger(N) && N >= 6 && N <= 2_000)) throw new Error('--images must be 6 to 2000');
if (!LEVELS.every((c) => Number.isInteger(c) && c >= 1 && c <= 16)) throw new Error('--concurrency: 1 to 16 each');
if (!(WIDTH >= 64 && WIDTH <= 4096 && HEIGHT >= 64 && HEIGHT <= 4096)) throw new Error('--width/--height: 64 to 4096');
const provider = o.db ? providerOf(o.db) : 'sqlite';

/** Runs fn over items with n in flight; returns the wall time and the process's CPU time (all threads). */
async function pool<T>(
  items: T[],
  n: number,
  fn: (item: T, i: number) => Promise<unknown>,
): Promise<{ ms: number; cpuMs: number }> {
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

/** What any image service does at least: decode every pixel, then make a 256 px thumbnail. */
async function bare(bytes: Buffer) {
  const { data, info } = await sharp(bytes).rotate().raw().toBuffer({ resolveWithObject: true });
  await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .resize(256, 256, { fit: 'inside' })
    .webp({ quality: 80 })
    .toBuffer();
}

async function firstStart(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dermaset-first-start-'));
  const started = performance.now();
  const child = spawn(join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx'), ['src/cli/index.ts', 'serve'], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', DATABASE_URL: `file:${join(dataDir, 'dermaset.db')}` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let log = '';
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /GraphQL at (http:\/\/\S+)\/graphql/.exec(log);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${log.slice(-500)}`)));
  });
  // the server listens at once and seeds in the background: ready is /health answering 200
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const status = await fetch(`${url}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (status !== 503 && status !== 0) throw new Error(`health answered ${status}`);
    if (Date.now() > deadline) throw new Error('the demo cohort was not ready within 10 minutes');
    await new Promise((r) => setTimeout(r, 200));
  }
  const elapsed = performance.now() - started;
  child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
  return elapsed;
}

/** A scratch database of the kind asked: a temporary SQLite file, or a new PostgreSQL database. */
async function scratchDatabase(dataDir: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (provider === 'sqlite') return { url: `file:${join(dataDir, 'dermaset.db')}`, drop: async () => undefined };
  const name = `dermaset_bench_ingest_${process.pid}`;
  const server = new URL(o.db as string);
  server.pathname = '/postgres';
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: server.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${name}"`);
  const u = new URL(o.db as string);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

console.log(
  `bench/ingest: ${N} synthetic ${WIDTH}×${HEIGHT} JPEGs with EXIF+GPS per level, ${LEVELS.join(' and ')} in flight, ${provider}`,
);
const images = await Promise.all(
  Array.from({ length: N * LEVELS.length }, (_, i) =>
    lesionJpeg(
      { seed: 9000 + i, diagnosisClass: i % 5 ? 'NEVUS' : 'SEBORRHEIC_KERATOSIS', width: WIDTH, height: HEIGHT },
      { exif: true },
    ),
  ),
);
await bare(images[0] as Buffer); // warm up libvips

const dataDir = mkdtempSync(join(tmpdir(), 'dermaset-bench-'));
const scratch = await scratchDatabase(dataDir);
const config = loadConfig({
  DATA_DIR: dataDir,
  DATABASE_URL: scratch.url,
  DERMASET_PSEUDONYM_KEY: 'bench-key-0123456789abcdef',
});
await migrate(config.databaseUrl);
const database = openDatabase(config.databaseUrl);
const pipeline = createPipeline(config, database.db);
const record = (i: number) => ({
  patient_id: `P${i % 40}`,
  lesion_id: `L${i}`,
  acquisition_date: '2025-09-01',
  age_at_exam: String(20 + (i % 60)),
  sex: i % 40 < 25 ? 'female' : 'male',
  clinical_diagnosis: i % 5 ? 'nevus' : 'seborrheic keratosis',
  dermoscopic_structures: 'pigment_network_typical',
  dominant_colors: 'light_brown',
  examiner_id: 'DERM-01',
  image_quality_score: '4',
});
const ingest = async (b: Buffer, i: number) => {
  const res = await pipeline.ingest({ bytes: b, record: record(i), fileName: `img-${i}.jpg`, source: 'bench' });
  if (res.outcome !== 'ACCEPTED') throw new Error(`unexpected ${res.outcome}`);
};
// warm up the pipeline (Prisma's query plans, the pseudonymiser) on images not measured
const warm = await Promise.all(
  [1, 2, 3, 4].map((k) => lesionJpeg({ seed: 100 + k, diagnosisClass: 'NEVUS', width: WIDTH, height: HEIGHT })),
);
for (const [k, b] of warm.entries()) await ingest(b, 100_000 + k);

try {
  for (const [level, concurrency] of LEVELS.entries()) {
    // alternate the two measurements so that neither gets a warmer machine
    const rounds = 3;
    const bareRun = { ms: 0, cpuMs: 0 };
    const pipeRun = { ms: 0, cpuMs: 0 };
    for (let r = 0; r < rounds; r++) {
      const offset = level * N + Math.floor((r * N) / rounds);
      const slice = images.slice(offset, level * N + Math.floor(((r + 1) * N) / rounds));
      const b = await pool(slice, concurrency, (x) => bare(x));
      const p = await pool(slice, concurrency, (x, i) => ingest(x, offset + i));
      bareRun.ms += b.ms;
      bareRun.cpuMs += b.cpuMs;
      pipeRun.ms += p.ms;
      pipeRun.cpuMs += p.cpuMs;
    }
    const bareRate = (N / bareRun.ms) * 1000;
    const pipeRate = (N / pipeRun.ms) * 1000;
    const at = `${concurrency} in flight, ${provider}`;
    report({
      bench: 'ingest',
      what: `bare sharp decode + 256 px thumbnail (${at})`,
      value: bareRate,
      unit: 'images/s',
    });
    report({
      bench: 'ingest',
      what: `bare sharp: cores busy (CPU time ÷ wall time, ${at})`,
      value: bareRun.cpuMs / bareRun.ms,
      unit: 'cores',
    });
    report({
      bench: 'ingest',
      what: `acquisition pipeline (${at})`,
      value: pipeRate,
      unit: 'images/s',
      baseline: { what: 'bare sharp, same images and concurrency', value: bareRate },
      ratio: pipeRate / bareRate,
      target: '≥ 70 % of bare sharp',
      met: pipeRate / bareRate >= 0.7,
    });
    report({
      bench: 'ingest',
      what: `CPU per image: pipeline (${at})`,
      value: pipeRun.cpuMs / N,
      unit: 'ms',
      baseline: { what: 'bare sharp', value: bareRun.cpuMs / N },
      ratio: pipeRun.cpuMs / bareRun.cpuMs,
    });
  }
} finally {
  await database.close();
  await scratch.drop();
  rmSync(dataDir, { recursive: true, force: true });
}

if (o.firstStart && !o.db) {
  const ms = await firstStart();
  report({
    bench: 'ingest',
    what: 'first start (migrate + seed 1,076 demo attempts + serve)',
    value: ms / 1000,
    unit: 's',
  });
}
process.exit(0);
