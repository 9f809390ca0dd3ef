// The open world in every read (issue 14): the demo cohort plus public records stored through the
// pipeline into a created collection (terms outside the 9, an "unknown, benign" record, a patient
// whose second record contradicts the first). Every filter, facet and stats figure is checked
// against a count made here from the database rows; exports, LICENSES, Croissant and a split by
// collection against the collections' own rows; updateCollection's refusals change nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageFilter } from '../src/gql/graphql.ts';
import { graphql } from '../src/gql/index.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';
import { awaitExport } from './helpers/exports.ts';
import { blockPicture } from './helpers/images.ts';
import { unzip } from './helpers/zip.ts';

const SLUG = 'test-public';
const FACTS = {
  slug: SLUG,
  name: 'Test public archive',
  kind: 'public',
  source: 'https://example.org/test-public',
  citation: 'Doe J et al. A test archive. 2020.',
  license: 'CC-BY-NC-4.0',
  attribution: 'Test Public Archive contributors',
  version: '1.0',
};

/** The public records: [patient, lesion, clinical_diagnosis, diagnosis_term, sex]. */
const PUBLIC: [string, string, string, string | null, string][] = [
  ['PUB-1', 'PL-1', 'solar lentigo', null, 'female'],
  ['PUB-2', 'PL-2', 'solar lentigo', null, 'male'],
  ['PUB-3', 'PL-3', 'solar lentigo', null, 'female'],
  ['PUB-4', 'PL-4', 'actinic keratosis', null, 'male'],
  ['PUB-5', 'PL-5', 'actinic keratosis', null, 'female'],
  ['PUB-6', 'PL-6', 'unknown', 'Benign', 'male'],
  ['PUB-7', 'PL-7', 'nevus', null, 'female'],
  ['PUB-8', 'PL-8', 'melanoma', null, 'male'],
  ['PUB-9', 'PL-9', 'lichenoid keratosis', null, 'female'],
  // no diagnosis and no verdict: the term Unknown, status UNKNOWN (screening-binary leaves it unlabelled)
  ['PUB-11', 'PL-11', 'unknown', null, 'male'],
  // the same patient as the first record, another sex: stored and flagged (the patient keeps female)
  ['PUB-1', 'PL-10', 'solar lentigo', null, 'male'],
];

let env: TestEnv;
let api: Api;
let rows: {
  id: number;
  sha256: string;
  diagnosisClass: string | null;
  diagnosisTerm: string;
  clinicalStatus: string;
  collection: { slug: string };
  factConflicts: { field: string }[];
}[];

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  const collection = await env.db.collection.create({ data: FACTS });
  const pipeline = createPipeline(env.config, env.db);
  for (const [i, [patient, lesion, diagnosis, term, sex]] of PUBLIC.entries()) {
    const result = await pipeline.ingest({
      bytes: await blockPicture(`open-world-read-${i}`),
      record: {
        patient_id: patient,
        lesion_id: lesion,
        age_at_exam: String(40 + i),
        sex,
        anatomical_site: 'posterior torso',
        clinical_diagnosis: diagnosis,
        ...(term ? { diagnosis_term: term } : {}),
      },
      source: 'import',
      provenance: 'public',
      collectionId: collection.id,
    });
    expect(result.outcome, `${i} ${diagnosis}`).toBe('ACCEPTED');
  }
  rows = await env.db.image.findMany({
    select: {
      id: true,
      sha256: true,
      diagnosisClass: true,
      diagnosisTerm: true,
      clinicalStatus: true,
      collection: { select: { slug: true } },
      factConflicts: { select: { field: true } },
    },
    orderBy: { id: 'asc' },
  });
}, 600_000);
afterAll(() => env?.dispose());

const tally = (values: Iterable<string>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
};
const under = (path: string, node: string) => path === node || path.startsWith(`${node}:`);
const SOLAR_LENTIGO = 'Benign:Benign epidermal proliferations:Solar lentigo';
const AK = 'Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis';

