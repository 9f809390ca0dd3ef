// stats(filter, policy): the paper's numbers on the demo cohort, other numbers on a subset and under
// another policy (checked against an independent count from the records), and inter-rater agreement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohenKappa, fleissKappa } from '../src/domain/agreement.ts';
import { CLASS_CODES } from '../src/domain/classes.ts';
import { graphql } from '../src/gql/index.ts';
import { type Api, createApi } from './helpers/api.ts';
import { classInfo } from './helpers/classes.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

let env: TestEnv;
let api: Api;
beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
}, 300_000);
afterAll(() => env?.dispose());

const Stats = graphql(`
  query Stats($filter: ImageFilter, $policy: String) {
    stats(filter: $filter, policy: $policy) {
      policyId
      images
      patients
      classes { diagnosisClass count share origin status }
      labels { label count share }
      excluded
      unmapped
      intake { sopRejected records duplicates duplicateShare uniqueImages }
      imagesPerPatient { n min median mean max }
      singleImagePatients
      age { n min median mean max }
      distributions { field present missing values { value count } }
      patientDistributions { field present missing values { value count } }
      malignant { count histologyVerified histologyShare }
      completeness { field present missing }
      nearDuplicatePairs
      agreement {
        fleiss { kappa n }
        fleissPerClass { diagnosisClass kappa n }
        pairs { reviewerA reviewerB kappa n perClass { diagnosisClass kappa n } }
      }
    }
  }
`);

const pct = (x: number) => Math.round(x * 1000) / 10;
type Facet = { field: string; values: { value: string; count: number }[] };
const values = (
  s: { distributions: Facet[]; patientDistributions: Facet[] },
  field: string,
  per: 'image' | 'patient' = 'image',
) =>
  Object.fromEntries(
    (per === 'image' ? s.distributions : s.patientDistributions)
      .find((d) => d.field === field)
      ?.values.map((v) => [v.value, v.count]) ?? [],
  );

describe('agreement measures', () => {
  it("Fleiss' kappa reproduces the textbook example (Fleiss 1971 as given by Wikipedia: 0.210)", () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    expect(fleissKappa(table, 5).kappa?.toFixed(3)).toBe('0.210');
  });

  it("Cohen's kappa: perfect, chance and a worked example", () => {
    expect(cohenKappa(['a', 'b', 'a'], ['a', 'b', 'a']).kappa).toBe(1);
    // 2×2 example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → po 0.7, pe 0.5 → κ 0.4
    const a = [...Array(20).fill('y'), ...Array(5).fill('y'), ...Array(10).fill('n'), ...Array(15).fill('n')];
    const b = [...Array(20).fill('y'), ...Array(5).fill('n'), ...Array(10).fill('y'), ...Array(15).fill('n')];
    expect(cohenKappa(a, b).kappa?.toFixed(3)).toBe('0.400');
    expect(cohenKappa([], []).kappa).toBeNull();
  });
});

