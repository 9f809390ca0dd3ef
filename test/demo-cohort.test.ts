// The demo cohort, built through the acquisition pipeline and the verification workflow, must
// reproduce every number of the paper's Table 4, Table 5 and section 3. Each number is read back
// from the database through the GraphQL API or with a direct count, never from the generator.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_HEIGHT, DEMO_SEED, DEMO_WIDTH, planCohort } from '../prisma/demo/cohort.ts';
import { DrawPool } from '../prisma/demo/draw-pool.ts';
import { encodeLesionJpeg } from '../prisma/demo/synthesize.ts';
import { graphql } from '../src/gql/index.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';

let env: TestEnv;
type Summary = NonNullable<Awaited<ReturnType<typeof fetchSummary>>>;
let s: Summary;

const DemoSummary = graphql(`
  query DemoSummary {
    datasetSummary {
      images
      patients
      intake { attempts sopRejected invalidRejected records duplicates duplicateShare uniqueImages }
      imagesPerPatient { n min median mean max }
      singleImagePatients
      age { n min median mean max }
      sex { sex count share }
      classes { diagnosisClass count share origin status }
      diagnosticCategories
      informationModelFields
      origins { origin count share }
      stages { stage count }
      malignant { count histologyVerified histologyShare }
      collection { from to }
      nearDuplicatePairs
    }
  }
`);

async function fetchSummary() {
  // an annotator reads exact dates (viewers read years: test/privacy.test.ts); the paper's months need them
  const res = await (await createApi(env)).as('ANNOTATOR', DemoSummary);
  expect(res.errors).toBeUndefined();
  return res.data?.datasetSummary;
}

const pct = (x: number) => Math.round(x * 1000) / 10;

beforeAll(async () => {
  // the run's cohort (96×72 px drawings, the same plan and trail as `npm start` seeds at full size,
  // which test/cli.test.ts runs)
  env = await createCohortEnv();
  const summary = await fetchSummary();
  if (!summary) throw new Error('no summary');
  s = summary;
}, 600_000);
afterAll(() => env?.dispose());

