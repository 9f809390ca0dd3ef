// Filters and orders on patients and lesions, and the images filter's text search. Every answer is
// checked against SQL written here, independently of the code: the codes a filter selects (in id
// order), its totalCount, the orders, what a viewer's age bounds select, and the refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  FilteredLesionsQuery,
  FilteredPatientsQuery,
  ImageFilter,
  LesionFilter,
  PatientFilter,
  RecordOrder,
} from '../src/gql/graphql.ts';
import { graphql } from '../src/gql/index.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import { type TestEnv, testProvider } from './helpers/database.ts';
import type { GraphQLResponse } from './helpers/graphql.ts';

let env: TestEnv;
let api: Api;

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
}, 600_000);
afterAll(() => env?.dispose());

/** Codes of the rows of a table (p: patient, l: lesion) meeting a SQL condition, in id order. */
async function sqlCodes(table: 'patient' | 'lesion', where: string): Promise<string[]> {
  const alias = table === 'patient' ? 'p' : 'l';
  const rows = await env.db.$queryRawUnsafe<{ code: string }[]>(
    `SELECT ${alias}.code FROM ${table} ${alias} WHERE ${where} ORDER BY ${alias}.id`,
  );
  return rows.map((r) => r.code);
}

const Patients = graphql(`
  query FilteredPatients($filter: PatientFilter, $orderBy: RecordOrder, $first: Int, $after: String) {
    patients(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { code sex imageCount } }
    }
  }
`);
const Lesions = graphql(`
  query FilteredLesions($filter: LesionFilter, $orderBy: RecordOrder, $first: Int, $after: String) {
    lesions(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { code patient { code } } }
    }
  }
`);
const Images = graphql(`
  query SearchedImages($filter: ImageFilter) {
    images(filter: $filter, first: 200) { totalCount edges { node { sha256 } } }
  }
`);

type Role = 'VIEWER' | 'ANNOTATOR';

