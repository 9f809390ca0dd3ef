// createInitialAnnotation's two forms of the record: the typed AcquisitionRecordInput (camelCase,
// enums) and the CSV-style `record` (snake_case JSON). Both store the same image; exactly one is
// given; an unknown key of `record` is refused with the key it probably meant; a vocabulary value
// that is not allowed is refused with the closest allowed ones, in the CSV import too. Every
// refusal before the pipeline leaves everything as it was; one by the pipeline only its intake row.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closest, editDistance } from '../src/domain/suggest.ts';
import { importFolder } from '../src/ingest/import.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { type Api, createApi } from './helpers/api.ts';
import {
  errorCode,
  expectUnchangedButIntake,
  intakeRowsAfter,
  lastIntakeId,
  multipart,
  postMultipart,
  type RawResponse,
} from './helpers/bad-input.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';
import { snapshot } from './helpers/snapshot.ts';

let env: TestEnv;
let api: Api;
beforeAll(async () => {
  env = await createTestEnv();
  api = await createApi(env);
});
afterAll(() => env?.dispose());

const MUTATION = `mutation Acquire($file: File!, $record: JSONObject, $input: AcquisitionRecordInput) {
  createInitialAnnotation(file: $file, record: $record, input: $input) { outcome image { id } }
}`;

/** Uploads a frame as an annotator with `record` and/or `input` (undefined: left out). */
async function acquire(bytes: Buffer, vars: { record?: unknown; input?: unknown }): Promise<RawResponse> {
  const form = multipart({
    operations: { query: MUTATION, variables: { file: null, ...vars } },
    map: { 0: ['variables.file'] },
    files: [{ bytes, name: 'lesion.jpg', type: 'image/jpeg' }],
  });
  return postMultipart(api.yoga, form, api.headers('ANNOTATOR'));
}

const imageIdOf = (res: RawResponse) =>
  (res.json as { data?: { createInitialAnnotation?: { image?: { id: string } } } }).data?.createInitialAnnotation?.image
    ?.id;
const messageOf = (res: RawResponse) => (res.json as { errors?: { message: string }[] }).errors?.[0]?.message ?? '';

/** The typed form of test/helpers/images.ts record(). */
const typed = (over: Record<string, unknown> = {}) => ({
  patientId: 'MRN-000123',
  lesionId: 'L1',
  acquisitionDate: '2025-07-01T00:00:00Z',
  ageAtExam: 44,
  sex: 'FEMALE',
  fitzpatrickType: 'II',
  sunburnHistory: true,
  personalCaHistory: false,
  anatomicalSite: 'POSTERIOR_TORSO',
  lesionDiameterMm: 5.5,
  dominantColors: ['LIGHT_BROWN', 'DARK_BROWN'],
  elevation: 'FLAT',
  borderRegularity: 'REGULAR',
  dermoscopicStructures: ['PIGMENT_NETWORK_TYPICAL'],
  clinicalDiagnosis: 'nevus',
  imageQualityScore: 4,
  ...over,
});

/** Everything an image holds from its record (not the file's own facts, ids or times). */
async function storedRecord(sha256: string) {
  const i = await env.db.image.findUniqueOrThrow({
    where: { sha256 },
    include: {
      patient: true,
      lesion: true,
      colors: { select: { color: true }, orderBy: { color: 'asc' } },
      structures: { select: { structure: true }, orderBy: { structure: 'asc' } },
      initialAnnotation: { include: { structures: { select: { structure: true }, orderBy: { structure: 'asc' } } } },
    },
  });
  const {
    id,
    sha256: _s,
    pixelHash,
    phash,
    storageKey,
    thumbnailKey,
    byteSize,
    sharpness,
    clippedShare,
    glareShare,
    meanLuminance,
    highlightShare,
    createdAt,
    updatedAt,
    initialAnnotation,
    ...rest
  } = i as typeof i & Record<string, unknown>;
  const { id: _a, imageId: _i, createdAt: _c, ...annotation } = initialAnnotation ?? {};
  return { ...rest, initialAnnotation: annotation };
}

