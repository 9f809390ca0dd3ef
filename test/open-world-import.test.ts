// The open world at import (issue 14): every label a public importer knows is stored, inside the 9
// classes or outside them with its diagnosis term and status, into the importer's collection, and
// every real run leaves an import record. Counts are checked against the committed public tables,
// counted here with this file's own label tables (not the importers').
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { type Actor, toolActor } from '../src/domain/actor.ts';
import { COLLECTION_TEXT_LIMITS, type CollectionFacts } from '../src/domain/collection.ts';
import { type ImportResult, runImport } from '../src/ingest/import.ts';
import { type AcquisitionPipeline, createPipeline } from '../src/ingest/pipeline.ts';
import { derm7pt } from '../src/plugins/importers/derm7pt.ts';
import { ham10000 } from '../src/plugins/importers/ham10000.ts';
import { isicLegacy } from '../src/plugins/importers/isic-legacy.ts';
import { isic2019 } from '../src/plugins/importers/isic2019.ts';
import { padUfes20 } from '../src/plugins/importers/pad-ufes-20.ts';
import { ph2 } from '../src/plugins/importers/ph2.ts';
import type { MetadataImporter } from '../src/plugins/types.ts';
import {
  collectionBySlug,
  ensureCollection,
  importRecordsOf,
  listCollections,
  updateCollection,
} from '../src/resolvers/collections.ts';
import { computeStats } from '../src/resolvers/stats.ts';
import { requestScope, resolveSubset } from '../src/resolvers/subset.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { fixture } from './helpers/fixtures.ts';
import { blockPicture } from './helpers/images.ts';

type Row = Record<string, string>;

const HAM = fixture('ham10000_metadata.csv');
const ISIC_TRUTH = fixture('isic2019_training_groundtruth.csv');
const ISIC_META = fixture('isic2019_training_metadata.csv');
const DERM7PT = fixture('derm7pt_meta.csv');
const PH2 = fixture('ph2_dataset.csv');

const readRows = (path: string): Row[] =>
  parse(readFileSync(path, 'utf8'), { columns: true, bom: true, trim: true, skip_empty_lines: true });

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const tally = (values: Iterable<string>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
};

// ---------------------------------------------------------------- this test's own reading of each label

type Status = 'BENIGN' | 'BORDERLINE' | 'PREMALIGNANT' | 'MALIGNANT' | 'UNKNOWN';
/** A label's class (null: outside the 9) and its clinical status, as written out by hand here. */
type Expected = readonly [cls: string | null, status: Status];

const HAM_EXPECTED: Record<string, Expected> = {
  nv: ['NEVUS', 'BENIGN'],
  mel: ['MELANOMA', 'MALIGNANT'],
  bcc: ['BASAL_CELL_CARCINOMA', 'MALIGNANT'],
  df: ['DERMATOFIBROMA', 'BENIGN'],
  vasc: ['HEMANGIOMA', 'BENIGN'],
  // actinic keratosis (with Bowen's disease): premalignant, outside the 9
  akiec: [null, 'PREMALIGNANT'],
  // seborrheic keratosis + solar lentigo + lichen-planus-like keratosis: benign, outside the 9
  bkl: [null, 'BENIGN'],
};

const ISIC2019_EXPECTED: Record<string, Expected> = {
  MEL: ['MELANOMA', 'MALIGNANT'],
  NV: ['NEVUS', 'BENIGN'],
  BCC: ['BASAL_CELL_CARCINOMA', 'MALIGNANT'],
  AK: [null, 'PREMALIGNANT'],
  BKL: [null, 'BENIGN'],
  DF: ['DERMATOFIBROMA', 'BENIGN'],
  VASC: ['HEMANGIOMA', 'BENIGN'],
  SCC: ['SQUAMOUS_CELL_CARCINOMA', 'MALIGNANT'],
  UNK: [null, 'UNKNOWN'],
};
const ISIC_COLUMNS = Object.keys(ISIC2019_EXPECTED);

