// domainShift(a, b, policy): two subsets of the demo cohort compared dimension by dimension. A subset
// against itself differs in nothing; men against women gives every figure scipy gives on the same
// counts (test/fixtures/shift/domain-shift-reference.py), and the counts themselves are recounted
// here from the image rows. Bad input on either side is BAD_USER_INPUT naming the side; the
// datasheet carries the comparison as a section with a table and a figure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DatasheetComparison,
  ImageFilter,
  ShiftQuery,
  ShiftQueryVariables,
  ShiftSheetQueryVariables,
} from '../src/gql/graphql.ts';
import { graphql } from '../src/gql/index.ts';
import { decide } from '../src/plugins/evaluate.ts';
import { registry } from '../src/plugins/index.ts';
import { activePolicyId } from '../src/resolvers/policies.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

let env: TestEnv;
let api: Api;
beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
}, 300_000);
afterAll(() => env?.dispose());

const Shift = graphql(`
  query Shift($a: SubsetInput!, $b: SubsetInput!, $policy: String) {
    domainShift(a: $a, b: $b, policy: $policy) {
      policyId
      policyVersion
      profile
      a { filter split release images }
      b { filter split release images }
      dimensions {
        dimension
        kind
        values { value a { count share } b { count share } }
        summary { a { n mean median min max } b { n mean median min max } }
        jensenShannon
        totalVariation
        test { name statistic pValue df effectiveN }
        missing { a { count share } b { count share } }
      }
    }
  }
`);

const DIMENSIONS = [
  'label',
  'diagnosis_term',
  'age_at_exam',
  'sex',
  'anatomical_site',
  'fitzpatrick_type',
  'verification_stage',
  'image_pixels',
  'format',
];
const NUMERIC = new Set(['age_at_exam', 'image_pixels']);

type Counts = Record<string, { values: Map<string, number>; missing: number }>;

/** Per dimension, counted in JavaScript from the image rows (the API counts with GROUP BY). */
async function rowCounts(sex: 'MALE' | 'FEMALE' | null, policyId: string, topCode: boolean): Promise<Counts> {
  const policy = registry.policy(policyId);
  if (!policy) throw new Error(`no policy ${policyId}`);
  const rows = await env.db.image.findMany({
    where: sex ? { patient: { sex } } : {},
    select: {
      diagnosisClass: true,
      diagnosisTerm: true,
      clinicalStatus: true,
      verificationStage: true,
      ageAtExam: true,
      anatomicalSite: true,
      width: true,
      height: true,
      format: true,
      patient: { select: { sex: true, fitzpatrickType: true } },
    },
  });
  const out: Counts = Object.fromEntries(DIMENSIONS.map((d) => [d, { values: new Map(), missing: 0 }]));
  const put = (dim: string, v: string | number | null) => {
    const c = out[dim] as Counts[string];
    if (v === null) c.missing++;
    else c.values.set(String(v), (c.values.get(String(v)) ?? 0) + 1);
  };
  for (const r of rows) {
    const d = decide(policy, r);
    put('label', d.kind === 'mapped' ? d.label : null);
    put('diagnosis_term', r.diagnosisTerm);
    put('age_at_exam', r.ageAtExam === null ? null : topCode ? Math.min(r.ageAtExam, 90) : r.ageAtExam);
    put('sex', r.patient.sex);
    put('anatomical_site', r.anatomicalSite);
    put('fitzpatrick_type', r.patient.fitzpatrickType);
    put('verification_stage', r.verificationStage);
    put('image_pixels', r.width * r.height);
    put('format', r.format);
  }
  return out;
}

/**
 * scipy 1.17.1 on the demo cohort's counts of men (a) against women (b) under three-tier, as a
 * viewer reads them: written by test/fixtures/shift/domain-shift-reference.py (its output:
 * domain-shift-reference.json). missing: the share of each side's images without a value.
 */
const EXPECTED: Record<
  string,
  {
    jensenShannon: number;
    totalVariation: number;
    statistic: number;
    pValue: number;
    df?: number;
    effectiveN?: number;
    missing: [number, number];
  }
