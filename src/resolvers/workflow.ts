// The verification workflow's services beside the trail writes (verification.ts): running one write
// for the API (typed errors, the image read back with the request's selection) and the blind-review
// filter. The three work queues' conditions are in images.ts (QUEUES).
import { createGraphQLError } from 'graphql-yoga';
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import type { ReviewVisibility } from '../domain/review-visibility.ts';
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