const DERM7PT_EXPECTED: Record<string, Expected> = {
  'basal cell carcinoma': ['BASAL_CELL_CARCINOMA', 'MALIGNANT'],
  melanoma: ['MELANOMA', 'MALIGNANT'],
  'melanoma (in situ)': ['MELANOMA', 'MALIGNANT'],
  'melanoma (less than 0.76 mm)': ['MELANOMA', 'MALIGNANT'],
  'melanoma (0.76 to 1.5 mm)': ['MELANOMA', 'MALIGNANT'],
  'melanoma (more than 1.5 mm)': ['MELANOMA', 'MALIGNANT'],
  'melanoma metastasis': ['MELANOMA', 'MALIGNANT'],
  // dysplastic nevi are borderline (the paper's status), though ISIC files them under Benign
  'clark nevus': ['DYSPLASTIC_NEVUS', 'BORDERLINE'],
  'blue nevus': ['NEVUS', 'BENIGN'],
  'dermal nevus': ['NEVUS', 'BENIGN'],
  'congenital nevus': ['NEVUS', 'BENIGN'],
  'combined nevus': ['NEVUS', 'BENIGN'],
  'recurrent nevus': ['NEVUS', 'BENIGN'],
  'reed or spitz nevus': ['NEVUS', 'BENIGN'],
  'seborrheic keratosis': ['SEBORRHEIC_KERATOSIS', 'BENIGN'],
  dermatofibroma: ['DERMATOFIBROMA', 'BENIGN'],
  'vascular lesion': ['HEMANGIOMA', 'BENIGN'],
  lentigo: [null, 'BENIGN'],
  melanosis: [null, 'BENIGN'],
  // Derm7pt names no diagnosis for these
  miscellaneous: [null, 'UNKNOWN'],
};

const PH2_EXPECTED: Record<string, Expected> = {
  common_nevus: ['NEVUS', 'BENIGN'],
  atypical_nevus: ['DYSPLASTIC_NEVUS', 'BORDERLINE'],
  melanoma: ['MELANOMA', 'MALIGNANT'],
};
const ph2Label = (r: Row) => Object.keys(PH2_EXPECTED).filter((c) => r[c]?.toUpperCase() === 'X');
const ph2Path = (id: string) => `${id}/${id}_Dermoscopic_Image/${id}`;

/** The one-hot label of a ground-truth row. */
const isicLabel = (r: Row) => ISIC_COLUMNS.filter((c) => Number(r[c]) === 1);

/** Per class (the 9; "outside" for none) and per status, counted from labels with a table above. */
function expectedCounts(labels: readonly string[], table: Record<string, Expected>) {
  const classes: Record<string, number> = {};
  let outside = 0;
  const statuses: Record<string, number> = {};
  for (const l of labels) {
    const e = table[l];
    if (!e) throw new Error(`the test's table lacks "${l}"`);
    if (e[0]) classes[e[0]] = (classes[e[0]] ?? 0) + 1;
    else outside++;
    statuses[e[1]] = (statuses[e[1]] ?? 0) + 1;
  }
  return { classes, outside, statuses };
}

// ---------------------------------------------------------------- environment

let env: TestEnv;
let pipeline: AcquisitionPipeline;

/** A tiny PNG (8×8): a dry run only checks that each image file is there. */
let STAND_IN: Buffer;

async function folderOf(name: string, paths: readonly string[], real: boolean): Promise<string> {
  const folder = join(env.dataDir, name);
  for (const p of paths) {
    mkdirSync(dirname(join(folder, p)), { recursive: true });
    writeFileSync(join(folder, p), real ? await blockPicture(p) : STAND_IN);
  }
  return folder;
}

function writeCsv(name: string, header: readonly string[], rows: readonly Row[]): string {
  const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const path = join(env.dataDir, name);
  writeFileSync(
    path,
    `${[header.join(','), ...rows.map((r) => header.map((h) => quote(r[h] ?? '')).join(','))].join('\n')}\n`,
  );
  return path;
}

/** The import record a real run wrote, with its inputs parsed. */
async function recordOf(s: ImportResult) {
  const r = await env.db.importRecord.findUniqueOrThrow({
    where: { id: s.importRecordId ?? -1 },
    include: { collection: true },
  });
  return { ...r, inputs: JSON.parse(r.inputs) as { name: string; fileName: string; sha256: string; bytes: number }[] };
}

const hamRows = readRows(HAM);
const truthRows = readRows(ISIC_TRUTH);
const metaRows = readRows(ISIC_META);
const dermRows = readRows(DERM7PT);
const ph2Rows = readRows(PH2);

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  pipeline = createPipeline(env.config, env.db);
  const { default: sharp } = await import('sharp');
  STAND_IN = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#886644' } })
    .png()
    .toBuffer();
});
afterAll(() => env?.dispose());

