// Stage 2a: the independent reviews, blind until the consensus; submitting one, and the queue of
// images waiting for the caller's review.
import { builder } from '../builder.ts';
import { CLASSES } from '../domain/classes.ts';
import type { DermoscopicStructure } from '../domain/enums.ts';
import { countQueue, listQueue, QUEUES } from '../resolvers/images.ts';
import { submitReview } from '../resolvers/verification.ts';
import { actorOf } from '../server/context.ts';
import { shownTime, WORKFLOW_TIME_NOTE } from './deidentified.ts';
import { StructureRegionInput } from './regions.ts';
import { refusals, staffOnly, trailMutation } from './verification.ts';
import { DermoscopicStructureEnum, DiagnosisClassEnum, DiagnosisClassInfoRef } from './vocabulary.ts';

const withStructures = <R extends object>(r: R): r is R & { structures: { structure: DermoscopicStructure }[] } =>
  Array.isArray((r as { structures?: unknown }).structures);

export const ExpertReviewRef = builder.prismaObject('ExpertReview', {
  authScopes: { viewer: true },
  description:
    'Stage 2a: one specialist’s independent review. Blind until the consensus: only its author and admins see it ' +
    '(and the other reviewers of the image once their own is in; see Image.reviews).',
  fields: (t) => ({
    reviewerId: t.exposeString('reviewerCode', staffOnly),
    diagnosisClass: t.field({ type: DiagnosisClassInfoRef, resolve: (r) => CLASSES[r.diagnosisClass] }),
    structures: t.field({
      type: [DermoscopicStructureEnum],
      // a gallery page's reviews come with their structures (resolvers/image-parts.ts); others load them
      resolve: async (r, _args, ctx) =>
        (withStructures(r) ? r.structures : await ctx.parts.reviewStructures.load(r.id)).map((s) => s.structure).sort(),
    }),
    createdAt: t.field({
      type: 'DateTime',
      description: WORKFLOW_TIME_NOTE,
      resolve: (r, _args, ctx) => shownTime(r.createdAt, ctx),
    }),
  }),
});

builder.mutationFields((t) => ({
  submitReview: trailMutation(t, {
    authScopes: { reviewer: true },
    description:
      'Reviewers: one independent review (class and structures); once per reviewer, before the consensus. Blind: ' +
      'until the consensus only its author and admins see it. ' +
      refusals('reviewer', [
        '`ALREADY_DECIDED` once the image has a consensus decision',
        '`DUPLICATE_REVIEW` for a second review by the same reviewer',
        '`BAD_USER_INPUT` (with `argument`, e.g. `regions.1.polygons.0`) for a region out of bounds or of a ' +
          'structure the review does not list (see StructureRegionInput)',
      ]),
    args: {
      diagnosisClass: t.arg({ type: DiagnosisClassEnum, required: true }),
      structures: t.arg({ type: [DermoscopicStructureEnum], required: true }),
      regions: t.arg({
        type: [StructureRegionInput],
        description:
          'Optional: where each structure lies (polygons or a mask), stored with the review; blind until the ' +
          'consensus even to co-reviewers (ExpertReview.regions)',
      }),
    },
    service: submitReview,
    input: ({ imageId, expectedVersion, actor }, args, ctx) => ({
      imageId,
      reviewerCode: actor,
      diagnosisClass: args.diagnosisClass,
      structures: args.structures as DermoscopicStructure[],
      expectedVersion,
      regions: args.regions ? { regions: args.regions, dataDir: ctx.dataDir } : null,
    }),
  }),
}));

/** The order of a work queue: by when its images were stored (their id). */
export const QueueOrderEnum = builder.enumType('QueueOrder', {
  description:
    'OLDEST_FIRST: images in the order they were stored (id ascending; the default); NEWEST_FIRST: the reverse. ' +
    'A cursor is an image’s id, and means the same place in either order.',
  values: ['OLDEST_FIRST', 'NEWEST_FIRST'] as const,
});

builder.queryFields((t) => ({
  reviewQueue: t.prismaConnection(
    {
      type: 'Image',
      cursor: 'id',
      authScopes: { reviewer: true },
      description: 'Images waiting for my independent review (no consensus yet, not reviewed by me).',
      args: { orderBy: t.arg({ type: QueueOrderEnum, defaultValue: 'OLDEST_FIRST' }) },
      totalCount: (_conn, _args, ctx) => countQueue(QUEUES.review(actorOf(ctx).code)),
      resolve: (query, _root, args, ctx) => listQueue(query, QUEUES.review(actorOf(ctx).code), args.orderBy, args),
    },
    { name: 'ReviewQueueConnection' },
    { name: 'ReviewQueueEdge' },
  ),
}));
