// The read API over the demo cohort: pages, keyset cursors, filters and facets checked against an
// independent computation over every record, node ids, and SQL statements per request.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageFilter } from '../src/gql/graphql.ts';
import { graphql } from '../src/gql/index.ts';
import { facetIndexSettled } from '../src/resolvers/facet-index.ts';
import { type Api, createApi } from './helpers/api.ts';
import { classInfo } from './helpers/classes.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';
import { requestWork } from './helpers/statements.ts';

let env: TestEnv;
let api: Api;
let statements = 0;

type Row = Awaited<ReturnType<typeof loadAll>>[number];
let all: Row[];

/** Every image with what the filters look at, loaded plainly through Prisma: the reference. */
function loadAll() {
  return env.db.image.findMany({
    orderBy: { id: 'asc' },
    include: {
      patient: true,
      colors: true,
      structures: true,
      histopathology: true,
      nearDuplicates: true,
      nearDuplicateOf: true,
    },
  });
}

beforeAll(async () => {
  env = await createCohortEnv({ onQuery: (sql) => (requestWork(sql) ? statements++ : 0) });
  api = await createApi(env);
  all = await loadAll();
}, 300_000);
afterAll(() => env?.dispose());

const Page = graphql(`
  query Page($first: Int, $after: String, $last: Int, $before: String, $filter: ImageFilter) {
    images(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id sha256 } }
    }
  }
`);

const Gallery = graphql(`
  query Gallery($first: Int!) {
    images(first: $first) {
      edges {
        node {
          id
          sha256
          width
          height
          url(variant: THUMBNAIL)
          patient { code }
          demographic { ageAtExam sex fitzpatrickType }
          anamnestic { sunburnHistory personalCaHistory }
          morphological { anatomicalSite lesionDiameterMm dominantColors elevation borderRegularity }
          dermoscopic { dermoscopicStructures }
          diagnostic { clinicalDiagnosis diagnosisClass { code origin status } histopathologyResult verificationStage }
          service { imageQualityScore qualityAdvice { sharpness } }
          reviews { diagnosisClass { code } }
          consensus { diagnosisClass { code } outcome reviewCount }
        }
      }
    }
  }
`);

async function ids(filter: ImageFilter): Promise<number[]> {
  const out: number[] = [];
  let after: string | null | undefined;
  for (;;) {
    // an annotator filters on the exact values (a viewer's date and age bounds are widened as safe-harbor
    // shows the values: test/privacy.test.ts)
    const res = await api.as('ANNOTATOR', Page, { first: 200, after, filter });
    expect(res.errors).toBeUndefined();
    const conn = res.data?.images;
    if (!conn) throw new Error('no connection');
    for (const e of conn.edges) out.push(decodeId(e.node.id));
    if (!conn.pageInfo.hasNextPage) {
      expect(conn.totalCount).toBe(out.length);
      return out;
    }
    after = conn.pageInfo.endCursor;
  }
}

const decodeId = (global: string) => Number(Buffer.from(global, 'base64').toString().split(':')[1]);