// ---------------------------------------------------------------- dry runs over the full tables

describe('dry runs over the full published tables: every row becomes a record', { timeout: 240_000 }, () => {
  let recordsBefore: number;
  beforeAll(async () => {
    recordsBefore = await env.db.importRecord.count();
  });

  async function dry(
    importer: MetadataImporter,
    name: string,
    files: readonly string[],
    inputs: Record<string, string>,
  ): Promise<ImportResult> {
    const folder = await folderOf(name, files, false);
    return runImport(pipeline, importer, { folder, inputs, dryRun: true, concurrency: 4 });
  }

  function expectAllRecords(s: ImportResult, rows: number, labels: readonly string[], table: Record<string, Expected>) {
    expect(s.rows).toBe(rows);
    expect(s.unmapped).toEqual({});
    expect(s).toMatchObject({ invalid: [], missingFiles: [], rejected: [], ready: rows, accepted: 0, dryRun: true });
    const want = expectedCounts(labels, table);
    expect(s.mapped).toEqual(want.classes);
    expect(s.outsideNine).toBe(want.outside);
    expect(s.statuses).toEqual(want.statuses);
    expect(Object.values(s.terms).reduce((a, b) => a + b, 0)).toBe(rows);
    expect(s.importRecordId).toBeNull();
  }

  it('HAM10000: 10,015 of 10,015 rows', async () => {
    const s = await dry(
      ham10000,
      'dry-ham',
      hamRows.map((r) => `${r.image_id}.jpg`),
      { metadata: HAM },
    );
    expectAllRecords(
      s,
      10_015,
      hamRows.map((r) => r.dx ?? ''),
      HAM_EXPECTED,
    );
    expect(s.outsideNine).toBe(327 + 1099);
    expect(s.collection).toEqual({ slug: 'ham10000', created: false, existed: false });
  });

  it('ISIC 2019: 25,331 of 25,331 rows', async () => {
    const s = await dry(
      isic2019,
      'dry-isic',
      truthRows.map((r) => `${r.image}.jpg`),
      { groundTruth: ISIC_TRUTH, metadata: ISIC_META },
    );
    expectAllRecords(
      s,
      25_331,
      truthRows.map((r) => isicLabel(r)[0] ?? ''),
      ISIC2019_EXPECTED,
    );
  });

  it('Derm7pt: 1,011 of 1,011 cases', async () => {
    const s = await dry(
      derm7pt,
      'dry-derm7pt',
      dermRows.map((r) => r.derm ?? ''),
      { metadata: DERM7PT },
    );
    expectAllRecords(
      s,
      1011,
      dermRows.map((r) => r.diagnosis ?? ''),
      DERM7PT_EXPECTED,
    );
  });

  it('PH2: 200 of 200 images', async () => {
    const s = await dry(
      ph2,
      'dry-ph2',
      ph2Rows.map((r) => `${ph2Path(r.image_name ?? '')}.png`),
      { metadata: PH2 },
    );
    expectAllRecords(
      s,
      200,
      ph2Rows.map((r) => ph2Label(r)[0] ?? ''),
      PH2_EXPECTED,
    );
  });

  it('a dry run creates no collection and writes no import record', async () => {
    expect(await env.db.importRecord.count()).toBe(recordsBefore);
    const slugs = (await env.db.collection.findMany({ select: { slug: true } })).map((c) => c.slug);
    for (const s of ['ham10000', 'isic2019', 'derm7pt', 'ph2']) expect(slugs).not.toContain(s);
  });
});

// ---------------------------------------------------------------- a stored sample of each table

