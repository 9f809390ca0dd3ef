// bench/import-public: stores the four committed public tables (HAM10000, ISIC 2019, Derm7pt, PH2;
// test/fixtures/public-metadata) with stand-in images into a temporary SQLite database, through the
// one import runner, and prints rows in / stored / already stored / refused per table and the images
// stored per second. ISIC 2019 holds HAM10000's images: with HAM10000 imported first, those rows are
// exact duplicates of stored images (the stand-in of an id is the same picture in both folders).
//
//   npm run bench:import [-- --only ham10000,ph2 --concurrency 2 --size 64]
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { runImport } from '../src/ingest/import.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { derm7pt } from '../src/plugins/importers/derm7pt.ts';
import { ham10000 } from '../src/plugins/importers/ham10000.ts';
import { isic2019 } from '../src/plugins/importers/isic2019.ts';
import { ph2 } from '../src/plugins/importers/ph2.ts';
import type { MetadataImporter } from '../src/plugins/types.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const CONCURRENCY = Number(arg('concurrency') ?? 2);
/** The stand-in pictures' side in pixels (the pipeline's minimum side is set to it). */
const SIZE = Number(arg('size') ?? 64);
const ONLY = arg('only')?.split(',');

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'public-metadata');
const fixture = (name: string) => join(FIXTURES, name);
const rowsOf = (path: string): Record<string, string>[] =>
  parse(readFileSync(path, 'utf8'), { columns: true, bom: true, trim: true, skip_empty_lines: true });

/** A different SIZE×SIZE picture per id: 8×8 blocks of colours from the id's hash. */
async function standIn(id: string): Promise<Buffer> {
  const seed = createHash('sha256').update(id).digest();
  const px = Buffer.alloc(SIZE * SIZE * 3);
  const block = SIZE / 8;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const b = (Math.floor(y / block) * 8 + Math.floor(x / block)) % 32;
      const o = (y * SIZE + x) * 3;
      px[o] = seed[b] ?? 0;
      px[o + 1] = seed[(b + 7) % 32] ?? 0;
      px[o + 2] = seed[(b + 13) % 32] ?? 0;
    }
  }
  return sharp(px, { raw: { width: SIZE, height: SIZE, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

interface Table {
  importer: MetadataImporter;
  inputs: Record<string, string>;
  /** The image file of each row, relative to the folder. */
  files: () => string[];
}

const ALL: Table[] = [
  {
    importer: ham10000,
    inputs: { metadata: fixture('ham10000_metadata.csv') },
    files: () => rowsOf(fixture('ham10000_metadata.csv')).map((r) => `${r.image_id}.jpg`),
  },
  {
    importer: isic2019,
    inputs: {
      groundTruth: fixture('isic2019_training_groundtruth.csv'),
      metadata: fixture('isic2019_training_metadata.csv'),
    },
    files: () => rowsOf(fixture('isic2019_training_groundtruth.csv')).map((r) => `${r.image}.jpg`),
  },
  {
    importer: derm7pt,
    inputs: { metadata: fixture('derm7pt_meta.csv') },
    files: () => rowsOf(fixture('derm7pt_meta.csv')).map((r) => r.derm ?? ''),
  },
  {
    importer: ph2,
    inputs: { metadata: fixture('ph2_dataset.csv') },
    files: () =>
      rowsOf(fixture('ph2_dataset.csv')).map(
        (r) => `${r.image_name}/${r.image_name}_Dermoscopic_Image/${r.image_name}.jpg`,
      ),
  },
];
const TABLES = ALL.filter((t) => !ONLY || ONLY.includes(t.importer.id));

const dataDir = mkdtempSync(join(tmpdir(), 'dermaset-bench-import-'));
const config = loadConfig({
  DATA_DIR: dataDir,
  DERMASET_PSEUDONYM_KEY: 'bench-key-0123456789abcdef',
  DERMASET_MIN_SIDE: String(SIZE),
});
await migrate(config.databaseUrl);
const database = openDatabase(config.databaseUrl);
const pipeline = createPipeline(config, database.db);
const images = join(dataDir, 'images');

console.log(`bench:import  SQLite in ${dataDir}, stand-ins ${SIZE}×${SIZE} JPEG, concurrency ${CONCURRENCY}`);
console.log('table        rows in   stored  already  refused   seconds  stored/s  (stand-ins written in s)');
let totalStored = 0;
let totalMs = 0;
try {
  for (const t of TABLES) {
    const folder = join(images, t.importer.id);
    const writing = performance.now();
    for (const f of new Set(t.files())) {
      mkdirSync(dirname(join(folder, f)), { recursive: true });
      // the file name's id (its last part, without the extension) draws the picture: the same id, the same picture
      writeFileSync(
        join(folder, f),
        await standIn(
          f
            .split('/')
            .pop()
            ?.replace(/\.[^.]+$/, '') ?? f,
        ),
      );
    }
    const wrote = (performance.now() - writing) / 1000;
    const started = performance.now();
    const s = await runImport(pipeline, t.importer, { folder, inputs: t.inputs, concurrency: CONCURRENCY });
    const ms = performance.now() - started;
    const record = await database.db.importRecord.findUniqueOrThrow({ where: { id: s.importRecordId ?? -1 } });
    totalStored += record.stored;
    totalMs += ms;
    console.log(
      [
        t.importer.id.padEnd(10),
        String(record.rowsIn).padStart(9),
        String(record.stored).padStart(8),
        String(record.alreadyStored).padStart(8),
        String(record.refused).padStart(8),
        (ms / 1000).toFixed(1).padStart(9),
        (record.stored / (ms / 1000)).toFixed(1).padStart(9),
        `  (${wrote.toFixed(1)})`,
      ].join(' '),
    );
    if (record.refused > 0) {
      const why = [...s.invalid, ...s.missingFiles, ...s.rejected].slice(0, 3).map((p) => `${p.code} ${p.message}`);
      console.log(`             refused, e.g.: ${why.join('; ')}`);
    }
  }
  console.log(
    `all          stored ${totalStored} images in ${(totalMs / 1000).toFixed(1)} s: ${(totalStored / (totalMs / 1000)).toFixed(1)} images/s`,
  );
} finally {
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
}
