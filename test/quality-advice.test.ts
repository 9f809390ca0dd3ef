// The SOP gate's technical advice: each check has a documented threshold and a verdict, calibrated
// on real pixels (the demo's lesion drawings, sharp and degraded with sharp); the verdicts come back
// with the acquisition result and are a filter, a facet and a stats line — and stay advice: the
// examiner's SOP score alone decides acceptance.
import { print } from 'graphql';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCohort } from '../prisma/demo/cohort.ts';
import { drawLesion, encodeLesionJpeg, type LesionDrawing } from '../prisma/demo/synthesize.ts';
import { loadConfig } from '../src/config.ts';
import type { FitzpatrickType } from '../src/domain/enums.ts';
import {
  QUALITY_THRESHOLDS,
  QUALITY_VERDICTS,
  type QualityMeasures,
  type QualityVerdict,
  qualityVerdicts,
} from '../src/domain/quality.ts';
import type { QualityVerdict as GqlVerdict } from '../src/gql/graphql.ts';
import { graphql } from '../src/gql/index.ts';
import { decode, derive } from '../src/ingest/analyse.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';
import type { GraphQLResponse } from './helpers/graphql.ts';
import { record, TEST_SEED } from './helpers/images.ts';

const W = 600;
const H = 450;
const limits = loadConfig({ DATA_DIR: '/tmp/unused', DERMASET_PSEUDONYM_KEY: 'unused-key-0123456789abcdef' }).ingest;

const drawing = (n: number, fitzpatrick: FitzpatrickType = 'II'): LesionDrawing => ({
  seed: TEST_SEED * 1000 + n,
  diagnosisClass: 'NEVUS',
  fitzpatrick,
  width: W,
  height: H,
});
const raw = (d: LesionDrawing) => sharp(drawLesion(d), { raw: { width: d.width, height: d.height, channels: 3 } });

/** White specular spots over about `share` of the frame, softened as a dermatoscope's reflections are. */
function glareSpots(share: number): Buffer {
  const r = Math.sqrt((share * W * H) / (6 * Math.PI));
  const spots = Array.from(
    { length: 6 },
    (_, i) =>
      `<ellipse cx="${100 + (i % 3) * 200}" cy="${110 + Math.floor(i / 3) * 230}" rx="${r}" ry="${r}" fill="white"/>`,
  ).join('');
  return Buffer.from(
    `<svg width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><filter id="b"><feGaussianBlur stdDeviation="2"/></filter><g filter="url(#b)">${spots}</g></svg>`,
  );
}

/** The defective frames: how each is made, and the defect it must be flagged for. */
const defects: { name: string; defect: QualityVerdict; make: () => Promise<Buffer> }[] = [
  { name: 'heavily blurred (σ 12)', defect: 'BLURRED', make: () => raw(drawing(1)).blur(12).jpeg().toBuffer() },
  {
    name: 'a quarter of the light on phototype IV',
    defect: 'UNDEREXPOSED',
    make: () => raw(drawing(2, 'IV')).linear(0.25, 0).jpeg().toBuffer(),
  },
  {
    name: '1.4× the light on phototype I',
    defect: 'OVEREXPOSED',
    make: () => raw(drawing(3, 'I')).linear(1.4, 0).jpeg().toBuffer(),
  },
  {
    name: 'specular spots over 15 % of the frame',
    defect: 'GLARE',
    make: async () =>
      sharp(
        await raw(drawing(4, 'III'))
          .composite([{ input: glareSpots(0.15) }])
          .png()
          .toBuffer(),
      )
        .jpeg()
        .toBuffer(),
  },
];

async function measured(bytes: Buffer): Promise<QualityMeasures> {
  return (await derive(await decode(bytes, limits))).quality;
}