describe('images: pages and cursors', () => {
  it('serves a gallery page with every block, the reviews and the consensus', async () => {
    const res = await api.as('VIEWER', Gallery, { first: 10 });
    expect(res.errors).toBeUndefined();
    const nodes = res.data?.images.edges.map((e) => e.node) ?? [];
    expect(nodes).toHaveLength(10);
    for (const n of nodes) {
      const ref = all.find((r) => r.id === decodeId(n.id));
      if (!ref) throw new Error(`unknown image ${n.id}`);
      expect(n.sha256).toBe(ref.sha256);
      // signed for the caller (test/signed-url.test.ts): the path, an expiry and the signature
      expect(n.url).toMatch(new RegExp(`^http://test/images/${ref.sha256}/thumbnail\\?expires=\\d+&signature=\\d+\\.`));
      expect(n.patient.code).toBe(ref.patient.code);
      expect(n.demographic).toEqual({
        ageAtExam: ref.ageAtExam,
        sex: ref.patient.sex,
        fitzpatrickType: ref.patient.fitzpatrickType,
      });
      expect(n.morphological.dominantColors.sort()).toEqual(ref.colors.map((c) => c.color).sort());
      expect(n.dermoscopic.dermoscopicStructures).toEqual(ref.structures.map((s) => s.structure).sort());
      expect(n.diagnostic.diagnosisClass).toEqual({
        code: ref.diagnosisClass,
        origin: classInfo(ref.diagnosisClass).origin,
        status: classInfo(ref.diagnosisClass).status,
      });
      expect(n.diagnostic.verificationStage).toBe(ref.verificationStage);
      expect(n.reviews).toHaveLength(3);
      expect(n.consensus?.diagnosisClass?.code).toBe(ref.diagnosisClass);
    }
  });

  it('walks every image once, in id order, with keyset cursors', async () => {
    const walked = await ids({});
    expect(walked).toEqual(all.map((r) => r.id));
  });

  it('pages backwards with last/before', async () => {
    const first = await api.as('VIEWER', Page, { first: 30 });
    const end = first.data?.images.edges[29]?.cursor;
    const back = await api.as('VIEWER', Page, { last: 10, before: end });
    expect(back.errors).toBeUndefined();
    expect(back.data?.images.edges.map((e) => e.node.id)).toEqual(
      first.data?.images.edges.slice(19, 29).map((e) => e.node.id),
    );
    expect(back.data?.images.pageInfo.hasPreviousPage).toBe(true);
  });

  it('caps the page size at 200', async () => {
    const res = await api.as('VIEWER', Page, { first: 500 });
    expect(res.errors?.[0]).toMatchObject({
      message: 'first must be between 0 and 200, got 500',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('caps nested pages too (a patient’s images and lesions, a lesion’s images)', async () => {
    const Nested = graphql(`
      query NestedPages($n: Int!, $m: Int!) {
        patients(first: 1) {
          edges { node { images(first: $n) { totalCount } lesions(first: $m) { edges { node { images(first: $n) { totalCount } } } } } }
        }
      }
    `);
    // page sizes passed as variables are costed like literals: 200 × 8 lesions × 200 stays under the limit
    expect((await api.as('VIEWER', Nested, { n: 200, m: 8 })).errors).toBeUndefined();
    for (const [n, m] of [
      [201, 5],
      [5, 500],
    ] as const) {
      const res = await api.as('VIEWER', Nested, { n, m });
      expect(res.errors?.[0]).toMatchObject({
        message: `first must be between 0 and 200, got ${Math.max(n, m)}`,
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
  });
});

describe('images: filters agree with an independent count', () => {
  const nearDup = (r: Row) => r.nearDuplicates.length + r.nearDuplicateOf.length > 0;
  const cases: [string, ImageFilter, (r: Row) => boolean][] = [
    [
      'class',
      { diagnosisClass: ['MELANOMA', 'DYSPLASTIC_NEVUS'] },
      (r) => ['MELANOMA', 'DYSPLASTIC_NEVUS'].includes(r.diagnosisClass ?? ''),
    ],
    ['origin', { origin: ['MELANOCYTIC'] }, (r) => classInfo(r.diagnosisClass).origin === 'MELANOCYTIC'],
    [
      'clinical status',
      { clinicalStatus: ['MALIGNANT', 'BORDERLINE'] },
      (r) => classInfo(r.diagnosisClass).status !== 'BENIGN',
    ],
    ['stage exactly', { verificationStage: ['CONSENSUS'] }, (r) => r.verificationStage === 'CONSENSUS'],
    ['stage at least', { verificationStageAtLeast: 'HISTOLOGY' }, (r) => r.verificationStage === 'HISTOLOGY'],
    ['quality range', { imageQualityScore: { min: 4 } }, (r) => (r.imageQualityScore ?? 0) >= 4],
    [
      'age range',
      { ageAtExam: { min: 30, max: 45 } },
      (r) => r.ageAtExam !== null && r.ageAtExam >= 30 && r.ageAtExam <= 45,
    ],
    ['diameter range', { lesionDiameterMm: { max: 5 } }, (r) => r.lesionDiameterMm !== null && r.lesionDiameterMm <= 5],
    [
      'date range',
      { acquiredAt: { min: '2025-09-01T00:00:00Z', max: '2025-12-31T23:59:59Z' } },
      (r) =>
        r.acquiredAt !== null &&
        r.acquiredAt >= new Date('2025-09-01T00:00:00Z') &&
        r.acquiredAt <= new Date('2025-12-31T23:59:59Z'),
    ],
    ['sex', { sex: ['MALE'] }, (r) => r.patient.sex === 'MALE'],
    [
      'Fitzpatrick',
      { fitzpatrickType: ['III', 'IV'] },
      (r) => r.patient.fitzpatrickType === 'III' || r.patient.fitzpatrickType === 'IV',
    ],
    ['site', { anatomicalSite: ['FACE', 'SCALP'] }, (r) => r.anatomicalSite === 'FACE' || r.anatomicalSite === 'SCALP'],
    [
      'any colour',
      { colors: { anyOf: ['BLACK', 'BLUE_GRAY'] } },
      (r) => r.colors.some((c) => c.color === 'BLACK' || c.color === 'BLUE_GRAY'),
    ],
    [
      'all colours',
      { colors: { allOf: ['LIGHT_BROWN', 'DARK_BROWN'] } },
      (r) => r.colors.some((c) => c.color === 'LIGHT_BROWN') && r.colors.some((c) => c.color === 'DARK_BROWN'),
    ],
    [
      'any structure',
      { structures: { anyOf: ['LACUNAE'] } },
      (r) => r.structures.some((s) => s.structure === 'LACUNAE'),
    ],
    [
      'all structures',
      { structures: { allOf: ['PIGMENT_NETWORK_TYPICAL', 'DOTS_GLOBULES_REGULAR'] } },
      (r) =>
        r.structures.some((s) => s.structure === 'PIGMENT_NETWORK_TYPICAL') &&
        r.structures.some((s) => s.structure === 'DOTS_GLOBULES_REGULAR'),
    ],
    ['has histology', { hasHistology: true }, (r) => r.histopathology !== null],
    ['near duplicate', { nearDuplicate: true }, nearDup],
    [
      'OR of two',
      { OR: [{ diagnosisClass: ['HEMANGIOMA'] }, { sex: ['MALE'], imageQualityScore: { max: 3 } }] },
      (r) => r.diagnosisClass === 'HEMANGIOMA' || (r.patient.sex === 'MALE' && (r.imageQualityScore ?? 9) <= 3),
    ],
    [
      'NOT with AND',
      { AND: [{ origin: ['MELANOCYTIC'] }], NOT: { diagnosisClass: ['NEVUS'] } },
      (r) => classInfo(r.diagnosisClass).origin === 'MELANOCYTIC' && r.diagnosisClass !== 'NEVUS',
    ],
  ];

  it.each(cases)('%s', async (_name, filter, predicate) => {
    const expected = all.filter(predicate).map((r) => r.id);
    expect(expected.length, 'the reference must select something').toBeGreaterThan(0);
    expect(expected.length, 'and not everything').toBeLessThan(all.length);
    expect(await ids(filter)).toEqual(expected);
  });

  it('filters by patient code', async () => {
    const patient = all[0]?.patient;
    if (!patient) throw new Error('no patient');
    expect(await ids({ patientCode: [patient.code] })).toEqual(
      all.filter((r) => r.patientId === patient.id).map((r) => r.id),
    );
  });
});

describe('facets', () => {
  const Facets = graphql(`
    query Facets($filter: ImageFilter) {
      facets(filter: $filter) { total fields { field present missing values { value count } } }
    }
  `);

  it('counts every categorical field, with present and missing, in one round trip', async () => {
    const filter: ImageFilter = { origin: ['MELANOCYTIC'] };
    const subset = all.filter((r) => classInfo(r.diagnosisClass).origin === 'MELANOCYTIC');
    const res = await api.as('VIEWER', Facets, { filter });
    expect(res.errors).toBeUndefined();
    const facets = res.data?.facets;
    expect(facets?.total).toBe(subset.length);
    const field = (name: string) => facets?.fields.find((f) => f.field === name);
    const tally = (values: (string | null)[]) => {
      const m = new Map<string, number>();
      for (const v of values) if (v !== null) m.set(v, (m.get(v) ?? 0) + 1);
      return Object.fromEntries(m);
    };
    const asObject = (name: string) =>
      Object.fromEntries(field(name)?.values.map((v) => [String(v.value), v.count]) ?? []);
    expect(asObject('diagnosisClass')).toEqual(tally(subset.map((r) => r.diagnosisClass)));
    expect(asObject('sex')).toEqual(tally(subset.map((r) => r.patient.sex)));
    expect(asObject('fitzpatrickType')).toEqual(tally(subset.map((r) => r.patient.fitzpatrickType)));
    expect(field('fitzpatrickType')?.missing).toBe(subset.filter((r) => r.patient.fitzpatrickType === null).length);
    expect(asObject('anatomicalSite')).toEqual(tally(subset.map((r) => r.anatomicalSite)));
    expect(field('anatomicalSite')?.missing).toBe(subset.filter((r) => r.anatomicalSite === null).length);
    expect(asObject('colors')).toEqual(tally(subset.flatMap((r) => r.colors.map((c) => c.color))));
    expect(field('colors')?.missing).toBe(subset.filter((r) => r.colors.length === 0).length);
    expect(asObject('structures')).toEqual(tally(subset.flatMap((r) => r.structures.map((s) => s.structure))));
    expect(asObject('verificationStage')).toEqual(tally(subset.map((r) => r.verificationStage)));
    expect(asObject('imageQualityScore')).toEqual(tally(subset.map((r) => String(r.imageQualityScore))));
    expect(asObject('origin')).toEqual({ MELANOCYTIC: subset.length });
    expect(asObject('hasHistology')).toEqual(tally(subset.map((r) => String(r.histopathology !== null))));
    for (const f of facets?.fields ?? []) expect(f.present + f.missing, f.field).toBe(subset.length);
  });
});

describe('lookups', () => {
  it('resolves node ids of every type, patients by code, images by sha256', async () => {
    const image = all[5];
    if (!image) throw new Error('no image');
    const res = await api.as(
      'ANNOTATOR',
      graphql(`
        query Lookups($sha: String!, $code: String!) {
          image(sha256: $sha) { id lesion { id code } patient { id code imageCount images(first: 50) { totalCount } } }
          patient(code: $code) { code }
          lesions(first: 1) { totalCount }
          patients(first: 1) { totalCount }
          intakeLog(first: 5, outcome: [REJECTED_QUALITY]) { totalCount edges { node { id outcome qualityScore image { id } } } }
        }
      `),
      { sha: image.sha256, code: image.patient.code },
    );
    expect(res.errors).toBeUndefined();
    const d = res.data;
    expect(d?.patient?.code).toBe(image.patient.code);
    const count = all.filter((r) => r.patientId === image.patientId).length;
    expect(d?.image?.patient.imageCount).toBe(count);
    expect(d?.image?.patient.images.totalCount).toBe(count);
    expect(d?.patients.totalCount).toBe(443);
    expect(d?.lesions.totalCount).toBe(await env.db.lesion.count());
    expect(d?.intakeLog.totalCount).toBe(32);
    expect(d?.intakeLog.edges.every((e) => e.node.outcome === 'REJECTED_QUALITY' && e.node.image === null)).toBe(true);

    const Node = graphql(`
      query NodeLookup($id: ID!) {
        node(id: $id) {
          __typename
          id
          ... on Image { sha256 }
          ... on Patient { code }
          ... on Lesion { code }
          ... on IntakeRecord { outcome }
        }
      }
    `);
    for (const id of [d?.image?.id, d?.image?.patient.id, d?.image?.lesion.id, d?.intakeLog.edges[0]?.node.id]) {
      const n = await api.as('ANNOTATOR', Node, { id: id ?? '' });
      expect(n.errors).toBeUndefined();
      expect(n.data?.node?.id).toBe(id);
    }
  });
});

describe('SQL statements per request', () => {
  // the README's gallery page (examples/queries/gallery.graphql): every block, reviews with their
  // structures, consensus, near-duplicate links with both ends, totalCount
  const gallery = readFileSync(join(import.meta.dirname, '..', 'examples', 'queries', 'gallery.graphql'), 'utf8');
  const count = async (variables: Record<string, unknown>) => {
    statements = 0;
    const res = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...api.headers('VIEWER') },
      body: JSON.stringify({ query: gallery, variables }),
    });
    const body = (await res.json()) as {
      errors?: unknown;
      data?: { images: { edges: { node: { nearDuplicates: unknown[] } }[] } };
    };
    expect(body.errors).toBeUndefined();
    return { statements, nodes: body.data?.images.edges.map((e) => e.node) ?? [] };
  };

  it('do not grow with the page: the gallery page at 10, 100 and 200 images costs at most 6 statements', async () => {
    await count({ first: 1 }); // token lookup cached, the counts' index built
    await facetIndexSettled();
    const small = await count({ first: 10 });
    const medium = await count({ first: 100 });
    const large = await count({ first: 200 });
    expect(small.nodes).toHaveLength(10);
    expect(large.nodes).toHaveLength(200);
    expect(medium.statements).toBe(small.statements);
    expect(large.statements).toBe(small.statements);
    expect(large.statements).toBeLessThanOrEqual(6);
  });

  it('a page with near-duplicate links reads their other ends in one more statement, still at most 6', async () => {
    const linked = await count({ first: 50, filter: { nearDuplicate: true } });
    expect(linked.nodes.length).toBeGreaterThan(0);
    expect(linked.nodes.every((n) => n.nearDuplicates.length > 0)).toBe(true);
    expect(linked.statements).toBeLessThanOrEqual(6);
  });
});

describe('keyset cursors', () => {
  it('a cursor still points after the same image when earlier images disappear', async () => {
    const page1 = await api.as('VIEWER', Page, { first: 20 });
    const cursor = page1.data?.images.pageInfo.endCursor;
    const before = await api.as('VIEWER', Page, { first: 5, after: cursor });
    const victim = all[3];
    if (!victim) throw new Error('no image');
    await env.db.image.delete({ where: { id: victim.id } });
    const after = await api.as('VIEWER', Page, { first: 5, after: cursor });
    expect(after.data?.images.edges.map((e) => e.node.id)).toEqual(before.data?.images.edges.map((e) => e.node.id));
  });
});
