// Importer plugins for public collections (HAM10000, ISIC 2019, ISIC legacy, PAD-UFES-20) and the
// runner that feeds their rows through the acquisition pipeline. The HAM10000 and ISIC 2019 tables
// are the published ones (test/fixtures/public-metadata); images are stand-ins made with sharp.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseDiagnosis } from '../src/domain/classes.ts';
import type { DiagnosisClass } from '../src/domain/enums.ts';
import { isTerm } from '../src/domain/terms.ts';
import { formatPublicSummary, ImportError, type ImportResult, runImport } from '../src/ingest/import.ts';
import { type AcquisitionPipeline, createPipeline } from '../src/ingest/pipeline.ts';
import { validateRecord } from '../src/ingest/record.ts';
import { ham10000 } from '../src/plugins/importers/ham10000.ts';
import { isicLegacy } from '../src/plugins/importers/isic-legacy.ts';
import { isic2019 } from '../src/plugins/importers/isic2019.ts';
import { padUfes20 } from '../src/plugins/importers/pad-ufes-20.ts';
import { PluginRegistry } from '../src/plugins/registry.ts';
import type { ImportRow } from '../src/plugins/types.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { listFiles } from './helpers/files.ts';
import { fixture } from './helpers/fixtures.ts';
import { blockPicture } from './helpers/images.ts';

type Row = Record<string, string>;

let env: TestEnv;
let pipeline: AcquisitionPipeline;
/** One empty stand-in file per image id of the HAM10000 and ISIC 2019 tables (enough for a dry run). */
let standIns: string;

const HAM = fixture('ham10000_metadata.csv');
const ISIC_TRUTH = fixture('isic2019_training_groundtruth.csv');
const ISIC_META = fixture('isic2019_training_metadata.csv');

const readRows = (path: string): Row[] =>
  parse(readFileSync(path, 'utf8'), { columns: true, bom: true, trim: true, skip_empty_lines: true });