describe('the typed input and the CSV-style record', () => {
  it('store identical images', async () => {
    const [a, b] = [await lesion(401), await lesion(402)];
    const viaRecord = await acquire(a, { record: record({ examiner_id: undefined }) });
    expect(imageIdOf(viaRecord), viaRecord.text).toBeDefined();
    const viaInput = await acquire(b, { input: typed() });
    expect(imageIdOf(viaInput), viaInput.text).toBeDefined();
    const [first, second] = await env.db.image.findMany({ orderBy: { id: 'asc' }, select: { sha256: true } });
    const fromRecord = await storedRecord(first?.sha256 ?? '');
    const fromInput = await storedRecord(second?.sha256 ?? '');
    expect(fromRecord.patientId).toBe(fromInput.patientId);
    expect(fromInput).toEqual(fromRecord);
    expect(fromInput).toMatchObject({
      anatomicalSite: 'POSTERIOR_TORSO',
      ageAtExam: 44,
      lesionDiameterMm: 5.5,
      diagnosisClass: 'NEVUS',
    });
    expect(fromInput.colors.map((c) => c.color).sort()).toEqual(['DARK_BROWN', 'LIGHT_BROWN']);
  });
});

/** Refused before the pipeline: nothing at all changes, not even the intake log. */
async function expectRefusedUntouched(res: () => Promise<RawResponse>, code: string, message: RegExp) {
  const before = await snapshot(env);
  const r = await res();
  expect(errorCode(r), r.text).toBe(code);
  expect(imageIdOf(r)).toBeUndefined();
  expect(messageOf(r)).toMatch(message);
  expect(await snapshot(env)).toEqual(before);
}

describe('refusals before the pipeline change nothing', () => {
  it.each<[string, { record?: unknown; input?: unknown }, string, RegExp]>([
    [
      'both record and input',
      { record: record(), input: typed() },
      'BAD_USER_INPUT',
      /exactly one of record .* and input/,
    ],
    ['neither record nor input', {}, 'BAD_USER_INPUT', /exactly one of record .* and input/],
    [
      'a camelCase key in the record',
      { record: { ...record({ anatomical_site: undefined }), anatomicalSite: 'posterior torso' } },
      'BAD_USER_INPUT',
      /^"anatomicalSite" is not a field of the record \(its keys are snake_case\); did you mean anatomical_site\?$/,
    ],
    [
      'a misspelt key in the record',
      { record: { ...record(), sexe: 'female' } },
      'BAD_USER_INPUT',
      /^"sexe" is not a field of the record .*did you mean sex\?$/,
    ],
    [
      'a key that resembles none',
      { record: { ...record(), favourite_colour: 'red' } },
      'BAD_USER_INPUT',
      /^"favourite_colour" is not a field of the record; its fields: patient_id, lesion_id, /,
    ],
    [
      'an enum value the input does not have',
      { input: typed({ anatomicalSite: 'UPER_EXTREMITY' }) },
      'BAD_USER_INPUT',
      /Value "UPER_EXTREMITY" does not exist in "AnatomicalSite" enum\. Did you mean the enum value "UPPER_EXTREMITY"/,
    ],
    [
      'a field the input does not have',
      { input: { ...typed(), anatomical_site: 'POSTERIOR_TORSO' } },
      'BAD_USER_INPUT',
      /Field "anatomical_site" is not defined by type "AcquisitionRecordInput"/,
    ],
    ['an age that is not an Int', { input: typed({ ageAtExam: '44' }) }, 'BAD_USER_INPUT', /Int cannot represent/],
    [
      'a date that is not a DateTime',
      { input: typed({ acquisitionDate: '2025-02-30T00:00:00Z' }) },
      'BAD_USER_INPUT',
      /DateTime/,
    ],
    ['the input without patientId', { input: typed({ patientId: undefined }) }, 'BAD_USER_INPUT', /patientId/],
  ])('%s', async (_what, vars, code, message) => {
    const bytes = await lesion(410);
    await expectRefusedUntouched(() => acquire(bytes, vars), code, message);
  });
});

