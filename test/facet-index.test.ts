// The facet index against SQL: on the demo cohort plus public records (outside the 9, no score, no
// date, a fact conflict) and near duplicates, every facet, count and keyset page the index gives is
// the one SQL gives — for hand-written filters covering every ImageFilter field the index evaluates
// (empty lists, NOT over nullable fields, nested AND/OR/NOT, labels under two policies) and for
// random filters from a printed seed — and after writes (a correction, an upload, a consensus that
// changes structures, a patient's sex, a review) a request is never answered from the stale build:
// SQL answers until the rebuild, and the rebuilt index agrees again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { COLOR_BITS, STRUCTURE_BITS } from '../src/domain/facet-columns.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import {
  buildFacetIndex,
  facetIndexSettled,
  facetIndexStatus,
  indexedMatch,
  setFacetIndexEnabled,
} from '../src/resolvers/facet-index.ts';
import { computeFacets, computeFacetsSql } from '../src/resolvers/facets.ts';
import type { ImageFilter } from '../src/resolvers/image-filter.ts';
import { countImages, countImagesSql, listImages, listImagesSql } from '../src/resolvers/images.ts';
import { requestScope, resolveSelection, resolveSubset } from '../src/resolvers/subset.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import { type TestEnv, testProvider } from './helpers/database.ts';
import { blockPicture, lesion, record, TEST_SEED } from './helpers/images.ts';

let env: TestEnv;
let api: Api;

const PUBLIC: [string, string, string, string | null, string | null][] = [
  ['FI-1', 'FL-1', 'solar lentigo', null, 'female'],
  ['FI-2', 'FL-2', 'actinic keratosis', null, null],
  ['FI-3', 'FL-3', 'unknown', 'Benign', 'male'],
  ['FI-4', 'FL-4', 'unknown', null, 'male'],
  ['FI-1', 'FL-5', 'solar lentigo', null, 'male'],
];

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  const collection = await env.db.collection.create({
    data: {
      slug: 'fi-public',
      name: 'Facet index public archive',
      kind: 'public',
      source: 'https://example.org/fi',
      citation: 'Doe J. 2020.',
      license: 'CC-BY-4.0',
      attribution: 'FI contributors',
      version: '1.0',
    },
  });
  const pipeline = createPipeline(env.config, env.db);
  for (const [i, [patient, lesion, diagnosis, term, sex]] of PUBLIC.entries()) {
    const r = await pipeline.ingest({
      bytes: await blockPicture(`facet-index-${i}`),
      record: {
        patient_id: patient,
        lesion_id: lesion,
        ...(i % 2 === 0 ? { age_at_exam: String(30 + i) } : {}),
        ...(sex ? { sex } : {}),
        clinical_diagnosis: diagnosis,
        ...(term ? { diagnosis_term: term } : {}),
      },
      source: 'import',
      provenance: 'public',
      collectionId: collection.id,
    });
    expect(r.outcome).toBe('ACCEPTED');
  }
  // near duplicates on both sides of the link, whatever the pipeline found
  const some = await env.db.image.findMany({ select: { id: true }, orderBy: { id: 'asc' }, take: 40 });
  for (const k of [3, 11, 27]) {
    const [a, b] = [some[k]?.id, some[k + 5]?.id];
    if (a && b)
      await env.db.nearDuplicate.upsert({
        where: { imageId_twinId: { imageId: b, twinId: a } },
        create: { imageId: b, twinId: a, distance: 3 },
        update: {},
      });
  }
  useDatabase(env.db);
}, 600_000);
afterAll(() => env.dispose());

