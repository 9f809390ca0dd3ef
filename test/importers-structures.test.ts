// The importers of the two public collections richest in expert structure annotations: Derm7pt
// (meta/meta.csv) and PH2 (PH2_dataset.xlsx as CSV). Their tables are the published ones
// (test/fixtures/public-metadata); images are stand-ins made with sharp. Every expectation below is
// computed here from the CSV with tables written out again in this file, not read from the importers.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseDiagnosis } from '../src/domain/classes.ts';
import type { DiagnosisClass } from '../src/domain/enums.ts';
import { type ImportSummary, runImport } from '../src/ingest/import.ts';
import { type AcquisitionPipeline, createPipeline } from '../src/ingest/pipeline.ts';
import { derm7pt } from '../src/plugins/importers/derm7pt.ts';
import { ph2 } from '../src/plugins/importers/ph2.ts';
import type { ImportRow } from '../src/plugins/types.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { fixture } from './helpers/fixtures.ts';
import { blockPicture } from './helpers/images.ts';

type Row = Record<string, string>;

const DERM7PT = fixture('derm7pt_meta.csv');
const PH2 = fixture('ph2_dataset.csv');

const readRows = (path: string): Row[] =>
  parse(readFileSync(path, 'utf8'), { columns: true, bom: true, trim: true, skip_empty_lines: true });

let env: TestEnv;
let pipeline: AcquisitionPipeline;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Writes `bytes` (empty: a stand-in enough for a dry run) at each relative path under a new folder. */
async function folderOf(name: string, paths: readonly string[], bytes?: (p: string) => Promise<Buffer>) {
  const folder = join(env.dataDir, name);
  for (const p of paths) {
    mkdirSync(dirname(join(folder, p)), { recursive: true });
    writeFileSync(join(folder, p), bytes ? await bytes(p) : '');
  }
  return folder;
}

function writeInput(name: string, header: readonly string[], rows: readonly Row[]): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const path = join(env.dataDir, name);
  const body = rows.map((r) => header.map((h) => quote(r[h] ?? '')).join(','));
  writeFileSync(path, `${[header.join(','), ...body].join('\n')}\n`);
  return path;
}

/** The stored image made from a file, found through its intake row, with its structures and colours. */
async function imageFrom(folder: string, fileName: string) {
  const intake = await env.db.intakeRecord.findFirstOrThrow({
    where: { sourceSha256: sha256(readFileSync(join(folder, fileName))), outcome: 'ACCEPTED' },
  });
  return env.db.image.findUniqueOrThrow({
    where: { id: intake.imageId ?? -1 },
    include: { patient: true, structures: true, colors: true, histopathology: true },
  });
}

const patientCode = (id: string) => pipeline.deps.pseudonyms.code('patient', id);

const tally = (values: Iterable<string>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
};

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  pipeline = createPipeline(env.config, env.db);
});
afterAll(() => env?.dispose());

// ---------------------------------------------------------------- Derm7pt, restated

/** Derm7pt's diagnosis → our class, or null (stored outside the 9 with its term, DERM_OUTSIDE). */
const DERM_CLASS: Record<string, DiagnosisClass | null> = {
  'basal cell carcinoma': 'BASAL_CELL_CARCINOMA',
  melanoma: 'MELANOMA',
  'melanoma (in situ)': 'MELANOMA',
  'melanoma (less than 0.76 mm)': 'MELANOMA',
  'melanoma (0.76 to 1.5 mm)': 'MELANOMA',
  'melanoma (more than 1.5 mm)': 'MELANOMA',
  'melanoma metastasis': 'MELANOMA',
  'clark nevus': 'DYSPLASTIC_NEVUS',
  'blue nevus': 'NEVUS',
  'dermal nevus': 'NEVUS',
  'congenital nevus': 'NEVUS',
  'combined nevus': 'NEVUS',
  'recurrent nevus': 'NEVUS',
  'reed or spitz nevus': 'NEVUS',
  'seborrheic keratosis': 'SEBORRHEIC_KERATOSIS',
  dermatofibroma: 'DERMATOFIBROMA',
  'vascular lesion': 'HEMANGIOMA',
  lentigo: null,
  melanosis: null,
  miscellaneous: null,
};

