// The frontend test of issue 16: every facet value's `filter` (and every facet's `missingFilter`),
// put into `images(filter: { AND: [base, filter] })` as it is, counts exactly the facet's count —
// over the demo cohort plus public records (outside the 9, a term with terms under it, no origin, no
// score, a fact conflict) and near duplicates, without and with a base filter, answered by the
// facet index and by SQL, for a viewer (whose age bounds are coarsened to safe-harbor) and an
// admin. The values are typed as the ImageFilter input field of the facet takes them (checked
// against the schema by introspection) and go back as variables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { buildFacetIndex, facetIndexStatus, setFacetIndexEnabled } from '../src/resolvers/facet-index.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import { type TestEnv, testProvider } from './helpers/database.ts';
import { blockPicture } from './helpers/images.ts';

let env: TestEnv;
let api: Api;

type Role = 'VIEWER' | 'ADMIN';
interface Value {
  value: unknown;
  displayName: string;
  count: number;
  filter: Record<string, unknown>;
}
interface Facet {
  field: string;
  present: number;
  missing: number;
  missingFilter: Record<string, unknown> | null;
  values: Value[];
}
interface Facets {
  total: number;
  fields: Facet[];
}

/** Public records: [patient, lesion, diagnosis, term, sex]. */
const PUBLIC: [string, string, string, string | null, string | null][] = [
  ['FW-1', 'FWL-1', 'solar lentigo', null, 'female'],
  ['FW-2', 'FWL-2', 'actinic keratosis', null, null],
  // a benign verdict and nothing finer: the term "Benign", which has terms under it
  ['FW-3', 'FWL-3', 'unknown', 'Benign', 'male'],
  // no diagnosis at all: the term "Unknown", with no origin
  ['FW-4', 'FWL-4', 'unknown', null, 'male'],
  // the same patient as FW-1 with another sex: a fact conflict
  ['FW-1', 'FWL-5', 'solar lentigo', null, 'male'],
];

async function post<T>(role: Role, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...api.headers(role) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data as T;
}

const FACETS = `query($filter: ImageFilter) {
  facets(filter: $filter) {
    total
    fields { field present missing missingFilter values { value displayName count filter } }
  }
}`;

/** Image counts of many filters, 14 a request (the alias limit is 15), each filter sent as a variable. */
async function counts(role: Role, filters: Record<string, unknown>[]): Promise<number[]> {
  const out: number[] = [];
  for (let at = 0; at < filters.length; at += 14) {
    const chunk = filters.slice(at, at + 14);
    const query = `query(${chunk.map((_, i) => `$f${i}: ImageFilter`).join(', ')}) {
      ${chunk.map((_, i) => `c${i}: images(first: 0, filter: $f${i}) { totalCount }`).join('\n')}
    }`;
    const data = await post<Record<string, { totalCount: number }>>(
      role,
      query,
      Object.fromEntries(chunk.map((f, i) => [`f${i}`, f])),
    );
    for (let i = 0; i < chunk.length; i++) out.push((data[`c${i}`] as { totalCount: number }).totalCount);
  }
  return out;
}

interface InputType {
  kind: string;
  name: string | null;
  ofType: InputType | null;
  enumValues?: { name: string }[] | null;
  inputFields?: { name: string; type: InputType }[] | null;
}
const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';

const ENUMS = new Map<string, Promise<string[]>>();
/** The values of a GraphQL enum, by introspection. */
function enumNames(name: string): Promise<string[]> {
  let e = ENUMS.get(name);
  if (!e) {
    e = post<{ __type: InputType }>('ADMIN', 'query($n: String!) { __type(name: $n) { enumValues { name } } }', {
      n: name,
    }).then((d) => (d.__type.enumValues ?? []).map((x) => x.name));
    ENUMS.set(name, e);
  }
  return e;
}