/** A seeded random source (mulberry32), printed on failure through the test name. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLASSES = ['NEVUS', 'DYSPLASTIC_NEVUS', 'MELANOMA', 'SEBORRHEIC_KERATOSIS', 'BASAL_CELL_CARCINOMA', 'PAPILLOMA'];
const SITES = ['HEAD_NECK', 'POSTERIOR_TORSO', 'ANTERIOR_TORSO', 'UPPER_EXTREMITY', 'LOWER_EXTREMITY'];

const HAND: [string, ImageFilter][] = [
  ['none', {}],
  ['sex', { sex: ['FEMALE'] }],
  ['NOT sex (keeps the unknown sex)', { NOT: { sex: ['FEMALE'] } }],
  ['fitzpatrick', { fitzpatrickType: ['II', 'III'] }],
  ['NOT fitzpatrick', { NOT: { fitzpatrickType: ['II'] } }],
  ['sunburn', { sunburnHistory: true }],
  ['NOT personalCa', { NOT: { personalCaHistory: false } }],
  ['colours anyOf', { colors: { anyOf: ['BLUE_GRAY', 'WHITE'] } }],
  ['colours allOf', { colors: { allOf: ['LIGHT_BROWN', 'DARK_BROWN'] } }],
  ['colours empty anyOf', { colors: { anyOf: [] } }],
  ['structures allOf', { structures: { allOf: ['PIGMENT_NETWORK_ATYPICAL', 'DOTS_GLOBULES_IRREGULAR'] } }],
  ['structures anyOf', { structures: { anyOf: ['BLUE_WHITISH_VEIL', 'REGRESSION_STRUCTURES'] } }],
  ['NOT structures', { NOT: { structures: { anyOf: ['PIGMENT_NETWORK_TYPICAL'] } } }],
  ['diagnosisClass', { diagnosisClass: ['MELANOMA', 'NEVUS'] }],
  ['NOT diagnosisClass (keeps outside the 9)', { NOT: { diagnosisClass: ['NEVUS'] } }],
  ['empty diagnosisClass', { diagnosisClass: [] }],
  ['NOT empty diagnosisClass', { NOT: { diagnosisClass: [] } }],
  ['diagnosisTerm node', { diagnosisTerm: ['Benign'] }],
  [
    'diagnosisTerm by name',
    { diagnosisTerm: ['solar lentigo', 'Malignant:Malignant melanocytic proliferations (Melanoma)'] },
  ],
  ['origin', { origin: ['MELANOCYTIC'] }],
  ['clinicalStatus', { clinicalStatus: ['MALIGNANT', 'UNKNOWN'] }],
  ['stage', { verificationStage: ['HISTOLOGY'] }],
  ['stage at least', { verificationStageAtLeast: 'CONSENSUS' }],
  ['score range', { imageQualityScore: { min: 3, max: 4 } }],
  ['NOT score range (keeps no score)', { NOT: { imageQualityScore: { min: 4 } } }],
  ['age', { ageAtExam: { min: 40, max: 70 } }],
  ['NOT age', { NOT: { ageAtExam: { max: 50 } } }],
  ['diameter', { lesionDiameterMm: { min: 5.5 } }],
  ['acquired', { acquiredAt: { min: new Date('2020-06-01T00:00:00Z') } }],
  ['NOT acquired', { NOT: { acquiredAt: { max: new Date('2021-01-01T00:00:00Z') } } }],
  ['site', { anatomicalSite: ['POSTERIOR_TORSO', 'HEAD_NECK'] }],
  ['elevation + border', { elevation: ['FLAT'], borderRegularity: ['IRREGULAR'] }],
  ['NOT border', { NOT: { borderRegularity: ['REGULAR'] } }],
  ['histology', { hasHistology: true }],
  ['no histology', { hasHistology: false }],
  ['near duplicate', { nearDuplicate: true }],
  ['not near duplicate', { nearDuplicate: false }],
  ['fact conflict', { factConflict: true }],
  ['collection', { collection: ['fi-public'] }],
  ['NOT collection', { NOT: { collection: ['own'] } }],
  ['quality verdicts', { qualityVerdict: ['OK'] }],
  ['quality defects', { qualityVerdict: ['BLURRED', 'GLARE', 'UNDEREXPOSED', 'OVEREXPOSED'] }],
  ['empty quality verdicts', { qualityVerdict: [] }],
  ['label', { label: ['malignant'] }],
  ['NOT label', { NOT: { label: ['benign'] } }],
  ['missing', { missing: ['SEX', 'AGE_AT_EXAM', 'DOMINANT_COLORS'] }],
  ['missing label', { missing: ['LABEL'] }],
  ['missing others', { missing: ['DIAGNOSIS_CLASS'] }],
  ['missing histology result, examiner, score, date, diameter', { missing: ['HISTOPATHOLOGY_RESULT'] }],
  ['missing examiner', { missing: ['EXAMINER_ID', 'IMAGE_QUALITY_SCORE'] }],
  ['missing date or diameter', { OR: [{ missing: ['ACQUIRED_AT'] }, { missing: ['LESION_DIAMETER_MM'] }] }],
  ['NOT missing structures', { NOT: { missing: ['DERMOSCOPIC_STRUCTURES', 'ELEVATION', 'BORDER_REGULARITY'] } }],
  [
    'nested',
    {
      OR: [
        { AND: [{ sex: ['MALE'] }, { structures: { anyOf: ['DOTS_GLOBULES_IRREGULAR'] } }] },
        { NOT: { OR: [{ diagnosisClass: ['NEVUS'] }, { anatomicalSite: ['LOWER_EXTREMITY'] }] } },
      ],
      imageQualityScore: { min: 2 },
    },
  ],
  ['empty OR', { OR: [] }],
  ['empty lists, nested', { OR: [{ qualityVerdict: [] }, { diagnosisTerm: [], sex: ['MALE'] }, { origin: [] }] }],
  ['NOT empty lists, nested', { AND: [{ NOT: { qualityVerdict: [] } }, { NOT: { diagnosisTerm: [] } }] }],
  ['empty AND', { AND: [] }],
];

const FIELDS_OF_MISSING = [
  'AGE_AT_EXAM',
  'SEX',
  'FITZPATRICK_TYPE',
  'SUNBURN_HISTORY',
  'PERSONAL_CA_HISTORY',
  'ANATOMICAL_SITE',
  'LESION_DIAMETER_MM',
  'DOMINANT_COLORS',
  'ELEVATION',
  'BORDER_REGULARITY',
  'DERMOSCOPIC_STRUCTURES',
  'HISTOPATHOLOGY_RESULT',
  'EXAMINER_ID',
  'IMAGE_QUALITY_SCORE',
  'ACQUIRED_AT',
  'DIAGNOSIS_CLASS',
  'LABEL',
] as const;

/** A random filter: a few conditions of every kind, nested at most `depth` deep. */
function randomFilter(r: () => number, depth: number): ImageFilter {
  const pick = <T>(xs: readonly T[], max = 3): T[] => xs.filter(() => r() < max / xs.length / 1.5);
  const f: Record<string, unknown> = {};
  const conditions: (() => void)[] = [
    () => (f.sex = pick(['FEMALE', 'MALE'])),
    () => (f.fitzpatrickType = pick(['I', 'II', 'III', 'IV', 'V', 'VI'])),
    () => (f.sunburnHistory = r() < 0.5),
    () => (f.personalCaHistory = r() < 0.5),
    () => (f.diagnosisClass = pick(CLASSES)),
    () => (f.diagnosisTerm = pick(['Benign', 'Malignant', 'Indeterminate', 'solar lentigo', 'nevus'], 2)),
    () => (f.clinicalStatus = pick(['BENIGN', 'MALIGNANT', 'PREMALIGNANT', 'BORDERLINE', 'UNKNOWN'])),
    () => (f.origin = pick(['MELANOCYTIC', 'NON_MELANOCYTIC'], 1)),
    () => (f.verificationStage = pick(['INITIAL', 'CONSENSUS', 'HISTOLOGY'], 2)),
    () => (f.anatomicalSite = pick(SITES)),
    () => (f.elevation = pick(['FLAT', 'PALPABLE', 'NODULAR'], 2)),
    () => (f.borderRegularity = pick(['REGULAR', 'IRREGULAR'], 1)),
    () => (f.colors = { [r() < 0.5 ? 'anyOf' : 'allOf']: pick(COLOR_BITS, 2) }),
    () => (f.structures = { [r() < 0.5 ? 'anyOf' : 'allOf']: pick(STRUCTURE_BITS, 2) }),
    () => (f.hasHistology = r() < 0.5),
    () => (f.nearDuplicate = r() < 0.5),
    () => (f.factConflict = r() < 0.5),
    () => (f.collection = pick(['own', 'fi-public'], 1)),
    () => (f.qualityVerdict = pick(['OK', 'BLURRED', 'UNDEREXPOSED', 'OVEREXPOSED', 'GLARE'], 2)),
    () => (f.label = pick(['benign', 'malignant'], 1)),
    () => (f.missing = pick(FIELDS_OF_MISSING, 1)),
    () => {
      const lo = 1 + Math.floor(r() * 5);
      f.imageQualityScore = r() < 0.5 ? { min: lo } : { max: lo };
    },
    () => {
      const lo = Math.floor(r() * 90);
      f.ageAtExam = r() < 0.5 ? { min: lo, max: lo + 30 } : { max: lo };
    },
    () => (f.lesionDiameterMm = { min: Math.round(r() * 80) / 10 }),
    () => (f.acquiredAt = { max: new Date(Date.UTC(2018 + Math.floor(r() * 6), Math.floor(r() * 12), 1)) }),
  ];
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) conditions[Math.floor(r() * conditions.length)]?.();
  if (depth > 0 && r() < 0.4) f.NOT = randomFilter(r, depth - 1);
  if (depth > 0 && r() < 0.3) f.OR = [randomFilter(r, depth - 1), randomFilter(r, depth - 1)];
  if (depth > 0 && r() < 0.2) f.AND = [randomFilter(r, depth - 1)];
  return f as ImageFilter;
}