describe('vocabulary refusals name the closest allowed values', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'a misspelt site',
      { anatomical_site: 'uper extremity' },
      /^anatomical_site: is not one of: head_neck, .*oral_genital; did you mean upper_extremity\?$/,
    ],
    [
      'a misspelt colour',
      { dominant_colors: 'light brwn' },
      /dominant_colors: is not one of: PH2's colours: white, .*; did you mean light_brown\?/,
    ],
    [
      'a misspelt structure (a long vocabulary: the closest, not the list)',
      { dermoscopic_structures: 'pigment network typcal' },
      /dermoscopic_structures: is not one of: the dermoscopic structure vocabulary \(26 values, .*\); did you mean pigment_network_typical\?/,
    ],
    ['nothing close', { sex: 'John Smith MRN 998877' }, /^sex: is not one of: female, male$/],
  ])('%s: one intake row, nothing else, the value never echoed', async (_what, over, message) => {
    const before = await snapshot(env);
    const last = await lastIntakeId(env);
    const r = await acquire(await lesion(420), { record: record(over) });
    expect(errorCode(r), r.text).toBe('INVALID_RECORD');
    expect(messageOf(r)).toMatch(message);
    for (const value of Object.values(over)) expect(messageOf(r)).not.toContain(String(value));
    expectUnchangedButIntake(await snapshot(env), before);
    expect(await intakeRowsAfter(env, last)).toEqual([
      { outcome: 'REJECTED_INVALID', errorCode: 'INVALID_RECORD', imageId: null, duplicateOfId: null },
    ]);
  });

  it('the typed input is refused with the same rule as the record where GraphQL types cannot say it', async () => {
    const r = await acquire(await lesion(421), { input: typed({ lesionDiameterMm: 0 }) });
    expect(errorCode(r)).toBe('INVALID_RECORD');
    expect(messageOf(r)).toBe('lesion_diameter_mm: is not a diameter in mm (a number above 0, at most 300)');
  });

  it('in the CSV import too', async () => {
    const folder = join(env.dataDir, 'incoming');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'x.jpg'), await lesion(430));
    const row = { file_name: 'x.jpg', ...record({ lesion_id: 'L9', elevation: 'flatt' }) };
    const csv = join(env.dataDir, 'metadata.csv');
    writeFileSync(csv, `${Object.keys(row).join(',')}\n${Object.values(row).join(',')}\n`);
    const summary = await importFolder(createPipeline(env.config, env.db), { folder, metadata: csv });
    expect(summary.invalid.map((p) => [p.code, p.message])).toEqual([
      ['INVALID_RECORD', 'elevation: is not one of: flat, palpable, nodular; did you mean flat?'],
    ]);
  });
});

describe('the closest allowed values (domain/suggest.ts)', () => {
  it.each<[string, string, number]>([
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['flaw', 'lawn', 2],
    ['same', 'same', 0],
  ])('edit distance %s → %s is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it.each<[string, string[]]>([
    ['uper extremity', ['upper_extremity']],
    ['Upper-Extremity', ['upper_extremity']],
    ['extremity', ['lower_extremity', 'upper_extremity']],
    ['torso', ['anterior_torso', 'lateral_torso', 'posterior_torso']],
    ['John Smith MRN 998877', []],
    ['', []],
  ])('%s → %j', (given, near) => {
    const sites = [
      'head_neck',
      'trunk',
      'anterior_torso',
      'posterior_torso',
      'lateral_torso',
      'upper_extremity',
      'lower_extremity',
    ];
    expect(closest(given, sites)).toEqual(near);
  });
});
