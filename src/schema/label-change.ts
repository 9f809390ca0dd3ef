// The log of label changes, and an admin's correction of a label.
import { builder } from '../builder.ts';
import { CLASSES } from '../domain/classes.ts';
import { MIN_REASON_LENGTH } from '../domain/verification.ts';
import { correctLabel } from '../resolvers/verification.ts';
import { shownTime, WORKFLOW_TIME_NOTE } from './deidentified.ts';
import { REASON_MAX, refusals, staffOnly, trailMutation } from './verification.ts';
import { DiagnosisClassEnum, DiagnosisClassInfoRef } from './vocabulary.ts';

builder.prismaObject('LabelChange', {
  authScopes: { viewer: true },
  description: 'One change of an image’s normalised label: who, when, old → new, why.',
  fields: (t) => ({
    actor: t.exposeString('actor', staffOnly),
    at: t.field({
      type: 'DateTime',
      description: WORKFLOW_TIME_NOTE,
      resolve: (c, _args, ctx) => shownTime(c.at, ctx),
    }),
    from: t.field({
      type: DiagnosisClassInfoRef,
      nullable: true,
      select: { fromClass: true },
      resolve: (c) => (c.fromClass ? CLASSES[c.fromClass] : null),
    }),
    to: t.field({
      type: DiagnosisClassInfoRef,
      nullable: true,
      description: 'Null: the record entered outside the 9 classes',
      select: { toClass: true },
      resolve: (c) => (c.toClass ? CLASSES[c.toClass] : null),
    }),
    reason: t.exposeString('reason'),
  }),
});

builder.mutationFields((t) => ({
  correctLabel: trailMutation(t, {
    authScopes: { admin: true },
    description:
      'Admins only: corrects the label, with a reason (logged). ' +
      refusals(
        'admin',
        [
          '`HISTOLOGY_FINAL` for a class that contradicts an attached histopathology report (amend the report ' +
            'instead: attachHistopathology with a `reason`)',
        ],
        `a reason under ${MIN_REASON_LENGTH} or over ${REASON_MAX} characters`,
      ),
    args: {
      diagnosisClass: t.arg({ type: DiagnosisClassEnum, required: true }),
      reason: t.arg.string({
        required: true,
        description: `Why: ${MIN_REASON_LENGTH} to ${REASON_MAX} characters`,
      }),
    },
    service: correctLabel,
    input: ({ imageId, expectedVersion, actor }, args) => ({
      imageId,
      diagnosisClass: args.diagnosisClass,
      reason: args.reason,
      actor,
      expectedVersion,
    }),
  }),
}));
