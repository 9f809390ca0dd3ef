// The verification workflow's services beside the trail writes (verification.ts): running one write
// for the API (typed errors, the image read back with the request's selection), the three work
// queues, and the blind-review filter.
import { createGraphQLError } from 'graphql-yoga';
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { MALIGNANT_CLASSES } from '../domain/classes.ts';
import type { ReviewVisibility } from '../domain/review-visibility.ts';
import { MIN_CONSENSUS_REVIEWS } from '../domain/verification.ts';
import { VerificationError } from './verification.ts';

type ImageQuery = { include?: Prisma.ImageInclude; select?: Prisma.ImageSelect };

/** A trail refusal as the API answers it: its code (and argument) in `extensions`. */
function typed(e: unknown): never {
  if (e instanceof VerificationError) {
    const extensions = e.argument === undefined ? { code: e.code } : { code: e.code, argument: e.argument };
    throw createGraphQLError(e.message, { extensions });
  }
  throw e;
}

/** A write to an image's trail (resolvers/verification.ts): submitReview, recordConsensus, … */
export type TrailService<Input> = (input: Input) => Promise<unknown>;

/**
 * One write to an image's trail (a review, the consensus, a report, a correction), then the image
 * as it is now, with the selection of the request. A refusal is a typed error and changes nothing.
 */
export async function writeTrail<Input>(
  query: ImageQuery,
  imageId: number,
  service: TrailService<Input>,
  input: Input,
) {
  await service(input).catch(typed);
  return db().image.findUniqueOrThrow({ ...query, where: { id: imageId } });
}

/** Images waiting for this reviewer's independent review: no consensus yet, not reviewed by them. */
export const reviewQueue = (query: ImageQuery & Prisma.ImageFindManyArgs, reviewerCode: string) =>
  db().image.findMany({
    ...query,
    where: { consensus: null, reviews: { none: { reviewerCode } } },
    orderBy: { id: 'asc' },
  });

/** Images with enough independent reviews and no consensus yet. */
export const consensusQueue = (query: ImageQuery & Prisma.ImageFindManyArgs) =>
  db().image.findMany({
    ...query,
    where: { consensus: null, reviewCount: { gte: MIN_CONSENSUS_REVIEWS } },
    orderBy: { id: 'asc' },
  });

/** Malignant by consensus but without histology: not yet verified malignant. */
export const pendingHistology = (query: ImageQuery & Prisma.ImageFindManyArgs) =>
  db().image.findMany({
    ...query,
    where: { diagnosisClass: { in: [...MALIGNANT_CLASSES] }, consensus: { isNot: null }, histopathology: null },
    orderBy: { id: 'asc' },
  });

/**
 * The blind-review rule (domain/review-visibility.ts) as a filter on an image's reviews, or
 * undefined for none. `me` is the caller's staff code, asked for only when the rule needs it.
 */
export function visibleReviewsWhere(
  visibility: ReviewVisibility,
  me: () => string,
): Prisma.ExpertReviewWhereInput | undefined {
  const decided = { image: { consensus: { isNot: null } } };
  switch (visibility) {
    case 'ALL':
      return undefined;
    case 'DECIDED':
      return decided;
    case 'AUTHOR_OR_CO_REVIEWER': {
      const code = me();
      return { OR: [{ reviewerCode: code }, decided, { image: { reviews: { some: { reviewerCode: code } } } }] };
    }
  }
}
