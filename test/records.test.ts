// Records are what they claim to be: every field of the information model refuses a value of the
// wrong type (an object where a string belongs, an array where an integer belongs, NaN…) and a date
// that is not on the calendar, with the field named, through the validator and through the upload
// (createInitialAnnotation), storing no patient, lesion, image or blob.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRecord } from '../src/domain/raw-record.ts';
import { IngestError } from '../src/ingest/errors.ts';
import { validateRecord } from '../src/ingest/record.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { listFiles } from './helpers/files.ts';
import { lesion, record } from './helpers/images.ts';

const NOW = new Date('2026-06-01T12:00:00Z');

/** The issues of a refused record, or [] when it is accepted. */
function issuesOf(over: Record<string, unknown>): { field: string; message: string }[] {
  try {
    validateRecord(record(over) as RawRecord, NOW);
    return [];
  } catch (e) {
    if (!(e instanceof IngestError)) throw e;
    expect(e.code).toBe('INVALID_RECORD');
    return [...e.issues];
  }
}

const long = (n: number) => 'x'.repeat(n);

describe('a value of the wrong type is refused, naming its field', () => {
  const cases: [string, unknown][] = [
    ['patient_id', { mrn: 123 }],
    ['patient_id', ['MRN-1']],
    ['patient_id', 123],
    ['patient_id', true],
    ['patient_id', long(201)],
    ['lesion_id', { id: 'L1' }],
    ['lesion_id', 7],
    ['lesion_id', long(201)],
    ['examiner_id', { code: 'DERM-01' }],
    ['examiner_id', long(201)],
    ['acquisition_date', { y: 2025 }],
    ['acquisition_date', 1_751_328_000_000],
    ['acquisition_date', new Date(Number.NaN)],
    ['age_at_exam', [1, 2]],
    ['age_at_exam', { years: 44 }],
    ['age_at_exam', true],
    ['age_at_exam', Number.NaN],
    ['age_at_exam', Number.POSITIVE_INFINITY],
    ['age_at_exam', long(33)],
    ['sex', { value: 'female' }],
    ['sex', 1],
    ['fitzpatrick_type', ['II']],
    ['fitzpatrick_type', 7],
    ['fitzpatrick_type', 2.5],
    ['sunburn_history', 'maybe'],
    ['sunburn_history', { yes: true }],
    ['sunburn_history', 2],
    ['personal_ca_history', ['no']],
    ['personal_ca_history', 'perhaps'],
    ['anatomical_site', { site: 'back' }],
    ['anatomical_site', long(1000)],
    ['lesion_diameter_mm', Number.NaN],
    ['lesion_diameter_mm', Number.POSITIVE_INFINITY],
    ['lesion_diameter_mm', [5]],
    ['lesion_diameter_mm', 'Infinity'],
    ['lesion_diameter_mm', '0x10'],
    ['lesion_diameter_mm', '1e2'],
    ['dominant_colors', { red: true }],
    ['dominant_colors', [1, 2]],
    ['dominant_colors', ['red', { c: 'black' }]],
    ['elevation', ['flat']],
    ['border_regularity', { regular: true }],
    ['dermoscopic_structures', { dots: true }],
    ['dermoscopic_structures', [['dots']]],
    ['clinical_diagnosis', { dx: 'nevus' }],
    ['clinical_diagnosis', ['nevus']],
    ['clinical_diagnosis', long(201)],
    ['histopathology_result', { text: 'benign' }],
    ['histopathology_result', long(10_001)],
    ['verification_stage', ['initial']],
    ['image_quality_score', [4]],
    ['image_quality_score', 4.5],
    ['image_quality_score', Number.NaN],
    ['image_quality_score', true],
    ['image_quality_score', '0x4'],
    ['image_quality_score', '4e0'],
    // vocabulary look-ups must not find Object.prototype's members
    ['sex', 'constructor'],
    ['fitzpatrick_type', '__proto__'],
    ['sunburn_history', 'constructor'],
    ['elevation', 'constructor'],
    ['border_regularity', '__proto__'],
    ['verification_stage', 'constructor'],
    ['dominant_colors', 'red;constructor'],
  ];
  const label = (v: unknown) => {
    const s = v instanceof Date ? `Date(${v.getTime()})` : (JSON.stringify(v) ?? String(v));
    return s.length > 40 ? `a string of ${String(v).length} characters` : Number.isNaN(v) ? 'NaN' : s;
  };
  it.each(cases.map(([field, value]) => [field, label(value), value] as const))('%s: %s', (field, _label, value) => {
    const issues = issuesOf({ [field]: value });
    expect(issues.map((i) => i.field)).toEqual([field]);
    // the message names what was wrong and never echoes a value of unbounded length
    expect(issues[0]?.message.length).toBeLessThan(200);
  });
});

