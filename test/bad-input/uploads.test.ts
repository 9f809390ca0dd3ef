// Bad uploads through the GraphQL multipart upload (createInitialAnnotation) on a copy of the demo
// cohort: each is refused with a typed code and leaves the dataset as it was.
//
// Two kinds of refusal, two kinds of "as it was":
// - a request that never reaches the acquisition pipeline (wrong role, a broken multipart request,
//   variables of the wrong type) changes nothing at all: every table, every blob;
// - an attempt the pipeline refuses (the file or the record) leaves exactly one REJECTED_INVALID
//   intake row with its code, as the README documents ("every attempt leaves exactly one intake row
//   … a rejection leaves no blob and no record"), and nothing else: no image, patient, lesion, trail
//   row or blob. A duplicate leaves one DUPLICATE row pointing at the image it repeats.
// An SOP quality-gate rejection (score 1–2) is counted by design and is not a bad input: not here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCohort } from '../../prisma/demo/cohort.ts';
import { Pseudonymizer } from '../../src/ingest/pseudonym.ts';
import { createToken, revokeToken } from '../../src/resolvers/tokens.ts';
import { createDermasetYoga } from '../../src/server/yoga.ts';
import { type Api, createApi } from '../helpers/api.ts';
import {
  errorCode,
  errorExtensions,
  expectUnchangedButIntake,
  intakeRowsAfter,
  jpegDeclaring,
  lastIntakeId,
  type MultipartParts,
  multipart,
  pngDeclaring,
  postGraphQL,
  postMultipart,
  type RawResponse,
  StateChain,
  UPLOAD_MUTATION,
  type UploadFile,
  uploadParts,
} from '../helpers/bad-input.ts';
import { createCohortEnv } from '../helpers/cohort.ts';
import { TEST_KEY, type TestEnv } from '../helpers/database.ts';
import { lesion, record } from '../helpers/images.ts';

/** The cohort copy's SOP minimum side (test/helpers/cohort.ts): its images are 96×72. */
const SIDE = { width: 96, height: 72 };

let env: TestEnv;
let api: Api;
/** A valid lesion frame that is not in the cohort: the record refusals send it with a bad record. */
let fresh: Buffer;
let revoked: string;
let state: StateChain;

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  fresh = await lesion(901, SIDE);
  const gone = await createToken('revoked annotator', 'ANNOTATOR');
  await revokeToken(gone.id);
  revoked = gone.token;
  state = new StateChain(env);
});
afterAll(() => env.dispose());

const annotator = () => api.headers('ANNOTATOR');
const jpeg = (bytes: Uint8Array, name = 'lesion.jpg'): UploadFile => ({ bytes, name, type: 'image/jpeg' });
const upload = (rec: unknown, file: UploadFile = jpeg(fresh)) => multipart(uploadParts(rec, file));
const dataOf = (res: RawResponse) => (res.json as { data?: { createInitialAnnotation?: unknown } | null }).data;

/** The request is refused before the pipeline: nothing at all changes. */
async function expectRefusedUntouched(request: () => Promise<RawResponse>, code: string, status?: number) {
  const before = await state.before();
  const res = await request();
  expect(errorCode(res), res.text).toBe(code);
  if (status !== undefined) expect(res.status).toBe(status);
  expect(dataOf(res)?.createInitialAnnotation ?? null).toBeNull();
  const after = await state.after();
  expect(after).toEqual(before);
  state.passed(after);
  return res;
}

/** The pipeline refuses the attempt: one REJECTED_INVALID intake row with the code, nothing else. */
async function expectRefusedAttempt(form: FormData, code: string) {
  const before = await state.before();
  const last = await lastIntakeId(env);
  const res = await postMultipart(api.yoga, form, annotator());
  expect(errorCode(res), res.text).toBe(code);
  expect(dataOf(res)?.createInitialAnnotation ?? null).toBeNull();
  const after = await state.after();
  expectUnchangedButIntake(after, before);
  expect(await intakeRowsAfter(env, last)).toEqual([
    { outcome: 'REJECTED_INVALID', errorCode: code, imageId: null, duplicateOfId: null },
  ]);
  state.passed(after);
  return res;
}

