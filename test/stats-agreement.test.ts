// The agreement statistics kept per image (image.review_votes): after every review the kept votes
// equal a recomputation from the stored reviews, and so does the migration's backfill of stored
// reviews; stats' kappas (a GROUP BY of the kept votes) equal agreementOf over every review read one
// by one; a review raises the reviews data version, not the records one, and stats follow it (no
// stale answer from the versions-keyed cache); the whole-dataset and the filtered paths of the
// per-patient figures agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { dataVersions } from '../src/db/data-version.ts';
import { type Agreement, agreementOf, votesKey } from '../src/domain/agreement.ts';
import type { DiagnosisClass } from '../src/domain/enums.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { computeStats } from '../src/resolvers/stats.ts';
import { requestScope, resolveSubset } from '../src/resolvers/subset.ts';
import { submitReview } from '../src/resolvers/verification.ts';
import { createTestEnv, type TestEnv, testProvider } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

let env: TestEnv;
const ids: number[] = [];

// per image: its diagnosis and patient; reviews are submitted in rounds below
const IMAGES: [string, string, string][] = [
  ['nevus', 'P1', '31'],
  ['nevus', 'P1', '35'],
  ['melanoma', 'P2', '60'],
  ['seborrheic keratosis', 'P3', '72'],
  ['basal cell carcinoma', 'P4', ''],
  ['nevus', 'P5', '18'],
  ['melanoma', 'P5', '19'],
];

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  useDatabase(env.db);
  const pipeline = createPipeline(env.config, env.db);
  let n = 900;
  for (const [diagnosis, patient, age] of IMAGES) {
    n += 1;
    const r = await pipeline.ingest({
      bytes: await lesion(n, { width: 96, height: 72 }),
      record: record({ patient_id: patient, lesion_id: `AG${n}`, clinical_diagnosis: diagnosis, age_at_exam: age }),
      fileName: `${n}.jpg`,
      source: 'test',
    });
    if (r.outcome !== 'ACCEPTED') throw new Error(`acquisition: ${r.outcome}`);
    ids.push(r.imageId);
  }
}, 120_000);
afterAll(() => env?.dispose());

const review = (image: number, reviewerCode: string, diagnosisClass: DiagnosisClass) =>
  submitReview({ imageId: ids[image] as number, reviewerCode, diagnosisClass, structures: [] });

/** Every image's kept votes, and the same recomputed from its stored reviews. */
async function keptAndRecomputed() {
  const images = await env.db.image.findMany({ select: { id: true, reviewVotes: true }, orderBy: { id: 'asc' } });
  const reviews = await env.db.expertReview.findMany({
    select: { imageId: true, reviewerCode: true, diagnosisClass: true },
  });
  return {
    kept: images.map((i) => [i.id, i.reviewVotes]),
    recomputed: images.map((i) => [
      i.id,
      votesKey(
        reviews.filter((r) => r.imageId === i.id).map((r) => ({ reviewer: r.reviewerCode, cls: r.diagnosisClass })),
      ),
    ]),
  };
}

/** agreementOf over every stored review, read one by one (what stats computed before votes were kept). */
async function fromEveryReview(): Promise<Agreement> {
  const reviews = await env.db.expertReview.findMany({
    select: { imageId: true, reviewerCode: true, diagnosisClass: true },
  });
  return agreementOf(reviews.map((r) => ({ imageId: r.imageId, reviewer: r.reviewerCode, cls: r.diagnosisClass })));
}