/** The terms and statuses of Derm7pt's three diagnoses outside the 9. */
const DERM_OUTSIDE: Record<string, { term: string; status: string }> = {
  lentigo: { term: 'Benign:Flat melanotic pigmentations - not melanocytic nevus:Lentigo NOS', status: 'BENIGN' },
  melanosis: { term: 'Benign:Flat melanotic pigmentations - not melanocytic nevus', status: 'BENIGN' },
  miscellaneous: { term: 'Unknown', status: 'UNKNOWN' },
};

/** The structures a Derm7pt row states, in our codes. */
function dermStructures(r: Row): string[] {
  const out: string[] = [];
  const q = (v: string | undefined) => (v === 'regular' ? 'REGULAR' : v === 'irregular' ? 'IRREGULAR' : null);
  if (r.pigment_network === 'typical') out.push('PIGMENT_NETWORK_TYPICAL');
  if (r.pigment_network === 'atypical') out.push('PIGMENT_NETWORK_ATYPICAL');
  if (q(r.streaks)) out.push(`STREAKS_${q(r.streaks)}`);
  const blotch = r.pigmentation?.split(' ')[1]; // "diffuse irregular", "localized regular", …
  if (r.pigmentation !== 'absent' && q(blotch)) out.push(`BLOTCH_${q(blotch)}`);
  if (r.regression_structures !== 'absent') out.push('REGRESSION_STRUCTURES');
  if (q(r.dots_and_globules)) out.push(`DOTS_GLOBULES_${q(r.dots_and_globules)}`);
  if (r.blue_whitish_veil === 'present') out.push('BLUE_WHITISH_VEIL');
  const vessel = r.vascular_structures ?? '';
  if (['arborizing', 'dotted', 'comma', 'hairpin', 'linear irregular'].includes(vessel)) {
    out.push(`VESSELS_${vessel.toUpperCase().replace(' ', '_')}`);
  }
  return out.sort();
}

const DERM_SITE: Record<string, string> = {
  back: 'POSTERIOR_TORSO',
  'lower limbs': 'LOWER_EXTREMITY',
  abdomen: 'ANTERIOR_TORSO',
  'upper limbs': 'UPPER_EXTREMITY',
  chest: 'ANTERIOR_TORSO',
  'head neck': 'HEAD_NECK',
  acral: 'PALMS_SOLES',
  buttocks: 'LOWER_EXTREMITY',
  'genital areas': 'ORAL_GENITAL',
};

// ---------------------------------------------------------------- PH2, restated

const PH2_CLASS: Record<string, DiagnosisClass> = {
  common_nevus: 'NEVUS',
  atypical_nevus: 'DYSPLASTIC_NEVUS',
  melanoma: 'MELANOMA',
};
const ph2Label = (r: Row) => Object.keys(PH2_CLASS).filter((c) => r[c] === 'X');

function ph2Structures(r: Row): string[] {
  const out: string[] = [];
  if (r.pigment_network === 'AT') out.push('PIGMENT_NETWORK_ATYPICAL');
  if (r.pigment_network === 'T') out.push('PIGMENT_NETWORK_TYPICAL');
  if (r.dots_globules === 'AT') out.push('DOTS_GLOBULES_IRREGULAR');
  if (r.dots_globules === 'T') out.push('DOTS_GLOBULES_REGULAR');
  if (r.regression_areas === 'P') out.push('REGRESSION_STRUCTURES');
  if (r.blue_whitish_veil === 'P') out.push('BLUE_WHITISH_VEIL');
  return out.sort();
}
const ph2Colors = (r: Row): string[] =>
  ['white', 'red', 'light_brown', 'dark_brown', 'blue_gray', 'black']
    .filter((c) => r[c] === 'X')
    .map((c) => c.toUpperCase())
    .sort();