describe('requests refused before the pipeline change nothing', () => {
  const parts = (over: Partial<MultipartParts>): MultipartParts => ({ ...uploadParts(record(), jpeg(fresh)), ...over });
  it.each<[string, () => Promise<RawResponse>, string, number?]>([
    ['a viewer uploads', () => postMultipart(api.yoga, upload(record()), api.headers('VIEWER')), 'FORBIDDEN'],
    ['an anonymous caller uploads', () => postMultipart(api.yoga, upload(record())), 'UNAUTHENTICATED'],
    [
      'a revoked annotator token uploads',
      () => postMultipart(api.yoga, upload(record()), { authorization: `Bearer ${revoked}` }),
      'UNAUTHENTICATED',
      401,
    ],
    [
      'a multipart body that is not multipart (garbage under the declared boundary)',
      () =>
        postMultipart(api.yoga, 'garbage, no boundary line anywhere', {
          ...annotator(),
          'content-type': 'multipart/form-data; boundary=XYZ',
        }),
      'BAD_REQUEST',
      400,
    ],
    [
      'an operations part that is not JSON',
      () => postMultipart(api.yoga, multipart(parts({ operations: '{"query": "mutation' })), annotator()),
      'BAD_REQUEST',
      400,
    ],
    [
      'a map part that is not JSON',
      () => postMultipart(api.yoga, multipart(parts({ map: '{0: variables.file' })), annotator()),
      'BAD_REQUEST',
      400,
    ],
    [
      'no file: the map names no part',
      () => postMultipart(api.yoga, multipart(parts({ map: {}, files: [] })), annotator()),
      'BAD_USER_INPUT',
      400,
    ],
    [
      'the map names a file part that was not sent',
      () => postMultipart(api.yoga, multipart(parts({ files: [] })), annotator()),
      'BAD_USER_INPUT',
      400,
    ],
    [
      'a text part where the file should be',
      () => postMultipart(api.yoga, multipart(parts({ files: ['not a file'] })), annotator()),
      'BAD_USER_INPUT',
    ],
    [
      'two files for the one File argument',
      () =>
        postMultipart(
          api.yoga,
          multipart(
            parts({ map: { 0: ['variables.file'], 1: ['variables.file'] }, files: [jpeg(fresh), jpeg(fresh)] }),
          ),
          annotator(),
        ),
      'BAD_REQUEST',
      400,
    ],
    [
      'a list of two files for the File argument',
      () =>
        postMultipart(
          api.yoga,
          multipart(
            parts({
              operations: { query: UPLOAD_MUTATION, variables: { file: [null, null], record: record() } },
              map: { 0: ['variables.file.0'], 1: ['variables.file.1'] },
              files: [jpeg(fresh), jpeg(fresh)],
            }),
          ),
          annotator(),
        ),
      'BAD_USER_INPUT',
      400,
    ],
    [
      'a file given as text in a JSON request, not uploaded',
      () =>
        postGraphQL(
          api.yoga,
          { query: UPLOAD_MUTATION, variables: { file: fresh.toString('base64'), record: record() } },
          annotator(),
        ),
      'BAD_USER_INPUT',
    ],
    [
      'a record that is a string',
      () =>
        postMultipart(
          api.yoga,
          multipart(parts({ operations: { query: UPLOAD_MUTATION, variables: { file: null, record: 'female, 44' } } })),
          annotator(),
        ),
      'BAD_USER_INPUT',
      400,
    ],
    [
      'a record that is a list',
      () =>
        postMultipart(
          api.yoga,
          multipart(parts({ operations: { query: UPLOAD_MUTATION, variables: { file: null, record: [record()] } } })),
          annotator(),
        ),
      'BAD_USER_INPUT',
      400,
    ],
    [
      'no record at all',
      () =>
        postMultipart(
          api.yoga,
          multipart(parts({ operations: { query: UPLOAD_MUTATION, variables: { file: null } } })),
          annotator(),
        ),
      'BAD_USER_INPUT',
      400,
    ],
  ])('%s', async (_what, request, code, status) => {
    await expectRefusedUntouched(request, code, status);
  });
});