/** Every code and the totalCount of a patients query, paged 150 at a time. */
async function patients(filter: PatientFilter | null, orderBy?: RecordOrder, role: Role = 'VIEWER') {
  const codes: string[] = [];
  let after: string | null = null;
  let total = -1;
  for (;;) {
    const res: GraphQLResponse<FilteredPatientsQuery> = await api.as(role, Patients, {
      filter,
      orderBy,
      first: 150,
      after,
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const p: FilteredPatientsQuery['patients'] | undefined = res.data?.patients;
    if (!p) throw new Error('no patients');
    total = p.totalCount;
    codes.push(...p.edges.map((e) => e.node.code));
    if (!p.pageInfo.hasNextPage) return { codes, total };
    after = p.pageInfo.endCursor ?? null;
  }
}

async function lesions(filter: LesionFilter | null, orderBy?: RecordOrder, role: Role = 'VIEWER') {
  const codes: string[] = [];
  let after: string | null = null;
  let total = -1;
  for (;;) {
    const res: GraphQLResponse<FilteredLesionsQuery> = await api.as(role, Lesions, {
      filter,
      orderBy,
      first: 200,
      after,
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const l: FilteredLesionsQuery['lesions'] | undefined = res.data?.lesions;
    if (!l) throw new Error('no lesions');
    total = l.totalCount;
    codes.push(...l.edges.map((e) => e.node.code));
    if (!l.pageInfo.hasNextPage) return { codes, total };
    after = l.pageInfo.endCursor ?? null;
  }
}

describe(`patient filters on ${testProvider}`, () => {
  const cases: [string, PatientFilter, string][] = [
    ['sex', { sex: ['FEMALE'] }, `p.sex = 'FEMALE'`],
    [
      'phototype and sunburns',
      { fitzpatrickType: ['II', 'III'], sunburnHistory: true },
      `p.fitzpatrick_type IN ('II', 'III') AND p.sunburn_history = TRUE`,
    ],
    ['no personal cancer history', { personalCaHistory: false }, 'p.personal_ca_history = FALSE'],
    [
      'an image of a class',
      { images: { diagnosisClass: ['MELANOMA'] } },
      `EXISTS (SELECT 1 FROM image i WHERE i.patient_id = p.id AND i.diagnosis_class = 'MELANOMA')`,
    ],
    [
      'one image meets both the collection and the filter',
      { collection: ['own'], images: { anatomicalSite: ['FACE'], ageAtExam: { min: 60 } } },
      `EXISTS (SELECT 1 FROM image i JOIN collection c ON c.id = i.collection_id WHERE i.patient_id = p.id
         AND c.slug = 'own' AND i.anatomical_site = 'FACE' AND i.age_at_exam >= 60)`,
    ],
    [
      'male, with an image without histology',
      { sex: ['MALE'], images: { hasHistology: false } },
      `p.sex = 'MALE' AND EXISTS (SELECT 1 FROM image i WHERE i.patient_id = p.id
         AND NOT EXISTS (SELECT 1 FROM histopathology_report h WHERE h.image_id = i.id))`,
    ],
  ];
  it.each(cases)('%s', async (_name, filter, where) => {
    const want = await sqlCodes('patient', where);
    expect(want.length, 'the reference selects some').toBeGreaterThan(0);
    expect(want.length, 'but not all').toBeLessThan((await sqlCodes('patient', 'TRUE')).length);
    expect(await patients(filter)).toEqual({ codes: want, total: want.length });
  });

  it('by code, and none at all for an unknown code', async () => {
    const [a, b] = await sqlCodes('patient', 'p.id IN (3, 7)');
    expect(await patients({ code: [b as string, a as string, 'P-NOSUCHCODE00'] })).toEqual({
      codes: [a, b],
      total: 2,
    });
    expect(await patients({ code: [] })).toEqual({ codes: [], total: 0 });
  });

  it('a viewer’s age bound selects no finer than they read ages: 95 means 90+', async () => {
    const old = (min: number) =>
      sqlCodes('patient', `EXISTS (SELECT 1 FROM image i WHERE i.patient_id = p.id AND i.age_at_exam >= ${min})`);
    const exact = await old(95);
    const topCoded = await old(90);
    expect(topCoded.length).toBeGreaterThan(exact.length);
    expect((await patients({ images: { ageAtExam: { min: 95 } } }, undefined, 'VIEWER')).codes).toEqual(topCoded);
    expect((await patients({ images: { ageAtExam: { min: 95 } } }, undefined, 'ANNOTATOR')).codes).toEqual(exact);
  });

  it('orders: CREATED_AT DESC, then id DESC', async () => {
    const rows = await env.db.patient.findMany({ select: { id: true, code: true, createdAt: true } });
    const want = rows.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id).map((r) => r.code);
    const got = await patients(null, { field: 'CREATED_AT', direction: 'DESC' }, 'ANNOTATOR');
    expect(got.codes).toEqual(want);
    // a viewer reads the year only: the order within a year is the id's
    const byYear = rows
      .sort((a, b) => b.createdAt.getUTCFullYear() - a.createdAt.getUTCFullYear() || b.id - a.id)
      .map((r) => r.code);
    expect((await patients(null, { field: 'CREATED_AT', direction: 'DESC' }, 'VIEWER')).codes).toEqual(byYear);
  });
});

describe(`lesion filters on ${testProvider}`, () => {
  const cases: [string, LesionFilter, string][] = [
    [
      'one image at a site and of a class',
      { anatomicalSite: ['POSTERIOR_TORSO'], diagnosisClass: ['NEVUS'] },
      `EXISTS (SELECT 1 FROM image i WHERE i.lesion_id = l.id AND i.anatomical_site = 'POSTERIOR_TORSO'
         AND i.diagnosis_class = 'NEVUS')`,
    ],
    [
      'with histology',
      { hasHistology: true },
      `EXISTS (SELECT 1 FROM image i JOIN histopathology_report h ON h.image_id = i.id WHERE i.lesion_id = l.id)`,
    ],
    [
      'without histology',
      { hasHistology: false },
      `NOT EXISTS (SELECT 1 FROM image i JOIN histopathology_report h ON h.image_id = i.id WHERE i.lesion_id = l.id)`,
    ],
    [
      'under a node of the diagnosis hierarchy, of a female patient',
      { diagnosisTerm: ['Malignant'], patient: { sex: ['FEMALE'] } },
      `EXISTS (SELECT 1 FROM image i WHERE i.lesion_id = l.id AND i.diagnosis_term LIKE 'Malignant:%')
         AND EXISTS (SELECT 1 FROM patient p WHERE p.id = l.patient_id AND p.sex = 'FEMALE')`,
    ],
    [
      'images: with OR inside',
      { images: { OR: [{ diagnosisClass: ['BASAL_CELL_CARCINOMA'] }, { imageQualityScore: { max: 2 } }] } },
      `EXISTS (SELECT 1 FROM image i WHERE i.lesion_id = l.id AND (i.diagnosis_class = 'BASAL_CELL_CARCINOMA' OR i.image_quality_score <= 2))`,
    ],
  ];
  it.each(cases)('%s', async (_name, filter, where) => {
    const want = await sqlCodes('lesion', where);
    expect(want.length, 'the reference selects some').toBeGreaterThan(0);
    expect(want.length, 'but not all').toBeLessThan((await sqlCodes('lesion', 'TRUE')).length);
    expect(await lesions(filter)).toEqual({ codes: want, total: want.length });
  });

  it('of given patients, newest first', async () => {
    const pcs = await sqlCodes('patient', 'p.id IN (2, 5, 9)');
    const want = await sqlCodes('lesion', `l.patient_id IN (2, 5, 9)`);
    const got = await lesions({ patientCode: pcs }, { field: 'ID', direction: 'DESC' });
    expect(got).toEqual({ codes: [...want].reverse(), total: want.length });
  });
});

describe(`text search on ${testProvider}`, () => {
  const sqlShas = async (where: string) =>
    (
      await env.db.$queryRawUnsafe<{ sha256: string }[]>(
        `SELECT i.sha256 FROM image i JOIN patient p ON p.id = i.patient_id JOIN lesion l ON l.id = i.lesion_id
         JOIN collection c ON c.id = i.collection_id WHERE ${where} ORDER BY i.id`,
      )
    ).map((r) => r.sha256);
  const search = async (filter: ImageFilter) => {
    const res = await api.as('VIEWER', Images, { filter });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return { total: res.data?.images.totalCount, shas: res.data?.images.edges.map((e) => e.node.sha256) };
  };

  it('finds a term by words of its path, in any case', async () => {
    const want = await sqlShas(`LOWER(i.diagnosis_term) LIKE '%keratosis%'`);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(200);
    for (const text of ['keratosis', 'KERATOSIS', '  Seborrheic Keratosis ']) {
      expect(await search({ search: text })).toEqual({ total: want.length, shas: want });
    }
  });

  it('finds a patient’s and a lesion’s images by a part of the code, in any case', async () => {
    const [{ code } = { code: '' }] = await env.db.$queryRawUnsafe<{ code: string }[]>(
      'SELECT code FROM patient ORDER BY id LIMIT 1 OFFSET 11',
    );
    const part = code.slice(2, 9);
    const want = await sqlShas(`(p.code LIKE '%${part}%' OR l.code LIKE '%${part}%')`);
    expect(want.length).toBeGreaterThan(0);
    expect(await search({ search: part.toLowerCase() })).toEqual({ total: want.length, shas: want });
  });

  it('finds an image by the start of its SHA-256 (not by its middle), and composes with other conditions', async () => {
    const [one] = await sqlShas('i.id = 17');
    const prefix = (one as string).slice(0, 10);
    expect(await search({ search: prefix.toUpperCase() })).toEqual({ total: 1, shas: [one] });
    expect((await search({ search: (one as string).slice(20, 34) })).total).toBe(0);
    expect((await search({ search: prefix, NOT: { search: prefix } })).total).toBe(0);
  });

  it('finds a collection by its slug', async () => {
    const all = await sqlShas(`c.slug = 'own'`);
    expect((await search({ search: 'OWN' })).total).toBe(all.length);
  });

  it('text that can only be a term looks only at terms; nothing found is an empty page', async () => {
    expect((await search({ search: 'no such diagnosis' })).total).toBe(0);
    expect((await search({ search: '100%' })).total).toBe(0);
  });
});

describe('refusals', () => {
  const refused = async (
    role: Role,
    doc: typeof Patients | typeof Lesions | typeof Images,
    vars: object,
    arg: RegExp,
  ) => {
    const res = await api.as(role, doc as typeof Patients, vars as never);
    expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(arg);
    expect(res.data ?? null).toBeNull();
  };
  it('names the bound passed', async () => {
    await refused(
      'VIEWER',
      Patients,
      { filter: { images: { ageAtExam: { min: 50, max: 20 } } } },
      /filter.images.ageAtExam/,
    );
    await refused(
      'VIEWER',
      Patients,
      { filter: { collection: ['no-such-collection'] } },
      /no collection "no-such-collection"/,
    );
    await refused('VIEWER', Lesions, { filter: { diagnosisTerm: ['Not a term'] } }, /diagnosisTerm/);
    await refused(
      'VIEWER',
      Patients,
      { filter: { code: Array.from({ length: 501 }, (_, i) => `P-${i}`) } },
      /filter\.code/,
    );
    await refused(
      'VIEWER',
      Lesions,
      { filter: { patient: { code: Array.from({ length: 501 }, (_, i) => `P-${i}`) } } },
      /filter.patient.code/,
    );
    await refused('VIEWER', Images, { filter: { search: '   ' } }, /filter.search: a search holds 1–200 characters/);
    await refused('VIEWER', Images, { filter: { OR: [{ search: 'x'.repeat(201) }] } }, /filter.OR.0.search/);
    const first = await api.as('VIEWER', Patients, { first: 2 });
    await refused(
      'VIEWER',
      Patients,
      { orderBy: { field: 'CREATED_AT', direction: 'ASC' }, after: first.data?.patients.pageInfo.endCursor },
      /another order/,
    );
  });
});