> = {
  label: {
    jensenShannon: 0.006164324137345027,
    totalVariation: 0.03679507800192681,
    statistic: 6.8431007326586055,
    pValue: 0.03266175797542062,
    df: 2,
    missing: [0, 0],
  },
  diagnosis_term: {
    jensenShannon: 0.013150985479116717,
    totalVariation: 0.0486907336274514,
    statistic: 14.694170043697243,
    pValue: 0.06537213218867517,
    df: 8,
    missing: [0, 0],
  },
  age_at_exam: {
    jensenShannon: 0.16436259069864292,
    totalVariation: 0.3808342106582444,
    statistic: 0.07983656690229106,
    pValue: 0.09466648789458543,
    effectiveN: 235,
    missing: [0.0027247956403269754, 0.007587253414264037],
  },
  sex: {
    jensenShannon: 1,
    totalVariation: 1,
    statistic: 1026,
    pValue: 4.007512653054702e-225,
    df: 1,
    missing: [0, 0],
  },
  anatomical_site: {
    jensenShannon: 0.0045814669758716,
    totalVariation: 0.061756558579110304,
    statistic: 5.679030082555334,
    pValue: 0.8414704558561591,
    df: 10,
    missing: [0.01634877384196185, 0.019726858877086494],
  },
  fitzpatrick_type: {
    jensenShannon: 0.008760830047783157,
    totalVariation: 0.0803959329706838,
    statistic: 11.512021147126749,
    pValue: 0.009256176815213499,
    df: 3,
    missing: [0.06267029972752043, 0.03338391502276176],
  },
  verification_stage: {
    jensenShannon: 0.002388531013407411,
    totalVariation: 0.021000359722641398,
    statistic: 2.8429586816852304,
    pValue: 0.09177508540509279,
    df: 1,
    missing: [0, 0],
  },
  image_pixels: {
    jensenShannon: 0,
    totalVariation: 0,
    statistic: 0,
    pValue: 1,
    effectiveN: 236,
    missing: [0, 0],
  },
  format: { jensenShannon: 0, totalVariation: 0, statistic: 0, pValue: 1, df: 0, missing: [0, 0] },
};
/** scipy's medians and means of the ages (men, women). */
const AGE_SUMMARY = { median: [36, 39], mean: [40.76229508196721, 41.17584097859327] };

/** Relative 1e-9, or absolute 1e-12 below 1e-3 (divergences and shares that cancel). */
function close(actual: number | null | undefined, expected: number, what: string): void {
  expect(actual, what).not.toBeNull();
  expect(actual, what).toBeDefined();
  const a = actual as number;
  if (Math.abs(expected) < 1e-3)
    expect(Math.abs(a - expected), `${what}: ${a} vs scipy ${expected}`).toBeLessThan(1e-12);
  else expect(Math.abs(a - expected) / Math.abs(expected), `${what}: ${a} vs scipy ${expected}`).toBeLessThan(1e-9);
}

type Dimension = ShiftQuery['domainShift']['dimensions'][number];
const shift = (role: 'VIEWER' | 'ADMIN', vars: ShiftQueryVariables) => api.as(role, Shift, vars);

/** The API's counts of one side of a dimension, as value → count, and its missing count. */
function sideOf(d: Dimension, side: 'a' | 'b') {
  return {
    values: new Map(d.values.filter((v) => v[side].count > 0).map((v) => [v.value, v[side].count])),
    missing: d.missing[side].count,
  };
}