describe('dates are real calendar dates in ISO 8601', () => {
  it.each([
    '2025-02-30',
    '2025-02-29',
    '2025-04-31',
    '2025-13-01',
    '2025-00-10',
    '2025-07-00',
    '2025-02-30T10:00:00Z',
    '2025-06-31T10:00:00+02:00',
    '2025-07-01T24:00:00Z',
    '2025-07-01T10:60:00Z',
    '2025-07-01T10:00:60Z',
    '2025-07-01T10:00:00+25:00',
    '2025-07-01T10:00:00',
    'July 1, 2025',
    '1/7/2025',
    '2025-7-1',
    '20250701',
  ])('%s is refused', (date) => {
    expect(issuesOf({ acquisition_date: date }).map((i) => i.field)).toEqual(['acquisition_date']);
  });

  it.each([
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2025-07-01', '2025-07-01T00:00:00.000Z'],
    ['2025-07-01T10:15:00Z', '2025-07-01T10:15:00.000Z'],
    ['2025-07-01T10:15Z', '2025-07-01T10:15:00.000Z'],
    ['2025-07-01T10:15:30.250Z', '2025-07-01T10:15:30.250Z'],
    ['2025-07-01T00:30:00+02:00', '2025-06-30T22:30:00.000Z'],
    ['2025-07-01 10:15:00-05:00', '2025-07-01T15:15:00.000Z'],
  ])('%s is stored as %s', (date, iso) => {
    expect(validateRecord(record({ acquisition_date: date }), NOW).acquiredAt?.toISOString()).toBe(iso);
  });

  it('takes a valid Date as it is', () => {
    const at = new Date('2025-07-01T08:00:00Z');
    expect(validateRecord(record({ acquisition_date: at }), NOW).acquiredAt?.toISOString()).toBe(at.toISOString());
  });
});

describe('values of the JSON types a field can carry are accepted', () => {
  it('takes numbers, booleans and lists where they mean the same as the CSV text', () => {
    const v = validateRecord(
      record({
        age_at_exam: 44,
        fitzpatrick_type: 2,
        sunburn_history: true,
        personal_ca_history: false,
        lesion_diameter_mm: 5.5,
        dominant_colors: ['light_brown', 'dark_brown'],
        dermoscopic_structures: ['pigment_network_typical'],
        image_quality_score: 4,
      }) as RawRecord,
      NOW,
    );
    expect(v).toMatchObject({
      ageAtExam: 44,
      ageAtExamRaw: '44',
      fitzpatrickType: 'II',
      sunburnHistory: true,
      personalCaHistory: false,
      lesionDiameterMm: 5.5,
      colors: ['LIGHT_BROWN', 'DARK_BROWN'],
      structures: ['PIGMENT_NETWORK_TYPICAL'],
      imageQualityScore: 4,
    });
  });

  it('keeps an age that is not a valid age raw, as the paper does, when it is text or a number', () => {
    expect(validateRecord(record({ age_at_exam: '4O' }), NOW)).toMatchObject({
      ageAtExamRaw: '4O',
      ageAtExam: undefined,
    });
    expect(validateRecord(record({ age_at_exam: 134 }) as RawRecord, NOW)).toMatchObject({
      ageAtExamRaw: '134',
      ageAtExam: undefined,
    });
  });

  it('reads spreadsheet spellings of numbers: "4.0" as a score, "5,5" as a diameter', () => {
    expect(validateRecord(record({ image_quality_score: '4.0', lesion_diameter_mm: '5,5' }), NOW)).toMatchObject({
      imageQualityScore: 4,
      lesionDiameterMm: 5.5,
    });
  });

  it('reports every bad field of one record, not only the first', () => {
    const fields = issuesOf({ patient_id: {}, age_at_exam: [1, 2], acquisition_date: '2025-02-30' }).map(
      (i) => i.field,
    );
    expect(fields.sort()).toEqual(['acquisition_date', 'age_at_exam', 'patient_id']);
  });
});