/** The header and the data lines of a CSV file as published (line ends and quoting kept). */
function lines(path: string): { header: string; data: string[]; eol: string } {
  const text = readFileSync(path, 'utf8');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const [header = '', ...data] = text.split(eol).filter((l) => l !== '');
  return { header, data, eol };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function counts() {
  const [images, intake, patients] = await Promise.all([
    env.db.image.count(),
    env.db.intakeRecord.count(),
    env.db.patient.count(),
  ]);
  return { images, intake, patients, blobs: listFiles(join(env.dataDir, 'blobs')).length };
}

/** The stored image made from a file, found through its intake row (file names are not stored). */
async function imageFrom(folder: string, fileName: string) {
  const intake = await env.db.intakeRecord.findFirstOrThrow({
    where: { sourceSha256: sha256(readFileSync(join(folder, fileName))), outcome: 'ACCEPTED' },
  });
  return env.db.image.findUniqueOrThrow({
    where: { id: intake.imageId ?? -1 },
    include: { patient: true, lesion: true, histopathology: true, consensus: true },
  });
}

const patientCode = (id: string) => pipeline.deps.pseudonyms.code('patient', id);

/** Writes a stand-in picture for every id into a new folder. */
async function pictures(name: string, ids: readonly string[], ext = '.jpg'): Promise<string> {
  const folder = join(env.dataDir, name);
  mkdirSync(folder, { recursive: true });
  for (const id of ids) writeFileSync(join(folder, id.endsWith(ext) ? id : `${id}${ext}`), await blockPicture(id));
  return folder;
}

function writeInput(name: string, text: string): string {
  const path = join(env.dataDir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  pipeline = createPipeline(env.config, env.db);
  standIns = join(env.dataDir, 'stand-ins');
  mkdirSync(standIns, { recursive: true });
  const ids = new Set([...readRows(HAM).map((r) => r.image_id), ...readRows(ISIC_TRUTH).map((r) => r.image)]);
  for (const id of ids) if (id) writeFileSync(join(standIns, `${id}.jpg`), '');
});
afterAll(() => env?.dispose());

describe('dry runs over the full published tables', () => {
  it('HAM10000: reports the published dx counts, stores every label (two outside the 9), stores nothing in a dry run', async () => {
    const before = await counts();
    const s = await runImport(pipeline, ham10000, { folder: standIns, inputs: { metadata: HAM }, dryRun: true });
    expect(s.rows).toBe(10_015);
    expect(s.sourceLabels).toEqual({ nv: 6705, mel: 1113, bkl: 1099, bcc: 514, akiec: 327, vasc: 142, df: 115 });
    expect(s.mapped).toEqual({
      NEVUS: 6705,
      MELANOMA: 1113,
      BASAL_CELL_CARCINOMA: 514,
      HEMANGIOMA: 142,
      DERMATOFIBROMA: 115,
    });
    expect(s.unmapped).toEqual({});
    expect(s.outsideNine).toBe(1099 + 327);
    expect(s.terms['Benign:Benign epidermal proliferations']).toBe(1099);
    expect(s.terms['Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis']).toBe(327);
    expect(s.statuses).toEqual({ BENIGN: 6705 + 142 + 115 + 1099, MALIGNANT: 1113 + 514, PREMALIGNANT: 327 });
    expect(s).toMatchObject({ invalid: [], missingFiles: [], rejected: [], ready: 10_015, accepted: 0, dryRun: true });
    expect(s.importRecordId).toBeNull();
    expect(await counts()).toEqual(before);

    const text = formatPublicSummary(s);
    expect(text).toContain('importer: ham10000 1.1.0 (dry run: nothing was stored)');
    expect(text).toContain('source labels: nv 6705, mel 1113, bkl 1099, bcc 514, akiec 327, vasc 142, df 115');
    expect(text).toContain('records outside the 9 (stored with their term): 1426');
    expect(text).toContain('unknown labels (not imported): 0');
    expect(text).toContain('ready to import: 10015');
  });

  it('ISIC 2019: reports the published ground-truth counts from the one-hot columns', async () => {
    const before = await counts();
    const s = await runImport(pipeline, isic2019, {
      folder: standIns,
      inputs: { groundTruth: ISIC_TRUTH, metadata: ISIC_META },
      dryRun: true,
      concurrency: 4,
    });
    expect(s.rows).toBe(25_331);
    expect(s.sourceLabels).toEqual({
      NV: 12875,
      MEL: 4522,
      BCC: 3323,
      BKL: 2624,
      AK: 867,
      SCC: 628,
      VASC: 253,
      DF: 239,
    });
    expect(s.sourceLabels.UNK ?? 0).toBe(0);
    expect(s.mapped).toEqual({
      NEVUS: 12875,
      MELANOMA: 4522,
      BASAL_CELL_CARCINOMA: 3323,
      SQUAMOUS_CELL_CARCINOMA: 628,
      HEMANGIOMA: 253,
      DERMATOFIBROMA: 239,
    });
    expect(s.unmapped).toEqual({});
    expect(s.outsideNine).toBe(2624 + 867);
    expect(s.statuses).toEqual({
      BENIGN: 12875 + 253 + 239 + 2624,
      MALIGNANT: 4522 + 3323 + 628,
      PREMALIGNANT: 867,
    });
    expect(s).toMatchObject({ invalid: [], missingFiles: [], rejected: [], ready: 25_331 });
    expect(await counts()).toEqual(before);
  });

  it('reports the files a dry run cannot find, and refuses inputs the importer does not read', async () => {
    const folder = join(env.dataDir, 'half');
    mkdirSync(folder, { recursive: true });
    const sample = lines(HAM);
    const rows = sample.data.filter((l) => ['nv', 'mel', 'df'].includes(l.split(',')[2] ?? '')).slice(0, 10);
    const csv = writeInput('ham-half.csv', [sample.header, ...rows].join(sample.eol));
    const ids = rows.map((l) => l.split(',')[1] ?? '');
    ids.slice(0, 5).forEach((id, i) => {
      writeFileSync(join(folder, `${id}${['.jpg', '.jpeg', '.png', '', '.jpg'][i]}`), '');
    });
    const s = await runImport(pipeline, ham10000, { folder, inputs: { metadata: csv }, dryRun: true });
    expect(s.ready).toBe(5);
    expect(s.missingFiles.map((p) => [p.row, p.fileName])).toEqual(ids.slice(5).map((id, i) => [i + 7, id]));

    await expect(
      runImport(pipeline, ham10000, { folder, inputs: { metadata: csv, extra: csv }, dryRun: true }),
    ).rejects.toThrow(/has no input extra; it reads metadata/);
    await expect(runImport(pipeline, isic2019, { folder, inputs: { metadata: ISIC_META } })).rejects.toThrow(
      ImportError,
    );
    const noDx = writeInput('ham-no-dx.csv', 'lesion_id,image_id,age\nHAM_1,ISIC_1,40\n');
    await expect(runImport(pipeline, ham10000, { folder, inputs: { metadata: noDx } })).rejects.toThrow(
      /ham10000 metadata file lacks the column\(s\) dx/,
    );
  });
});

describe('a real import of a sample of HAM10000 and ISIC 2019', () => {
  /** The first `n` data lines of each label, in the file's order. */
  function firstOfEach(data: readonly string[], labelOf: (line: string) => string, n: number): string[] {
    const seen = new Map<string, number>();
    return data.filter((l) => {
      const k = labelOf(l);
      seen.set(k, (seen.get(k) ?? 0) + 1);
      return (seen.get(k) ?? 0) <= n;
    });
  }

  // every label is stored now: akiec and bkl outside the 9 (ISIC 2019: AK, BKL, UNK)
  const HAM_MAPPED = ['nv', 'mel', 'bcc', 'df', 'vasc', 'akiec', 'bkl'];
  const ISIC_COLUMNS = ['MEL', 'NV', 'BCC', 'AK', 'BKL', 'DF', 'VASC', 'SCC', 'UNK'];
  const ISIC_MAPPED = ISIC_COLUMNS;

  let hamFolder: string;
  let hamCsv: string;
  let hamRows: Row[];
  let hamMissing: string;
  let isicFolder: string;
  let isicInputs: { groundTruth: string; metadata: string };
  let isicRows: { image: string; label: string; meta: Row }[];
  let isicMissing: string;
  let first: { ham: ImportResult; isic: ImportResult };

  beforeAll(async () => {
    const ham = lines(HAM);
    const hamSample = firstOfEach(ham.data, (l) => l.split(',')[2] ?? '', 9);
    hamCsv = writeInput('ham-sample.csv', [ham.header, ...hamSample].join(ham.eol) + ham.eol);
    hamRows = readRows(hamCsv);
    hamFolder = await pictures(
      'ham',
      hamRows.map((r) => r.image_id ?? ''),
    );
    hamMissing = hamRows.find((r) => r.dx === 'mel')?.image_id ?? '';
    rmSync(join(hamFolder, `${hamMissing}.jpg`));

    const truth = lines(ISIC_TRUTH);
    const labelOf = (l: string) => ISIC_COLUMNS[l.split(',').slice(1).map(Number).indexOf(1)] ?? '';
    // ISIC 2019 contains HAM10000: take one of the HAM sample's nevi too, to meet it again
    const shared = hamRows.find((r) => r.dx === 'nv')?.image_id ?? '';
    const firstSeven = new Set(firstOfEach(truth.data, labelOf, 7));
    const truthSample = truth.data.filter((l) => firstSeven.has(l) || l.startsWith(`${shared},`));
    const ids = new Set(truthSample.map((l) => l.split(',')[0]));
    const meta = lines(ISIC_META);
    const metaSample = meta.data.filter((l) => ids.has(l.split(',')[0]));
    isicInputs = {
      groundTruth: writeInput('isic-truth.csv', [truth.header, ...truthSample].join('\n')),
      metadata: writeInput('isic-meta.csv', [meta.header, ...metaSample].join('\n')),
    };
    const metaById = new Map(readRows(isicInputs.metadata).map((r) => [r.image ?? '', r]));
    isicRows = truthSample.map((l) => {
      const image = l.split(',')[0] ?? '';
      return { image, label: labelOf(l), meta: metaById.get(image) ?? {} };
    });
    isicFolder = await pictures(
      'isic',
      isicRows.map((r) => r.image),
    );
    isicMissing = isicRows.find((r) => r.label === 'BCC')?.image ?? '';
    rmSync(join(isicFolder, `${isicMissing}.jpg`));

    first = {
      ham: await runImport(pipeline, ham10000, { folder: hamFolder, inputs: { metadata: hamCsv } }),
      isic: await runImport(pipeline, isic2019, { folder: isicFolder, inputs: isicInputs }),
    };
  });

  it('HAM10000: stores every row with its class or outside the 9 with its term, reports missing ones', async () => {
    const s = first.ham;
    expect(s.rows).toBe(63);
    expect(s.sourceLabels).toEqual({ bkl: 9, df: 9, mel: 9, vasc: 9, bcc: 9, nv: 9, akiec: 9 });
    expect(s.unmapped).toEqual({});
    expect(s.missingFiles.map((p) => p.fileName)).toEqual([hamMissing]);
    expect(s).toMatchObject({ ready: 62, accepted: 62, duplicates: 0, rejected: [], alreadyImported: 0 });

    const stored = await env.db.intakeRecord.findMany({
      where: { source: 'import:ham10000' },
      include: { image: true },
    });
    expect(stored).toHaveLength(62);
    const byClass: Record<string, number> = {};
    for (const i of stored)
      byClass[i.image?.diagnosisClass ?? 'none'] = (byClass[i.image?.diagnosisClass ?? 'none'] ?? 0) + 1;
    expect(byClass).toEqual({
      NEVUS: 9,
      MELANOMA: 8,
      BASAL_CELL_CARCINOMA: 9,
      DERMATOFIBROMA: 9,
      HEMANGIOMA: 9,
      none: 18,
    });
    // akiec and bkl are stored outside the 9 with their terms and statuses; bkl is no seborrheic keratosis
    const outside = stored.filter((i) => i.image?.diagnosisClass === null).map((i) => i.image);
    const byTerm: Record<string, string> = {};
    for (const i of outside) byTerm[i?.diagnosisTerm ?? ''] = i?.clinicalStatus ?? '';
    expect(byTerm).toEqual({
      'Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis': 'PREMALIGNANT',
      'Benign:Benign epidermal proliferations': 'BENIGN',
    });
    expect(await env.db.image.count({ where: { diagnosisClass: 'SEBORRHEIC_KERATOSIS' } })).toBe(0);
  });

  it('HAM10000: a record carries the row’s age, sex, site, lesion and verification stage', async () => {
    const SITE: Record<string, string | null> = {
      abdomen: 'ANTERIOR_TORSO',
      acral: 'PALMS_SOLES',
      back: 'POSTERIOR_TORSO',
      chest: 'ANTERIOR_TORSO',
      ear: 'EAR',
      face: 'FACE',
      foot: 'LOWER_EXTREMITY',
      genital: 'ORAL_GENITAL',
      hand: 'UPPER_EXTREMITY',
      'lower extremity': 'LOWER_EXTREMITY',
      neck: 'NECK',
      scalp: 'SCALP',
      trunk: 'TRUNK',
      unknown: null,
      'upper extremity': 'UPPER_EXTREMITY',
    };
    const STAGE: Record<string, string> = {
      histo: 'HISTOLOGY',
      consensus: 'CONSENSUS',
      follow_up: 'INITIAL',
      confocal: 'INITIAL',
    };
    const DIAGNOSIS: Record<string, string> = {
      nv: 'melanocytic nevus',
      mel: 'melanoma',
      bcc: 'basal cell carcinoma',
      df: 'dermatofibroma',
      vasc: 'hemangioma',
      akiec: "actinic keratosis / intraepithelial carcinoma (Bowen's disease)",
      bkl: 'benign keratosis-like lesion',
    };
    const stored = hamRows.filter((r) => HAM_MAPPED.includes(r.dx ?? '') && r.image_id !== hamMissing);
    for (const row of stored) {
      const image = await imageFrom(hamFolder, `${row.image_id}.jpg`);
      const lesionId = row.lesion_id ?? '';
      expect({
        patient: image.patient.code,
        lesion: image.lesion.code,
        ageRaw: image.ageAtExamRaw,
        age: image.ageAtExam,
        sex: image.patient.sex,
        site: image.anatomicalSite,
        stage: image.verificationStage,
        histopathology: image.histopathology?.resultText ?? null,
        raw: image.clinicalDiagnosisRaw,
        acquiredAt: image.acquiredAt,
        score: image.imageQualityScore,
      }).toEqual({
        patient: patientCode(`ham10000:${lesionId}`),
        lesion: pipeline.deps.pseudonyms.code('lesion', `ham10000:${lesionId}`, lesionId),
        ageRaw: row.age || null,
        age: row.age ? Number(row.age) : null,
        sex: row.sex === 'male' ? 'MALE' : row.sex === 'female' ? 'FEMALE' : null,
        site: SITE[row.localization ?? ''],
        stage: STAGE[row.dx_type ?? ''],
        histopathology: row.dx_type === 'histo' ? 'histopathology (HAM10000 dx_type=histo)' : null,
        raw: DIAGNOSIS[row.dx ?? ''],
        acquiredAt: null,
        score: null,
      });
      if (STAGE[row.dx_type ?? ''] !== 'INITIAL') expect(image.consensus?.decidedBy).toBe('import');
    }
    // the sample holds every stage the importer can give, and several images of one lesion
    expect(new Set(stored.map((r) => r.dx_type))).toEqual(new Set(['histo', 'consensus', 'follow_up']));
    expect(new Set(stored.map((r) => r.lesion_id)).size).toBeLessThan(stored.length);
  });

  it('ISIC 2019: one-hot labels, the gender column, lesion-less rows and the HAM image met again', async () => {
    const s = first.isic;
    const mappedRows = isicRows.filter((r) => ISIC_MAPPED.includes(r.label));
    const sharedIds = mappedRows.filter((r) => r.image !== isicMissing && hamRows.some((h) => h.image_id === r.image));
    const hamStored = sharedIds.filter((r) => {
      const h = hamRows.find((x) => x.image_id === r.image);
      return HAM_MAPPED.includes(h?.dx ?? '') && h?.image_id !== hamMissing;
    });
    expect(hamStored.length).toBeGreaterThan(0);
    expect(s.rows).toBe(isicRows.length);
    expect(s.unmapped).toEqual({});
    expect(s.outsideNine).toBe(14);
    expect(s.missingFiles.map((p) => p.fileName)).toEqual([isicMissing]);
    // same picture, other record: recognised from its pixels and linked, not stored twice
    expect(s).toMatchObject({
      ready: mappedRows.length - 1,
      accepted: mappedRows.length - 1 - hamStored.length,
      duplicates: hamStored.length,
      rejected: [],
    });

    const row = mappedRows.find((r) => r.image !== isicMissing && !hamStored.includes(r) && r.meta.gender) as {
      image: string;
      label: string;
      meta: Row;
    };
    const image = await imageFrom(isicFolder, `${row.image}.jpg`);
    expect(image.patient.code).toBe(patientCode(`isic2019:${row.meta.lesion_id || row.image}`));
    expect(image.ageAtExamRaw).toBe(row.meta.age_approx || null);
    expect(image.patient.sex).toBe(row.meta.gender === 'male' ? 'MALE' : 'FEMALE');
    expect(image.anatomicalSite).toBe(
      row.meta.anatom_site_general ? row.meta.anatom_site_general.toUpperCase().replace(/[ /]/g, '_') : null,
    );
    expect(image.verificationStage).toBe('INITIAL');
    expect(normaliseDiagnosis(image.clinicalDiagnosisRaw)).toEqual({ ok: true, diagnosisClass: image.diagnosisClass });
    const ak = isicRows.find((r) => r.label === 'AK' && r.image !== isicMissing) as { image: string };
    expect(await imageFrom(isicFolder, `${ak.image}.jpg`)).toMatchObject({
      diagnosisClass: null,
      diagnosisTerm: 'Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis',
      clinicalStatus: 'PREMALIGNANT',
    });
  });

  it('changes nothing when the same imports run again', async () => {
    const before = await counts();
    const ham = await runImport(pipeline, ham10000, { folder: hamFolder, inputs: { metadata: hamCsv } });
    const isic = await runImport(pipeline, isic2019, { folder: isicFolder, inputs: isicInputs, concurrency: 3 });
    expect(ham).toMatchObject({ accepted: 0, duplicates: 0, alreadyImported: first.ham.ready });
    expect(isic).toMatchObject({ accepted: 0, duplicates: 0, alreadyImported: first.isic.ready });
    expect(await counts()).toEqual(before);
    expect(formatPublicSummary(ham)).toContain(`already imported (unchanged): ${first.ham.ready}`);
  });
});

describe('ISIC legacy and PAD-UFES-20 files', () => {
  it('ISIC legacy: challenge (anatom_site_general_challenge) and archive (confirm type) spellings', async () => {
    // ISIC 2020 challenge style
    const challenge = writeInput(
      'isic2020.csv',
      [
        'image_name,patient_id,sex,age_approx,anatom_site_general_challenge,diagnosis,benign_malignant,target',
        'ISIC_L000001,IP_0000001,male,45,torso,melanoma,malignant,1',
        'ISIC_L000002,IP_0000001,male,45,upper extremity,nevus,benign,0',
        'ISIC_L000003,IP_0000002,female,60,head/neck,seborrheic keratosis,benign,0',
        'ISIC_L000004,IP_0000002,female,60,lower extremity,unknown,benign,0',
        'ISIC_L000005,IP_0000003,,,,lentigo NOS,benign,0',
        'ISIC_L000006,IP_0000003,,,,atypical melanocytic proliferation,benign,0',
        'ISIC_L000007,IP_0000004,female,35,torso,melanoma,benign,0',
      ].join('\n'),
    );
    // archive export style, with a byte order mark and a confirm type
    const archive = writeInput(
      'isic-archive.csv',
      `\uFEFF${[
        'isic_id,patient_id,lesion_id,sex,age_approx,anatom_site_general,diagnosis,diagnosis_confirm_type,benign_malignant',
        'ISIC_A000001,IP_0000005,IL_0000001,male,70,head/neck,basal cell carcinoma,histopathology,malignant',
        'ISIC_A000002,,IL_0000002,female,50,anterior torso,angioma,single image expert consensus,benign',
        'ISIC_A000003,IP_0000006,,female,50,posterior torso,vascular lesion,histopathology,benign',
        'ISIC_A000004,IP_0000006,,female,50,palms/soles,nevus,serial imaging showing no change,benign',
        'ISIC_A000005,IP_0000007,,male,40,lateral torso,,,benign',
      ].join('\n')}\n`,
    );
    const folder = await pictures('legacy', [
      ...Array.from({ length: 7 }, (_, i) => `ISIC_L00000${i + 1}`),
      ...Array.from({ length: 5 }, (_, i) => `ISIC_A00000${i + 1}`),
    ]);
    const a = await runImport(pipeline, isicLegacy, { folder, inputs: { metadata: challenge } });
    // the contradictory row is invalid: it counts under no label
    expect(a.sourceLabels).toEqual({
      melanoma: 1,
      nevus: 1,
      'seborrheic keratosis': 1,
      unknown: 1,
      'lentigo NOS': 1,
      'atypical melanocytic proliferation': 1,
    });
    expect(a.mapped).toEqual({ MELANOMA: 1, NEVUS: 1, SEBORRHEIC_KERATOSIS: 1 });
    // outside the 9, stored with their terms: "unknown, benign" as Benign, lentigo NOS, the indeterminate proliferation
    expect(a.unmapped).toEqual({});
    expect(a.outsideNine).toBe(3);
    expect(a.terms).toMatchObject({
      Benign: 1,
      'Benign:Flat melanotic pigmentations - not melanocytic nevus:Lentigo NOS': 1,
      'Indeterminate:Indeterminate melanocytic proliferations:Atypical melanocytic neoplasm': 1,
    });
    expect(a.invalid).toEqual([
      expect.objectContaining({ row: 8, fileName: 'ISIC_L000007', message: expect.stringMatching(/contradicts/) }),
    ]);
    expect(a).toMatchObject({ accepted: 6, rejected: [], missingFiles: [] });
    expect(await imageFrom(folder, 'ISIC_L000004.jpg')).toMatchObject({
      diagnosisClass: null,
      diagnosisTerm: 'Benign',
      clinicalStatus: 'BENIGN',
    });
    const mel = await imageFrom(folder, 'ISIC_L000001.jpg');
    expect(mel).toMatchObject({
      diagnosisClass: 'MELANOMA',
      anatomicalSite: 'TRUNK',
      ageAtExam: 45,
      verificationStage: 'INITIAL',
    });
    expect(mel.patient).toMatchObject({ code: patientCode('isic:IP_0000001'), sex: 'MALE' });
    const nevus = await imageFrom(folder, 'ISIC_L000002.jpg');
    expect(nevus.patientId).toBe(mel.patientId);

    const b = await runImport(pipeline, isicLegacy, { folder, inputs: { metadata: archive } });
    expect(b.mapped).toEqual({ BASAL_CELL_CARCINOMA: 1, HEMANGIOMA: 1, NEVUS: 1 });
    // a vascular lesion not further specified: the benign vascular node, outside the 9; no diagnosis: its verdict
    expect(b.unmapped).toEqual({});
    expect(b.terms).toMatchObject({ 'Benign:Benign soft tissue proliferations - Vascular': 1, Benign: 1 });
    expect(b).toMatchObject({ accepted: 5, rejected: [], outsideNine: 2 });
    const bcc = await imageFrom(folder, 'ISIC_A000001.jpg');
    expect(bcc).toMatchObject({
      verificationStage: 'HISTOLOGY',
      anatomicalSite: 'HEAD_NECK',
      diagnosisClass: 'BASAL_CELL_CARCINOMA',
    });
    expect(bcc.histopathology?.resultText).toMatch(/histopathology/);
    const angioma = await imageFrom(folder, 'ISIC_A000002.jpg');
    expect(angioma).toMatchObject({ verificationStage: 'CONSENSUS', diagnosisClass: 'HEMANGIOMA' });
    expect(angioma.patient.code).toBe(patientCode('isic:IL_0000002'));
    const acral = await imageFrom(folder, 'ISIC_A000004.jpg');
    expect(acral).toMatchObject({ verificationStage: 'INITIAL', anatomicalSite: 'PALMS_SOLES' });
  });

  // as the dataset publishes it (CRLF): answers are empty for many non-biopsied cases
  const PAD_CSV = [
    'patient_id,lesion_id,smoke,drink,background_father,background_mother,age,pesticide,gender,skin_cancer_history,' +
      'cancer_history,has_piped_water,has_sewage_system,fitspatrick,region,diameter_1,diameter_2,diagnostic,itch,' +
      'grew,hurt,changed,bleed,elevation,img_id,biopsed',
    'PAT_1516,1765,,,,,8,,,,,,,,ARM,,,NEV,False,False,False,False,False,False,PAT_1516_1765_530.png,False',
    'PAT_46,881,False,False,POMERANIA,POMERANIA,55,False,FEMALE,True,True,True,True,3.0,FOREARM,6.0,5.0,BCC,' +
      'True,True,False,True,True,True,PAT_46_881_939.png,True',
    'PAT_46,882,False,False,POMERANIA,POMERANIA,55,False,FEMALE,True,True,True,True,3.0,NOSE,4.0,7.5,ACK,' +
      'True,False,False,False,False,True,PAT_46_882_940.png,True',
    'PAT_1545,1867,False,True,ITALY,GERMANY,77,True,MALE,False,True,True,False,2.0,NOSE,10.0,8.0,SEK,' +
      'UNK,False,False,UNK,False,False,PAT_1545_1867_547.png,False',
    'PAT_680,1289,True,False,BRAZIL,BRAZIL,62,True,MALE,True,False,True,True,2.0,BACK,12.0,10.0,MEL,' +
      'False,True,False,True,False,UNK,PAT_680_1289_182.png,True',
    'PAT_995,1901,False,False,GERMANY,BRAZIL,81,False,FEMALE,True,True,True,True,1.0,LIP,9.0,9.0,SCC,' +
      'True,True,True,True,True,True,PAT_995_1901_165.png,True',
    'PAT_995,1902,False,False,GERMANY,BRAZIL,81,False,FEMALE,True,True,True,True,1.0,CHEST,5.0,4.0,BCC,' +
      'False,False,False,False,False,False,PAT_995_1902_166.png,True',
  ];

  it('PAD-UFES-20: phototype, larger diameter, elevation, biopsy, regions and the ACK label', async () => {
    const csv = writeInput('pad.csv', `${PAD_CSV.join('\r\n')}\r\n`);
    const images = PAD_CSV.slice(1).map((l) => l.split(',')[24] ?? '');
    expect(images).toHaveLength(7);
    const folder = await pictures('pad', images, '.png');
    rmSync(join(folder, 'PAT_995_1902_166.png'));
    const s = await runImport(pipeline, padUfes20, { folder, inputs: { metadata: csv } });
    expect(s.sourceLabels).toEqual({ NEV: 1, BCC: 2, ACK: 1, SEK: 1, MEL: 1, SCC: 1 });
    expect(s.unmapped).toEqual({});
    expect(s.missingFiles.map((p) => [p.row, p.fileName])).toEqual([[8, 'PAT_995_1902_166.png']]);
    expect(s).toMatchObject({ accepted: 6, rejected: [], invalid: [], outsideNine: 1 });
    expect(await imageFrom(folder, 'PAT_46_882_940.png')).toMatchObject({
      diagnosisClass: null,
      diagnosisTerm: 'Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis',
      clinicalStatus: 'PREMALIGNANT',
    });

    const bcc = await imageFrom(folder, 'PAT_46_881_939.png');
    expect(bcc).toMatchObject({
      diagnosisClass: 'BASAL_CELL_CARCINOMA',
      ageAtExam: 55,
      anatomicalSite: 'UPPER_EXTREMITY',
      lesionDiameterMm: 6,
      elevation: 'PALPABLE',
      verificationStage: 'HISTOLOGY',
      histopathologyResult: 'histopathology (PAD-UFES-20 biopsed=True)',
    });
    expect(bcc.patient).toMatchObject({
      code: patientCode('pad-ufes-20:PAT_46'),
      sex: 'FEMALE',
      fitzpatrickType: 'III',
    });
    const sek = await imageFrom(folder, 'PAT_1545_1867_547.png');
    expect(sek).toMatchObject({
      diagnosisClass: 'SEBORRHEIC_KERATOSIS',
      anatomicalSite: 'FACE',
      lesionDiameterMm: 10,
      elevation: 'FLAT',
      verificationStage: 'INITIAL',
    });
    const nev = await imageFrom(folder, 'PAT_1516_1765_530.png');
    expect(nev).toMatchObject({ diagnosisClass: 'NEVUS', anatomicalSite: 'UPPER_EXTREMITY', lesionDiameterMm: null });
    expect(nev.patient).toMatchObject({ sex: null, fitzpatrickType: null });
    const mel = await imageFrom(folder, 'PAT_680_1289_182.png');
    expect(mel).toMatchObject({ elevation: null, anatomicalSite: 'POSTERIOR_TORSO', verificationStage: 'HISTOLOGY' });
    const scc = await imageFrom(folder, 'PAT_995_1901_165.png');
    expect(scc).toMatchObject({ diagnosisClass: 'SQUAMOUS_CELL_CARCINOMA', anatomicalSite: 'FACE' });
    expect(scc.patient.fitzpatrickType).toBe('I');
  });

  it('ISIC 2019 metadata: the fifth column may be called sex or gender, but must be there', () => {
    const oneHot = (image: string, ...labels: string[]): Row =>
      Object.fromEntries([
        ['image', image],
        ...Object.keys(isic2019.vocabulary).map((l): [string, string] => [
          l.toLowerCase(),
          labels.includes(l) ? '1.0' : '0.0',
        ]),
      ]);
    const truth = [oneHot('ISIC_9000001', 'MEL'), oneHot('ISIC_9000002', 'UNK'), oneHot('ISIC_9000003', 'MEL', 'NV')];
    const meta = (sexColumn: string) =>
      truth.map(
        (t, i): Row => ({
          image: t.image ?? '',
          age_approx: '50',
          anatom_site_general: 'posterior torso',
          lesion_id: i === 0 ? 'BCN_0000001' : '',
          [sexColumn]: 'female',
        }),
      );
    for (const column of ['sex', 'gender']) {
      const rows = [...isic2019.rows({ groundTruth: truth, metadata: meta(column) })];
      expect(rows.map((r) => r.kind)).toEqual(['record', 'record', 'invalid']);
      expect(rows[0]).toMatchObject({
        sourceLabel: 'MEL',
        record: { sex: 'female', patient_id: 'isic2019:BCN_0000001', anatomical_site: 'posterior_torso' },
      });
      // UNK, "none of the others": stored as Unknown, outside the 9
      expect(rows[1]).toMatchObject({ sourceLabel: 'UNK', record: { diagnosis_term: 'Unknown' } });
    }
    expect(() => [...isic2019.rows({ groundTruth: truth, metadata: meta('patient_sex') })]).toThrow(/sex or gender/);
    const alone = [...isic2019.rows({ groundTruth: truth })];
    expect(alone[0]).toMatchObject({ kind: 'record', record: { patient_id: 'isic2019:ISIC_9000001' } });
    expect(alone[0]?.kind === 'record' && alone[0].record.sex).toBeUndefined();
  });
});

describe('vocabularies', () => {
  const IMPORTERS = [ham10000, isic2019, isicLegacy, padUfes20];

  it('registers as four importer plugins with stable ids', () => {
    const registry = new PluginRegistry(IMPORTERS);
    expect([...registry.importers.keys()]).toEqual(['ham10000', 'isic2019', 'isic-legacy', 'pad-ufes-20']);
    // 1.1.0: every label is stored with its diagnosis term (1.0.0 reported some as unmapped)
    for (const p of IMPORTERS) expect(p).toMatchObject({ kind: 'importer', version: '1.1.0' });
  });

  it('lists our own CSV first, then the public collections, in THE plugin list', async () => {
    const { registry } = await import('../src/plugins/index.ts');
    expect([...registry.importers.keys()]).toEqual([
      'dermaset',
      'ham10000',
      'isic2019',
      'isic-legacy',
      'pad-ufes-20',
      'derm7pt',
      'ph2',
    ]);
    expect(registry.importer('dermaset')).toMatchObject({
      kind: 'importer',
      version: '1.0.0',
      provenance: 'sop',
      inputs: [{ name: 'metadata', required: true }],
    });
    for (const p of registry.importers.values()) expect(Object.keys(p.vocabulary).length).toBeGreaterThan(0);
  });

  it('covers every label each format defines', () => {
    const hamLabels = new Set(readRows(HAM).map((r) => r.dx));
    expect(Object.keys(ham10000.vocabulary).sort()).toEqual([...hamLabels].sort());
    const isicColumns = lines(ISIC_TRUTH).header.split(',').slice(1);
    expect(Object.keys(isic2019.vocabulary)).toEqual(isicColumns);
    expect(Object.keys(padUfes20.vocabulary).sort()).toEqual(['ACK', 'BCC', 'MEL', 'NEV', 'SCC', 'SEK']);
    // the ISIC 2020 challenge's diagnosis values, a subset of the legacy archive's
    for (const label of [
      'unknown',
      'nevus',
      'melanoma',
      'seborrheic keratosis',
      'lentigo NOS',
      'lichenoid keratosis',
      'solar lentigo',
      'cafe-au-lait macule',
      'atypical melanocytic proliferation',
    ]) {
      expect(isicLegacy.vocabulary).toHaveProperty([label]);
    }
  });

  const AK = 'Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis';
  const NEVUS = 'Benign:Benign melanocytic proliferations:Nevus';
  const MEL = 'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma, NOS';
  const BCC = 'Malignant:Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma';
  const SCC = 'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma, NOS';
  const DF = 'Benign:Benign soft tissue proliferations - Fibro-histiocytic:Dermatofibroma';
  const HEM = 'Benign:Benign soft tissue proliferations - Vascular:Hemangioma';
  const SK = 'Benign:Benign epidermal proliferations:Seborrheic keratosis';
  const BKL = 'Benign:Benign epidermal proliferations';
  type Entry = { term: string; diagnosisClass: DiagnosisClass | null };
  const e = (term: string, diagnosisClass: DiagnosisClass | null): Entry => ({ term, diagnosisClass });
  const EXPECTED: Record<string, Record<string, Entry>> = {
    ham10000: {
      nv: e(NEVUS, 'NEVUS'),
      mel: e(MEL, 'MELANOMA'),
      bcc: e(BCC, 'BASAL_CELL_CARCINOMA'),
      df: e(DF, 'DERMATOFIBROMA'),
      vasc: e(HEM, 'HEMANGIOMA'),
      akiec: e(AK, null),
      bkl: e(BKL, null),
    },
    isic2019: {
      MEL: e(MEL, 'MELANOMA'),
      NV: e(NEVUS, 'NEVUS'),
      BCC: e(BCC, 'BASAL_CELL_CARCINOMA'),
      AK: e(AK, null),
      BKL: e(BKL, null),
      DF: e(DF, 'DERMATOFIBROMA'),
      VASC: e(HEM, 'HEMANGIOMA'),
      SCC: e(SCC, 'SQUAMOUS_CELL_CARCINOMA'),
      UNK: e('Unknown', null),
    },
    'pad-ufes-20': {
      NEV: e(NEVUS, 'NEVUS'),
      MEL: e(MEL, 'MELANOMA'),
      BCC: e(BCC, 'BASAL_CELL_CARCINOMA'),
      SCC: e(SCC, 'SQUAMOUS_CELL_CARCINOMA'),
      SEK: e(SK, 'SEBORRHEIC_KERATOSIS'),
      ACK: e(AK, null),
    },
  };

  it('maps only the clinically same classes, and gives every other label its term outside the 9', async () => {
    const { registry } = await import('../src/plugins/index.ts');
    for (const p of [ham10000, isic2019, padUfes20]) expect(p.vocabulary).toEqual(EXPECTED[p.id]);
    const legacyMapped = Object.entries(isicLegacy.vocabulary).filter(([, c]) => c.diagnosisClass !== null);
    expect(Object.fromEntries(legacyMapped.map(([k, v]) => [k, v.diagnosisClass]))).toEqual({
      angioma: 'HEMANGIOMA',
      'basal cell carcinoma': 'BASAL_CELL_CARCINOMA',
      dermatofibroma: 'DERMATOFIBROMA',
      melanoma: 'MELANOMA',
      // ISIC files these under its Melanoma and Nevus nodes
      'melanoma metastasis': 'MELANOMA',
      'nevus spilus': 'NEVUS',
      nevus: 'NEVUS',
      'seborrheic keratosis': 'SEBORRHEIC_KERATOSIS',
      'squamous cell carcinoma': 'SQUAMOUS_CELL_CARCINOMA',
    });
    expect(isicLegacy.vocabulary).toMatchObject({
      'actinic keratosis': e(AK, null),
      'solar lentigo': e('Benign:Benign epidermal proliferations:Solar lentigo', null),
      'lentigo NOS': e('Benign:Flat melanotic pigmentations - not melanocytic nevus:Lentigo NOS', null),
      'lichenoid keratosis': e('Benign:Benign epidermal proliferations:Lichen planus like keratosis', null),
      'cafe-au-lait macule': e(
        'Benign:Flat melanotic pigmentations - not melanocytic nevus:Cafe au lait macule or patch',
        null,
      ),
      AIMP: e(
        'Indeterminate:Indeterminate melanocytic proliferations:Atypical intraepithelial melanocytic proliferation',
        null,
      ),
      unknown: e('Unknown', null),
    });
    for (const p of registry.importers.values()) {
      for (const [label, entry] of Object.entries(p.vocabulary))
        expect(isTerm(entry.term), `${p.id} ${label}`).toBe(true);
    }
  });

  /** A minimal row of each format carrying one label. */
  const rowsFor: Record<string, (label: string) => Readonly<Record<string, readonly Row[]>>> = {
    ham10000: (dx) => ({ metadata: [{ lesion_id: 'HAM_1', image_id: 'ISIC_1', dx, dx_type: 'histo' }] }),
    isic2019: (label) => ({
      groundTruth: [
        Object.fromEntries([
          ['image', 'ISIC_1'],
          ...Object.keys(isic2019.vocabulary).map((l): [string, string] => [
            l.toLowerCase(),
            l === label ? '1.0' : '0.0',
          ]),
        ]),
      ],
    }),
    'isic-legacy': (diagnosis) => ({ metadata: [{ isic_id: 'ISIC_1', patient_id: 'IP_1', diagnosis }] }),
    'pad-ufes-20': (diagnostic) => ({
      metadata: [{ patient_id: 'PAT_1', lesion_id: '1', img_id: 'PAT_1_1_1.png', diagnostic, biopsed: 'True' }],
    }),
  };

  it('turns every label into a record that validates to its class and term (inside the 9 or outside)', () => {
    for (const p of IMPORTERS) {
      const build = rowsFor[p.id];
      if (!build) throw new Error(`no row builder for ${p.id}`);
      for (const [label, entry] of Object.entries(p.vocabulary)) {
        const [row, ...rest] = [...p.rows(build(label))] as ImportRow[];
        expect(rest, `${p.id} ${label}`).toEqual([]);
        expect(row, `${p.id} ${label}`).toMatchObject({ kind: 'record', sourceLabel: label });
        if (row?.kind !== 'record') continue;
        const text = String(row.record.clinical_diagnosis);
        const d = normaliseDiagnosis(text);
        // a text that names a class names the entry's (outside the 9: none), the term decides the rest
        if (d.ok || entry.diagnosisClass === null) {
          expect(d.ok ? d.diagnosisClass : null, `${p.id} ${label} → "${text}"`).toBe(entry.diagnosisClass);
        }
        const valid = validateRecord(row.record, new Date(), 'public');
        expect({ c: valid.diagnosisClass, t: valid.diagnosisTerm }, `${p.id} ${label}`).toEqual({
          c: entry.diagnosisClass,
          t: entry.term,
        });
      }
    }
  });

  it('reports a label outside the vocabulary as unmapped, never as a class', () => {
    const [ham] = [...ham10000.rows({ metadata: [{ lesion_id: 'HAM_1', image_id: 'ISIC_1', dx: 'sek' }] })];
    expect(ham).toMatchObject({ kind: 'unmapped', sourceLabel: 'sek', reason: expect.stringMatching(/not one of/) });
    const [proto] = [...ham10000.rows({ metadata: [{ image_id: 'ISIC_1', dx: 'constructor' }] })];
    expect(proto).toMatchObject({ kind: 'unmapped', sourceLabel: 'constructor' });
    const [pad] = [
      ...padUfes20.rows({ metadata: [{ patient_id: 'PAT_1', img_id: 'PAT_1_1_1.png', diagnostic: 'BOD' }] }),
    ];
    expect(pad).toMatchObject({ kind: 'unmapped', sourceLabel: 'BOD' });
    const [legacy, blue] = [
      ...isicLegacy.rows({
        metadata: [
          { isic_id: 'ISIC_1', diagnosis: 'lentigo maligna' },
          { isic_id: 'ISIC_2', diagnosis: 'blue nevus' },
        ],
      }),
    ];
    expect(legacy).toMatchObject({ kind: 'unmapped', sourceLabel: 'lentigo maligna' });
    // outside the legacy list, our own normalisation still applies
    expect(blue).toMatchObject({ kind: 'record', record: { clinical_diagnosis: 'blue nevus' } });
  });
});