describe('a stored sample of each table, covering every source label', { timeout: 240_000 }, () => {
  /** The first `n` rows of each label, in the file's order. */
  function firstOfEach<T>(rows: readonly T[], labelOf: (r: T) => string, n: number): T[] {
    const seen = new Map<string, number>();
    return rows.filter((r) => {
      const k = labelOf(r);
      seen.set(k, (seen.get(k) ?? 0) + 1);
      return (seen.get(k) ?? 0) <= n;
    });
  }

  const MSK = 'MSK4_0010031';
  const hamIds = new Set(hamRows.map((r) => r.image_id));
  const metaById = new Map(metaRows.map((r) => [r.image ?? '', r]));
  // ISIC 2019 holds HAM10000's images: the sample leaves them out, so each import stores its own rows
  const isicOwn = truthRows.filter((r) => !hamIds.has(r.image));
  const mskIds = new Set(metaRows.filter((r) => r.lesion_id === MSK).map((r) => r.image));
  const isicSample = [
    ...firstOfEach(isicOwn, (r) => isicLabel(r)[0] ?? '', 2).filter((r) => !mskIds.has(r.image)),
    ...truthRows.filter((r) => mskIds.has(r.image)),
  ];
  const hamSample = firstOfEach(hamRows, (r) => r.dx ?? '', 2);
  const dermSample = firstOfEach(dermRows, (r) => r.diagnosis ?? '', 1);
  const ph2Sample = firstOfEach(ph2Rows, (r) => ph2Label(r)[0] ?? '', 2);

  const runs: Record<string, { s: ImportResult; inputs: Record<string, string>; folder: string }> = {};

  beforeAll(async () => {
    const hamCsv = writeCsv('sample-ham.csv', Object.keys(hamRows[0] as Row), hamSample);
    const truthCsv = writeCsv('sample-isic-truth.csv', Object.keys(truthRows[0] as Row), isicSample);
    const metaCsv = writeCsv(
      'sample-isic-meta.csv',
      Object.keys(metaRows[0] as Row),
      isicSample.map((r) => metaById.get(r.image ?? '') as Row),
    );
    const dermCsv = writeCsv('sample-derm7pt.csv', Object.keys(dermRows[0] as Row), dermSample);
    const ph2Csv = writeCsv('sample-ph2.csv', Object.keys(ph2Rows[0] as Row), ph2Sample);
    const plan: [string, MetadataImporter, string[], Record<string, string>][] = [
      ['ham10000', ham10000, hamSample.map((r) => `${r.image_id}.jpg`), { metadata: hamCsv }],
      // one at a time: the patient keeps the value of the file's first row
      ['isic2019', isic2019, isicSample.map((r) => `${r.image}.jpg`), { groundTruth: truthCsv, metadata: metaCsv }],
      ['derm7pt', derm7pt, dermSample.map((r) => r.derm ?? ''), { metadata: dermCsv }],
      ['ph2', ph2, ph2Sample.map((r) => `${ph2Path(r.image_name ?? '')}.png`), { metadata: ph2Csv }],
    ];
    for (const [id, importer, files, inputs] of plan) {
      const folder = await folderOf(`stored-${id}`, files, true);
      runs[id] = { s: await runImport(pipeline, importer, { folder, inputs, concurrency: 1 }), inputs, folder };
    }
  });

  it('covers every source label of each table', () => {
    expect(new Set(hamSample.map((r) => r.dx))).toEqual(new Set(Object.keys(HAM_EXPECTED)));
    // the table has no UNK row: every label it uses
    expect(new Set(isicSample.map((r) => isicLabel(r)[0]))).toEqual(
      new Set(truthRows.map((r) => isicLabel(r)[0]).filter(Boolean)),
    );
    expect(new Set(dermSample.map((r) => r.diagnosis))).toEqual(new Set(Object.keys(DERM7PT_EXPECTED)));
    expect(new Set(ph2Sample.map((r) => ph2Label(r)[0]))).toEqual(new Set(Object.keys(PH2_EXPECTED)));
  });

  it('stores every row, with its class or outside the 9 with its term and status', async () => {
    const samples: [string, string[], Record<string, Expected>][] = [
      ['ham10000', hamSample.map((r) => r.dx ?? ''), HAM_EXPECTED],
      ['isic2019', isicSample.map((r) => isicLabel(r)[0] ?? ''), ISIC2019_EXPECTED],
      ['derm7pt', dermSample.map((r) => r.diagnosis ?? ''), DERM7PT_EXPECTED],
      ['ph2', ph2Sample.map((r) => ph2Label(r)[0] ?? ''), PH2_EXPECTED],
    ];
    for (const [id, labels, table] of samples) {
      const run = runs[id];
      if (!run) throw new Error(`no run of ${id}`);
      const { s } = run;
      expect(s, id).toMatchObject({ rows: labels.length, accepted: labels.length, duplicates: 0, rejected: [] });
      expect(s.invalid, id).toEqual([]);
      expect(s.unmapped, id).toEqual({});
      const collection = await env.db.collection.findUniqueOrThrow({ where: { slug: id } });
      expect(collection.kind).toBe('public');
      const images = await env.db.image.findMany({
        where: { collectionId: collection.id },
        select: { diagnosisClass: true, clinicalStatus: true, diagnosisTerm: true },
      });
      expect(images).toHaveLength(labels.length);
      const want = expectedCounts(labels, table);
      expect(tally(images.filter((i) => i.diagnosisClass).map((i) => i.diagnosisClass as string))).toEqual(
        want.classes,
      );
      expect(images.filter((i) => i.diagnosisClass === null)).toHaveLength(want.outside);
      expect(tally(images.map((i) => i.clinicalStatus))).toEqual(want.statuses);
      expect(tally(images.map((i) => i.diagnosisTerm))).toEqual(s.terms);
    }
  });

  it('each collection states what its source publishes: licence, citation, attribution', async () => {
    const ham = await env.db.collection.findUniqueOrThrow({ where: { slug: 'ham10000' } });
    expect(ham).toMatchObject({ license: 'CC BY-NC 4.0', source: 'https://doi.org/10.7910/DVN/DBW86T' });
    expect(ham.citation).toMatch(/Sci Data 5, 180161 \(2018\)/);
    const isic = await env.db.collection.findUniqueOrThrow({ where: { slug: 'isic2019' } });
    expect(isic.license).toBe('CC BY-NC 4.0');
    for (const source of ['BCN_20000', 'HAM10000', 'MSK']) expect(isic.attribution).toContain(source);
    const derm = await env.db.collection.findUniqueOrThrow({ where: { slug: 'derm7pt' } });
    expect(derm.license).toMatch(/research use, see https:\/\/derm\.cs\.sfu\.ca/);
    const ph = await env.db.collection.findUniqueOrThrow({ where: { slug: 'ph2' } });
    expect(ph.license).toMatch(/research and benchmarking use, see https:\/\/www\.fc\.up\.pt/);
  });

  it('ISIC 2019 lesion MSK4_0010031, listed as male and as female: both stored, the conflict flagged', async () => {
    const msk = metaRows.filter((r) => r.lesion_id === MSK);
    expect(msk.map((r) => r.gender)).toEqual(['male', 'female']);
    const run = runs.isic2019;
    if (!run) throw new Error('no ISIC 2019 run');
    const images = await Promise.all(
      msk.map(async (r) => {
        const bytes = readFileSync(join(run.folder, `${r.image}.jpg`));
        const intake = await env.db.intakeRecord.findFirstOrThrow({
          where: { sourceSha256: sha256(bytes), outcome: 'ACCEPTED' },
        });
        return env.db.image.findUniqueOrThrow({
          where: { id: intake.imageId ?? -1 },
          include: { patient: true, factConflicts: true },
        });
      }),
    );
    const [first, second] = images;
    expect(second?.patientId).toBe(first?.patientId);
    // the patient keeps the first value; the second image carries the contradiction
    expect(first?.patient.sex).toBe('MALE');
    expect(first?.factConflicts).toEqual([]);
    expect(second?.factConflicts.map((c) => [c.field, c.storedValue, c.recordValue])).toEqual([
      ['sex', 'MALE', 'FEMALE'],
    ]);
    // the summary counts the conflicts read back from the database for this run's images
    const conflicts = await env.db.factConflict.findMany({
      where: { image: { collection: { slug: 'isic2019' } } },
      select: { field: true },
    });
    expect(run.s.factConflicts).toEqual({ count: conflicts.length, fields: tally(conflicts.map((c) => c.field)) });
    expect(run.s.factConflicts.fields.sex).toBeGreaterThanOrEqual(1);
  });

  it('writes an import record per run: inputs with their SHA-256, the summary’s counts', async () => {
    for (const [id, run] of Object.entries(runs)) {
      const r = await recordOf(run.s);
      expect(r.collection.slug).toBe(id);
      expect(r).toMatchObject({
        importer: id,
        importerVersion: '1.1.0',
        actor: 'dermaset-cli',
        rowsIn: run.s.rows,
        stored: run.s.accepted,
        alreadyStored: 0,
        refused: 0,
      });
      expect(r.finishedAt.getTime()).toBeGreaterThanOrEqual(r.startedAt.getTime());
      expect(r.inputs).toEqual(
        Object.entries(run.inputs).map(([name, path]) => ({
          name,
          fileName: path.split('/').pop(),
          sha256: sha256(readFileSync(path)),
          bytes: readFileSync(path).byteLength,
        })),
      );
      // the report is the summary, reasons and flags included
      const report = JSON.parse(r.report) as ImportResult;
      expect(report).toMatchObject({ rows: run.s.rows, accepted: run.s.accepted, terms: run.s.terms });
      expect(report.factConflicts).toEqual(run.s.factConflicts);
    }
  });

  it('importing again stores nothing new: every row already stored', async () => {
    const run = runs.isic2019;
    if (!run) throw new Error('no ISIC 2019 run');
    const images = await env.db.image.count();
    const again = await runImport(pipeline, isic2019, { folder: run.folder, inputs: run.inputs, concurrency: 2 });
    expect(again).toMatchObject({ accepted: 0, alreadyImported: run.s.rows, collection: { created: false } });
    expect(await env.db.image.count()).toBe(images);
    expect(await recordOf(again)).toMatchObject({
      rowsIn: run.s.rows,
      stored: 0,
      alreadyStored: run.s.rows,
      refused: 0,
    });
    expect(await env.db.importRecord.count({ where: { collection: { slug: 'isic2019' } } })).toBe(2);
  });
});