/** ImageFilter's fields and the enums and inputs they take, by introspection. */
async function filterSchema() {
  const data = await post<{ __type: { inputFields: { name: string; type: InputType }[] } }>(
    'ADMIN',
    `{ __type(name: "ImageFilter") { inputFields { name type { ${TYPE_REF} } } } }`,
  );
  const named = (t: InputType): string => (t.ofType ? named(t.ofType) : (t.name as string));
  const types = new Map<string, InputType>();
  for (const f of data.__type.inputFields) {
    const name = named(f.type);
    if (!types.has(name)) {
      const d = await post<{ __type: InputType }>(
        'ADMIN',
        `query($n: String!) { __type(name: $n) { kind name enumValues { name } inputFields { name type { ${TYPE_REF} } } } }`,
        { n: name },
      );
      types.set(name, d.__type);
    }
  }
  return { fields: new Map(data.__type.inputFields.map((f) => [f.name, f.type])), types, named };
}

beforeAll(async () => {
  env = await createCohortEnv();
  // no response cache: each request is answered, by the index or by SQL as the test chooses
  api = await createApi(env, { responseCacheEntries: 0 });
  const collection = await env.db.collection.create({
    data: {
      slug: 'fw-public',
      name: 'Facet wiring public archive',
      kind: 'public',
      source: 'https://example.org/fw',
      license: 'CC-BY-4.0',
      attribution: 'FW contributors',
    },
  });
  const pipeline = createPipeline(env.config, env.db);
  for (const [i, [patient, lesion, diagnosis, term, sex]] of PUBLIC.entries()) {
    const r = await pipeline.ingest({
      bytes: await blockPicture(`facets-wiring-${i}`),
      record: {
        patient_id: patient,
        lesion_id: lesion,
        ...(i % 2 === 0 ? { age_at_exam: String(88 + i) } : {}),
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
  const some = await env.db.image.findMany({ select: { id: true }, orderBy: { id: 'asc' }, take: 30 });
  for (const k of [2, 9]) {
    const [a, b] = [some[k]?.id, some[k + 7]?.id];
    if (a && b)
      await env.db.nearDuplicate.upsert({
        where: { imageId_twinId: { imageId: b, twinId: a } },
        create: { imageId: b, twinId: a, distance: 4 },
        update: {},
      });
  }
}, 600_000);

afterAll(async () => {
  setFacetIndexEnabled(true);
  await env?.close();
});

/** The bases: everything; an age bound a viewer reads coarsened (max 95 → none: 90+) beside an origin; an OR. */
const BASES: Record<string, Record<string, unknown>> = {
  none: {},
  'age and origin': { ageAtExam: { min: 30, max: 95 }, NOT: { origin: ['NON_MELANOCYTIC'] } },
  'sex or public': { OR: [{ sex: ['FEMALE'] }, { collection: ['fw-public'] }] },
};

describe(`facet values wired into filters on ${testProvider}`, () => {
  it('types every value as its ImageFilter field takes it, and names it', async () => {
    const { fields, types, named } = await filterSchema();
    const { facets } = await post<{ facets: Facets }>('ADMIN', FACETS, { filter: {} });
    expect(facets.fields.length).toBe(21);
    for (const facet of facets.fields) {
      const input = fields.get(facet.field);
      expect(input, `${facet.field} is an ImageFilter field`).toBeDefined();
      const type = types.get(named(input as InputType)) as InputType;
      for (const v of facet.values) {
        const at = `${facet.field} ${JSON.stringify(v.value)}`;
        expect(v.displayName, at).not.toBe('');
        if (type.kind === 'ENUM') {
          expect(typeof v.value, at).toBe('string');
          expect(
            type.enumValues?.map((e) => e.name),
            at,
          ).toContain(v.value);
          expect(v.displayName, `${at} has a name, not its code`).not.toBe(v.value);
        } else if (type.name === 'Boolean') {
          expect(typeof v.value, at).toBe('boolean');
          expect(v.filter, at).toEqual({ [facet.field]: v.value });
        } else if (type.name === 'IntRange') {
          expect(Number.isInteger(v.value), at).toBe(true);
          expect(v.filter, at).toEqual({ [facet.field]: { min: v.value, max: v.value } });
        } else if (type.name === 'ColorMatch' || type.name === 'StructureMatch') {
          const anyOf = type.inputFields?.find((f) => f.name === 'anyOf')?.type as InputType;
          expect(await enumNames(named(anyOf)), at).toContain(v.value);
          expect(v.filter, at).toEqual({ [facet.field]: { anyOf: [v.value] } });
        } else {
          expect(type.name, at).toBe('String');
          expect(typeof v.value, at).toBe('string');
        }
      }
    }
    // the vocabulary's names, as the paper writes them
    const site = facets.fields
      .find((f) => f.field === 'anatomicalSite')
      ?.values.find((v) => v.value === 'UPPER_EXTREMITY');
    expect(site?.displayName).toBe('Upper extremity');
    expect(site?.filter).toEqual({ anatomicalSite: ['UPPER_EXTREMITY'] });
    const stage = facets.fields
      .find((f) => f.field === 'verificationStage')
      ?.values.find((v) => v.value === 'CONSENSUS');
    expect(stage?.displayName).toBe('Consensus of three specialists');
    const term = facets.fields.find((f) => f.field === 'diagnosisTerm')?.values.find((v) => v.value === 'Benign');
    expect(term?.filter.NOT, 'a term with terms under it excludes them').toBeDefined();
    const collection = facets.fields.find((f) => f.field === 'collection')?.values.find((v) => v.value === 'fw-public');
    expect(collection?.displayName).toBe('Facet wiring public archive');
  });

  for (const [baseName, base] of Object.entries(BASES)) {
    for (const role of ['VIEWER', 'ADMIN'] as const) {
      for (const path of ['index', 'sql'] as const) {
        it(`every value's filter counts its images (${role}, base ${baseName}, ${path})`, async () => {
          if (path === 'index') {
            await buildFacetIndex();
            setFacetIndexEnabled(true);
          } else setFacetIndexEnabled(false);
          try {
            const hits = facetIndexStatus().hits;
            const { facets } = await post<{ facets: Facets }>(role, FACETS, { filter: base });
            if (path === 'index') expect(facetIndexStatus().hits, 'the index answered').toBeGreaterThan(hits);
            else expect(facetIndexStatus().hits).toBe(hits);
            const [total = -1] = await counts(role, [base]);
            expect(facets.total).toBe(total);
            const asked: { at: string; filter: Record<string, unknown>; count: number }[] = [];
            let values = 0;
            for (const facet of facets.fields) {
              expect(facet.present + facet.missing, facet.field).toBeLessThanOrEqual(
                ['colors', 'structures', 'qualityVerdict'].includes(facet.field) ? Number.POSITIVE_INFINITY : total,
              );
              for (const v of facet.values) {
                values++;
                asked.push({ at: `${facet.field} ${JSON.stringify(v.value)}`, filter: v.filter, count: v.count });
              }
              if (facet.missingFilter) {
                asked.push({ at: `${facet.field} missing`, filter: facet.missingFilter, count: facet.missing });
              } else expect(facet.missing, `${facet.field}: a facet without a missing filter misses nothing`).toBe(0);
              if (!['colors', 'structures', 'qualityVerdict'].includes(facet.field)) {
                // a single-valued field: its values and its missing images are all the images
                expect(facet.values.reduce((n, v) => n + v.count, 0) + facet.missing, facet.field).toBe(total);
              }
            }
            expect(values).toBeGreaterThan(60);
            const got = await counts(
              role,
              asked.map((a) => (Object.keys(base).length === 0 ? a.filter : { AND: [base, a.filter] })),
            );
            const wrong = asked
              .map((a, i) => ({ at: a.at, facet: a.count, images: got[i] }))
              .filter((x) => x.facet !== x.images);
            expect(wrong).toEqual([]);
          } finally {
            setFacetIndexEnabled(true);
          }
        }, 120_000);
      }
    }
  }

  it('gives a viewer and an admin the same counts where the base has no age or date bound', async () => {
    const viewer = await post<{ facets: Facets }>('VIEWER', FACETS, { filter: BASES['sex or public'] });
    const admin = await post<{ facets: Facets }>('ADMIN', FACETS, { filter: BASES['sex or public'] });
    expect(viewer).toEqual(admin);
  });

  it('coarsens a viewer’s age bound (95 reads as 90+) and the facets follow it', async () => {
    const base = { ageAtExam: { min: 95 } };
    const viewer = await post<{ facets: Facets }>('VIEWER', FACETS, { filter: base });
    const admin = await post<{ facets: Facets }>('ADMIN', FACETS, { filter: base });
    const [viewerImages, adminImages, ninetyPlus = 0] = [
      ...(await counts('VIEWER', [base])),
      ...(await counts('ADMIN', [base, { ageAtExam: { min: 90 } }])),
    ];
    expect(viewer.facets.total).toBe(viewerImages);
    expect(viewer.facets.total).toBe(ninetyPlus);
    expect(admin.facets.total).toBe(adminImages);
    expect(adminImages).toBeLessThan(ninetyPlus);
  });
});

describe(`display names on ${testProvider}`, () => {
  const VOCABULARIES = `query($name: String) {
    vocabularies(name: $name) { name filterFields description values { value displayName description } }
  }`;
  type Vocabulary = {
    name: string;
    filterFields: string[];
    values: { value: string; displayName: string; description: string | null }[];
  };

  it('names every value of every enum a filter or a block takes', async () => {
    const { vocabularies } = await post<{ vocabularies: Vocabulary[] }>('VIEWER', VOCABULARIES);
    const enums = [
      'Sex',
      'FitzpatrickType',
      'AnatomicalSite',
      'Color',
      'Elevation',
      'BorderRegularity',
      'DermoscopicStructure',
      'DiagnosisClass',
      'ClinicalStatus',
      'Origin',
      'VerificationStage',
      'QualityVerdict',
      'IntakeOutcome',
      'ConsensusOutcome',
    ];
    expect(vocabularies.map((v) => v.name).sort()).toEqual([...enums].sort());
    const { fields } = await filterSchema();
    for (const v of vocabularies) {
      // introspection lists a schema's enum values sorted: the same values, each once
      expect([...v.values.map((x) => x.value)].sort(), v.name).toEqual([...(await enumNames(v.name))].sort());
      for (const x of v.values) {
        expect(x.displayName, `${v.name}.${x.value}`).toMatch(/^[A-Z]/);
        expect(x.displayName, `${v.name}.${x.value} is named, not coded`).not.toBe(x.value);
      }
      expect(new Set(v.values.map((x) => x.displayName)).size, `${v.name}: distinct names`).toBe(v.values.length);
      for (const f of v.filterFields) expect(fields.has(f), `${v.name} → ImageFilter.${f}`).toBe(true);
    }
    const name = (vocabulary: string, value: string) =>
      vocabularies.find((v) => v.name === vocabulary)?.values.find((x) => x.value === value)?.displayName;
    expect(name('AnatomicalSite', 'UPPER_EXTREMITY')).toBe('Upper extremity');
    expect(name('DermoscopicStructure', 'BLUE_WHITISH_VEIL')).toBe('Blue-white veil');
    expect(name('VerificationStage', 'CONSENSUS')).toBe('Consensus of three specialists');
    expect(name('Sex', 'FEMALE')).toBe('Female');
    expect(name('DiagnosisClass', 'BASAL_CELL_CARCINOMA')).toBe('Basal cell carcinoma');
  });

  it('describes each enum value by its display name in the schema', async () => {
    const d = await post<{ __type: { enumValues: { name: string; description: string }[] } }>(
      'VIEWER',
      '{ __type(name: "AnatomicalSite") { enumValues { name description } } }',
    );
    expect(d.__type.enumValues.find((e) => e.name === 'PALMS_SOLES')?.description).toMatch(/^Palms and soles/);
  });

  it('gives one vocabulary by name, and refuses an unknown one naming them', async () => {
    const one = await post<{ vocabularies: Vocabulary[] }>('VIEWER', VOCABULARIES, { name: 'Elevation' });
    expect(one.vocabularies.map((v) => v.name)).toEqual(['Elevation']);
    const res = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...api.headers('VIEWER') },
      body: JSON.stringify({ query: VOCABULARIES, variables: { name: 'Elevations' } }),
    });
    const body = (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/no vocabulary "Elevations".*Elevation/);
  });

  it('refuses a facet name no facet has (the old snake_case ones included), naming the facets', async () => {
    const res = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...api.headers('VIEWER') },
      body: JSON.stringify({ query: '{ facets { field(name: "anatomical_site") { missing } } }' }),
    });
    const body = (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/no facet "anatomical_site".*anatomicalSite/);
    const ok = await post<{ facets: { field: { field: string } } }>(
      'VIEWER',
      '{ facets { field(name: "anatomicalSite") { field } } }',
    );
    expect(ok.facets.field.field).toBe('anatomicalSite');
  });

  it('names an image’s block values beside them, as vocabularies does', async () => {
    const { vocabularies } = await post<{ vocabularies: Vocabulary[] }>('VIEWER', VOCABULARIES);
    const name = (vocabulary: string, value: string | null) =>
      value === null
        ? null
        : vocabularies.find((v) => v.name === vocabulary)?.values.find((x) => x.value === value)?.displayName;
    type Node = {
      demographic: {
        sex: string | null;
        sexDisplayName: string | null;
        fitzpatrickType: string | null;
        fitzpatrickTypeDisplayName: string | null;
      };
      morphological: {
        anatomicalSite: string | null;
        anatomicalSiteDisplayName: string | null;
        dominantColors: string[];
        dominantColorsDisplayNames: string[];
        elevation: string | null;
        elevationDisplayName: string | null;
        borderRegularity: string | null;
        borderRegularityDisplayName: string | null;
      };
      dermoscopic: { dermoscopicStructures: string[]; dermoscopicStructuresDisplayNames: string[] };
      diagnostic: {
        clinicalStatus: string;
        clinicalStatusDisplayName: string;
        verificationStage: string;
        verificationStageDisplayName: string;
      };
    };
    const { images } = await post<{ images: { edges: { node: Node }[] } }>(
      'VIEWER',
      `{ images(first: 60) { edges { node {
        demographic { sex sexDisplayName fitzpatrickType fitzpatrickTypeDisplayName }
        morphological { anatomicalSite anatomicalSiteDisplayName dominantColors dominantColorsDisplayNames
          elevation elevationDisplayName borderRegularity borderRegularityDisplayName }
        dermoscopic { dermoscopicStructures dermoscopicStructuresDisplayNames }
        diagnostic { clinicalStatus clinicalStatusDisplayName verificationStage verificationStageDisplayName }
      } } } }`,
    );
    expect(images.edges.length).toBe(60);
    let named = 0;
    for (const { node: n } of images.edges) {
      expect(n.demographic.sexDisplayName).toBe(name('Sex', n.demographic.sex));
      expect(n.demographic.fitzpatrickTypeDisplayName).toBe(name('FitzpatrickType', n.demographic.fitzpatrickType));
      expect(n.morphological.anatomicalSiteDisplayName).toBe(name('AnatomicalSite', n.morphological.anatomicalSite));
      expect(n.morphological.dominantColorsDisplayNames).toEqual(
        n.morphological.dominantColors.map((c) => name('Color', c)),
      );
      expect(n.morphological.elevationDisplayName).toBe(name('Elevation', n.morphological.elevation));
      expect(n.morphological.borderRegularityDisplayName).toBe(
        name('BorderRegularity', n.morphological.borderRegularity),
      );
      expect(n.dermoscopic.dermoscopicStructuresDisplayNames).toEqual(
        n.dermoscopic.dermoscopicStructures.map((x) => name('DermoscopicStructure', x)),
      );
      expect(n.diagnostic.clinicalStatusDisplayName).toBe(name('ClinicalStatus', n.diagnostic.clinicalStatus));
      expect(n.diagnostic.verificationStageDisplayName).toBe(name('VerificationStage', n.diagnostic.verificationStage));
      if (n.morphological.anatomicalSite !== null) named++;
    }
    expect(named).toBeGreaterThan(0);
  });

  it('names diagnosis terms and classes', async () => {
    const d = await post<{
      diagnosisTerms: { path: string; displayName: string }[];
      diagnosisClasses: { code: string; displayName: string }[];
    }>(
      'VIEWER',
      '{ diagnosisTerms(search: "solar lentigo") { path displayName } diagnosisClasses { code displayName } }',
    );
    expect(d.diagnosisTerms[0]?.displayName).toBe('Solar lentigo');
    expect(d.diagnosisClasses.find((c) => c.code === 'NEVUS')?.displayName).toBe('Nevus');
  });
});
