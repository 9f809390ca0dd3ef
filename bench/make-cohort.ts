// bench/make-cohort: builds a bench cohort of N images fast, without the image pipeline, on SQLite
// or PostgreSQL: a fresh database migrated by our own runner, every table filled in bulk
// (bench/cohort-plan.ts generates the rows, bench/cohort-sinks.ts loads them), and a few real tiny
// JPEGs with WebP thumbnails in DATA_DIR/blobs that every row shares (their sha256, pixel hash and
// perceptual hash are unique per row).
//
//   npm run bench:cohort -- --images 1000000 --db sqlite --out /work/cohorts/sqlite-1m
//   npm run bench:cohort -- --images 100000 --db postgresql --pg-database dermaset_bench_100k --out /work/cohorts/pg-100k
//
// A server on the cohort: DATA_DIR=<out> DATABASE_URL=<url> DERMASET_PSEUDONYM_KEY=<BENCH_PSEUDONYM_KEY> npx dermaset serve
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { Command } from 'commander';
import pg from 'pg';
import sharp from 'sharp';
import { drawLesion } from '../prisma/demo/synthesize.ts';
import { migrate, readMigrations } from '../src/db/migrate.ts';
import { providerOf, sqlitePath } from '../src/db/provider.ts';
import { CLASS_CODES } from '../src/domain/classes.ts';
import { measureQuality } from '../src/ingest/analyse.ts';
import {
  BENCH_PSEUDONYM_KEY,
  COHORT_SCHEMA,
  type CohortCounts,
  generateCohort,
  type SharedBlob,
} from './cohort-plan.ts';
import { analyze, pgTarget, recreatePgDatabase, sqliteTarget, type Target } from './cohort-sinks.ts';

export { BENCH_PSEUDONYM_KEY };

/** The largest cohort the script builds (the biggest is 1,000,000). */
export const MAX_IMAGES = 5_000_000;
const BLOB_SIDE = { width: 160, height: 120 };
/** Pictures per class that the rows share. */
const BLOBS_PER_CLASS = 2;

export interface CohortOptions {
  images: number;
  /** file:… (SQLite) or postgresql://… */
  url: string;
  dataDir: string;
  seed?: number;
  log?: (line: string) => void;
}

export interface CohortResult extends CohortCounts {
  seconds: number;
}

/** Writes the shared pictures into DATA_DIR/blobs as the blob store lays them out. */
export async function writeSharedBlobs(dataDir: string, seed: number): Promise<SharedBlob[]> {
  // the local blob store's layout (src/storage): <kind>/<first two hex digits>/<sha256>.<ext>
  const put = (kind: 'originals' | 'thumbnails', bytes: Buffer, ext: string) => {
    const sha = createHash('sha256').update(bytes).digest('hex');
    const key = `${kind}/${sha.slice(0, 2)}/${sha}.${ext}`;
    const path = join(dataDir, 'blobs', key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    return { key, size: bytes.byteLength };
  };
  const out: SharedBlob[] = [];
  let n = 0;
  for (const diagnosisClass of CLASS_CODES) {
    for (let k = 0; k < BLOBS_PER_CLASS; k++) {
      const drawing = { seed: seed * 100 + ++n, diagnosisClass, ...BLOB_SIDE };
      const pixels = drawLesion(drawing);
      const raw = { raw: { ...BLOB_SIDE, channels: 3 as const } };
      const jpeg = await sharp(pixels, raw).jpeg({ quality: 85 }).toBuffer();
      const thumb = await sharp(pixels, raw).webp({ quality: 80 }).toBuffer();
      const original = put('originals', jpeg, 'jpg');
      const thumbnail = put('thumbnails', thumb, 'webp');
      const q = measureQuality(pixels, BLOB_SIDE.width, BLOB_SIDE.height);
      out.push({
        storageKey: original.key,
        thumbnailKey: thumbnail.key,
        ...BLOB_SIDE,
        format: 'jpeg',
        byteSize: original.size,
        sharpness: q.sharpness,
        clippedShare: q.clippedShare,
        glareShare: q.glareShare,
        meanLuminance: q.meanLuminance ?? 128,
        highlightShare: q.highlightShare ?? 0,
      });
    }
  }
  return out;
}

/** Builds a fresh cohort: drops what is at `url`, migrates, loads, re-indexes and ANALYZEs. */
export async function makeCohort(opts: CohortOptions): Promise<CohortResult> {
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(opts.images) || opts.images < 1 || opts.images > MAX_IMAGES) {
    throw new RangeError(`--images must be a whole number from 1 to ${MAX_IMAGES.toLocaleString('en')}`);
  }
  const t0 = performance.now();
  const provider = providerOf(opts.url);
  mkdirSync(opts.dataDir, { recursive: true });
  if (provider === 'sqlite') {
    const file = sqlitePath(opts.url);
    for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
  } else {
    await recreatePgDatabase(opts.url);
  }
  // the schema the generator writes rows for; later migrations run after the load, so that their
  // backfills fill what they add (as they would on a real database)
  await migrate(opts.url, { upTo: COHORT_SCHEMA });
  const blobs = await writeSharedBlobs(opts.dataDir, seed);
  const target: Target = provider === 'sqlite' ? sqliteTarget(opts.url) : await pgTarget(opts.url);
  let counts: CohortCounts;
  try {
    const tGen = performance.now();
    let lastLog = 0;
    counts = await generateCohort({
      images: opts.images,
      seed,
      blobs,
      sink: target,
      ownCollectionId: target.ownCollectionId,
      onProgress: (n) => {
        const now = performance.now();
        if (now - lastLog < 5_000) return;
        lastLog = now;
        const rate = Math.round(n / ((now - tGen) / 1000));
        log(
          `  ${n.toLocaleString('en')} of ${opts.images.toLocaleString('en')} images (${rate.toLocaleString('en')}/s)`,
        );
      },
    });
    log(`rows generated and loaded in ${((performance.now() - tGen) / 1000).toFixed(1)} s:`);
    for (const [table, n] of Object.entries(counts.rows))
      log(`  ${table.padEnd(22)} ${n.toLocaleString('en').padStart(12)}`);
    await target.finish(log);
  } finally {
    await target.close();
  }
  const tLater = performance.now();
  const later = await migrate(opts.url);
  if (later.length > 0)
    log(`  later migrations ${later.join(', ')}: ${((performance.now() - tLater) / 1000).toFixed(1)} s`);
  await analyze(opts.url, log);
  // so that `dermaset serve` on the folder uses the key the codes were made with
  writeFileSync(join(opts.dataDir, 'pseudonym.key'), BENCH_PSEUDONYM_KEY, { mode: 0o600 });
  const seconds = (performance.now() - t0) / 1000;
  log(`cohort of ${counts.images.toLocaleString('en')} images built in ${seconds.toFixed(1)} s`);
  return { ...counts, seconds };
}

