// Filters select what facets count: NOT is the complement of what a filter matches (NULLs included),
// every nullable field can be selected as missing, and a filter that cannot match anything because
// it is mistyped is refused. Every count is checked against SQL written independently of the code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageFilter, OptionalField } from '../src/gql/graphql.ts';
import { graphql } from '../src/gql/index.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

let env: TestEnv;
let api: Api;
let total: number;

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  total = await sql('TRUE');
}, 600_000);
afterAll(() => env?.dispose());

/** Images matching a condition written in plain SQL over image i joined to its patient p. */
async function sql(where: string): Promise<number> {
  const rows = await env.db.$queryRawUnsafe<{ n: number | bigint }[]>(
    `SELECT COUNT(*) AS n FROM image i JOIN patient p ON p.id = i.patient_id WHERE ${where}`,
  );
  return Number(rows[0]?.n);
}

const Count = graphql(`
  query FilterCount($filter: ImageFilter, $policy: String) {
    images(first: 0, filter: $filter, policy: $policy) { totalCount }
  }
`);

async function count(filter: ImageFilter, policy?: string, role: 'VIEWER' | 'ANNOTATOR' = 'VIEWER'): Promise<number> {
  const res = await api.as(role, Count, { filter, policy });
  expect(res.errors).toBeUndefined();
  return res.data?.images.totalCount ?? Number.NaN;
}

describe('NOT is the complement of what the filter matches', () => {
  // [name, filter, the same condition in SQL (where a NULL field never matches)]
  const cases: [string, ImageFilter, string][] = [
    ['Fitzpatrick type', { fitzpatrickType: ['II'] }, `p.fitzpatrick_type = 'II'`],
    ['sex', { sex: ['MALE'] }, `p.sex = 'MALE'`],
    [
      'anatomical site',
      { anatomicalSite: ['POSTERIOR_TORSO', 'FACE'] },
      `i.anatomical_site IN ('POSTERIOR_TORSO', 'FACE')`,
    ],
    ['elevation', { elevation: ['FLAT'] }, `i.elevation = 'FLAT'`],
    ['border', { borderRegularity: ['REGULAR'] }, `i.border_regularity = 'REGULAR'`],
    ['age range', { ageAtExam: { min: 30, max: 45 } }, 'i.age_at_exam BETWEEN 30 AND 45'],
    ['diameter range', { lesionDiameterMm: { max: 5 } }, 'i.lesion_diameter_mm <= 5'],
    ['quality score', { imageQualityScore: { min: 4 } }, 'i.image_quality_score >= 4'],
    [
      'two nullable fields',
      { fitzpatrickType: ['III'], anatomicalSite: ['LOWER_EXTREMITY'] },
      `p.fitzpatrick_type = 'III' AND i.anatomical_site = 'LOWER_EXTREMITY'`,
    ],
    [
      'OR of nullable fields',
      { OR: [{ fitzpatrickType: ['I'] }, { lesionDiameterMm: { min: 8 } }] },
      `p.fitzpatrick_type = 'I' OR i.lesion_diameter_mm >= 8`,
    ],
  ];

  it.each(cases)('%s', async (_name, filter, where) => {
    const matched = await sql(where);
    const complement = await sql(`NOT COALESCE(${where}, FALSE)`);
    expect(matched, 'the reference must select something').toBeGreaterThan(0);
    expect(complement, 'and not everything').toBeGreaterThan(0);
    expect(matched + complement).toBe(total);
    expect(await count(filter)).toBe(matched);
    expect(await count({ NOT: filter })).toBe(complement);
    expect(await count({ NOT: { NOT: filter } })).toBe(matched);
  });

  it('keeps the images without a phototype: all − type II (the issue’s 1026 − 421)', async () => {
    const typeII = await count({ fitzpatrickType: ['II'] });
    const missing = await sql('p.fitzpatrick_type IS NULL');
    expect(missing, 'the cohort has images without a phototype').toBeGreaterThan(0);
    expect(await count({ NOT: { fitzpatrickType: ['II'] } })).toBe(total - typeII);
  });
});