describe('a subset against itself', () => {
  it('differs in nothing: divergence 0, total variation 0, statistic 0 and p = 1 in every dimension', async () => {
    for (const filter of [
      null,
      { sex: ['MALE'] },
      { anatomicalSite: ['FACE', 'SCALP'], verificationStageAtLeast: 'CONSENSUS' },
    ] satisfies (ImageFilter | null)[]) {
      const res = await shift('VIEWER', { a: { filter }, b: { filter } });
      expect(res.errors, JSON.stringify(filter)).toBeUndefined();
      const s = res.data?.domainShift;
      expect(s?.a.images).toBe(s?.b.images);
      expect(s?.a.images).toBeGreaterThan(0);
      expect(s?.dimensions.map((d) => d.dimension)).toEqual(DIMENSIONS);
      for (const d of s?.dimensions ?? []) {
        const what = `${JSON.stringify(filter)} ${d.dimension}`;
        expect(d.kind, what).toBe(NUMERIC.has(d.dimension) ? 'NUMERIC' : 'CATEGORICAL');
        expect(d.jensenShannon, what).toBe(0);
        expect(d.totalVariation, what).toBe(0);
        expect(d.test?.statistic, what).toBe(0);
        expect(d.test?.pValue, what).toBe(1);
        expect(d.test?.name, what).toBe(NUMERIC.has(d.dimension) ? 'kolmogorov-smirnov' : 'chi-squared');
        for (const v of d.values) expect(v.a, `${what} ${v.value}`).toEqual(v.b);
        expect(d.missing.a).toEqual(d.missing.b);
      }
    }
  });

  it('names the whole cohort as 1,026 images under the active policy when nothing is asked', async () => {
    const s = (await shift('VIEWER', { a: {}, b: {} })).data?.domainShift;
    expect(s?.a).toEqual({ filter: null, split: null, release: null, images: 1026 });
    expect(s?.policyId).toBe(await activePolicyId());
    expect(s?.profile).toBe('safe-harbor');
  });
});

describe('men against women under three-tier', () => {
  const vars = {
    a: { filter: { sex: ['MALE'] } },
    b: { filter: { sex: ['FEMALE'] } },
    policy: 'three-tier',
  } satisfies ShiftQueryVariables;

  it('counts every dimension as the image rows do, per image', async () => {
    const res = await shift('VIEWER', vars);
    expect(res.errors).toBeUndefined();
    const s = res.data?.domainShift;
    expect(s?.policyId).toBe('three-tier');
    expect(s?.a.filter).toEqual({ sex: ['MALE'] });
    expect(s?.b.filter).toEqual({ sex: ['FEMALE'] });
    const [men, women] = await Promise.all([
      rowCounts('MALE', 'three-tier', true),
      rowCounts('FEMALE', 'three-tier', true),
    ]);
    expect(s?.a.images).toBe(await env.db.image.count({ where: { patient: { sex: 'MALE' } } }));
    expect((s?.a.images ?? 0) + (s?.b.images ?? 0)).toBe(1026);
    for (const d of s?.dimensions ?? []) {
      expect(sideOf(d, 'a'), `men ${d.dimension}`).toEqual(men[d.dimension]);
      expect(sideOf(d, 'b'), `women ${d.dimension}`).toEqual(women[d.dimension]);
      // shares of each side's present values, side by side
      for (const side of ['a', 'b'] as const) {
        const counted = (side === 'a' ? men : women)[d.dimension];
        const present = [...(counted?.values.values() ?? [])].reduce((x, y) => x + y, 0);
        for (const v of d.values) close(v[side].share, v[side].count / present, `${d.dimension} ${side} ${v.value}`);
      }
    }
    // sex differs entirely; the cohort's images all have one size and one format
    const sex = s?.dimensions.find((d) => d.dimension === 'sex');
    expect(sex?.values.map((v) => [v.value, v.a.count > 0, v.b.count > 0])).toEqual([
      ['FEMALE', false, true],
      ['MALE', true, false],
    ]);
  });

  it('gives the divergences, tests and missing shares scipy gives on those counts', async () => {
    const s = (await shift('VIEWER', vars)).data?.domainShift;
    for (const d of s?.dimensions ?? []) {
      const e = EXPECTED[d.dimension];
      if (!e) throw new Error(`no expected values for ${d.dimension}`);
      close(d.jensenShannon, e.jensenShannon, `${d.dimension} jensenShannon`);
      close(d.totalVariation, e.totalVariation, `${d.dimension} totalVariation`);
      close(d.test?.statistic, e.statistic, `${d.dimension} statistic`);
      if (e.pValue < 1e-100) {
        expect(Math.abs((d.test?.pValue ?? 0) - e.pValue) / e.pValue, `${d.dimension} p`).toBeLessThan(1e-9);
      } else close(d.test?.pValue, e.pValue, `${d.dimension} pValue`);
      expect(d.test?.df ?? undefined, d.dimension).toBe(e.df);
      expect(d.test?.effectiveN ?? undefined, d.dimension).toBe(e.effectiveN);
      close(d.missing.a.share, e.missing[0], `${d.dimension} missing a`);
      close(d.missing.b.share, e.missing[1], `${d.dimension} missing b`);
    }
    const age = s?.dimensions.find((d) => d.dimension === 'age_at_exam');
    close(age?.summary?.a.median, AGE_SUMMARY.median[0] as number, 'median age of men');
    close(age?.summary?.b.median, AGE_SUMMARY.median[1] as number, 'median age of women');
    close(age?.summary?.a.mean, AGE_SUMMARY.mean[0] as number, 'mean age of men');
    close(age?.summary?.b.mean, AGE_SUMMARY.mean[1] as number, 'mean age of women');
    expect(s?.dimensions.find((d) => d.dimension === 'label')?.summary).toBeNull();
  });
});