/** Asserts that the index answers the filter, and answers it as SQL does: facets, count and pages. */
async function agrees(filter: ImageFilter, policy?: string) {
  const subset = await resolveSubset(requestScope(), { filter, policy });
  expect(await indexedMatch(subset), 'the index answers').not.toBeNull();
  expect(await computeFacets(subset)).toEqual(await computeFacetsSql(subset));
  const selection = await resolveSelection(requestScope(), { filter, policy });
  const total = await countImages(selection);
  expect(total).toBe(await countImagesSql(selection));
  const ids = async (list: typeof listImages | typeof listImagesSql, q: Record<string, unknown>) =>
    (await list({ ...q, select: { id: true } }, selection, {})).map((i) => i.id);
  const first = await ids(listImages, { take: 7, skip: 0 });
  expect(first).toEqual(await ids(listImagesSql, { take: 7, skip: 0 }));
  const cursor = first[3];
  if (cursor !== undefined) {
    for (const take of [7, -3]) {
      const q = { cursor: { id: cursor }, skip: 1, take };
      expect(await ids(listImages, q)).toEqual(await ids(listImagesSql, q));
    }
  }
  expect(await ids(listImages, { take: -4, skip: 0 })).toEqual(await ids(listImagesSql, { take: -4, skip: 0 }));
  return total;
}