describe('filters that cannot mean anything are refused', () => {
  it('an unknown label is BAD_USER_INPUT listing the policy’s labels', async () => {
    for (const filter of [{ label: ['malignnt'] }, { NOT: { label: ['benign', 'malignnt'] } }]) {
      const res = await api.as('VIEWER', Count, { filter, policy: 'screening-binary' });
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toContain('malignnt');
      expect(res.errors?.[0]?.message).toContain('benign, malignant');
    }
    expect(await count({ label: ['malignant'] }, 'screening-binary')).toBeGreaterThan(0);
  });

  it('a range with min above max is BAD_USER_INPUT naming the field and its valid range', async () => {
    const res = await api.as('VIEWER', Count, { filter: { ageAtExam: { min: 90, max: 10 } } });
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'filter.ageAtExam' } });
    expect(res.errors?.[0]?.message).toMatch(/ageAtExam.*0.*120/);
    for (const filter of [
      { AND: [{ lesionDiameterMm: { min: 9, max: 2 } }] },
      { NOT: { imageQualityScore: { min: 5, max: 3 } } },
      { acquiredAt: { min: '2025-12-01T00:00:00Z', max: '2025-01-01T00:00:00Z' } },
      { ageAtExam: { min: 121 } },
      { imageQualityScore: { max: 0 } },
    ] satisfies ImageFilter[]) {
      const r = await api.as('VIEWER', Count, { filter });
      expect(r.errors?.[0]?.extensions?.code, JSON.stringify(filter)).toBe('BAD_USER_INPUT');
    }
    // a range that merely selects nothing in this cohort is a valid question (asked on exact ages)
    const oldest = { ageAtExam: { min: 110, max: 120 } };
    expect(await count(oldest, undefined, 'ANNOTATOR')).toBe(await sql('i.age_at_exam BETWEEN 110 AND 120'));
    // a viewer's age bounds of 90 and over mean "90+" (safe-harbor): the same question counts everyone of 90 or more
    const topCoded = await sql('i.age_at_exam >= 90');
    expect(topCoded).toBeGreaterThan(0);
    expect(await count(oldest)).toBe(topCoded);
  });
});