const Count = graphql(`
  query OpenWorldCount($filter: ImageFilter) { images(filter: $filter, first: 1) { totalCount } }
`);
async function count(filter: ImageFilter) {
  const res = await api.as('VIEWER', Count, { filter });
  return { n: res.data?.images.totalCount, errors: res.errors };
}

describe('the data the reads are checked against', () => {
  it('holds the cohort, the public records outside the 9 and one fact conflict', () => {
    const pub = rows.filter((r) => r.collection.slug === SLUG);
    expect(pub).toHaveLength(PUBLIC.length);
    expect(tally(pub.map((r) => r.diagnosisTerm))[SOLAR_LENTIGO]).toBe(4);
    expect(tally(pub.map((r) => r.diagnosisTerm))[AK]).toBe(2);
    expect(pub.find((r) => r.diagnosisTerm === 'Benign')?.clinicalStatus).toBe('BENIGN');
    expect(rows.filter((r) => r.factConflicts.length > 0).map((r) => r.factConflicts.map((c) => c.field))).toEqual([
      ['sex'],
    ]);
  });
});

describe('filters', () => {
  it.each([
    ['Benign:Benign epidermal proliferations'],
    ['Indeterminate'],
    ['Malignant'],
    [SOLAR_LENTIGO],
    ['Benign:Benign melanocytic proliferations:Nevus'],
  ])('diagnosisTerm %s matches the node and every term under it', async (node) => {
    const want = rows.filter((r) => under(r.diagnosisTerm, node)).length;
    expect(want).toBeGreaterThan(0);
    expect((await count({ diagnosisTerm: [node] })).n).toBe(want);
    expect((await count({ NOT: { diagnosisTerm: [node] } })).n).toBe(rows.length - want);
  });

  it('diagnosisTerm takes a term’s name, and several values as any of them', async () => {
    expect((await count({ diagnosisTerm: ['solar lentigo'] })).n).toBe(4);
    expect((await count({ diagnosisTerm: ['actinic keratosis', 'Solar lentigo'] })).n).toBe(6);
  });

  it('refuses a value that is no term and no node, naming it', async () => {
    for (const bad of ['Benign:Nope', 'Benign:Benign epidermal', 'shingles']) {
      const { errors } = await count({ OR: [{ diagnosisTerm: ['Benign', bad] }] });
      expect(errors?.[0]?.extensions?.code, bad).toBe('BAD_USER_INPUT');
      expect(errors?.[0]?.message).toContain(JSON.stringify(bad));
      expect(errors?.[0]?.message).toContain('filter.OR.0.diagnosisTerm');
    }
  });

  it('collection selects by slug; an unknown slug is refused wherever it is', async () => {
    const pub = rows.filter((r) => r.collection.slug === SLUG).length;
    expect((await count({ collection: [SLUG] })).n).toBe(pub);
    expect((await count({ collection: ['own'] })).n).toBe(rows.filter((r) => r.collection.slug === 'own').length);
    expect((await count({ collection: ['own', SLUG] })).n).toBe(rows.length);
    for (const filter of [{ collection: ['nope'] }, { NOT: { OR: [{ collection: [SLUG, 'ham-nope'] }] } }]) {
      const { errors } = await count(filter);
      expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(errors?.[0]?.message).toMatch(/no collection "(nope|ham-nope)"/);
    }
  });

  it('factConflict, missing DIAGNOSIS_CLASS, clinicalStatus and diagnosisClass with NOT', async () => {
    const flagged = rows.filter((r) => r.factConflicts.length > 0).length;
    expect((await count({ factConflict: true })).n).toBe(flagged);
    expect((await count({ factConflict: false })).n).toBe(rows.length - flagged);
    const outside = rows.filter((r) => r.diagnosisClass === null).length;
    expect(outside).toBe(9);
    expect((await count({ missing: ['DIAGNOSIS_CLASS'] })).n).toBe(outside);
    expect((await count({ NOT: { missing: ['DIAGNOSIS_CLASS'] } })).n).toBe(rows.length - outside);
    for (const status of ['PREMALIGNANT', 'BENIGN', 'MALIGNANT', 'BORDERLINE', 'UNKNOWN'] as const) {
      expect((await count({ clinicalStatus: [status] })).n, status).toBe(
        rows.filter((r) => r.clinicalStatus === status).length,
      );
    }
    const nevi = rows.filter((r) => r.diagnosisClass === 'NEVUS').length;
    expect((await count({ diagnosisClass: ['NEVUS'] })).n).toBe(nevi);
    // NOT keeps the images outside the 9 (they lack a class)
    expect((await count({ NOT: { diagnosisClass: ['NEVUS'] } })).n).toBe(rows.length - nevi);
  });

  it('origin counts terms outside the 9 by the term’s origin', async () => {
    // solar lentigo, AK and lichenoid keratosis are epidermal (non-melanocytic); "Benign" says no origin
    const melanocytic = new Set(['NEVUS', 'DYSPLASTIC_NEVUS', 'MELANOMA']);
    const inNine = rows.filter((r) => r.diagnosisClass !== null);
    const non = inNine.filter((r) => !melanocytic.has(r.diagnosisClass ?? '')).length + 7;
    expect((await count({ origin: ['NON_MELANOCYTIC'] })).n).toBe(non);
    expect((await count({ origin: ['MELANOCYTIC'] })).n).toBe(inNine.length - (non - 7));
  });
});