describe(`the facet index on ${testProvider}`, () => {
  it('is built on first use only, at the current records version, and states its size', async () => {
    expect(facetIndexStatus().version).toBeNull();
    await buildFacetIndex();
    const s = facetIndexStatus();
    expect(s.lastError).toBeNull();
    expect(s.images).toBe(await env.db.image.count());
    expect(s.version).toBe((await env.db.dataVersion.findUniqueOrThrow({ where: { scope: 'records' } })).version);
    expect(s.bytes).toBeGreaterThan(30 * s.images);
  });

  for (const [name, filter] of HAND) {
    it(`agrees with SQL: ${name}`, async () => {
      await agrees(filter);
    });
  }

  it('agrees with SQL on labels under other policies', async () => {
    for (const policy of ['three-tier', 'ham10000', 'strict-binary']) {
      const subset = await resolveSubset(requestScope(), { filter: {}, policy });
      expect(await computeFacets(subset)).toEqual(await computeFacetsSql(subset));
    }
    await agrees({ missing: ['LABEL'] }, 'ham10000');
  });

  it(`agrees with SQL on 60 random filters (seed ${TEST_SEED})`, async () => {
    const r = random(TEST_SEED);
    const counts: number[] = [];
    for (let i = 0; i < 60; i++) {
      const filter = randomFilter(r, 2);
      try {
        counts.push(await agrees(filter));
      } catch (e) {
        throw new Error(`random filter ${i}: ${JSON.stringify(filter)}\n${(e as Error).message}`);
      }
    }
    // the filters are not all empty or all everything
    expect(new Set(counts).size).toBeGreaterThan(10);
  });

  it('leaves to SQL what it cannot evaluate: a patient code, a split, a release', async () => {
    const code = (await env.db.patient.findFirstOrThrow({ select: { code: true } })).code;
    const subset = await resolveSubset(requestScope(), { filter: { patientCode: [code] } });
    expect(await indexedMatch(subset)).toBeNull();
    expect((await computeFacets(subset)).total).toBe(await env.db.image.count({ where: { patient: { code } } }));
  });

  it('answers facets and totalCount through GraphQL as SQL does', async () => {
    const query = `query($filter: ImageFilter) {
      facets(filter: $filter) { total fields { field present missing values { value count } } }
      images(first: 5, filter: $filter) { totalCount edges { node { sha256 } } }
    }`;
    const post = async (filter: unknown) => {
      const res = await api.yoga.fetch('http://test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...api.headers('ADMIN') },
        body: JSON.stringify({ query, variables: { filter } }),
      });
      const body = (await res.json()) as { data?: unknown; errors?: unknown };
      expect(body.errors).toBeUndefined();
      return body.data;
    };
    await buildFacetIndex();
    for (const filter of [
      {},
      { sex: ['MALE'], structures: { allOf: ['DOTS_GLOBULES_IRREGULAR'] } },
      { nearDuplicate: true },
    ]) {
      const hits = facetIndexStatus().hits;
      const indexed = await post(filter);
      expect(facetIndexStatus().hits).toBeGreaterThan(hits);
      setFacetIndexEnabled(false);
      try {
        expect(indexed).toEqual(await post(filter));
      } finally {
        setFacetIndexEnabled(true);
      }
    }
  });
});

