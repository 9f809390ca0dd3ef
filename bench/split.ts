// bench/split: the time to create a stored split (read, group, stratify, certify, store its manifest)
// beside the time to read the same rows, in the same run, on two cohorts: the demo cohort (1,026
// images, 443 patients, through the real pipeline) and a HAM10000-shaped cohort (10,015 rows of the
// public metadata table, lesion_id as the patient, inserted as rows without pixels); and the time of
// the complete-linkage near-duplicate clustering on dense synthetic link sets.
//   npm run bench:split
//   npm run bench:split -- --db <cohort url> --data-dir <dir> [--cohort 1m]
// With --db the bench works on a copy of the cohort (createSplit writes): the SQLite file copied to
// a temporary folder, or a PostgreSQL database made from it with CREATE DATABASE … TEMPLATE (no other
// session may be connected to the cohort meanwhile), dropped at the end. Figures through
// bench/report.ts: the raw read of the rows a split needs (id, sha256, patient, lesion, class, term,
// status, stage: one plain SELECT) and createSplit (70/15/15 and 5 folds, stored) against it.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { seedDemo } from '../prisma/demo/seed.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { useDatabase } from '../src/db/current.ts';
import { migrate } from '../src/db/migrate.ts';
import { toolActor } from '../src/domain/actor.ts';
import { CLASSES } from '../src/domain/classes.ts';
import type { DiagnosisClass } from '../src/domain/enums.ts';
import { type NearLink, nearDuplicateClusters, stratifiedGroupSplit } from '../src/domain/split.ts';
import { CLASS_TERM } from '../src/domain/terms.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { registry } from '../src/plugins/index.ts';
import { createSplit, SPLIT_MEMBER_SELECT } from '../src/resolvers/splits.ts';
import { requestScope } from '../src/resolvers/subset.ts';
import { fixture } from '../test/helpers/fixtures.ts';
import { report } from './report.ts';
import { median } from './timing.ts';

const FRACTIONS = { train: 0.7, validation: 0.15, test: 0.15 };
const RAW_READ =
  'SELECT id, sha256, patient_id, lesion_id, diagnosis_class, diagnosis_term, clinical_status, verification_stage FROM image ORDER BY id';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