/** The migrations of the code that a cohort's database has not applied yet (empty: up to date). */
export async function pendingMigrations(url: string): Promise<string[]> {
  const all = readMigrations(providerOf(url)).map((m) => m.name);
  let applied: string[];
  if (providerOf(url) === 'sqlite') {
    const db = new BetterSqlite3(sqlitePath(url), { readonly: true, fileMustExist: true });
    try {
      applied = (
        db
          .prepare(
            'SELECT migration_name FROM _prisma_migrations WHERE rolled_back_at IS NULL AND finished_at IS NOT NULL',
          )
          .all() as {
          migration_name: string;
        }[]
      ).map((r) => r.migration_name);
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE rolled_back_at IS NULL AND finished_at IS NOT NULL',
      );
      applied = rows.map((r) => r.migration_name);
    } finally {
      await client.end();
    }
  }
  const done = new Set(applied);
  return all.filter((m) => !done.has(m));
}

/** Whether a cohort exists at `url` (a SQLite file, or a PostgreSQL database with our migrations table). */
export async function cohortExists(url: string): Promise<boolean> {
  if (providerOf(url) === 'sqlite') return existsSync(sqlitePath(url));
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return false;
  }
  try {
    const { rows } = await client.query(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS ok`);
    return rows[0]?.ok === true;
  } finally {
    await client.end();
  }
}

/** Applies the code's pending migrations to an existing cohort (a migration added after it was built). */
export async function refreshCohort(url: string, log: (line: string) => void = () => {}): Promise<string[]> {
  const pending = await pendingMigrations(url);
  if (pending.length === 0) return [];
  const t0 = performance.now();
  const applied = await migrate(url);
  log(`  applied ${applied.join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return applied;
}

const PG_DEFAULT = 'postgresql://postgres@127.0.0.1:5432/';

export function cohortUrl(db: 'sqlite' | 'postgresql', dataDir: string, pgDatabase?: string): string {
  if (db === 'sqlite') return `file:${join(resolve(dataDir), 'dermaset.db')}`;
  const base = process.env.BENCH_PG_URL ?? PG_DEFAULT;
  if (!pgDatabase) throw new Error('--pg-database is required with --db postgresql');
  return base.replace(/\/[^/]*$/, `/${pgDatabase}`);
}

async function main(): Promise<void> {
  const cli = new Command('make-cohort')
    .description('build a bench cohort of N images without the image pipeline')
    .requiredOption('--images <n>', `images, 1 to ${MAX_IMAGES}`, (v) => Number(v.replace(/_/g, '')))
    .requiredOption('--db <provider>', 'sqlite or postgresql')
    .requiredOption('--out <dir>', 'the cohort folder (DATA_DIR): dermaset.db for SQLite, and blobs/')
    .option(
      '--pg-database <name>',
      'the PostgreSQL database (dropped and re-created), on BENCH_PG_URL or 127.0.0.1:5432',
    )
    .option('--seed <n>', 'random seed', (v) => Number(v), 1)
    .parse();
  const o = cli.opts<{ images: number; db: string; out: string; pgDatabase?: string; seed: number }>();
  if (o.db !== 'sqlite' && o.db !== 'postgresql') throw new Error('--db must be sqlite or postgresql');
  if (!Number.isInteger(o.seed)) throw new Error('--seed must be a whole number');
  const url = cohortUrl(o.db, o.out, o.pgDatabase);
  console.log(
    `building a cohort of ${o.images.toLocaleString('en')} images at ${o.db === 'sqlite' ? url : o.pgDatabase} (seed ${o.seed})`,
  );
  await makeCohort({ images: o.images, url, dataDir: resolve(o.out), seed: o.seed, log: (l) => console.log(l) });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