describe('ages through the reader’s profile', () => {
  it('are top-coded at 90 for viewers and exact for admins', async () => {
    const image = await env.db.image.findFirstOrThrow({ where: { ageAtExam: { not: null } }, orderBy: { id: 'asc' } });
    await env.db.image.update({ where: { id: image.id }, data: { ageAtExam: 97 } });
    try {
      const ages = async (role: 'VIEWER' | 'ADMIN') => {
        const s = (await shift(role, { a: {}, b: { filter: { ageAtExam: { min: 80 } } } })).data?.domainShift;
        return { profile: s?.profile, age: s?.dimensions.find((d) => d.dimension === 'age_at_exam') };
      };
      const viewer = await ages('VIEWER');
      const admin = await ages('ADMIN');
      expect(viewer.profile).toBe('safe-harbor');
      expect(admin.profile).toBe('limited');
      expect(viewer.age?.summary?.a.max).toBe(90);
      expect(viewer.age?.values.some((v) => v.value === '97')).toBe(false);
      expect(admin.age?.summary?.a.max).toBe(97);
      expect(admin.age?.values.find((v) => v.value === '97')?.a.count).toBe(1);
      const exact = await rowCounts(null, 'nine-class', false);
      expect(sideOf(admin.age as Dimension, 'a')).toEqual(exact.age_at_exam);
    } finally {
      await env.db.image.update({ where: { id: image.id }, data: { ageAtExam: image.ageAtExam } });
    }
  });
});

describe('bad input', () => {
  it('an unknown policy is BAD_USER_INPUT', async () => {
    const res = await shift('VIEWER', { a: {}, b: {}, policy: 'no-such-policy' });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.data?.domainShift ?? null).toBeNull();
  });

  it('a bad filter on either side is BAD_USER_INPUT naming that side', async () => {
    for (const side of ['a', 'b'] as const) {
      const bad = { filter: { label: ['malignnt'] } };
      const res = await shift('VIEWER', {
        a: side === 'a' ? bad : {},
        b: side === 'b' ? bad : {},
        policy: 'three-tier',
      });
      expect(res.errors?.[0], side).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      expect(res.errors?.[0]?.message, side).toMatch(new RegExp(`^${side}: .*malignnt`));
      const range = { filter: { ageAtExam: { min: 90, max: 10 } } };
      const r2 = await shift('VIEWER', { a: side === 'a' ? range : {}, b: side === 'b' ? range : {} });
      expect(r2.errors?.[0]?.extensions?.code, side).toBe('BAD_USER_INPUT');
      const split = { split: { id: 'no-such-split' } };
      const r3 = await shift('VIEWER', { a: side === 'a' ? split : {}, b: side === 'b' ? split : {} });
      expect(r3.errors?.[0], side).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', argument: `${side}.split` },
      });
    }
  });

  it('is refused to an anonymous caller', async () => {
    const res = await api.as(null, Shift, { a: {}, b: {} });
    expect(res.errors?.[0]?.extensions?.code).toMatch(/FORBIDDEN|UNAUTHENTICATED/);
  });
});