describe('the upload (createInitialAnnotation) refuses such a record and stores nothing', () => {
  let env: TestEnv;
  let api: Api;

  beforeAll(async () => {
    env = await createTestEnv();
    api = await createApi(env);
  });
  afterAll(() => env.dispose());

  const ACQUIRE =
    'mutation Acquire($file: File!, $record: JSONObject!) { createInitialAnnotation(file: $file, record: $record) { outcome image { id } } }';

  async function upload(bytes: Buffer, rec: Record<string, unknown>, name = 'lesion.jpg') {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: ACQUIRE, variables: { file: null, record: rec } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new File([new Uint8Array(bytes)], name, { type: 'image/jpeg' }));
    const res = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: api.headers('ANNOTATOR'),
      body: form,
    });
    return (await res.json()) as {
      data?: { createInitialAnnotation: { outcome: string; image: { id: string } | null } | null };
      errors?: { message: string; extensions?: { code?: string; issues?: { field: string; message: string }[] } }[];
    };
  }

  const stored = async () => ({
    patients: await env.db.patient.count(),
    lesions: await env.db.lesion.count(),
    images: await env.db.image.count(),
    blobs: listFiles(join(env.dataDir, 'blobs')).length,
  });

  it.each([
    ['patient_id', { patient_id: { mrn: 'A' } }, 201],
    ['patient_id', { patient_id: { mrn: 'B' } }, 202],
    ['age_at_exam', { age_at_exam: [1, 2] }, 203],
    ['acquisition_date', { acquisition_date: '2025-02-30' }, 204],
    ['sunburn_history', { sunburn_history: 'maybe' }, 205],
    ['lesion_diameter_mm', { lesion_diameter_mm: [5] }, 206],
    ['dominant_colors', { dominant_colors: { red: true } }, 207],
  ])('%s %j: INVALID_RECORD naming the field, no patient, image or blob', async (field, over, n) => {
    const before = await stored();
    const refusals = await env.db.intakeRecord.count({ where: { outcome: 'REJECTED_INVALID' } });
    const res = await upload(await lesion(n), record(over), `upload-${n}.jpg`);
    expect(res.data?.createInitialAnnotation ?? null).toBeNull();
    const error = res.errors?.[0];
    expect(error?.extensions?.code).toBe('INVALID_RECORD');
    expect(error?.extensions?.issues?.map((i) => i.field)).toEqual([field]);
    expect(error?.message).toContain(`${field}:`);
    expect(await stored()).toEqual(before);
    expect(before).toEqual({ patients: 0, lesions: 0, images: 0, blobs: 0 });
    // the attempt itself is logged, as every refused acquisition is (README: the acquisition pipeline)
    expect(await env.db.intakeRecord.count({ where: { outcome: 'REJECTED_INVALID' } })).toBe(refusals + 1);
  });

  it('refuses the same file sent twice with two different objects as two attempts, each naming the field', async () => {
    const bytes = await lesion(208);
    for (const mrn of ['C', 'D']) {
      const res = await upload(bytes, record({ patient_id: { mrn } }), 'same.jpg');
      // the attempt key once read both objects as "[object Object]": the second was ALREADY_PROCESSED
      expect(res.errors?.[0]?.extensions?.issues?.map((i) => i.field)).toEqual(['patient_id']);
    }
  });

  it('still accepts the same uploads with the values spelled right, as one patient per identifier', async () => {
    const a = await upload(await lesion(211), record({ patient_id: 'MRN-A', lesion_id: 'A1' }), 'a.jpg');
    const b = await upload(await lesion(212), record({ patient_id: 'MRN-B', lesion_id: 'B1' }), 'b.jpg');
    expect([a.errors, b.errors]).toEqual([undefined, undefined]);
    expect(await stored()).toMatchObject({ patients: 2, lesions: 2, images: 2, blobs: 4 });
  });
});