// ---------------------------------------------------------------- PAD-UFES-20: lesion ids reused across patients

describe('PAD-UFES-20: lesion ids that more than one patient uses', () => {
  it('reports them, and gives each patient its own lesion', async () => {
    const header = ['patient_id', 'lesion_id', 'age', 'gender', 'region', 'diagnostic', 'img_id', 'biopsed'];
    const made: [patient: string, lesion: string, diagnostic: string][] = [
      ['PAT_1', '10', 'NEV'],
      ['PAT_1', '10', 'NEV'],
      ['PAT_2', '10', 'BCC'],
      ['PAT_3', '10', 'ACK'],
      ['PAT_3', '11', 'SEK'],
      ['PAT_4', '20', 'MEL'],
      ['PAT_5', '20', 'SCC'],
      ['PAT_6', '30', 'ACK'],
    ];
    const rows: Row[] = made.map(([patient, lesion, diagnostic], i) => ({
      patient_id: patient,
      lesion_id: lesion,
      age: '60',
      gender: 'FEMALE',
      region: 'BACK',
      diagnostic,
      img_id: `${patient}_${lesion}_${i}.png`,
      biopsed: 'False',
    }));
    const csv = writeCsv('pad-reused.csv', header, rows);
    const folder = await folderOf(
      'pad-reused',
      rows.map((r) => r.img_id ?? ''),
      true,
    );
    const s = await runImport(pipeline, padUfes20, { folder, inputs: { metadata: csv } });
    expect(s).toMatchObject({ rows: 8, accepted: 8, rejected: [], invalid: [], outsideNine: 2 });
    // counted from the table as made: lesion 10 by PAT_1, PAT_2, PAT_3; lesion 20 by PAT_4, PAT_5
    const byLesion = new Map<string, Set<string>>();
    for (const [p, l] of made) byLesion.set(l, (byLesion.get(l) ?? new Set()).add(p));
    const reused = [...byLesion]
      .filter(([, ps]) => ps.size > 1)
      .map(([lesionId, ps]) => ({ lesionId, patients: ps.size }));
    expect(s.reusedLesionIds).toEqual(reused);
    expect(reused).toEqual([
      { lesionId: '10', patients: 3 },
      { lesionId: '20', patients: 2 },
    ]);
    const report = JSON.parse((await recordOf(s)).report) as ImportResult;
    expect(report.reusedLesionIds).toEqual(reused);

    const lesionOf = async (file: string) => {
      const intake = await env.db.intakeRecord.findFirstOrThrow({
        where: { sourceSha256: sha256(readFileSync(join(folder, file))), outcome: 'ACCEPTED' },
      });
      return (await env.db.image.findUniqueOrThrow({ where: { id: intake.imageId ?? -1 } })).lesionId;
    };
    const lesions = await Promise.all(rows.map((r) => lesionOf(r.img_id ?? '')));
    // PAT_1's two images of lesion 10 share a lesion; PAT_2's and PAT_3's lesion 10 are others
    expect(lesions[1]).toBe(lesions[0]);
    expect(new Set([lesions[0], lesions[2], lesions[3]]).size).toBe(3);
    expect(lesions[5]).not.toBe(lesions[6]);
  });
});

