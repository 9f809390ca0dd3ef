// Stage 3: the histopathology report, the reference standard; attaching (or amending) one, and the
// images still waiting for one.
import { builder } from '../builder.ts';
import { CLASSES } from '../domain/classes.ts';
import { MIN_REASON_LENGTH } from '../domain/verification.ts';
import { countQueue, listQueue, QUEUES } from '../resolvers/images.ts';
import { attachHistopathology } from '../resolvers/verification.ts';
import { shownTime, WORKFLOW_TIME_NOTE } from './deidentified.ts';
import { QueueOrderEnum } from './review.ts';
import { requireAdmin } from './staff.ts';
import { REASON_MAX, RESULT_MAX, refusals, staffOnly, trailMutation } from './verification.ts';
import { DiagnosisClassEnum, DiagnosisClassInfoRef } from './vocabulary.ts';

builder.prismaObject('HistopathologyReport', {
  authScopes: { viewer: true },
  description: 'Stage 3: the histopathology result and the class it maps to.',
  fields: (t) => ({
    result: t.exposeString('resultText'),
    diagnosisClass: t.field({
      type: DiagnosisClassInfoRef,
      nullable: true,
      description: 'Null: a record outside the 9 classes verified at its source (the image’s term stands)',
      select: { mappedClass: true },
      resolve: (h) => (h.mappedClass ? CLASSES[h.mappedClass] : null),
    }),
    reportedBy: t.exposeString('reportedBy', staffOnly),
    reportedAt: t.field({
      type: 'DateTime',
      description: WORKFLOW_TIME_NOTE,
      resolve: (h, _args, ctx) => shownTime(h.reportedAt, ctx),
    }),
  }),
});

builder.mutationFields((t) => ({
  attachHistopathology: trailMutation(t, {
    authScopes: { reviewer: true },
    description:
      'Reviewers: the histopathology result and its class, after the consensus; a differing class corrects the ' +
      'label (logged). Histology is the reference standard and final: once a report is attached, only an admin’s ' +
      'amendment (a new report with a `reason`, which replaces it) changes the label. ' +
      refusals(
        'reviewer',
        [
          '`FORBIDDEN` also for a `reason` from a non-admin',
          '`NO_CONSENSUS` when the image has no consensus decision yet',
          '`ALREADY_DECIDED` when a report is attached and no `reason` is given',
        ],
        `an empty result or one over ${RESULT_MAX} characters, a reason under ${MIN_REASON_LENGTH} or over ` +
          `${REASON_MAX} characters`,
      ),
    args: {
      result: t.arg.string({
        required: true,
        description: `The report’s text: not empty, at most ${RESULT_MAX} characters`,
      }),
      diagnosisClass: t.arg({ type: DiagnosisClassEnum, required: true }),
      reason: t.arg.string({
        description:
          `Admins only: why the attached report is amended (${MIN_REASON_LENGTH} to ${REASON_MAX} characters); ` +
          'required to replace a report, logged with the label change',
      }),
    },
    service: attachHistopathology,
    input: ({ imageId, expectedVersion, actor }, args, ctx) => {
      if (args.reason != null) requireAdmin(ctx, 'amending a histopathology report (`reason`)');
      return {
        imageId,
        resultText: args.result,
        mappedClass: args.diagnosisClass,
        reportedBy: actor,
        reason: args.reason ?? null,
        expectedVersion,
      };
    },
  }),
}));

builder.queryFields((t) => ({
  pendingHistology: t.prismaConnection(
    {
      type: 'Image',
      cursor: 'id',
      authScopes: { reviewer: true },
      description: 'Malignant by consensus but without histology: not yet verified malignant.',
      args: { orderBy: t.arg({ type: QueueOrderEnum, defaultValue: 'OLDEST_FIRST' }) },
      totalCount: () => countQueue(QUEUES.histology()),
      resolve: (query, _root, args) => listQueue(query, QUEUES.histology(), args.orderBy, args),
    },
    { name: 'PendingHistologyConnection' },
    { name: 'PendingHistologyEdge' },
  ),
}));