/** PH2's histology texts that confirm the row's class. */
const CONFIRMS: Record<string, string> = {
  Melanoma: 'melanoma',
  'Nodular Melanoma': 'melanoma',
  'Lentigo Maligna': 'melanoma',
  'Dysplastic Nevus': 'atypical_nevus',
  'Intradermal Nevus': 'common_nevus',
  'Blue Nevus': 'common_nevus',
};
const ph2Path = (image: string) => `${image}/${image}_Dermoscopic_Image/${image}`;

/** A record's `;`-separated structure labels as our codes. */
const codes = (labels: unknown): string[] =>
  typeof labels === 'string' && labels !== ''
    ? labels
        .split(';')
        .map((l) => l.toUpperCase())
        .sort()
    : [];

// ---------------------------------------------------------------- the tests

describe('Derm7pt meta.csv', () => {
  const rows = readRows(DERM7PT);

  it('the dry run over all 1,011 cases counts what the CSV says, per class and per label outside the 9', async () => {
    expect(rows).toHaveLength(1011);
    const folder = await folderOf(
      'derm7pt-dry',
      rows.map((r) => r.derm ?? ''),
    );
    const images = await env.db.image.count();
    const s = await runImport(pipeline, derm7pt, { folder, inputs: { metadata: DERM7PT }, dryRun: true });

    const labels = rows.map((r) => r.diagnosis ?? '');
    for (const l of labels) expect(Object.keys(DERM_CLASS), l).toContain(l);
    const mapped = tally(labels.map((l) => DERM_CLASS[l]).filter((c): c is DiagnosisClass => !!c));
    const outside = tally(labels.filter((l) => DERM_CLASS[l] === null));
    expect(s.rows).toBe(1011);
    expect(s.sourceLabels).toEqual(tally(labels));
    expect(s.mapped).toEqual(mapped);
    expect(s.unmapped).toEqual({});
    expect(outside).toEqual({ lentigo: 24, melanosis: 16, miscellaneous: 8 });
    expect(s.outsideNine).toBe(48);
    for (const [label, n] of Object.entries(outside)) expect(s.terms[DERM_OUTSIDE[label]?.term ?? '']).toBe(n);
    expect(mapped).toEqual({
      DYSPLASTIC_NEVUS: 399,
      MELANOMA: 252,
      NEVUS: 176,
      SEBORRHEIC_KERATOSIS: 45,
      BASAL_CELL_CARCINOMA: 42,
      HEMANGIOMA: 29,
      DERMATOFIBROMA: 20,
    });
    // every record passes validation; nothing stored
    expect(s).toMatchObject({ invalid: [], missingFiles: [], rejected: [], ready: 1011, accepted: 0 });
    expect(await env.db.image.count()).toBe(images);
  });

  it('every record carries the structures, site, sex, elevation and patient its row states', () => {
    const out = [...derm7pt.rows({ metadata: rows.map((r) => Object.fromEntries(Object.entries(r))) })];
    expect(out).toHaveLength(1011);
    let withStructures = 0;
    out.forEach((o: ImportRow, i) => {
      const r = rows[i] as Row;
      expect(o.fileName).toBe(r.derm);
      if (o.kind !== 'record') throw new Error(`case ${r.case_num}: ${o.kind}`);
      const cls = DERM_CLASS[r.diagnosis ?? ''];
      const d = normaliseDiagnosis(String(o.record.clinical_diagnosis));
      expect(d.ok ? d.diagnosisClass : null).toBe(cls);
      if (!cls) expect(o.record.diagnosis_term).toBe(DERM_OUTSIDE[r.diagnosis ?? '']?.term);
      expect(codes(o.record.dermoscopic_structures), `case ${r.case_num}`).toEqual(dermStructures(r));
      if (codes(o.record.dermoscopic_structures).length > 0) withStructures++;
      expect(o.record).toMatchObject({
        patient_id: `derm7pt:${r.case_num}`,
        sex: r.sex,
        elevation: r.elevation,
        verification_stage: 'initial',
      });
      expect(String(o.record.anatomical_site).toUpperCase()).toBe(DERM_SITE[r.location ?? '']);
    });
    expect(withStructures).toBeGreaterThan(900);
  });

  describe('a real import of one case of each diagnosis', () => {
    let sample: Row[];
    let folder: string;
    let s: ImportSummary;

    beforeAll(async () => {
      const seen = new Set<string>();
      sample = rows.filter((r) => !seen.has(r.diagnosis ?? '') && !!seen.add(r.diagnosis ?? ''));
      // and a few cases rich in structures (vessels, veil, regression, blotches)
      for (const n of ['1', '3', '17', '100', '500']) {
        const r = rows.find((x) => x.case_num === n);
        if (r && !sample.includes(r)) sample.push(r);
      }
      const header = Object.keys(rows[0] as Row);
      const csv = writeInput('derm7pt-sample.csv', header, sample);
      folder = await folderOf(
        'derm7pt',
        sample.map((r) => r.derm ?? ''),
        (p) => blockPicture(p, 'jpeg'),
      );
      s = await runImport(pipeline, derm7pt, { folder, inputs: { metadata: csv } });
    });

    it('stores every case: with its class, or outside the 9 with its term and status', async () => {
      const mappedRows = sample.filter((r) => DERM_CLASS[r.diagnosis ?? '']);
      expect(s.rows).toBe(sample.length);
      expect(s.unmapped).toEqual({});
      expect(s).toMatchObject({ accepted: sample.length, rejected: [], invalid: [], missingFiles: [] });
      const stored = await env.db.intakeRecord.findMany({
        where: { source: 'import:derm7pt' },
        include: { image: true },
      });
      expect(tally(stored.map((i) => i.image?.diagnosisClass ?? 'none'))).toEqual(
        tally(sample.map((r) => DERM_CLASS[r.diagnosis ?? ''] ?? 'none')),
      );
      expect(mappedRows.length).toBe(sample.length - 3);
      for (const r of sample.filter((x) => !DERM_CLASS[x.diagnosis ?? ''])) {
        const img = await imageFrom(folder, r.derm ?? '');
        const want = DERM_OUTSIDE[r.diagnosis ?? ''];
        expect(img, r.diagnosis).toMatchObject({
          diagnosisClass: null,
          diagnosisTerm: want?.term,
          clinicalStatus: want?.status,
        });
      }
    });

    it('each stored image has the structures, site, elevation and patient sex of its row', async () => {
      for (const r of sample.filter((x) => DERM_CLASS[x.diagnosis ?? ''])) {
        const img = await imageFrom(folder, r.derm ?? '');
        expect(img.structures.map((x) => x.structure).sort(), `case ${r.case_num}`).toEqual(dermStructures(r));
        expect(img).toMatchObject({
          diagnosisClass: DERM_CLASS[r.diagnosis ?? ''],
          anatomicalSite: DERM_SITE[r.location ?? ''],
          elevation: r.elevation?.toUpperCase(),
          verificationStage: 'INITIAL',
        });
        expect(img.patient).toMatchObject({ code: patientCode(`derm7pt:${r.case_num}`), sex: r.sex?.toUpperCase() });
      }
      // case 1: a nodular basal cell carcinoma of the abdomen with arborizing vessels
      const bcc = await imageFrom(folder, 'NEL/Nel026.jpg');
      expect(bcc).toMatchObject({
        diagnosisClass: 'BASAL_CELL_CARCINOMA',
        anatomicalSite: 'ANTERIOR_TORSO',
        elevation: 'NODULAR',
      });
      expect(bcc.structures.map((x) => x.structure)).toEqual(['VESSELS_ARBORIZING']);
    });

    it('changes nothing when run again', async () => {
      const before = await env.db.image.count();
      const again = await runImport(pipeline, derm7pt, {
        folder,
        inputs: { metadata: join(env.dataDir, 'derm7pt-sample.csv') },
      });
      expect(again.accepted).toBe(0);
      expect(await env.db.image.count()).toBe(before);
    });
  });
});