describe('verdicts and their thresholds', () => {
  const m = (over: Partial<QualityMeasures>): QualityMeasures => ({
    sharpness: 40,
    clippedShare: 0,
    glareShare: 0,
    meanLuminance: 150,
    highlightShare: 0,
    ...over,
  });
  const T = QUALITY_THRESHOLDS;
  const cases: [string, Partial<QualityMeasures>, QualityVerdict[]][] = [
    ['typical', {}, ['OK']],
    ['sharpness just below', { sharpness: T.minSharpness - 0.01 }, ['BLURRED']],
    ['sharpness at the threshold', { sharpness: T.minSharpness }, ['OK']],
    ['the issue’s blurred upload', { sharpness: 0.77 }, ['BLURRED']],
    ['dark', { meanLuminance: T.minMeanLuminance - 0.01 }, ['UNDEREXPOSED']],
    ['well-exposed phototype VI', { meanLuminance: 64 }, ['OK']],
    ['blown out', { highlightShare: T.maxHighlightShare }, ['OVEREXPOSED']],
    ['glare', { glareShare: T.maxGlareShare }, ['GLARE']],
    ['glare just below', { glareShare: T.maxGlareShare - 0.0001 }, ['OK']],
    ['several', { sharpness: 2, highlightShare: 0.8, glareShare: 0.8 }, ['BLURRED', 'OVEREXPOSED', 'GLARE']],
    ['not measured (stored before)', { meanLuminance: null, highlightShare: null }, ['OK']],
  ];
  it.each(cases)('%s', (_name, over, verdicts) => {
    expect(qualityVerdicts(m(over))).toEqual(verdicts);
  });
});

describe('calibration on real pixels', () => {
  it('the demo cohort’s frames come out OK, its SOP-rejected out-of-focus frames BLURRED', async () => {
    const plan = planCohort();
    const originals = plan.attempts.filter((a) => a.kind === 'original');
    const sample = originals.filter((_, i) => i % 25 === 0);
    const verdicts = new Map<string, number>();
    for (const a of sample) {
      const v = qualityVerdicts(await measured(await encodeLesionJpeg(drawLesion(a.drawing), a.drawing)));
      verdicts.set(v.join('+'), (verdicts.get(v.join('+')) ?? 0) + 1);
    }
    console.info(`demo frames at ${W}×${H}:`, Object.fromEntries(verdicts));
    expect(verdicts.get('OK')).toBe(sample.length);
    const rejected = plan.attempts.filter((a) => a.kind === 'sop-rejected').slice(0, 8);
    expect(rejected.length).toBeGreaterThan(0);
    for (const a of rejected) {
      const q = await measured(await encodeLesionJpeg(drawLesion(a.drawing), a.drawing));
      expect(qualityVerdicts(q), `blur ${a.drawing.blur}`).toContain('BLURRED');
    }
  });

  it.each(defects)('$name is flagged $defect', async ({ make, defect }) => {
    const q = await measured(await make());
    expect(qualityVerdicts(q)).toContain(defect);
  });

  it('well-exposed dark skin (phototypes V and VI) is not called under-exposed', async () => {
    for (const [n, fitz] of [
      [5, 'V'],
      [6, 'VI'],
    ] as const) {
      const q = await measured(await raw(drawing(n, fitz)).jpeg().toBuffer());
      expect(qualityVerdicts(q), `phototype ${fitz}: ${JSON.stringify(q)}`).toEqual(['OK']);
    }
    for (const n of [1, 2, 3, 4]) {
      const q = await measured(
        await raw(drawing(n, (['II', 'IV', 'I', 'III'] as const)[n - 1]))
          .jpeg()
          .toBuffer(),
      );
      expect(qualityVerdicts(q), `drawing ${n}`).toEqual(['OK']);
    }
  });
});