describe('the datasheet’s comparison', () => {
  const Sheet = graphql(`
    query ShiftSheet($filter: ImageFilter, $policy: String, $compare: DatasheetComparison) {
      datasheet(filter: $filter, policy: $policy, compare: $compare) {
        markdown
        html
        sections { id title entries { key answer fromData } }
        comparison { policyId a { images } b { filter images } dimensions { dimension jensenShannon test { pValue } } }
      }
    }
  `);
  const men = { filter: { sex: ['MALE'] }, policy: 'three-tier' } satisfies ShiftSheetQueryVariables;

  it('adds a section with the divergences and p-values per dimension, in Markdown', async () => {
    const res = await api.as('VIEWER', Sheet, {
      ...men,
      compare: { with: { filter: { sex: ['FEMALE'] } }, title: 'women' },
    });
    expect(res.errors).toBeUndefined();
    const d = res.data?.datasheet;
    const section = d?.sections.at(-1);
    expect(section?.id).toBe('comparison');
    expect(section?.title).toBe('Comparison with women');
    expect(section?.entries.map((e) => e.fromData)).toEqual([true]);
    const md = d?.markdown ?? '';
    expect(md).toContain('## Comparison with women');
    expect(md).toContain('This subset (367 images) against women (`{"sex":["FEMALE"]}`; 659 images)');
    // the figures scipy gives (EXPECTED), as the table rounds them
    expect(md).toContain('| sex | 1.0000 | 1.0000 | χ² (df 1) | 1026.000 | 4.01e-225 | 0 | 0 |');
    expect(md).toContain('| label | 0.0062 | 0.0368 | χ² (df 2) | 6.843 | 0.0327 | 0 | 0 |');
    expect(md).toContain(
      '| age at exam | 0.1644 | 0.3808 | Kolmogorov–Smirnov | 0.080 | 0.0947 | 1 (0.3 %) | 5 (0.8 %) |',
    );
    expect(md).toContain('| format | 0.0000 | 0.0000 | χ² (df 0) | 0.000 | 1.0000 | 0 | 0 |');
    const shown = await shift('VIEWER', {
      a: { filter: men.filter },
      b: { filter: { sex: ['FEMALE'] } },
      policy: 'three-tier',
    });
    expect(d?.comparison?.dimensions).toEqual(
      shown.data?.domainShift.dimensions.map((x) => ({
        dimension: x.dimension,
        jensenShannon: x.jensenShannon,
        test: { pValue: x.test?.pValue },
      })),
    );
    expect(d?.comparison?.b).toEqual({ filter: { sex: ['FEMALE'] }, images: 659 });
    // without compare: seven sections, no comparison
    const plain = (await api.as('VIEWER', Sheet, men)).data?.datasheet;
    expect(plain?.sections).toHaveLength(7);
    expect(plain?.comparison).toBeNull();
    expect(plain?.markdown).not.toContain('Comparison with');
  });

  it('renders the section and its figure in HTML, the title escaped', async () => {
    const title = 'women <script>alert(1)</script> & co';
    const res = await api.as('VIEWER', Sheet, { ...men, compare: { with: { filter: { sex: ['FEMALE'] } }, title } });
    expect(res.errors).toBeUndefined();
    const html = res.data?.datasheet.html ?? '';
    expect(html).toMatch(
      /<figure id="figure-comparison"><svg[^>]*>[\s\S]*?<\/svg><figcaption>Comparison with women &lt;script&gt;/,
    );
    expect(html).not.toContain('<script>');
    expect(html).toMatch(/<h2>Comparison with women &amp;lt;script&amp;gt;|<h2>Comparison with women &lt;script&gt;/);
    // one bar per label and side, as the figure's data
    for (const label of ['benign', 'borderline', 'malignant']) expect(html).toContain(label);
    expect((html.match(/<table>/g) ?? []).length).toBeGreaterThanOrEqual(2);
    for (const id of ['classes', 'age', 'sex', 'images-per-patient']) expect(html).toContain(`id="figure-${id}"`);
  });

  it('refuses a bad title, filter or split in compare as BAD_USER_INPUT naming it', async () => {
    for (const [compare, argument] of [
      [{ with: {}, title: '' }, 'compare.title'],
      [{ with: {}, title: 'x'.repeat(121) }, 'compare.title'],
      [{ with: {}, title: 'two\nlines' }, 'compare.title'],
      [{ with: { filter: { label: ['malignnt'] } }, title: 'x' }, 'compare.with.filter.label'],
      [{ with: { split: { id: 'no-such-split' } }, title: 'x' }, 'compare.with.split'],
    ] satisfies [DatasheetComparison, string][]) {
      const res = await api.as('VIEWER', Sheet, { ...men, compare });
      expect(res.errors?.[0]?.extensions, JSON.stringify(compare)).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect((res.errors?.[0]?.extensions as { argument?: string })?.argument, JSON.stringify(compare)).toMatch(
        new RegExp(`^${argument.replaceAll('.', '\\.')}`),
      );
    }
  });

  it('is on /datasheet.md and /datasheet.html with ?compare=, bounded and refused as the API refuses it', async () => {
    const compare = encodeURIComponent(JSON.stringify({ with: { filter: { sex: ['FEMALE'] } }, title: 'women' }));
    const get = (path: string) => api.yoga.fetch(`http://test${path}`, { headers: api.headers('VIEWER') });
    const md = await get(`/datasheet.md?policy=three-tier&compare=${compare}`);
    expect(md.status).toBe(200);
    const text = await md.text();
    expect(text).toContain('## Comparison with women');
    expect(text).toContain('This subset (1,026 images) against women (`{"sex":["FEMALE"]}`; 659 images)');
    const html = await (await get(`/datasheet.html?policy=three-tier&compare=${compare}`)).text();
    expect(html).toMatch(/<figure id="figure-comparison"><svg/);
    const deep = JSON.stringify({
      with: { filter: JSON.parse(`${'{"NOT":'.repeat(80)}{}${'}'.repeat(80)}`) },
      title: 'x',
    });
    for (const bad of [
      '%7Bnot-json',
      encodeURIComponent(JSON.stringify({ with: { filter: { sex: ['PURPLE'] } }, title: 'x' })),
      encodeURIComponent(JSON.stringify({ with: {}, title: '' })),
      encodeURIComponent(JSON.stringify({ with: { filter: { label: ['malignnt'] } }, title: 'x' })),
      encodeURIComponent(deep),
    ]) {
      const res = await get(`/datasheet.md?policy=three-tier&compare=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { code: string }).code, bad).toBe('BAD_USER_INPUT');
    }
  });
});

describe('the README’s example', () => {
  // README "Comparing cohorts", verbatim
  const EXAMPLE = `{
  domainShift(
    a: { filter: { sex: [MALE] } }
    b: { filter: { sex: [FEMALE] } }
    policy: "three-tier"
  ) {
    policyId
    a { images }
    b { images }
    dimensions {
      dimension
      values { value a { count share } b { count share } }
      jensenShannon
      totalVariation
      test { name statistic df pValue }
      missing { a { count share } b { count share } }
    }
  }
}`;

  it('runs as typed, with the figures the tests above hold', async () => {
    const res = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { ...api.headers('VIEWER'), 'content-type': 'application/json' },
      body: JSON.stringify({ query: EXAMPLE }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { errors?: unknown; data: ShiftQuery };
    expect(body.errors).toBeUndefined();
    expect(body.data.domainShift.a.images).toBe(367);
    expect(body.data.domainShift.b.images).toBe(659);
    const sex = body.data.domainShift.dimensions.find((d) => d.dimension === 'sex');
    expect(sex?.test).toMatchObject({ name: 'chi-squared', df: 1 });
    close(sex?.test?.statistic, 1026, 'statistic');
    expect(Math.abs((sex?.test?.pValue ?? 0) / 4.007512653054702e-225 - 1)).toBeLessThan(1e-9);
  });
});

describe('a side read as of a release', () => {
  const MakeRelease = graphql(`
    mutation ShiftRelease($input: CreateReleaseInput!) { createRelease(input: $input) { id imageCount } }
  `);

  it('counts the label, term and stage the release froze, and the live images on the other side', async () => {
    const made = await api.as('ADMIN', MakeRelease, { input: { name: 'shift-test', version: '1.0.0' } });
    expect(made.errors).toBeUndefined();
    const release = made.data?.createRelease.id ?? '';
    // after the release: one nevus becomes a melanoma at histology, live
    const nevus = await env.db.image.findFirstOrThrow({ where: { diagnosisClass: 'NEVUS' }, orderBy: { id: 'asc' } });
    await env.db.image.update({
      where: { id: nevus.id },
      data: {
        diagnosisClass: 'MELANOMA',
        diagnosisTerm: 'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma, NOS',
        clinicalStatus: 'MALIGNANT',
        verificationStage: 'HISTOLOGY',
      },
    });
    try {
      const res = await shift('VIEWER', { a: { release }, b: {}, policy: 'three-tier' });
      expect(res.errors).toBeUndefined();
      const s = res.data?.domainShift;
      expect(s?.a.release).toMatchObject({ id: release, name: 'shift-test', version: '1.0.0' });
      expect(s?.b.release).toBeNull();
      expect(s?.a.images).toBe(made.data?.createRelease.imageCount);
      // side a: the frozen rows, counted here
      const frozen = await env.db.releaseImage.findMany({ where: { releaseId: release } });
      const count = (key: 'diagnosisTerm' | 'verificationStage') => {
        const m = new Map<string, number>();
        for (const r of frozen) m.set(r[key], (m.get(r[key]) ?? 0) + 1);
        return m;
      };
      const dim = (id: string) => s?.dimensions.find((d) => d.dimension === id) as Dimension;
      expect(sideOf(dim('diagnosis_term'), 'a').values).toEqual(count('diagnosisTerm'));
      expect(sideOf(dim('verification_stage'), 'a').values).toEqual(count('verificationStage'));
      // side b: live, one image moved from nevus to melanoma and to histology
      const live = await rowCounts(null, 'three-tier', true);
      expect(sideOf(dim('diagnosis_term'), 'b')).toEqual(live.diagnosis_term);
      expect(sideOf(dim('label'), 'b')).toEqual(live.label);
      const term = dim('diagnosis_term').values.find((v) => v.value.endsWith('Melanoma, NOS'));
      expect((term?.b.count ?? 0) - (term?.a.count ?? 0)).toBe(1);
      expect(dim('diagnosis_term').jensenShannon).toBeGreaterThan(0);
      // fields a release does not freeze are the same on both sides
      for (const id of ['age_at_exam', 'sex', 'anatomical_site', 'fitzpatrick_type', 'image_pixels', 'format'])
        expect(dim(id).jensenShannon, id).toBe(0);
      // the release against itself differs in nothing
      const self = (await shift('VIEWER', { a: { release }, b: { release }, policy: 'three-tier' })).data?.domainShift;
      for (const d of self?.dimensions ?? []) expect(d.totalVariation, d.dimension).toBe(0);
      const unknown = await shift('VIEWER', { a: {}, b: { release: 'no-such-release' } });
      expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'b.release' });
    } finally {
      await env.db.image.update({
        where: { id: nevus.id },
        data: {
          diagnosisClass: nevus.diagnosisClass,
          diagnosisTerm: nevus.diagnosisTerm,
          clinicalStatus: nevus.clinicalStatus,
          verificationStage: nevus.verificationStage,
        },
      });
    }
  });
});

describe('sides limited to a split', () => {
  const MakeSplit = graphql(`
    mutation ShiftSplit($input: CreateSplitInput!) { createSplit(input: $input) { id policyId } }
  `);

  it('are read under the split’s policy; a side under another one is BAD_USER_INPUT asking for policy', async () => {
    const made = await api.as('VIEWER', MakeSplit, {
      input: { policy: 'three-tier', seed: 5, fractions: { train: 0.7, validation: 0.15, test: 0.15 } },
    } as never);
    expect(made.errors).toBeUndefined();
    const id = made.data?.createSplit.id ?? '';
    const res = await shift('VIEWER', { a: { split: { id, part: 'TRAIN' } }, b: { split: { id, part: 'TEST' } } });
    expect(res.errors).toBeUndefined();
    const s = res.data?.domainShift;
    expect(s?.policyId).toBe('three-tier');
    expect(s?.a.split).toMatchObject({ id, part: 'TRAIN', parts: ['train'] });
    const inPart = (part: string) => env.db.splitAssignment.count({ where: { splitId: id, part } });
    expect(s?.a.images).toBe(await inPart('train'));
    expect(s?.b.images).toBe(await inPart('test'));
    expect(await activePolicyId()).not.toBe('three-tier');
    const mixed = await shift('VIEWER', { a: { split: { id, part: 'TRAIN' } }, b: {} });
    expect(mixed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'policy' });
    expect(mixed.errors?.[0]?.message).toContain('different policies');
    const named = await shift('VIEWER', { a: { split: { id, part: 'TRAIN' } }, b: {}, policy: 'three-tier' });
    expect(named.errors).toBeUndefined();
  });
});
