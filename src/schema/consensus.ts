// Stage 2b: the specialists' consensus; recording it, and the queue of images ready for one.
import { builder } from '../builder.ts';
import { CLASSES } from '../domain/classes.ts';
import type { DermoscopicStructure } from '../domain/enums.ts';
import { ConsensusOutcome } from '../domain/enums.ts';
import { countQueue, listQueue, QUEUES } from '../resolvers/images.ts';
import { recordConsensus } from '../resolvers/verification.ts';
import { shownTime, WORKFLOW_TIME_NOTE } from './deidentified.ts';
import { QueueOrderEnum } from './review.ts';
import { NOTE_MAX, refusals, staffOnly, trailMutation } from './verification.ts';
import { DermoscopicStructureEnum, DiagnosisClassEnum, DiagnosisClassInfoRef, vocabularyEnum } from './vocabulary.ts';

const ConsensusOutcomeEnum = vocabularyEnum('ConsensusOutcome', Object.values(ConsensusOutcome));

export const ConsensusDecisionRef = builder.prismaObject('ConsensusDecision', {
  authScopes: { viewer: true },
  description: 'Stage 2b: the specialists’ consensus, confirming or correcting the initial label.',
  fields: (t) => ({
    diagnosisClass: t.field({
      type: DiagnosisClassInfoRef,
      nullable: true,
      description: 'Null: a record outside the 9 classes confirmed at its source (the image’s term stands)',
      resolve: (c) => (c.diagnosisClass ? CLASSES[c.diagnosisClass] : null),
    }),
    outcome: t.expose('outcome', { type: ConsensusOutcomeEnum }),
    reviewCount: t.exposeInt('reviewCount'),
    note: t.exposeString('note', { nullable: true }),
    decidedBy: t.exposeString('decidedBy', staffOnly),
    decidedAt: t.field({
      type: 'DateTime',
      description: WORKFLOW_TIME_NOTE,
      resolve: (c, _args, ctx) => shownTime(c.decidedAt, ctx),
    }),
  }),
});

builder.mutationFields((t) => ({
  recordConsensus: trailMutation(t, {
    authScopes: { reviewer: true },
    description:
      'Reviewers: the agreed class over at least 3 independent reviews, with a note on any disagreement; a class ' +
      'other than the label corrects it (logged). ' +
      refusals(
        'reviewer',
        [
          '`ALREADY_DECIDED` when the image already has a consensus decision',
          '`HISTOLOGY_FINAL` for a class that contradicts an attached histopathology report (histology is final)',
          '`NOT_ENOUGH_REVIEWS` under 3 independent reviews',
        ],
        `a note over ${NOTE_MAX} characters`,
      ),
    args: {
      diagnosisClass: t.arg({ type: DiagnosisClassEnum, required: true }),
      structures: t.arg({ type: [DermoscopicStructureEnum], required: true }),
      note: t.arg.string({
        description: `At most ${NOTE_MAX} characters; white space only is no note`,
      }),
    },
    service: recordConsensus,
    input: ({ imageId, expectedVersion, actor }, args) => ({
      imageId,
      diagnosisClass: args.diagnosisClass,
      structures: args.structures as DermoscopicStructure[],
      note: args.note ?? null,
      decidedBy: actor,
      expectedVersion,
    }),
  }),
}));

builder.queryFields((t) => ({
  consensusQueue: t.prismaConnection(
    {
      type: 'Image',
      cursor: 'id',
      authScopes: { reviewer: true },
      description: 'Images with at least 3 independent reviews and no consensus yet.',
      args: { orderBy: t.arg({ type: QueueOrderEnum, defaultValue: 'OLDEST_FIRST' }) },
      totalCount: () => countQueue(QUEUES.consensus()),
      resolve: (query, _root, args) => listQueue(query, QUEUES.consensus(), args.orderBy, args),
    },
    { name: 'ConsensusQueueConnection' },
    { name: 'ConsensusQueueEdge' },
  ),
}));