describe('the demo cohort reproduces the paper', () => {
  it('Table 5: the intake funnel (32 SOP rejections, 1044 records, 18 duplicates = 1.7 %, 1026 unique)', () => {
    expect(s.intake).toMatchObject({
      sopRejected: 32,
      invalidRejected: 0,
      records: 1044,
      duplicates: 18,
      uniqueImages: 1026,
    });
    expect(pct(s.intake.duplicateShare)).toBe(1.7);
    expect(s.images).toBe(1026);
  });

  it('Table 5: 443 patients, images per patient 1 / 2 / 2.32 / 10, 190 with a single image', () => {
    expect(s.patients).toBe(443);
    expect(s.imagesPerPatient).toMatchObject({ n: 443, min: 1, median: 2, max: 10 });
    expect(s.imagesPerPatient.mean?.toFixed(2)).toBe('2.32');
    expect(s.singleImagePatients).toBe(190);
  });

  it('Table 4: the class counts, shares, origins and statuses', () => {
    const rows = s.classes.map((c) => [c.diagnosisClass, c.count, pct(c.share), c.origin, c.status]);
    expect(rows).toEqual([
      ['NEVUS', 733, 71.4, 'MELANOCYTIC', 'BENIGN'],
      ['SEBORRHEIC_KERATOSIS', 118, 11.5, 'NON_MELANOCYTIC', 'BENIGN'],
      ['HEMANGIOMA', 87, 8.5, 'NON_MELANOCYTIC', 'BENIGN'],
      ['DERMATOFIBROMA', 31, 3.0, 'NON_MELANOCYTIC', 'BENIGN'],
      ['MELANOMA', 18, 1.8, 'MELANOCYTIC', 'MALIGNANT'],
      ['DYSPLASTIC_NEVUS', 16, 1.6, 'MELANOCYTIC', 'BORDERLINE'],
      ['BASAL_CELL_CARCINOMA', 15, 1.5, 'NON_MELANOCYTIC', 'MALIGNANT'],
      ['SQUAMOUS_CELL_CARCINOMA', 6, 0.6, 'NON_MELANOCYTIC', 'MALIGNANT'],
      ['PAPILLOMA', 2, 0.2, 'NON_MELANOCYTIC', 'BENIGN'],
    ]);
    expect(s.diagnosticCategories).toBe(9);
    expect(s.informationModelFields).toBe(16);
  });

  it('Table 5: melanocytic 767 (74.8 %) / non-melanocytic 259 (25.2 %); malignant 39 (3.8 %)', () => {
    expect(s.origins.map((o) => [o.origin, o.count, pct(o.share)])).toEqual([
      ['MELANOCYTIC', 767, 74.8],
      ['NON_MELANOCYTIC', 259, 25.2],
    ]);
    expect(s.malignant.count).toBe(39);
    expect(pct(s.malignant.count / s.images)).toBe(3.8);
  });

  it('Table 5: 987 at consensus, 39 at histology, 100 % of malignant histologically verified', () => {
    expect(s.stages).toEqual([
      { stage: 'INITIAL', count: 0 },
      { stage: 'CONSENSUS', count: 987 },
      { stage: 'HISTOLOGY', count: 39 },
    ]);
    expect(s.malignant).toEqual({ count: 39, histologyVerified: 39, histologyShare: 1 });
  });

  it('section 3: ages 2–90, median 38, mean 41.1 over the 439 of 443 patients with a valid age', async () => {
    expect(s.age).toMatchObject({ n: 439, min: 2, median: 38, max: 90 });
    expect(s.age.mean?.toFixed(1)).toBe('41.1');
    // the four invalid ages are kept as raw input, outside the statistics
    const invalid = await env.db.image.findMany({
      where: { ageAtExam: null, ageAtExamRaw: { not: null } },
      select: { patientId: true, ageAtExamRaw: true },
      distinct: ['patientId'],
    });
    expect(invalid).toHaveLength(4);
  });

  it('section 3: 279 female (63.0 %), 164 male (37.0 %)', () => {
    expect(s.sex.map((x) => [x.sex, x.count, pct(x.share)])).toEqual([
      ['FEMALE', 279, 63.0],
      ['MALE', 164, 37.0],
    ]);
  });

  it('section 3: collected from June 2025 to May 2026', () => {
    expect(s.collection.from?.slice(0, 7)).toBe('2025-06');
    expect(s.collection.to?.slice(0, 7)).toBe('2026-05');
  });
});