/** createSplit against the raw read of its rows, on a copy of an existing cohort. */
async function onCohort(url: string, cohort: string): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'dermaset-bench-split-'));
  let copy: string;
  let dropCopy = async () => {};
  if (url.startsWith('file:')) {
    const file = url.replace(/^file:/, '').split('?')[0] ?? '';
    console.log(`bench/split: copying ${file}…`);
    copyFileSync(file, join(tmp, 'dermaset.db'));
    copy = `file:${join(tmp, 'dermaset.db')}`;
  } else {
    const name = `bench_split_${process.pid}`;
    const admin = openDatabase(url.replace(/\/[^/]*$/, '/postgres'));
    const source = url.replace(/^.*\//, '').split('?')[0] ?? '';
    console.log(`bench/split: CREATE DATABASE ${name} TEMPLATE ${source}…`);
    await admin.db.$executeRawUnsafe(`CREATE DATABASE "${name}" TEMPLATE "${source}"`);
    copy = url.replace(/\/[^/]*$/, `/${name}`);
    dropCopy = async () => {
      await admin.db.$executeRawUnsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.close();
    };
  }
  const database = openDatabase(copy);
  useDatabase(database.db);
  try {
    const db = database.db;
    const images = await db.image.count();
    const runs = images > 200_000 ? 3 : 5;
    const read = await median(() => db.$queryRawUnsafe(RAW_READ), runs);
    let seed = 0;
    const split = async (req: { fractions?: typeof FRACTIONS; folds?: number }) => {
      const id = await createSplit(requestScope(), { policy: 'nine-class', seed: seed++, ...req }, toolActor('bench'));
      return id;
    };
    // each made split is deleted after its timing (not timed), so the cohort stays as it was
    const timed = async (req: { fractions?: typeof FRACTIONS; folds?: number }) => {
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const id = await split(req);
        ms.push(performance.now() - t);
        await db.split.delete({ where: { id } });
      }
      return ms.sort((a, b) => a - b)[Math.floor(runs / 2)] ?? 0;
    };
    const full = await timed({ fractions: FRACTIONS });
    const folds = await timed({ folds: 5 });
    const baseline = { what: 'raw read of the rows a split needs', value: read };
    console.log(`bench/split: ${images.toLocaleString('en')} images, median of ${runs}`);
    report({ bench: 'split', what: `raw read of a split's rows (${cohort})`, value: read, unit: 'ms' });
    for (const [what, value] of [
      ['createSplit 70/15/15, stored', full],
      ['createSplit 5 folds, stored', folds],
    ] as const) {
      const ratio = value / read;
      report({
        bench: 'split',
        what: `${what} (${cohort})`,
        value,
        unit: 'ms',
        baseline,
        ratio,
        target: '≤ 3× the raw read',
        met: ratio <= 3,
      });
    }
  } finally {
    await database.close();
    await dropCopy();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const cohortUrl = arg('db');
if (cohortUrl) {
  await onCohort(cohortUrl, arg('cohort') ?? 'cohort');
  process.exit(0);
}

async function cohort(name: string, fill: (db: ReturnType<typeof openDatabase>, dataDir: string) => Promise<void>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'dermaset-bench-split-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    DERMASET_MIN_SIDE: '32',
    DERMASET_PSEUDONYM_KEY: 'bench-key-0123456789abcdef',
  });
  await migrate(config.databaseUrl);
  const database = openDatabase(config.databaseUrl);
  useDatabase(database.db);
  try {
    console.log(`bench/split: ${name}…`);
    await fill(database, dataDir);
    const db = database.db;
    const images = await db.image.count();
    const patients = await db.patient.count();
    // the baseline: one read of the rows a split needs (the same select as createSplit's)
    const read = await median(() => db.image.findMany({ select: SPLIT_MEMBER_SELECT, orderBy: { id: 'asc' } }));
    const rows = await db.image.findMany({
      select: { sha256: true, patientId: true, lesionId: true, diagnosisClass: true },
    });
    const items = rows.map((r) => ({
      id: r.sha256,
      stratum: r.diagnosisClass ?? 'OUTSIDE_THE_9',
      groups: [`p${r.patientId}`, `l${r.lesionId}`],
    }));
    const parts = Object.entries(FRACTIONS).map(([n, fraction]) => ({ name: n, fraction }));
    const algorithm = await median(async () => stratifiedGroupSplit(items, parts, 42));
    let seed = 0;
    const full = await median(
      () =>
        createSplit(requestScope(), { policy: 'nine-class', seed: seed++, fractions: FRACTIONS }, toolActor('bench')),
      5,
    );
    const folds = await median(
      () => createSplit(requestScope(), { policy: 'nine-class', seed: seed++, folds: 5 }, toolActor('bench')),
      5,
    );
    console.log(`  ${images} images, ${patients} patients`);
    const baseline = { what: 'Prisma read of the rows a split needs (SPLIT_MEMBER_SELECT)', value: read };
    report({ bench: 'split', what: `Prisma read of a split's rows (${name})`, value: read, unit: 'ms' });
    for (const [what, value] of [
      ['the algorithm alone (in memory)', algorithm],
      ['createSplit 70/15/15, stored', full],
      ['createSplit 5 folds, stored', folds],
    ] as const)
      report({ bench: 'split', what: `${what} (${name})`, value, unit: 'ms', baseline, ratio: value / read });
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// complete linkage on link sets as dense as a collection of similar-looking images can give:
// a band (each image linked to the next 5 along a line, 2,298 images: 11,475 links) and a clique
// of 400 images (79,800 links, every check succeeding)
{
  const sha = (n: number) => createHash('sha256').update(`bench ${n}`).digest('hex');
  const band: NearLink[] = [];
  for (let i = 0; i < 2298; i++)
    for (let j = i + 1; j <= Math.min(2297, i + 5); j++) band.push({ a: sha(i), b: sha(j), distance: j - i - 1 });
  const clique: NearLink[] = [];
  for (let i = 0; i < 400; i++)
    for (let j = i + 1; j < 400; j++) clique.push({ a: sha(10_000 + i), b: sha(10_000 + j), distance: (i + j) % 5 });
  for (const [name, links] of [
    ['band of 2,298 images', band],
    ['clique of 400 images', clique],
  ] as const) {
    const ms = await median(async () => nearDuplicateClusters(links));
    const sizes = new Map<string, number>();
    for (const c of nearDuplicateClusters(links).values()) sizes.set(c, (sizes.get(c) ?? 0) + 1);
    const largest = Math.max(...sizes.values());
    console.log(
      `bench/split: complete linkage, ${name} (${links.length} links): ${ms.toFixed(1)} ms (median), largest cluster ${largest}`,
    );
  }
}

await cohort('the demo cohort (96×72 px images through the pipeline)', async (database, dataDir) => {
  const config = loadConfig({
    DATA_DIR: dataDir,
    DERMASET_MIN_SIDE: '32',
    DERMASET_PSEUDONYM_KEY: 'bench-key-0123456789abcdef',
  });
  await seedDemo(database.db, createPipeline(config, database.db), { size: { width: 96, height: 72 } });
});

await cohort('HAM10000-shaped rows (public metadata, lesion_id as the patient)', async (database) => {
  const ham = registry.importer('ham10000');
  if (!ham) throw new Error('the ham10000 importer is not registered');
  const table = parse(readFileSync(fixture('ham10000_metadata.csv')), {
    columns: true,
  }) as Record<string, string>[];
  const db = database.db;
  const lesions = [...new Set(table.map((r) => r.lesion_id ?? ''))];
  await db.patient.createMany({ data: lesions.map((code) => ({ code })) });
  const patientId = new Map(
    (await db.patient.findMany({ select: { id: true, code: true } })).map((p) => [p.code, p.id]),
  );
  await db.lesion.createMany({ data: lesions.map((code) => ({ code, patientId: patientId.get(code) ?? 0 })) });
  const lesionId = new Map((await db.lesion.findMany({ select: { id: true, code: true } })).map((l) => [l.code, l.id]));
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const collection = await db.collection.create({
    data: { slug: 'ham10000', name: 'HAM10000', kind: 'public', license: 'CC BY-NC 4.0', attribution: 'ViDIR Group' },
  });
  // the bench needs labels, not the importer's terms: a class's own term, or benign outside the 9
  const labelOf = (c: DiagnosisClass | null) =>
    c
      ? { diagnosisClass: c, diagnosisTerm: CLASS_TERM[c], clinicalStatus: CLASSES[c].status }
      : { diagnosisClass: null, diagnosisTerm: 'Benign', clinicalStatus: 'BENIGN' as const };
  const data = table.map((r) => ({
    patientId: patientId.get(r.lesion_id ?? '') ?? 0,
    lesionId: lesionId.get(r.lesion_id ?? '') ?? 0,
    clinicalDiagnosisRaw: r.dx ?? '',
    ...labelOf(ham.vocabulary[r.dx ?? '']?.diagnosisClass ?? null),
    collectionId: collection.id,
    verificationStage: r.dx_type === 'histo' ? ('HISTOLOGY' as const) : ('CONSENSUS' as const),
    sha256: sha(`file:${r.image_id}`),
    pixelHash: sha(`pixels:${r.image_id}`),
    phash: '0000000000000000',
    width: 600,
    height: 450,
    format: 'jpeg',
    byteSize: 1,
    storageKey: `${r.image_id}.jpg`,
    thumbnailKey: `${r.image_id}.webp`,
    sharpness: 1,
    clippedShare: 0,
    glareShare: 0,
  }));
  for (let i = 0; i < data.length; i += 1000) await db.image.createMany({ data: data.slice(i, i + 1000) });
});
process.exit(0);