// ---------------------------------------------------------------- an ISIC-challenge table, mostly "unknown"

describe('an ISIC 2020-style table built from ISIC 2019 rows, diagnosis mostly unknown', { timeout: 600_000 }, () => {
  let other: TestEnv;
  afterAll(() => other?.dispose());

  /** The legacy name of each ISIC 2019 label, and its benign_malignant (actinic keratosis: benign, as ISIC files it). */
  const LEGACY: Record<string, [diagnosis: string, benignMalignant: string]> = {
    MEL: ['melanoma', 'malignant'],
    NV: ['nevus', 'benign'],
    BCC: ['basal cell carcinoma', 'malignant'],
    AK: ['actinic keratosis', 'benign'],
    BKL: ['pigmented benign keratosis', 'benign'],
    DF: ['dermatofibroma', 'benign'],
    VASC: ['vascular lesion', 'benign'],
    SCC: ['squamous cell carcinoma', 'malignant'],
  };

  it('stores every row; screening-binary counts benign and malignant as the benign_malignant column does', async () => {
    other = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
    const otherPipeline = createPipeline(other.config, other.db);
    // every 25th row of ISIC 2019 (1,014 rows): every fifth of them keeps its diagnosis, the rest say "unknown"
    const chosen = truthRows.filter((_, i) => i % 25 === 0);
    expect(chosen.length).toBeGreaterThan(1000);
    const rows: Row[] = chosen.map((t, i) => {
      const m = metaById(t.image ?? '');
      const [diagnosis, bm] = LEGACY[isicLabel(t)[0] ?? ''] ?? ['', ''];
      return {
        image_name: t.image ?? '',
        patient_id: m?.lesion_id ? `IP_${m.lesion_id}` : `IP_${t.image}`,
        lesion_id: m?.lesion_id ?? '',
        sex: m?.gender ?? '',
        age_approx: m?.age_approx ?? '',
        anatom_site_general_challenge: m?.anatom_site_general ?? '',
        diagnosis: i % 5 === 0 ? diagnosis : 'unknown',
        benign_malignant: bm,
        target: bm === 'malignant' ? '1' : '0',
      };
    });
    expect(rows.filter((r) => r.diagnosis === 'unknown').length / rows.length).toBeCloseTo(0.8, 2);
    const header = Object.keys(rows[0] as Row);
    const csvPath = join(other.dataDir, 'isic2020-style.csv');
    const quote = (v: string) => (/[",]/.test(v) ? `"${v}"` : v);
    writeFileSync(
      csvPath,
      `${[header.join(','), ...rows.map((r) => header.map((h) => quote(r[h] ?? '')).join(','))].join('\n')}\n`,
    );
    const folder = join(other.dataDir, 'isic2020-images');
    mkdirSync(folder, { recursive: true });
    for (const r of rows) writeFileSync(join(folder, `${r.image_name}.jpg`), await blockPicture(r.image_name ?? ''));

    const s = await runImport(otherPipeline, isicLegacy, { folder, inputs: { metadata: csvPath }, concurrency: 2 });
    expect(s).toMatchObject({ rows: rows.length, accepted: rows.length, duplicates: 0, rejected: [], invalid: [] });
    expect(s.unmapped).toEqual({});
    expect(s.terms.Benign ?? 0).toBe(
      rows.filter((r) => r.diagnosis === 'unknown' && r.benign_malignant === 'benign').length,
    );
    expect(s.terms.Malignant ?? 0).toBe(
      rows.filter((r) => r.diagnosis === 'unknown' && r.benign_malignant === 'malignant').length,
    );
    expect(await other.db.image.count()).toBe(rows.length);

    useDatabase(other.db);
    const stats = await computeStats(await resolveSubset(requestScope(), { policy: 'screening-binary' }));
    const labels = Object.fromEntries(stats.labels.map((l) => [l.key, l.count]));
    expect(labels).toEqual(tally(rows.map((r) => r.benign_malignant ?? '')));
    expect(stats.unmapped).toBe(0);
  });

  function metaById(image: string): Row | undefined {
    return metaIndex.get(image);
  }
  const metaIndex = new Map(metaRows.map((r) => [r.image ?? '', r]));
});

// ---------------------------------------------------------------- the collections service

describe('resolvers/collections.ts', () => {
  const admin = toolActor('test-admin');
  const viewer: Actor = { ...toolActor('test-viewer'), role: 'VIEWER', admin: false };

  it('lists collections by id with their image counts, and a collection’s import records newest first', async () => {
    useDatabase(env.db);
    const listed = await listCollections();
    expect(listed.map((c) => c.id)).toEqual([...listed.map((c) => c.id)].sort((a, b) => a - b));
    for (const c of listed) {
      expect(c.imageCount, c.slug).toBe(await env.db.image.count({ where: { collectionId: c.id } }));
    }
    expect(listed.find((c) => c.slug === 'ham10000')?.imageCount).toBeGreaterThan(0);
    const isic = await collectionBySlug('isic2019');
    expect(isic?.kind).toBe('public');
    expect(await collectionBySlug('no-such-collection')).toBeNull();
    const records = await importRecordsOf(isic?.id ?? -1);
    expect(records).toHaveLength(2);
    expect(records[0]?.startedAt.getTime()).toBeGreaterThanOrEqual(records[1]?.startedAt.getTime() ?? 0);
    // the second run (the re-import) stored nothing
    expect(records.map((r) => r.stored)).toEqual([0, expect.any(Number)]);
  });

  it('updateCollection corrects a fact; refuses an unknown slug, an over-long or empty fact, a non-admin, changing nothing', async () => {
    useDatabase(env.db);
    const before = await env.db.collection.findUniqueOrThrow({ where: { slug: 'ph2' } });
    const refusals: [() => Promise<unknown>, string, RegExp][] = [
      [() => updateCollection(admin, 'no-such-collection', { name: 'x' }), 'NOT_FOUND', /no collection/],
      [
        () =>
          updateCollection(admin, 'ph2', {
            name: 'PH2',
            attribution: 'a'.repeat(COLLECTION_TEXT_LIMITS.attribution + 1),
          }),
        'BAD_USER_INPUT',
        /attribution is at most 4,000 characters/,
      ],
      [() => updateCollection(admin, 'ph2', { license: '  ' }), 'BAD_USER_INPUT', /license must not be empty/],
      [() => updateCollection(admin, 'ph2', { name: '' }), 'BAD_USER_INPUT', /name must not be empty/],
      [() => updateCollection(viewer, 'ph2', { name: 'PH2 (renamed)' }), 'FORBIDDEN', /only an admin/],
    ];
    for (const [call, code, message] of refusals) {
      const e = (await call().catch((x: unknown) => x)) as { message: string; extensions?: { code?: string } };
      expect(e.extensions?.code, message.source).toBe(code);
      expect(e.message).toMatch(message);
    }
    expect(await env.db.collection.findUniqueOrThrow({ where: { slug: 'ph2' } })).toEqual(before);

    const updated = await updateCollection(admin, 'ph2', { version: '1.0 (2013)', citation: '' });
    expect(updated).toMatchObject({
      version: '1.0 (2013)',
      citation: null,
      license: before.license,
      name: before.name,
    });
    // an import keeps what an admin corrected
    expect(await ensureCollection({ ...(ph2.collection as CollectionFacts), version: 'other' })).toMatchObject({
      version: '1.0 (2013)',
    });
  });

  it('ensureCollection finds by slug or creates; a bad slug or fact is BAD_USER_INPUT and creates nothing', async () => {
    useDatabase(env.db);
    const facts: CollectionFacts = {
      slug: 'pad-ufes-20-copy',
      name: ' PAD-UFES-20 (copy) ',
      source: null,
      citation: null,
      license: 'CC BY 4.0',
      attribution: 'PAD-UFES-20 by Pacheco et al.',
      version: '',
    };
    const count = await env.db.collection.count();
    for (const bad of [
      { ...facts, slug: 'Not A Slug' },
      { ...facts, name: 'n'.repeat(201) },
      { ...facts, attribution: '' },
    ]) {
      const e = (await ensureCollection(bad).catch((x: unknown) => x)) as { extensions?: { code?: string } };
      expect(e.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(await env.db.collection.count()).toBe(count);
    const made = await ensureCollection(facts);
    expect(made).toMatchObject({ slug: 'pad-ufes-20-copy', kind: 'public', name: 'PAD-UFES-20 (copy)', version: null });
    expect(await ensureCollection({ ...facts, name: 'other' })).toEqual(made);
    expect(await env.db.collection.count()).toBe(count + 1);
  });
});