describe('missing: the images a facet counts as missing', () => {
  const Facets = graphql(`
    query FilterFacets($filter: ImageFilter, $policy: String) {
      facets(filter: $filter, policy: $policy) { total fields { field present missing missingFilter } }
      stats(filter: $filter, policy: $policy) { completeness { field missing } }
    }
  `);

  // every optional field, with its missing condition in SQL
  const fields: [OptionalField, string][] = [
    ['AGE_AT_EXAM', 'i.age_at_exam IS NULL'],
    ['SEX', 'p.sex IS NULL'],
    ['FITZPATRICK_TYPE', 'p.fitzpatrick_type IS NULL'],
    ['SUNBURN_HISTORY', 'p.sunburn_history IS NULL'],
    ['PERSONAL_CA_HISTORY', 'p.personal_ca_history IS NULL'],
    ['ANATOMICAL_SITE', 'i.anatomical_site IS NULL'],
    ['LESION_DIAMETER_MM', 'i.lesion_diameter_mm IS NULL'],
    ['DOMINANT_COLORS', 'NOT EXISTS (SELECT 1 FROM image_color c WHERE c.image_id = i.id)'],
    ['ELEVATION', 'i.elevation IS NULL'],
    ['BORDER_REGULARITY', 'i.border_regularity IS NULL'],
    ['DERMOSCOPIC_STRUCTURES', 'NOT EXISTS (SELECT 1 FROM image_structure s WHERE s.image_id = i.id)'],
    ['HISTOPATHOLOGY_RESULT', 'i.histopathology_result IS NULL'],
    ['EXAMINER_ID', 'i.examiner_code IS NULL'],
    ['IMAGE_QUALITY_SCORE', 'i.image_quality_score IS NULL'],
    ['ACQUIRED_AT', 'i.acquired_at IS NULL'],
  ];

  it.each(fields)(
    '%s: missing and NOT missing agree with SQL, the facets and the completeness table',
    async (field, where) => {
      const missing = await sql(where);
      expect(await count({ missing: [field] })).toBe(missing);
      expect(await count({ NOT: { missing: [field] } })).toBe(total - missing);
      const res = await api.as('VIEWER', Facets, {});
      expect(res.errors).toBeUndefined();
      const name = field.toLowerCase();
      // the facet whose missingFilter is this field's missing: filter
      const facet = res.data?.facets.fields.find(
        (f) => JSON.stringify(f.missingFilter) === JSON.stringify({ missing: [field] }),
      );
      if (facet) expect(facet.missing).toBe(missing);
      const completeness = res.data?.stats.completeness.find((f) => f.field === name);
      if (completeness) expect(completeness.missing).toBe(missing);
      expect(facet ?? completeness ?? name === 'acquired_at', `${name} is counted somewhere`).toBeTruthy();
    },
  );

  it('selects what the cohort’s facets report missing (phototype 45, site 19, diameter)', async () => {
    for (const field of ['FITZPATRICK_TYPE', 'ANATOMICAL_SITE', 'LESION_DIAMETER_MM'] as const) {
      expect(await sql(fields.find(([f]) => f === field)?.[1] ?? 'FALSE'), field).toBeGreaterThan(0);
    }
    // several fields: every one of them missing; inside a facet query, the facet's missing becomes the total
    const both = await sql('p.fitzpatrick_type IS NULL AND i.anatomical_site IS NULL');
    expect(await count({ missing: ['FITZPATRICK_TYPE', 'ANATOMICAL_SITE'] })).toBe(both);
    const res = await api.as('VIEWER', Facets, { filter: { missing: ['ANATOMICAL_SITE'] } });
    const site = res.data?.facets.fields.find((f) => f.field === 'anatomicalSite');
    expect(site).toMatchObject({ present: 0, missing: res.data?.facets.total });
    // a value or missing, in one OR
    expect(await count({ OR: [{ fitzpatrickType: ['II'] }, { missing: ['FITZPATRICK_TYPE'] }] })).toBe(
      await sql(`p.fitzpatrick_type = 'II' OR p.fitzpatrick_type IS NULL`),
    );
  });

  it('LABEL: the images the policy excludes or cannot name, as the label facet counts them', async () => {
    for (const policy of ['screening-binary', 'isic2019', 'nine-class']) {
      const res = await api.as('VIEWER', Facets, { policy });
      const label = res.data?.facets.fields.find((f) => f.field === 'label');
      expect(await count({ missing: ['LABEL'] }, policy), policy).toBe(label?.missing);
      expect(await count({ NOT: { missing: ['LABEL'] } }, policy), policy).toBe(label?.present);
    }
  });
});

describe('anamnestic filters', () => {
  const cases: [string, ImageFilter, string][] = [
    ['sunburn history', { sunburnHistory: true }, 'p.sunburn_history = TRUE'],
    ['no sunburn history', { sunburnHistory: false }, 'p.sunburn_history = FALSE'],
    ['personal cancer history', { personalCaHistory: true }, 'p.personal_ca_history = TRUE'],
    ['no personal cancer history', { personalCaHistory: false }, 'p.personal_ca_history = FALSE'],
    [
      'both, with a phototype',
      { sunburnHistory: true, personalCaHistory: false, fitzpatrickType: ['I', 'II'] },
      `p.sunburn_history = TRUE AND p.personal_ca_history = FALSE AND p.fitzpatrick_type IN ('I', 'II')`,
    ],
  ];
  it.each(cases)('%s, and its NOT, agree with SQL', async (_name, filter, where) => {
    const matched = await sql(where);
    expect(matched).toBeGreaterThan(0);
    expect(await count(filter)).toBe(matched);
    expect(await count({ NOT: filter })).toBe(total - matched);
  });

  it('the facets’ values are the filters’ counts', async () => {
    const Facet = graphql(`
      query AnamnesticFacets {
        facets { fields { field values { value count } } }
      }
    `);
    const res = await api.as('VIEWER', Facet, {});
    for (const field of ['sunburnHistory', 'personalCaHistory'] as const) {
      const values = res.data?.facets.fields.find((f) => f.field === field)?.values ?? [];
      expect(values.length).toBeGreaterThan(0);
      for (const v of values) expect(await count({ [field]: v.value }), `${field} ${v.value}`).toBe(v.count);
    }
  });
});