describe('stats on the demo cohort', () => {
  it('carries every number of Table 5 and section 3 as published', async () => {
    const res = await api.as('REVIEWER', Stats, {});
    expect(res.errors).toBeUndefined();
    const s = res.data?.stats;
    if (!s) throw new Error('no stats');
    expect(s.intake).toMatchObject({ sopRejected: 32, records: 1044, duplicates: 18, uniqueImages: 1026 });
    expect(pct(s.intake.duplicateShare)).toBe(1.7);
    expect([s.images, s.patients, s.singleImagePatients]).toEqual([1026, 443, 190]);
    expect(s.imagesPerPatient).toMatchObject({ min: 1, median: 2, max: 10 });
    expect(s.imagesPerPatient.mean?.toFixed(2)).toBe('2.32');
    expect(s.age).toMatchObject({ n: 439, min: 2, median: 38, max: 90 });
    expect(s.age.mean?.toFixed(1)).toBe('41.1');
    expect(values(s, 'sex', 'patient')).toEqual({ FEMALE: 279, MALE: 164 });
    expect(values(s, 'origin')).toEqual({ MELANOCYTIC: 767, NON_MELANOCYTIC: 259 });
    expect(values(s, 'verification_stage')).toEqual({ CONSENSUS: 987, HISTOLOGY: 39 });
    expect(s.malignant).toEqual({ count: 39, histologyVerified: 39, histologyShare: 1 });
    expect(s.classes.map((c) => [c.diagnosisClass, c.count, pct(c.share)])).toEqual([
      ['NEVUS', 733, 71.4],
      ['SEBORRHEIC_KERATOSIS', 118, 11.5],
      ['HEMANGIOMA', 87, 8.5],
      ['DERMATOFIBROMA', 31, 3.0],
      ['MELANOMA', 18, 1.8],
      ['DYSPLASTIC_NEVUS', 16, 1.6],
      ['BASAL_CELL_CARCINOMA', 15, 1.5],
      ['SQUAMOUS_CELL_CARCINOMA', 6, 0.6],
      ['PAPILLOMA', 2, 0.2],
    ]);
    expect(s.completeness).toHaveLength(16);
    expect(s.labels).toEqual([
      { label: 'benign', count: 987, share: 987 / 1026 },
      { label: 'malignant', count: 39, share: 39 / 1026 },
    ]);
  });

  it('measures agreement over the three independent reviews of every image', async () => {
    const s = (await api.as('REVIEWER', Stats, {})).data?.stats;
    expect(s?.agreement.fleiss.n).toBe(1026);
    const kappa = s?.agreement.fleiss.kappa ?? -2;
    expect(kappa).toBeGreaterThan(0.5);
    expect(kappa).toBeLessThan(0.95);
    expect(s?.agreement.pairs).toHaveLength(10);
    expect(s?.agreement.pairs.reduce((n, p) => n + p.n, 0)).toBe(3 * 1026);
    expect(s?.agreement.pairs.every((p) => typeof p.reviewerA === 'string')).toBe(true);
    // independently: observed agreement of the three reviews, from the rows
    const reviews = await env.db.expertReview.findMany({ select: { imageId: true, diagnosisClass: true } });
    const byImage = new Map<number, string[]>();
    for (const r of reviews) byImage.set(r.imageId, [...(byImage.get(r.imageId) ?? []), r.diagnosisClass]);
    const unanimous = [...byImage.values()].filter((v) => new Set(v).size === 1).length;
    expect(unanimous).toBeGreaterThan(0);
    expect(unanimous).toBeLessThan(1026);
    // viewers get the values but not the reviewer codes
    const viewer = await api.as('VIEWER', Stats, {});
    expect(viewer.data?.stats.agreement.pairs[0]?.reviewerA).toBeNull();
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('stats on a subset and under another policy agree with an independent count', () => {
  it('men only, three-tier', async () => {
    const res = await api.as('REVIEWER', Stats, { filter: { sex: ['MALE'] }, policy: 'three-tier' });
    expect(res.errors).toBeUndefined();
    const s = res.data?.stats;
    const rows = await env.db.image.findMany({
      where: { patient: { sex: 'MALE' } },
      select: { patientId: true, diagnosisClass: true, ageAtExam: true, verificationStage: true },
    });
    expect(s?.policyId).toBe('three-tier');
    expect(s?.images).toBe(rows.length);
    const patients = new Map<number, number[]>();
    for (const r of rows) patients.set(r.patientId, [...(patients.get(r.patientId) ?? []), r.ageAtExam ?? -1]);
    expect(s?.patients).toBe(patients.size);
    expect(s?.patients).toBe(164);
    const counts = [...patients.values()].map((v) => v.length).sort((a, b) => a - b);
    expect(s?.imagesPerPatient.max).toBe(counts[counts.length - 1]);
    expect(s?.singleImagePatients).toBe(counts.filter((c) => c === 1).length);
    const ages = [...patients.values()]
      .map((v) => Math.min(...v.filter((a) => a >= 0)))
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    expect(s?.age.n).toBe(ages.length);
    expect(s?.age.mean).toBeCloseTo(ages.reduce((x, y) => x + y, 0) / ages.length, 10);
    const tiers = { benign: 0, borderline: 0, malignant: 0 };
    for (const r of rows) tiers[classInfo(r.diagnosisClass).status.toLowerCase() as keyof typeof tiers]++;
    expect(Object.fromEntries(s?.labels.map((l) => [l.label, l.count]) ?? [])).toEqual(tiers);
    for (const c of CLASS_CODES) {
      expect(s?.classes.find((x) => x.diagnosisClass === c)?.count).toBe(
        rows.filter((r) => r.diagnosisClass === c).length,
      );
    }
    expect(s?.images).not.toBe(1026);
  });

  it('melanocytic only, under ham10000 (unmapped classes are counted apart)', async () => {
    const all = await env.db.image.findMany({ select: { diagnosisClass: true } });
    const s = (await api.as('VIEWER', Stats, { policy: 'ham10000' })).data?.stats;
    const unmapped = all.filter(
      (r) => r.diagnosisClass === 'SQUAMOUS_CELL_CARCINOMA' || r.diagnosisClass === 'PAPILLOMA',
    ).length;
    expect(s?.unmapped).toBe(unmapped);
    expect(s?.labels.reduce((n, l) => n + l.count, 0)).toBe(all.length - unmapped);
    const m = (await api.as('VIEWER', Stats, { filter: { origin: ['MELANOCYTIC'] } })).data?.stats;
    expect(m?.images).toBe(767);
    expect(m?.completeness.find((c) => c.field === 'clinical_diagnosis')).toEqual({
      field: 'clinical_diagnosis',
      present: 767,
      missing: 0,
    });
    const noDiameter = await env.db.image.count({
      where: { lesionDiameterMm: null, diagnosisClass: { in: ['NEVUS', 'DYSPLASTIC_NEVUS', 'MELANOMA'] } },
    });
    expect(m?.completeness.find((c) => c.field === 'lesion_diameter_mm')?.missing).toBe(noDiameter);
  });
});