const Facets = graphql(`
  query OpenWorldFacets($filter: ImageFilter) {
    facets(filter: $filter) { total fields { field present missing values { value count } } }
  }
`);
const Stats = graphql(`
  query OpenWorldStats {
    stats { images outsideNine terms { term { path } diagnosisClass status count share }
      statuses { status count share } collections { slug count share } classes { diagnosisClass count } }
    datasetSummary { images outsideNine classes { count } statuses { status count } }
  }
`);

describe('facets and stats', () => {
  it('facets count terms, statuses, collections, conflicts and the images outside the 9', async () => {
    const res = await api.as('VIEWER', Facets, {});
    expect(res.errors).toBeUndefined();
    const field = (name: string) => {
      const f = res.data?.facets.fields.find((x) => x.field === name);
      if (!f) throw new Error(name);
      return { ...f, counts: Object.fromEntries(f.values.map((v) => [String(v.value), v.count])) };
    };
    expect(field('diagnosisTerm').counts).toEqual(tally(rows.map((r) => r.diagnosisTerm)));
    expect(field('diagnosisTerm').missing).toBe(0);
    expect(field('clinicalStatus').counts).toEqual(tally(rows.map((r) => r.clinicalStatus)));
    expect(field('collection').counts).toEqual(tally(rows.map((r) => r.collection.slug)));
    expect(field('factConflict').counts).toEqual({ true: 1, false: rows.length - 1 });
    expect(field('diagnosisClass').missing).toBe(rows.filter((r) => r.diagnosisClass === null).length);
    expect(field('diagnosisClass').counts).toEqual(
      tally(rows.flatMap((r) => (r.diagnosisClass ? [r.diagnosisClass] : []))),
    );
    // "Benign" and "Unknown" state no origin: the two images lacking it
    expect(field('origin').missing).toBe(2);
    // a filtered facet: the public collection alone
    const pub = await api.as('VIEWER', Facets, { filter: { collection: [SLUG] } });
    expect(pub.data?.facets.total).toBe(PUBLIC.length);
  });

  it('stats and datasetSummary give outsideNine, terms, statuses and collections', async () => {
    const res = await api.as('VIEWER', Stats, {});
    expect(res.errors).toBeUndefined();
    const s = res.data?.stats;
    const outside = rows.filter((r) => r.diagnosisClass === null).length;
    expect(s?.images).toBe(rows.length);
    expect(s?.outsideNine).toBe(outside);
    expect(s?.classes.reduce((n, c) => n + c.count, 0)).toBe(rows.length - outside);
    expect(Object.fromEntries(s?.terms.map((t) => [t.term.path, t.count]) ?? [])).toEqual(
      tally(rows.map((r) => r.diagnosisTerm)),
    );
    expect(s?.terms.find((t) => t.term.path === AK)).toMatchObject({ diagnosisClass: null, status: 'PREMALIGNANT' });
    const statuses = tally(rows.map((r) => r.clinicalStatus));
    for (const st of s?.statuses ?? []) {
      expect(st.count, st.status).toBe(statuses[st.status] ?? 0);
      expect(st.share).toBeCloseTo((statuses[st.status] ?? 0) / rows.length, 12);
    }
    expect(s?.statuses).toHaveLength(5);
    const byCollection = tally(rows.map((r) => r.collection.slug));
    expect(s?.collections.map((c) => [c.slug, c.count])).toEqual(
      Object.entries(byCollection).sort((a, b) => b[1] - a[1]),
    );
    expect(s?.collections.find((c) => c.slug === SLUG)?.share).toBeCloseTo(PUBLIC.length / rows.length, 12);
    const d = res.data?.datasetSummary;
    expect(d?.outsideNine).toBe(outside);
    expect(d?.classes.reduce((n, c) => n + c.count, 0)).toBe(rows.length - outside);
    expect(d?.statuses.find((x) => x.status === 'PREMALIGNANT')?.count).toBe(2);
  });
});