describe('through the API', () => {
  let env: TestEnv;
  let api: Api;
  let cohortImages: number;

  beforeAll(async () => {
    env = await createCohortEnv();
    api = await createApi(env);
    cohortImages = await env.db.image.count();
  }, 600_000);
  afterAll(() => env?.dispose());

  const Acquire = graphql(`
    mutation AcquireWithAdvice($file: File!, $record: JSONObject!) {
      createInitialAnnotation(file: $file, record: $record) {
        outcome
        image { id service { imageQualityScore qualityAdvice { verdicts } } }
        qualityAdvice {
          verdicts
          sharpness clippedShare glareShare meanLuminance highlightShare
          checks { check verdict value threshold flaggedBelow }
        }
      }
    }
  `);
  type Acquired = {
    outcome: string;
    image: { id: string; service: { imageQualityScore: number | null; qualityAdvice: { verdicts: string[] } } } | null;
    qualityAdvice: QualityMeasures & {
      verdicts: string[];
      checks: { check: string; verdict: string; value: number | null; threshold: number; flaggedBelow: boolean }[];
    };
  };

  async function acquire(bytes: Buffer, rec: Record<string, unknown>) {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: print(Acquire), variables: { file: null, record: rec } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new File([new Uint8Array(bytes)], 'frame.jpg', { type: 'image/jpeg' }));
    const res = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: api.headers('ANNOTATOR'),
      body: form,
    });
    const body = (await res.json()) as GraphQLResponse<{ createInitialAnnotation: Acquired }>;
    expect(body.errors).toBeUndefined();
    return body.data?.createInitialAnnotation as Acquired;
  }

  const Counts = graphql(`
    query QualityCounts($filter: ImageFilter) {
      images(first: 0, filter: $filter) { totalCount }
      facets(filter: $filter) { total field(name: "qualityVerdict") { present missing values { value count } } }
      stats(filter: $filter) { images qualityVerdicts { verdict count share } }
    }
  `);

  /** The verdicts of every image, from its stored measures read with plain SQL and the documented numbers. */
  const SQL: Record<QualityVerdict, string> = {
    OK: 'NOT (sharpness < 10 OR COALESCE(mean_luminance < 40, FALSE) OR COALESCE(highlight_share >= 0.25, FALSE) OR glare_share >= 0.1)',
    BLURRED: 'sharpness < 10',
    UNDEREXPOSED: 'mean_luminance < 40',
    OVEREXPOSED: 'highlight_share >= 0.25',
    GLARE: 'glare_share >= 0.1',
  };
  const sqlCount = async (where: string) =>
    Number(
      (await env.db.$queryRawUnsafe<{ n: number | bigint }[]>(`SELECT COUNT(*) AS n FROM image WHERE ${where}`))[0]?.n,
    );

  it('the demo cohort is all OK, by the filter and by SQL', async () => {
    const res = await api.as('VIEWER', Counts, { filter: { qualityVerdict: ['OK'] } });
    expect(res.errors).toBeUndefined();
    expect(res.data?.images.totalCount).toBe(cohortImages);
    expect(await sqlCount(SQL.OK)).toBe(cohortImages);
  });

  it('a heavily blurred upload scored 4 is accepted, with BLURRED beside it at upload: the score decides', async () => {
    const bytes = await raw(drawing(11)).blur(20).jpeg().toBuffer();
    const r = await acquire(bytes, record({ patient_id: 'QA-1', lesion_id: 'B1', image_quality_score: '4' }));
    expect(r.outcome).toBe('ACCEPTED');
    expect(r.qualityAdvice.sharpness).toBeLessThan(QUALITY_THRESHOLDS.minSharpness);
    expect(r.qualityAdvice.verdicts).toEqual(['BLURRED']);
    expect(r.image?.service).toEqual({ imageQualityScore: 4, qualityAdvice: { verdicts: ['BLURRED'] } });
    const sharpness = r.qualityAdvice.checks.find((c) => c.check === 'SHARPNESS');
    expect(sharpness).toEqual({
      check: 'SHARPNESS',
      verdict: 'BLURRED',
      value: r.qualityAdvice.sharpness,
      threshold: QUALITY_THRESHOLDS.minSharpness,
      flaggedBelow: true,
    });
    expect(r.qualityAdvice.checks.map((c) => c.verdict)).toEqual(['BLURRED', 'OK', 'OK', 'OK']);

    // the same frame again: a duplicate, with the stored image's advice
    const again = await acquire(
      bytes,
      record({ patient_id: 'QA-1', lesion_id: 'B1', image_quality_score: '4', age_at_exam: '45' }),
    );
    expect(again.outcome).toBe('DUPLICATE');
    expect(again.qualityAdvice.verdicts).toEqual(['BLURRED']);
    expect(again.qualityAdvice.sharpness).toBe(r.qualityAdvice.sharpness);
  });

  it('a sharp upload scored 2 is rejected by the SOP score, and its advice still says OK', async () => {
    const r = await acquire(
      await raw(drawing(12)).jpeg().toBuffer(),
      record({ patient_id: 'QA-2', lesion_id: 'S1', image_quality_score: '2' }),
    );
    expect(r.outcome).toBe('REJECTED_QUALITY');
    expect(r.image).toBeNull();
    expect(r.qualityAdvice.verdicts).toEqual(['OK']);
  });

  it.each(defects)('upload: $name comes back flagged $defect', async ({ name, make, defect }) => {
    const r = await acquire(
      await make(),
      record({ patient_id: `QA-${name}`, lesion_id: 'D1', image_quality_score: '3' }),
    );
    expect(r.outcome).toBe('ACCEPTED');
    expect(r.qualityAdvice.verdicts).toContain(defect);
    expect(r.qualityAdvice.verdicts).toEqual(qualityVerdicts(r.qualityAdvice));
  });

  it('filter, facet and stats line agree with SQL over the stored measures', async () => {
    const all = await api.as('VIEWER', Counts, {});
    expect(all.errors).toBeUndefined();
    const images = all.data?.stats.images ?? 0;
    expect(images).toBeGreaterThan(cohortImages);
    const facet = Object.fromEntries(all.data?.facets.field?.values.map((v) => [v.value, v.count]) ?? []);
    expect(all.data?.facets.field).toMatchObject({ present: images, missing: 0 });
    const line = Object.fromEntries(all.data?.stats.qualityVerdicts.map((v) => [v.verdict, v]) ?? []);
    expect(Object.keys(line)).toEqual([...QUALITY_VERDICTS]);
    for (const verdict of QUALITY_VERDICTS) {
      const expected = await sqlCount(SQL[verdict]);
      if (verdict !== 'OK') expect(expected, `${verdict}: an upload has it`).toBeGreaterThan(0);
      const res = await api.as('VIEWER', Counts, { filter: { qualityVerdict: [verdict as GqlVerdict] } });
      expect(res.data?.images.totalCount, verdict).toBe(expected);
      expect(facet[verdict] ?? 0, verdict).toBe(expected);
      expect(line[verdict]).toEqual({ verdict, count: expected, share: expected / images });
      const not = await api.as('VIEWER', Counts, { filter: { NOT: { qualityVerdict: [verdict as GqlVerdict] } } });
      expect(not.data?.images.totalCount, `NOT ${verdict}`).toBe(images - expected);
    }
    // any of several verdicts
    const exposure = await api.as('VIEWER', Counts, { filter: { qualityVerdict: ['UNDEREXPOSED', 'OVEREXPOSED'] } });
    expect(exposure.data?.images.totalCount).toBe(await sqlCount(`${SQL.UNDEREXPOSED} OR ${SQL.OVEREXPOSED}`));
  });

  it('an image stored before exposure was measured is judged on what was measured', async () => {
    const one = await env.db.image.findFirstOrThrow({ orderBy: { id: 'asc' }, select: { id: true } });
    await env.db.image.update({ where: { id: one.id }, data: { meanLuminance: null, highlightShare: null } });
    const ok = await api.as('VIEWER', Counts, { filter: { qualityVerdict: ['OK'] } });
    expect(ok.data?.images.totalCount).toBe(await sqlCount(SQL.OK));
    const notUnder = await api.as('VIEWER', Counts, { filter: { NOT: { qualityVerdict: ['UNDEREXPOSED'] } } });
    expect(notUnder.data?.images.totalCount).toBe(await sqlCount(`NOT COALESCE(${SQL.UNDEREXPOSED}, FALSE)`));
  });
});