describe('files the pipeline refuses leave one REJECTED_INVALID intake row and nothing else', () => {
  it.each<[string, () => Promise<UploadFile>, string]>([
    [
      'a text file named .jpg',
      async () => jpeg(Buffer.from('patient: Jane Doe, MRN 998877\n'.repeat(20))),
      'NOT_AN_IMAGE',
    ],
    [
      'an HTML page sent as image/jpeg',
      async () => jpeg(Buffer.from('<!doctype html><script>alert(1)</script>')),
      'NOT_AN_IMAGE',
    ],
    ['zero bytes', async () => jpeg(Buffer.alloc(0), 'empty.jpg'), 'NOT_AN_IMAGE'],
    [
      'a JPEG cut in half',
      async () => {
        const whole = await lesion(902, SIDE);
        return jpeg(whole.subarray(0, Math.floor(whole.length / 2)));
      },
      'TRUNCATED_IMAGE',
    ],
    [
      'a GIF',
      async () => ({
        bytes: await sharp(await lesion(903, SIDE))
          .gif()
          .toBuffer(),
        name: 'l.gif',
        type: 'image/gif',
      }),
      'UNSUPPORTED_FORMAT',
    ],
    [
      'a TIFF',
      async () => ({
        bytes: await sharp(await lesion(904, SIDE))
          .tiff()
          .toBuffer(),
        name: 'l.tif',
        type: 'image/tiff',
      }),
      'UNSUPPORTED_FORMAT',
    ],
    [
      'an SVG',
      async () => ({
        bytes: Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="450"><rect width="600" height="450" fill="#a0522d"/></svg>',
        ),
        name: 'l.svg',
        type: 'image/svg+xml',
      }),
      'UNSUPPORTED_FORMAT',
    ],
    [
      'a frame under the SOP minimum side (40×20 where 32 px is the minimum)',
      async () => jpeg(await lesion(905, { width: 40, height: 20 })),
      'RESOLUTION_TOO_LOW',
    ],
    [
      'a PNG of a few kB declaring 60,000 × 60,000 pixels (decompression bomb)',
      async () => ({
        bytes: pngDeclaring(
          await sharp(await lesion(906, SIDE))
            .png()
            .toBuffer(),
          60_000,
          60_000,
        ),
        name: 'bomb.png',
        type: 'image/png',
      }),
      'IMAGE_TOO_LARGE',
    ],
    [
      'a JPEG of a few kB declaring 65,000 × 65,000 pixels (decompression bomb)',
      async () => jpeg(jpegDeclaring(await lesion(907, SIDE), 65_000, 65_000), 'bomb.jpg'),
      'IMAGE_TOO_LARGE',
    ],
  ])('%s', async (_what, file, code) => {
    await expectRefusedAttempt(upload(record({ patient_id: 'MRN-BAD-FILE' }), await file()), code);
  });
});