const Reads = graphql(`
  query OpenWorldReads($sha: String!, $slug: String!) {
    image(sha256: $sha) {
      collection { slug license attribution }
      factConflicts { field storedValue recordValue }
      diagnostic { term { path status } clinicalStatus }
    }
    collections { slug kind imageCount }
    collection(slug: $slug) { slug name source citation license attribution version imageCount imports { importer } }
    under: diagnosisTerms(under: "Indeterminate", first: 500) { path status }
    lentigo: diagnosisTerms(search: "LENTIGO") { path }
  }
`);
const Terms = graphql(`
  query OpenWorldTerms($under: String, $first: Int) { diagnosisTerms(under: $under, first: $first) { path } }
`);

describe('GraphQL', () => {
  it('reads an image’s collection and fact conflicts, the collections and the vocabulary', async () => {
    const flagged = rows.find((r) => r.factConflicts.length > 0);
    const res = await api.as('VIEWER', Reads, { sha: flagged?.sha256 ?? '', slug: SLUG });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data?.image).toEqual({
      collection: { slug: SLUG, license: FACTS.license, attribution: FACTS.attribution },
      factConflicts: [{ field: 'sex', storedValue: 'FEMALE', recordValue: 'MALE' }],
      diagnostic: { term: { path: SOLAR_LENTIGO, status: 'BENIGN' }, clinicalStatus: 'BENIGN' },
    });
    expect(res.data?.collections).toEqual([
      { slug: 'own', kind: 'own', imageCount: rows.filter((r) => r.collection.slug === 'own').length },
      { slug: SLUG, kind: 'public', imageCount: PUBLIC.length },
    ]);
    const { kind: _kind, ...stated } = FACTS;
    expect(res.data?.collection).toEqual({ ...stated, imageCount: PUBLIC.length, imports: [] });
    const isic = readFileSync(
      join(import.meta.dirname, 'fixtures', 'public-metadata', 'isic_diagnosis_hierarchical_values.txt'),
      'utf8',
    )
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    expect(res.data?.under.map((t) => t.path)).toEqual(isic.filter((p) => under(p, 'Indeterminate')));
    expect(res.data?.under.find((t) => t.path === AK)?.status).toBe('PREMALIGNANT');
    const lentigo = res.data?.lentigo.map((t) => t.path) ?? [];
    expect(lentigo).toEqual(isic.filter((p) => /lentigo/i.test(p)));
  });

  it('lists a collection’s import records newest first, bounded, the actor for reviewers only', async () => {
    const collection = await env.db.collection.findUniqueOrThrow({ where: { slug: SLUG } });
    const input = { name: 'metadata', fileName: 'meta.csv', sha256: 'ab'.repeat(32), bytes: 1234 };
    for (const [i, at] of ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'].entries()) {
      await env.db.importRecord.create({
        data: {
          collectionId: collection.id,
          importer: 'test-importer',
          importerVersion: `1.${i}.0`,
          actor: 'staff-code-1',
          startedAt: new Date(at),
          finishedAt: new Date(at),
          inputs: JSON.stringify([input]),
          rowsIn: 10 + i,
          stored: 9,
          alreadyStored: i,
          refused: 1,
          report: JSON.stringify({ rows: 10 + i, refusals: [{ row: 3, reason: 'no image' }] }),
        },
      });
    }
    const Imports = graphql(`
      query OpenWorldImports($slug: String!, $limit: Int!) {
        collection(slug: $slug) {
          imports(limit: $limit) { importer importerVersion actor startedAt inputs { name fileName sha256 bytes }
            rowsIn stored alreadyStored refused report }
        }
      }
    `);
    const viewer = await api.as('VIEWER', Imports, { slug: SLUG, limit: 1 });
    // the staff code is for reviewers and admins: a viewer gets null and a FORBIDDEN naming the field
    expect(viewer.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['FORBIDDEN', 'ImportRecord.actor is not available to the VIEWER role'],
    ]);
    expect(viewer.data?.collection?.imports).toEqual([
      {
        importer: 'test-importer',
        importerVersion: '1.1.0',
        actor: null,
        startedAt: '2026-02-01T00:00:00.000Z',
        inputs: [input],
        rowsIn: 11,
        stored: 9,
        alreadyStored: 1,
        refused: 1,
        report: { rows: 11, refusals: [{ row: 3, reason: 'no image' }] },
      },
    ]);
    const reviewer = await api.as('REVIEWER', Imports, { slug: SLUG, limit: 5 });
    expect(reviewer.data?.collection?.imports.map((r) => [r.importerVersion, r.actor])).toEqual([
      ['1.1.0', 'staff-code-1'],
      ['1.0.0', 'staff-code-1'],
    ]);
    const over = await api.as('VIEWER', Imports, { slug: SLUG, limit: 101 });
    expect(over.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await api.as('VIEWER', Imports, { slug: 'nope', limit: 1 })).data?.collection).toBeNull();
  });

  it('bounds diagnosisTerms and refuses an unknown node', async () => {
    expect((await api.as('VIEWER', Terms, { first: 3 })).data?.diagnosisTerms).toHaveLength(3);
    for (const vars of [{ first: 501 }, { first: -1 }, { under: 'Nope' }]) {
      const res = await api.as('VIEWER', Terms, vars);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(vars)).toBe('BAD_USER_INPUT');
    }
  });
});