describe('the demo cohort carries a realistic trail', () => {
  it('every image has three independent reviews and a consensus; every malignant image histology', async () => {
    const [images, reviews, consensus, histology, malignantWithoutHisto] = await Promise.all([
      env.db.image.count(),
      env.db.expertReview.groupBy({ by: ['imageId'], _count: { _all: true } }),
      env.db.consensusDecision.count({ where: { reviewCount: { gte: 3 } } }),
      env.db.histopathologyReport.count(),
      env.db.image.count({
        where: {
          diagnosisClass: { in: ['MELANOMA', 'BASAL_CELL_CARCINOMA', 'SQUAMOUS_CELL_CARCINOMA'] },
          histopathology: null,
        },
      }),
    ]);
    expect(reviews).toHaveLength(images);
    expect(reviews.every((r) => r._count._all === 3)).toBe(true);
    expect(consensus).toBe(images);
    expect(histology).toBe(39);
    expect(malignantWithoutHisto).toBe(0);
  });

  it('reviewers disagree sometimes, and corrected labels are in the change log', async () => {
    const corrected = await env.db.consensusDecision.count({ where: { outcome: 'CORRECTED' } });
    const disagreements = await env.db.consensusDecision.count({ where: { note: { not: null } } });
    const changes = await env.db.labelChange.count({ where: { fromClass: { not: null } } });
    expect(corrected).toBeGreaterThan(10);
    expect(corrected).toBeLessThan(200);
    expect(disagreements).toBeGreaterThan(50);
    expect(disagreements).toBeLessThan(600);
    expect(changes).toBe(corrected);
  });

  it('some optional fields are missing, and the records are kept', async () => {
    const [noDiameter, noElevation, noColours, noFitz] = await Promise.all([
      env.db.image.count({ where: { lesionDiameterMm: null } }),
      env.db.image.count({ where: { elevation: null } }),
      env.db.image.count({ where: { colors: { none: {} } } }),
      env.db.patient.count({ where: { fitzpatrickType: null } }),
    ]);
    for (const n of [noDiameter, noElevation, noColours, noFitz]) {
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(120);
    }
  });

  it('has a few near-duplicate pairs: two shots of one lesion', async () => {
    const pairs = await env.db.nearDuplicate.findMany({ include: { image: true, twin: true } });
    expect(s.nearDuplicatePairs).toBe(pairs.length);
    // 2 at the tests' 96×72 px (the 64-bit difference hash sees less), 3–12 at full size (test/cli.test.ts)
    expect(pairs.length).toBeGreaterThanOrEqual(2);
    expect(pairs.length).toBeLessThanOrEqual(12);
    for (const p of pairs) {
      expect(p.image.lesionId).toBe(p.twin.lesionId);
      expect(p.image.pixelHash).not.toBe(p.twin.pixelHash);
    }
  });

  it('duplicates include byte-identical re-uploads and lossless re-saves in another container', async () => {
    const dups = await env.db.intakeRecord.findMany({
      where: { outcome: 'DUPLICATE' },
      include: { duplicateOf: true },
    });
    expect(dups).toHaveLength(18);
    const accepted = await env.db.intakeRecord.findMany({
      where: { outcome: 'ACCEPTED', imageId: { in: dups.map((d) => d.duplicateOfId ?? -1) } },
    });
    const originalSha = new Map(accepted.map((a) => [a.imageId, a.sourceSha256]));
    const byteIdentical = dups.filter((d) => originalSha.get(d.duplicateOfId) === d.sourceSha256).length;
    expect(byteIdentical).toBeGreaterThan(0);
    expect(byteIdentical).toBeLessThan(18);
  });

  it('stores every original without EXIF or GPS, and no patient identifier in clear', async () => {
    const images = await env.db.image.findMany({ select: { storageKey: true } });
    for (const { storageKey } of images) {
      const bytes = readFileSync(join(env.dataDir, 'blobs', storageKey));
      // entropy-coded data can hold any 3 bytes by chance; these strings only EXIF carries
      expect(bytes.includes(Buffer.from('DemoPhone')), storageKey).toBe(false);
      expect(bytes.includes(Buffer.from('Exif\0\0')), storageKey).toBe(false);
      expect((await sharp(bytes).metadata()).exif, storageKey).toBeUndefined();
    }
    const codes = await env.db.patient.findMany({ select: { code: true } });
    expect(codes.every((c) => /^P-[0-9A-Z]{13}$/.test(c.code))).toBe(true);
  });
});

describe('the demo cohort at full size', () => {
  it('draws the plan at its full size, which passes the default SOP gate, EXIF and all stripped', async () => {
    // the tests use 96×72 px copies; `npm start` draws the plan's size under the default minimum side
    const full = await createTestEnv();
    const pool = new DrawPool();
    try {
      const pipeline = createPipeline(full.config, full.db);
      const plan = planCohort(DEMO_SEED);
      const originals = plan.attempts.filter((a) => a.kind === 'original' && a.trail).slice(0, 6);
      for (const a of originals) {
        const bytes = await encodeLesionJpeg(await pool.draw(a.drawing), a.drawing, { exif: true });
        const r = await pipeline.ingest({ bytes, record: a.record, fileName: a.fileName, source: 'demo' });
        expect(r.outcome, a.fileName).toBe('ACCEPTED');
      }
      const images = await full.db.image.findMany({ select: { width: true, height: true, storageKey: true } });
      expect(images).toHaveLength(originals.length);
      for (const i of images) {
        expect([i.width, i.height]).toEqual([DEMO_WIDTH, DEMO_HEIGHT]);
        expect(Math.min(i.width, i.height)).toBeGreaterThanOrEqual(full.config.ingest.minSide);
        const bytes = readFileSync(join(full.dataDir, 'blobs', i.storageKey));
        expect(bytes.includes(Buffer.from('DemoPhone'))).toBe(false);
        expect((await sharp(bytes).metadata()).exif).toBeUndefined();
      }
    } finally {
      await pool.close();
      await full.dispose();
    }
  });
});