describe('records the pipeline refuses name the field, and leave one REJECTED_INVALID intake row and nothing else', () => {
  it.each<[string, Record<string, unknown>, string]>([
    // required fields
    ['no patient_id', { patient_id: undefined }, 'patient_id'],
    ['no acquisition_date', { acquisition_date: undefined }, 'acquisition_date'],
    ['no image_quality_score', { image_quality_score: undefined }, 'image_quality_score'],
    ['no clinical_diagnosis', { clinical_diagnosis: undefined }, 'clinical_diagnosis'],
    ['histology stage without a histopathology result', { verification_stage: 'histology' }, 'histopathology_result'],
    // values outside a vocabulary
    ['anatomical_site "moon"', { anatomical_site: 'moon' }, 'anatomical_site'],
    ['sex "unknown"', { sex: 'unknown' }, 'sex'],
    ['fitzpatrick_type "VII"', { fitzpatrick_type: 'VII' }, 'fitzpatrick_type'],
    ['fitzpatrick_type 7 as a number', { fitzpatrick_type: 7 }, 'fitzpatrick_type'],
    ['a colour outside PH2’s six', { dominant_colors: 'light_brown;green' }, 'dominant_colors'],
    [
      'a structure outside the vocabulary',
      { dermoscopic_structures: 'pigment_network_typical|sparkles' },
      'dermoscopic_structures',
    ],
    ['a clinical diagnosis that is no class or synonym', { clinical_diagnosis: 'broken leg' }, 'clinical_diagnosis'],
    [
      'a benign nevus-like formation with signs of malignancy',
      { clinical_diagnosis: 'benign nevus-like formation', border_regularity: 'irregular' },
      'clinical_diagnosis',
    ],
    ['elevation "sunken"', { elevation: 'sunken' }, 'elevation'],
    ['border_regularity "wavy"', { border_regularity: 'wavy' }, 'border_regularity'],
    ['sunburn_history "maybe"', { sunburn_history: 'maybe' }, 'sunburn_history'],
    ['verification_stage "final"', { verification_stage: 'final' }, 'verification_stage'],
    // numbers out of range
    ['a diameter of 0 mm', { lesion_diameter_mm: '0' }, 'lesion_diameter_mm'],
    ['a negative diameter', { lesion_diameter_mm: -3 }, 'lesion_diameter_mm'],
    ['a diameter of 301 mm', { lesion_diameter_mm: 301 }, 'lesion_diameter_mm'],
    ['a quality score of 0', { image_quality_score: '0' }, 'image_quality_score'],
    ['a quality score of 6', { image_quality_score: 6 }, 'image_quality_score'],
    ['a quality score of 4.5', { image_quality_score: 4.5 }, 'image_quality_score'],
    ['an age written longer than any age', { age_at_exam: '4'.repeat(33) }, 'age_at_exam'],
    // dates
    ['an acquisition date in the future', { acquisition_date: '2999-01-01' }, 'acquisition_date'],
    ['2025-02-30', { acquisition_date: '2025-02-30' }, 'acquisition_date'],
    ['a date before 2000', { acquisition_date: '1999-12-31' }, 'acquisition_date'],
    ['a time without a time zone', { acquisition_date: '2025-07-01T10:00' }, 'acquisition_date'],
    // JSON of the wrong type
    ['patient_id as a number', { patient_id: 998877 }, 'patient_id'],
    ['patient_id as an object', { patient_id: { mrn: '998877' } }, 'patient_id'],
    ['age_at_exam as a list', { age_at_exam: [44] }, 'age_at_exam'],
    ['sunburn_history as a number', { sunburn_history: 1 }, 'sunburn_history'],
    ['a colour list holding a number', { dominant_colors: ['light_brown', 5] }, 'dominant_colors'],
    ['the quality score as a boolean', { image_quality_score: true }, 'image_quality_score'],
    ['a patient_id over 200 characters', { patient_id: 'M'.repeat(201) }, 'patient_id'],
  ])('%s', async (_what, over, field) => {
    const res = await expectRefusedAttempt(upload(record(over)), 'INVALID_RECORD');
    const issues = (errorExtensions(res)?.issues ?? []) as { field: string }[];
    expect(issues.map((i) => i.field)).toContain(field);
  });

  it('a record whose patient facts contradict the patient’s earlier records (the blobs written for it are removed)', async () => {
    // a cohort patient by their source identifier, with the other sex
    const pseudonyms = new Pseudonymizer(TEST_KEY);
    const plan = planCohort();
    let source: { id: string; sex: string } | undefined;
    for (const p of plan.patients) {
      const stored = await env.db.patient.findUnique({ where: { code: pseudonyms.code('patient', p.sourceId) } });
      if (stored?.sex) {
        source = { id: p.sourceId, sex: stored.sex === 'FEMALE' ? 'male' : 'female' };
        break;
      }
    }
    if (!source) throw new Error('no cohort patient with a recorded sex');
    const res = await expectRefusedAttempt(
      upload(record({ patient_id: source.id, sex: source.sex, fitzpatrick_type: undefined })),
      'CONFLICTING_PATIENT_FACTS',
    );
    const issues = (errorExtensions(res)?.issues ?? []) as { field: string }[];
    expect(issues.map((i) => i.field)).toContain('sex');
  });
});

describe('a file over the size limit', () => {
  it('is refused with 413 REQUEST_ENTITY_TOO_LARGE before the pipeline (DERMASET_MAX_BYTES = 16 kB) and changes nothing', async () => {
    const limited = createDermasetYoga({ ...env.config, ingest: { ...env.config.ingest, maxBytes: 16_384 } });
    const big = await lesion(908, { width: 600, height: 450 });
    expect(big.length).toBeGreaterThan(16_384);
    await expectRefusedUntouched(
      () => postMultipart(limited, upload(record(), jpeg(big)), annotator()),
      'REQUEST_ENTITY_TOO_LARGE',
      413,
    );
  });
});

describe('an image the dataset already holds', () => {
  it('is a DUPLICATE of it: one intake row pointing at it, no new image, no blob; the same attempt again changes nothing', async () => {
    const existing = await env.db.image.findFirstOrThrow({ orderBy: { id: 'asc' } });
    const bytes = readFileSync(join(env.dataDir, 'blobs', existing.storageKey));
    const form = () => upload(record({ patient_id: 'MRN-DUPLICATE' }), jpeg(bytes, 'again.jpg'));

    const before = await state.before();
    const last = await lastIntakeId(env);
    const res = await postMultipart(api.yoga, form(), annotator());
    expect(res.json).toMatchObject({
      data: { createInitialAnnotation: { outcome: 'DUPLICATE', image: { sha256: existing.sha256 } } },
    });
    const after = await state.after();
    expectUnchangedButIntake(after, before);
    expect(await intakeRowsAfter(env, last)).toEqual([
      { outcome: 'DUPLICATE', errorCode: null, imageId: null, duplicateOfId: existing.id },
    ]);
    state.passed(after);

    await expectRefusedUntouched(() => postMultipart(api.yoga, form(), annotator()), 'ALREADY_PROCESSED');
  });
});
