// Builds the demo cohort through the same acquisition pipeline and verification workflow that
// real data goes through. Re-running it is a no-op for every step already done, so an
// interrupted seed simply resumes.
import sharp from 'sharp';
import type { Db } from '../../src/db/client.ts';
import { useDatabase } from '../../src/db/current.ts';
import type { AcquisitionPipeline, IngestResult } from '../../src/ingest/pipeline.ts';
import { attachHistopathology, recordConsensus, submitReview } from '../../src/resolvers/verification.ts';
import { type CohortPlan, DEMO_SEED, type PlannedAttempt, planCohort } from './cohort.ts';
import { seedDemoProse } from './datasheet-prose.ts';
import { DrawPool } from './draw-pool.ts';
import { encodeLesionJpeg } from './synthesize.ts';

/** Images whose verification trail is written at once (independent images, one trail each). */
const TRAILS_IN_FLIGHT = 4;

export interface SeedProgress {
  phase: 'acquisition' | 'verification';
  done: number;
  total: number;
}

export interface SeedSummary {
  outcomes: Record<string, number>;
  verified: number;
}

/** The file bytes of one attempt, exactly as a phone or a re-upload would deliver them. */
async function bytesOf(plan: CohortPlan, index: number, cache: Map<number, Buffer>, pool: DrawPool): Promise<Buffer> {
  const a = plan.attempts[index] as PlannedAttempt;
  if (a.duplicateOf !== undefined) {
    const original = cache.get(a.duplicateOf) ?? (await bytesOf(plan, a.duplicateOf, cache, pool));
    // a lossless re-save in another container: same pixels, other bytes
    return a.kind === 'reencoded-duplicate' ? sharp(original).png().toBuffer() : original;
  }
  return encodeLesionJpeg(await pool.draw(a.drawing), a.drawing, { exif: true });
}

export async function seedDemo(
  db: Db,
  pipeline: AcquisitionPipeline,
  opts: {
    seed?: number;
    onProgress?: (p: SeedProgress) => void;
    /** Draw smaller images (tests that need the cohort's records, not its pixels; lower the minimum side too). */
    size?: { width: number; height: number };
  } = {},
): Promise<SeedSummary> {
  // the workflow's services the seed runs (reviews, consensus, histology, prose) use the ambient database
  useDatabase(db);
  const plan = planCohort(opts.seed ?? DEMO_SEED);
  if (opts.size) for (const a of plan.attempts) Object.assign(a.drawing, opts.size);
  const { pseudonyms } = pipeline.deps;
  const needed = new Set(plan.attempts.flatMap((a) => (a.duplicateOf === undefined ? [] : [a.duplicateOf])));
  const cache = new Map<number, Buffer>();
  const results: IngestResult[] = new Array(plan.attempts.length);
  const outcomes: Record<string, number> = {};
  const total = plan.attempts.length;

  // drawing (JavaScript) overlaps with the pipeline's image work (libvips threads)
  let next = 0;
  let done = 0;
  const finished = new Map<number, Promise<void>>();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const a = plan.attempts[i] as PlannedAttempt;
      const run = (async () => {
        const bytes = await bytesOf(plan, i, cache, pool);
        if (needed.has(i)) cache.set(i, bytes);
        // a re-upload is only a duplicate once the picture it repeats is in
        if (a.duplicateOf !== undefined) await finished.get(a.duplicateOf);
        const r = await pipeline.ingest({ bytes, record: a.record, fileName: a.fileName, source: 'demo' });
        results[i] = r;
        outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
        opts.onProgress?.({ phase: 'acquisition', done: ++done, total });
      })();
      finished.set(i, run);
      await run;
    }
  };
  const pool = new DrawPool();
  try {
    await Promise.all([worker(), worker()]);
  } finally {
    await pool.close();
  }

  const accepted = plan.attempts
    .map((a, i) => ({ a, r: results[i] }))
    .filter(
      (x): x is { a: PlannedAttempt & { trail: NonNullable<PlannedAttempt['trail']> }; r: IngestResult } =>
        x.a.trail !== undefined,
    );
  // each image's trail is its own: several images in flight overlap the database's round trips
  let verified = 0;
  let nextTrail = 0;
  const trailWorker = async () => {
    while (nextTrail < accepted.length) {
      const { a, r } = accepted[nextTrail++] as (typeof accepted)[number];
      const imageId = await imageIdOf(db, r);
      if (imageId === undefined) continue;
      await verify(db, imageId, a.trail, {
        specialist: (s) => pseudonyms.code('examiner', s),
        pathologist: pseudonyms.code('examiner', plan.pathologist),
      });
      verified++;
      opts.onProgress?.({ phase: 'verification', done: verified, total: accepted.length });
    }
  };
  await Promise.all(Array.from({ length: TRAILS_IN_FLIGHT }, trailWorker));
  await seedDemoProse();
  return { outcomes, verified };
}

async function imageIdOf(db: Db, r: IngestResult | undefined): Promise<number | undefined> {
  if (!r) return undefined;
  if (r.outcome === 'ACCEPTED') return r.imageId;
  if (r.outcome === 'ALREADY_PROCESSED' && r.previous === 'ACCEPTED') {
    const intake = await db.intakeRecord.findUnique({ where: { id: r.intakeId }, select: { imageId: true } });
    return intake?.imageId ?? undefined;
  }
  return undefined;
}

async function verify(
  db: Db,
  imageId: number,
  trail: NonNullable<PlannedAttempt['trail']>,
  codes: { specialist: (s: string) => string; pathologist: string },
): Promise<void> {
  const state = await db.image.findUniqueOrThrow({
    where: { id: imageId },
    select: {
      reviews: { select: { reviewerCode: true } },
      consensus: { select: { id: true } },
      histopathology: { select: { id: true } },
    },
  });
  const reviewed = new Set(state.reviews.map((r) => r.reviewerCode));
  const dayMs = 86_400_000;
  for (const [k, review] of trail.reviews.entries()) {
    const reviewerCode = codes.specialist(review.specialist);
    if (reviewed.has(reviewerCode)) continue;
    await submitReview({
      imageId,
      reviewerCode,
      diagnosisClass: review.diagnosisClass,
      structures: review.structures,
      at: new Date(trail.decidedAt.getTime() - (3 - k) * dayMs),
    });
  }
  if (!state.consensus) {
    await recordConsensus({
      imageId,
      diagnosisClass: trail.finalClass,
      structures: trail.finalStructures,
      note: trail.consensusNote,
      decidedBy: 'consensus-panel',
      at: trail.decidedAt,
    });
  }
  if (trail.histology && !state.histopathology) {
    await attachHistopathology({
      imageId,
      resultText: trail.histology,
      mappedClass: trail.finalClass,
      reportedBy: codes.pathologist,
      at: trail.reportedAt,
    });
  }
}