const Start = graphql(`
  mutation OpenWorldExport($format: String!, $policy: String, $filter: ImageFilter, $options: JSONObject) {
    startExport(format: $format, policy: $policy, filter: $filter, options: $options) { id }
  }
`);
async function runExport(format: string, filter: ImageFilter = {}, options?: Record<string, unknown>) {
  const started = await api.as('VIEWER', Start, { format, policy: 'screening-binary', filter, options });
  expect(started.errors).toBeUndefined();
  return awaitExport(api, started.data?.startExport.id ?? '');
}

// screening-binary maps terms outside the 9 by their status; the unknown status stays unlabelled
const exported = () => rows.filter((r) => r.clinicalStatus !== 'UNKNOWN');
const bySha = () => new Map(rows.map((r) => [r.sha256, r]));

describe('exports and Croissant', () => {
  it('jsonl carries diagnosis_term, the five-valued clinical_status and the collection', async () => {
    const { body } = await runExport('jsonl');
    const records = body
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(exported().length);
    const db = bySha();
    for (const r of records) {
      const row = db.get(r.sha256);
      expect(r.diagnostic.diagnosis_term).toBe(row?.diagnosisTerm);
      expect(r.diagnostic.clinical_status).toBe(row?.clinicalStatus);
      expect(r.collection).toBe(row?.collection.slug);
    }
    expect(records.filter((r) => r.diagnostic.clinical_status === 'PREMALIGNANT')).toHaveLength(2);
  });

  it('isic-zip: per-row terms, status and licence; LICENSES names each collection', async () => {
    const { body } = await runExport('isic-zip', {}, { license: 'CC0-own', attribution: 'Clinic 7' });
    const entries = await unzip(body);
    const meta = parse(entries.find((e) => e.name === 'metadata.csv')?.data ?? '', { columns: true }) as Record<
      string,
      string
    >[];
    expect(meta).toHaveLength(exported().length);
    const db = bySha();
    const BM: Record<string, string> = {
      BENIGN: 'benign',
      BORDERLINE: 'indeterminate',
      PREMALIGNANT: 'indeterminate',
      MALIGNANT: 'malignant',
    };
    for (const r of meta) {
      const row = db.get(r.isic_id ?? '');
      if (!row) throw new Error(`unknown ${r.isic_id}`);
      const pub = row.collection.slug === SLUG;
      expect(r.collection).toBe(row.collection.slug);
      expect(r.diagnosis_term).toBe(row.diagnosisTerm);
      expect(r.clinical_status).toBe(row.clinicalStatus);
      expect(r.benign_malignant).toBe(BM[row.clinicalStatus]);
      expect(r.copyright_license).toBe(pub ? FACTS.license : 'CC0-own');
      expect(r.attribution).toBe(pub ? FACTS.attribution : 'Clinic 7');
    }
    const ak = meta.find((r) => r.diagnosis_term === AK);
    expect([ak?.diagnosis_1, ak?.diagnosis_2, ak?.diagnosis_3, ak?.diagnosis_4]).toEqual([
      'Indeterminate',
      'Indeterminate epidermal proliferations',
      'Solar or actinic keratosis',
      '',
    ]);
    const verdict = meta.find((r) => r.diagnosis_term === 'Benign');
    expect([verdict?.diagnosis_1, verdict?.diagnosis_2, verdict?.benign_malignant]).toEqual(['Benign', '', 'benign']);
    const licenses = entries.find((e) => e.name === 'LICENSES')?.data.toString() ?? '';
    expect(licenses).toContain(
      `${SLUG}: ${FACTS.name}\n  licence: ${FACTS.license}\n  attribution: ${FACTS.attribution}\n  source: ${FACTS.source}\n  citation: ${FACTS.citation}\n  version: ${FACTS.version}\n`,
    );
    expect(licenses).toContain('own: Own acquisition\n  licence: CC0-own\n  attribution: Clinic 7\n');
    const attribution = entries.find((e) => e.name === 'attribution.txt')?.data.toString();
    expect(attribution).toBe(`Clinic 7\n${FACTS.attribution}\n`);
    expect(entries.find((e) => e.name === 'LICENSE.txt')?.data.toString()).toMatch(/CC0-own, CC-BY-NC-4.0.*LICENSES/);
  });

  it('imagefolder of the public collection: metadata columns and a LICENSES of that collection only', async () => {
    const { body } = await runExport('imagefolder', { collection: [SLUG] }, { metadata: 'csv' });
    const entries = await unzip(body);
    const meta = parse(entries.find((e) => e.name === 'train/metadata.csv')?.data ?? '', {
      columns: true,
    }) as Record<string, string>[];
    expect(meta).toHaveLength(PUBLIC.length - 1); // the unknown-status record has no screening label
    expect(new Set(meta.map((r) => r.collection))).toEqual(new Set([SLUG]));
    expect(tally(meta.map((r) => r.clinical_status ?? ''))).toEqual(
      tally(exported().flatMap((r) => (r.collection.slug === SLUG ? [r.clinicalStatus] : []))),
    );
    const licenses = entries.find((e) => e.name === 'LICENSES')?.data.toString() ?? '';
    expect(licenses).toContain(`${SLUG}: ${FACTS.name}\n  licence: ${FACTS.license}\n`);
    expect(licenses).not.toContain('own:');
  });

  it('Croissant lists every collection’s licence, attribution and the new record fields', async () => {
    const Doc = graphql(
      `query OpenWorldCroissant($filter: ImageFilter) { croissant(policy: "screening-binary", filter: $filter) }`,
    );
    const whole = (await api.as('VIEWER', Doc, {})).data?.croissant as Record<string, unknown>;
    const license = whole.license as string[];
    expect(Array.isArray(license)).toBe(true);
    expect(license).toContain(FACTS.license);
    expect(license).toHaveLength(2);
    const basedOn = whole.isBasedOn as Record<string, unknown>[];
    expect(basedOn.map((b) => b.identifier)).toEqual(['own', SLUG]);
    expect(basedOn[1]).toMatchObject({
      name: FACTS.name,
      license: FACTS.license,
      creditText: FACTS.attribution,
      url: FACTS.source,
      citation: FACTS.citation,
      version: FACTS.version,
    });
    expect(whole.citeAs).toBe(FACTS.citation);
    const records = (whole.recordSet as { '@id': string; field: { name: string }[] }[]).find(
      (r) => r['@id'] === 'records',
    );
    expect(records?.field.map((f) => f.name)).toEqual(
      expect.arrayContaining(['collection', 'diagnosis_term', 'clinical_status']),
    );
    const own = (await api.as('VIEWER', Doc, { filter: { collection: ['own'] } })).data?.croissant as Record<
      string,
      unknown
    >;
    expect(typeof own.license).toBe('string');
    expect(own.license).not.toBe(FACTS.license);
    expect((own.isBasedOn as unknown[]).length).toBe(1);
    expect(own.citeAs).toBeUndefined();
  });
});