describe(`the facet index after writes on ${testProvider}`, () => {
  const FILTERS: ImageFilter[] = [
    {},
    { diagnosisClass: ['MELANOMA'] },
    { sex: ['FEMALE'] },
    { structures: { anyOf: ['BLUE_WHITISH_VEIL'] } },
    { label: ['malignant'] },
  ];

  /** After a write: SQL answers (never the old build), and once rebuilt the index answers the same. */
  async function staysExact(write: () => Promise<unknown>, raisesRecords = true) {
    await buildFacetIndex();
    const before = facetIndexStatus().version;
    await write();
    const subset = await resolveSubset(requestScope(), { filter: {} });
    const hits = facetIndexStatus().hits;
    const facets = await computeFacets(subset);
    if (raisesRecords) {
      expect(facetIndexStatus().hits, 'the stale build does not answer').toBe(hits);
      await facetIndexSettled();
      expect(facetIndexStatus().version).toBeGreaterThan(before ?? 0);
    } else expect(facetIndexStatus().hits).toBe(hits + 1);
    expect(facets).toEqual(await computeFacetsSql(subset));
    for (const filter of FILTERS) await agrees(filter);
  }

  /** Posts a GraphQL operation as the role, and fails on any error. */
  async function gql<T>(role: 'ADMIN' | 'REVIEWER', query: string, variables: Record<string, unknown> = {}) {
    const res = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...api.headers(role) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data as T;
  }
  const nevi = () =>
    gql<{ images: { edges: { node: { id: string; version: number } }[] } }>(
      'ADMIN',
      'query { images(first: 20, filter: { diagnosisClass: [NEVUS], hasHistology: false }) { edges { node { id version } } } }',
    );

  it('a correction of a label', async () => {
    await staysExact(async () => {
      const node = (await nevi()).images.edges[0]?.node;
      if (!node) throw new Error('no nevus without histology');
      await gql(
        'ADMIN',
        'mutation($id: ID!, $v: Int!) { correctLabel(image: $id, expectedVersion: $v, diagnosisClass: MELANOMA, reason: "facet index test") { version } }',
        { id: node.id, v: node.version },
      );
    });
  });

  it('an upload', async () => {
    await staysExact(async () => {
      const r = await createPipeline(env.config, env.db).ingest({
        bytes: await lesion(91, { cls: 'MELANOMA' }),
        record: record({ patient_id: 'FI-9', lesion_id: 'FL-9', clinical_diagnosis: 'melanoma' }),
        fileName: 'fi.jpg',
        source: 'test',
      });
      expect(r.outcome).toBe('ACCEPTED');
    });
  });

  it('new structures and a deleted colour', async () => {
    await staysExact(async () => {
      const image = await env.db.image.findFirstOrThrow({ select: { id: true }, orderBy: { id: 'desc' } });
      await env.db.imageStructure.create({ data: { imageId: image.id, structure: 'BLUE_WHITISH_VEIL' } });
      await env.db.imageColor.deleteMany({ where: { image: { id: { lt: 40 } }, color: 'LIGHT_BROWN' } });
    });
  });

  it("a patient's sex", async () => {
    await staysExact(() =>
      env.db.patient.updateMany({ where: { sex: 'MALE', id: { lt: 30 } }, data: { sex: 'FEMALE' } }),
    );
  });

  it('a review raises no records version: the index keeps answering', async () => {
    await staysExact(async () => {
      const queue = await gql<{ reviewQueue: { edges: { node: { id: string; version: number } }[] } }>(
        'REVIEWER',
        'query { reviewQueue(first: 1) { edges { node { id version } } } }',
      );
      const node = queue.reviewQueue.edges[0]?.node;
      if (!node) throw new Error('nothing to review');
      await gql(
        'REVIEWER',
        'mutation($id: ID!, $v: Int!) { submitReview(image: $id, expectedVersion: $v, diagnosisClass: NEVUS, structures: [PIGMENT_NETWORK_TYPICAL]) { version } }',
        { id: node.id, v: node.version },
      );
    }, false);
  });
});