/** Deep equality with numbers equal to 12 digits (sums over groups add in another order). */
function expectSame(actual: unknown, expected: unknown, path = ''): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    expect(actual as number, path).toBeCloseTo(expected, 12);
    return;
  }
  if (expected === null || typeof expected !== 'object') {
    expect(actual, path).toEqual(expected);
    return;
  }
  expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) expectSame((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
}

const statsOf = async (filter: object | null = null) =>
  computeStats(await resolveSubset(requestScope(), { filter, policy: 'nine-class' }));

describe('agreement kept per image', () => {
  it('keeps the votes in step with every review, and stats agree with every review read', async () => {
    const empty = await statsOf();
    expect(empty.agreement.fleiss.n).toBe(0);
    expect(empty.agreement.pairs).toEqual([]);
    const rounds: [number, string, DiagnosisClass][][] = [
      [
        [0, 'R-B', 'NEVUS'],
        [0, 'R-A', 'NEVUS'],
        [2, 'R-A', 'MELANOMA'],
      ],
      [
        [0, 'R-C', 'MELANOMA'],
        [2, 'R-B', 'NEVUS'],
        [2, 'R-C', 'MELANOMA'],
        [3, 'R-A', 'SEBORRHEIC_KERATOSIS'],
        [3, 'R-D', 'SEBORRHEIC_KERATOSIS'],
        [3, 'R-B', 'SEBORRHEIC_KERATOSIS'],
      ],
      [
        [4, 'R-D', 'BASAL_CELL_CARCINOMA'],
        [4, 'R-A', 'BASAL_CELL_CARCINOMA'],
        [4, 'R-C', 'SEBORRHEIC_KERATOSIS'],
        [5, 'R-A', 'NEVUS'],
        [5, 'R-B', 'NEVUS'],
        [5, 'R-C', 'NEVUS'],
        [6, 'R-B', 'MELANOMA'],
      ],
    ];
    let before = await statsOf();
    for (const round of rounds) {
      const versions = await dataVersions();
      for (const [image, reviewer, cls] of round) await review(image, reviewer, cls);
      const after = await dataVersions();
      expect(after.reviews).toBeGreaterThan(versions.reviews);
      // a review is no change of the records: caches of the records (facets) stay valid
      expect(after.records).toBe(versions.records);
      const { kept, recomputed } = await keptAndRecomputed();
      expect(kept).toEqual(recomputed);
      const now = await statsOf();
      expect(now.agreement).not.toEqual(before.agreement);
      expectSame(now.agreement, await fromEveryReview());
      before = now;
    }
    const last = await statsOf();
    // images 0, 2, 3, 4, 5 have three reviews; four reviewers, every pair of whom shares an image
    expect(last.agreement.fleiss.n).toBe(5);
    expect(last.agreement.pairs.map((p) => `${p.reviewerA}-${p.reviewerB}`)).toEqual([
      'R-A-R-B',
      'R-A-R-C',
      'R-A-R-D',
      'R-B-R-C',
      'R-B-R-D',
      'R-C-R-D',
    ]);
  });

  it('over a filtered subset: the votes of its images only', async () => {
    const s = await statsOf({ diagnosisClass: ['NEVUS'] });
    const reviews = await env.db.expertReview.findMany({
      where: { image: { diagnosisClass: 'NEVUS' } },
      select: { imageId: true, reviewerCode: true, diagnosisClass: true },
    });
    expect(reviews.length).toBeGreaterThan(0);
    expectSame(
      s.agreement,
      agreementOf(reviews.map((r) => ({ imageId: r.imageId, reviewer: r.reviewerCode, cls: r.diagnosisClass }))),
    );
  });

  it("the migration's backfill writes the same votes from the stored reviews", async () => {
    const expected = await keptAndRecomputed();
    const agreement = (await statsOf()).agreement;
    await env.db.image.updateMany({ data: { reviewVotes: null } });
    expect((await keptAndRecomputed()).kept.every(([, v]) => v === null)).toBe(true);
    // the backfill statement exactly as the migration holds it, for this database
    const folder = testProvider === 'postgresql' ? 'prisma/postgresql/migrations' : 'prisma/migrations';
    const sql = readFileSync(
      join(import.meta.dirname, '..', folder, '20261130155209_review_votes', 'migration.sql'),
      'utf8',
    );
    const backfill = /UPDATE "image" SET "review_votes"[\s\S]*?;/.exec(sql)?.[0];
    expect(backfill).toBeDefined();
    const v = await dataVersions();
    await env.db.$executeRawUnsafe(backfill as string);
    const after = await keptAndRecomputed();
    expect(after.kept).toEqual(expected.recomputed);
    expect(after.kept.filter(([, votes]) => votes !== null)).toHaveLength(6);
    // review_votes is watched by the reviews trigger: the backfill is seen as a change of reviews
    expect((await dataVersions()).reviews).toBeGreaterThan(v.reviews);
    expectSame((await statsOf()).agreement, agreement);
  });
});

describe('images per patient and first ages', () => {
  it('the whole-dataset SQL and the per-patient grouping of a filter matching every image agree', async () => {
    const whole = await statsOf();
    const everyImage = await statsOf({ verificationStageAtLeast: 'INITIAL' });
    expect(everyImage.images).toBe(whole.images);
    expect(everyImage.patients).toBe(whole.patients);
    expect(everyImage.imagesPerPatient).toEqual(whole.imagesPerPatient);
    expect(everyImage.age).toEqual(whole.age);
    expect(everyImage.patientDistributions).toEqual(whole.patientDistributions);
    // from the rows: P1 2 images, P5 2, P2-P4 one each; first ages 31, 60, 72, (none), 18
    expect(whole.patients).toBe(5);
    expect(whole.imagesPerPatient.bins).toEqual([
      { value: 1, count: 3 },
      { value: 2, count: 2 },
    ]);
    expect(whole.age.bins).toEqual([
      { value: 18, count: 1 },
      { value: 31, count: 1 },
      { value: 60, count: 1 },
      { value: 72, count: 1 },
    ]);
  });

  it('one request asking stats twice computes them once', async () => {
    const subset = await resolveSubset(requestScope(), { policy: 'nine-class' });
    const [a, b] = await Promise.all([computeStats(subset), computeStats(subset)]);
    expect(a).toBe(b);
  });
});
