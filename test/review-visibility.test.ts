// Blind review at the database: the filter the service builds from the domain rule
// (resolvers/workflow.ts visibleReviewsWhere over domain/review-visibility.ts) keeps exactly the
// reviews the rule lets each role see, for every role and every case of author, co-reviewer and
// consensus. The rule itself is table-tested in test/domain.test.ts; the API's answers per token in
// test/workflow-rules.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { reviewVisibility, seesReview } from '../src/domain/review-visibility.ts';
import { ROLES } from '../src/domain/roles.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { recordConsensus, submitReview } from '../src/resolvers/verification.ts';
import { visibleReviewsWhere } from '../src/resolvers/workflow.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

const ME = 'R-ME';
let env: TestEnv;
const imageIds: number[] = [];

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  useDatabase(env.db); // the services below read the ambient database
  const pipeline = createPipeline(env.config, env.db);
  // [reviewers, decided]: every case of "my review is in" and "the consensus is in"
  const images: [string[], boolean][] = [
    [[ME, 'R-2'], false],
    [['R-2', 'R-3'], false],
    [[ME, 'R-2', 'R-3'], true],
    [['R-2', 'R-3', 'R-4'], true],
  ];
  let n = 700;
  for (const [reviewers, decided] of images) {
    n += 1;
    const r = await pipeline.ingest({
      bytes: await lesion(n, { width: 96, height: 72 }),
      record: record({ lesion_id: `RV${n}`, clinical_diagnosis: 'nevus' }),
      fileName: `${n}.jpg`,
      source: 'test',
    });
    if (r.outcome !== 'ACCEPTED') throw new Error(`acquisition: ${r.outcome}`);
    for (const reviewerCode of reviewers)
      await submitReview({ imageId: r.imageId, reviewerCode, diagnosisClass: 'NEVUS', structures: [] });
    if (decided)
      await recordConsensus({ imageId: r.imageId, diagnosisClass: 'NEVUS', structures: [], decidedBy: 'R-2' });
    imageIds.push(r.imageId);
  }
});
afterAll(() => env.dispose());

describe('the blind-review filter', () => {
  for (const role of [...ROLES, null]) {
    it(`keeps what the rule shows ${role ?? 'an anonymous caller'}`, async () => {
      const all = await env.db.expertReview.findMany({
        where: { imageId: { in: imageIds } },
        select: {
          id: true,
          reviewerCode: true,
          imageId: true,
          image: { select: { consensus: { select: { id: true } } } },
        },
        orderBy: { id: 'asc' },
      });
      const reviewedByMe = new Set(all.filter((r) => r.reviewerCode === ME).map((r) => r.imageId));
      const expected = all
        .filter((r) =>
          seesReview(role, {
            author: r.reviewerCode === ME,
            coReviewer: reviewedByMe.has(r.imageId),
            decided: r.image.consensus !== null,
          }),
        )
        .map((r) => r.id);
      let asked = false;
      const where = visibleReviewsWhere(reviewVisibility(role), () => {
        asked = true;
        return ME;
      });
      const seen = await env.db.expertReview.findMany({
        where: { AND: [{ imageId: { in: imageIds } }, where ?? {}] },
        select: { id: true },
        orderBy: { id: 'asc' },
      });
      expect(seen.map((r) => r.id)).toEqual(expected);
      // the staff code (a keyed hash, worked out through the pipeline) is only asked for reviewers
      expect(asked).toBe(role === 'REVIEWER');
    });
  }

  it('covers hidden and shown reviews for every role but admins', async () => {
    const total = await env.db.expertReview.count({ where: { imageId: { in: imageIds } } });
    expect(total).toBe(10);
    for (const role of ROLES) {
      const where = visibleReviewsWhere(reviewVisibility(role), () => ME);
      const seen = await env.db.expertReview.count({ where: { AND: [{ imageId: { in: imageIds } }, where ?? {}] } });
      // 6 decided reviews for all; the reviewer also their own and their co-reviewer's (2) on image 1
      expect([role, seen]).toEqual([role, { VIEWER: 6, ANNOTATOR: 6, REVIEWER: 8, ADMIN: 10 }[role]]);
    }
  });
});