describe('a split stratified by collection', () => {
  it('stores COLLECTION among its stratifiers and puts public images in every part', async () => {
    const Create = graphql(`
      mutation OpenWorldSplit($input: CreateSplitInput!) { createSplit(input: $input) { id stratifyBy } }
    `);
    const res = await api.as('ANNOTATOR', Create, {
      input: {
        policy: 'screening-binary',
        fractions: { train: 0.6, validation: 0.2, test: 0.2 },
        stratifyBy: ['COLLECTION'],
        seed: 7,
      },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data?.createSplit.stratifyBy).toEqual(['COLLECTION']);
    const assigned = await env.db.splitAssignment.findMany({
      where: { splitId: res.data?.createSplit.id ?? '' },
      select: { part: true, image: { select: { collection: { select: { slug: true } } } } },
    });
    expect(assigned).toHaveLength(exported().length);
    const pub = tally(assigned.filter((a) => a.image.collection.slug === SLUG).map((a) => a.part));
    expect(Object.keys(pub).sort()).toEqual(['test', 'train', 'validation']);
    expect(Object.values(pub).reduce((a, b) => a + b, 0)).toBe(PUBLIC.length - 1);
  });
});

describe('updateCollection', () => {
  const Update = graphql(`
    mutation OpenWorldUpdate($slug: String!, $input: CollectionInput!) {
      updateCollection(slug: $slug, input: $input) { slug license attribution citation }
    }
  `);
  it.each([
    ['an unknown slug', 'ADMIN', 'nope', { license: 'CC-BY-4.0' }, 'NOT_FOUND'],
    ['an over-long licence', 'ADMIN', SLUG, { license: 'x'.repeat(201) }, 'BAD_USER_INPUT'],
    ['an empty attribution', 'ADMIN', SLUG, { attribution: '  ' }, 'BAD_USER_INPUT'],
    ['a reviewer', 'REVIEWER', SLUG, { license: 'CC-BY-4.0' }, 'FORBIDDEN'],
  ] as const)('refuses %s and changes nothing', async (_name, role, slug, input, code) => {
    const before = await env.db.collection.findMany({ orderBy: { id: 'asc' } });
    const res = await api.as(role, Update, { slug, input });
    expect(res.errors?.[0]?.extensions?.code).toBe(code);
    expect(await env.db.collection.findMany({ orderBy: { id: 'asc' } })).toEqual(before);
  });

  it('changes what an admin corrects, and nothing else', async () => {
    const res = await api.as('ADMIN', Update, { slug: SLUG, input: { citation: 'Doe J. 2021.' } });
    expect(res.errors).toBeUndefined();
    expect(res.data?.updateCollection).toEqual({
      slug: SLUG,
      license: FACTS.license,
      attribution: FACTS.attribution,
      citation: 'Doe J. 2021.',
    });
    expect((await env.db.collection.findUnique({ where: { slug: SLUG } }))?.citation).toBe('Doe J. 2021.');
  });
});