describe('PH2 (PH2_dataset.xlsx as CSV)', () => {
  const rows = readRows(PH2);

  it('the dry run over all 200 images counts what the CSV says, per class', async () => {
    expect(rows).toHaveLength(200);
    for (const r of rows) expect(ph2Label(r), r.image_name).toHaveLength(1);
    const folder = await folderOf(
      'ph2-dry',
      rows.map((r) => `${ph2Path(r.image_name ?? '')}.png`),
    );
    const s = await runImport(pipeline, ph2, { folder, inputs: { metadata: PH2 }, dryRun: true });
    const labels = rows.map((r) => ph2Label(r)[0] ?? '');
    expect(s.rows).toBe(200);
    expect(s.sourceLabels).toEqual(tally(labels));
    expect(s.mapped).toEqual(tally(labels.map((l) => PH2_CLASS[l] as string)));
    expect(s.mapped).toEqual({ NEVUS: 80, DYSPLASTIC_NEVUS: 80, MELANOMA: 40 });
    expect(s.unmapped).toEqual({});
    expect(s).toMatchObject({ invalid: [], missingFiles: [], rejected: [], ready: 200, accepted: 0 });
  });

  it('every record carries the structures, colours and histology its row states', () => {
    const out = [...ph2.rows({ metadata: rows })];
    expect(out).toHaveLength(200);
    const stages: string[] = [];
    out.forEach((o, i) => {
      const r = rows[i] as Row;
      if (o.kind !== 'record') throw new Error(`${r.image_name}: ${o.kind}`);
      const label = ph2Label(r)[0] ?? '';
      expect(o.fileName).toBe(ph2Path(r.image_name ?? ''));
      expect(normaliseDiagnosis(String(o.record.clinical_diagnosis))).toEqual({
        ok: true,
        diagnosisClass: PH2_CLASS[label],
      });
      expect(codes(o.record.dermoscopic_structures), r.image_name).toEqual(ph2Structures(r));
      expect(codes(o.record.dominant_colors), r.image_name).toEqual(ph2Colors(r));
      expect(o.record.patient_id).toBe(`ph2:${r.image_name}`);
      const histo = r.histological_diagnosis ?? '';
      const confirms = histo !== '' && CONFIRMS[histo] === label;
      expect(o.record.verification_stage).toBe(confirms ? 'histology' : 'initial');
      expect(o.record.histopathology_result).toBe(histo === '' ? undefined : histo);
      stages.push(String(o.record.verification_stage));
    });
    // 38 histological diagnoses confirm the class; 3 atypical nevi read as intradermal or blue nevus
    expect(tally(stages)).toEqual({ initial: 162, histology: 38 });
  });

  describe('a real import of a sample', () => {
    let sample: Row[];
    let folder: string;
    let s: ImportSummary;
    const bmpOnly = 'IMD003';

    beforeAll(async () => {
      // the first three of each class and the first of each histological diagnosis
      const byLabel = new Map<string, number>();
      const histologies = new Set<string>();
      sample = rows.filter((r) => {
        const l = ph2Label(r)[0] ?? '';
        byLabel.set(l, (byLabel.get(l) ?? 0) + 1);
        const h = r.histological_diagnosis ?? '';
        const firstHistology = h !== '' && !histologies.has(h) && !!histologies.add(h);
        return (byLabel.get(l) ?? 0) <= 3 || firstHistology;
      });
      // and the first row with each structure value and each colour
      const features: [string, string][] = [
        ['dots_globules', 'T'],
        ['dots_globules', 'AT'],
        ['pigment_network', 'T'],
        ['regression_areas', 'P'],
        ['blue_whitish_veil', 'P'],
        ['streaks', 'P'],
        ...['white', 'red', 'light_brown', 'dark_brown', 'blue_gray', 'black'].map((c): [string, string] => [c, 'X']),
      ];
      for (const [column, value] of features) {
        const r = rows.find((x) => x[column] === value);
        if (r && !sample.includes(r)) sample.push(r);
      }
      const header = Object.keys(rows[0] as Row);
      const csv = writeInput('ph2-sample.csv', header, sample);
      const paths = sample
        .map((r) => r.image_name ?? '')
        .map((id) => `${ph2Path(id)}${id === bmpOnly ? '.bmp' : '.png'}`);
      folder = await folderOf('ph2', paths, (p) => blockPicture(p, 'png'));
      s = await runImport(pipeline, ph2, { folder, inputs: { metadata: csv } });
    });

    it('stores each image with its class; an image shipped only as BMP is reported missing', async () => {
      expect(sample.map((r) => r.image_name)).toContain(bmpOnly);
      expect(s.missingFiles).toEqual([
        expect.objectContaining({ fileName: ph2Path(bmpOnly), message: expect.stringMatching(/\.png, \.jpg/) }),
      ]);
      const stored = sample.filter((r) => r.image_name !== bmpOnly);
      expect(s).toMatchObject({ accepted: stored.length, rejected: [], invalid: [] });
      const intake = await env.db.intakeRecord.findMany({ where: { source: 'import:ph2' }, include: { image: true } });
      expect(tally(intake.map((i) => i.image?.diagnosisClass ?? 'none'))).toEqual(
        tally(stored.map((r) => PH2_CLASS[ph2Label(r)[0] ?? ''] as string)),
      );
    });

    it('each stored image has the structures, colours and verification of its row', async () => {
      const kept = sample.filter((x) => x.image_name !== bmpOnly);
      for (const code of [
        'DOTS_GLOBULES_REGULAR',
        'DOTS_GLOBULES_IRREGULAR',
        'REGRESSION_STRUCTURES',
        'BLUE_WHITISH_VEIL',
      ]) {
        expect(
          kept.some((r) => ph2Structures(r).includes(code)),
          code,
        ).toBe(true);
      }
      for (const r of kept) {
        const id = r.image_name ?? '';
        const img = await imageFrom(folder, `${ph2Path(id)}.png`);
        const label = ph2Label(r)[0] ?? '';
        expect(img.structures.map((x) => x.structure).sort(), id).toEqual(ph2Structures(r));
        expect(img.colors.map((x) => x.color).sort(), id).toEqual(ph2Colors(r));
        const histo = r.histological_diagnosis ?? '';
        expect(img, id).toMatchObject({
          diagnosisClass: PH2_CLASS[label],
          verificationStage: histo !== '' && CONFIRMS[histo] === label ? 'HISTOLOGY' : 'INITIAL',
          histopathologyResult: histo === '' ? null : histo,
        });
        expect(img.patient.code).toBe(patientCode(`ph2:${id}`));
      }
      const lm = sample.find((r) => r.histological_diagnosis === 'Lentigo Maligna');
      const img = await imageFrom(folder, `${ph2Path(lm?.image_name ?? '')}.png`);
      expect(img).toMatchObject({ diagnosisClass: 'MELANOMA', verificationStage: 'HISTOLOGY' });
      expect(img.histopathology).toMatchObject({ resultText: 'Lentigo Maligna' });
      const idn = sample.find((r) => r.histological_diagnosis === 'Intradermal Nevus');
      const atypical = await imageFrom(folder, `${ph2Path(idn?.image_name ?? '')}.png`);
      expect(atypical).toMatchObject({ diagnosisClass: 'DYSPLASTIC_NEVUS', verificationStage: 'INITIAL' });
    });
  });
});
