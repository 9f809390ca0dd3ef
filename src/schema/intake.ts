import { builder } from '../builder.ts';
import { countIntake, listIntake } from '../resolvers/intake.ts';
import { IntakeOutcomeEnum } from './vocabulary.ts';

builder.prismaNode('IntakeRecord', {
  id: { field: 'id' },
  authScopes: { annotator: true },
  description: 'One acquisition attempt and what became of it.',
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    source: t.exposeString('source', { description: 'import, demo, api …' }),
    outcome: t.expose('outcome', { type: IntakeOutcomeEnum }),
    errorCode: t.exposeString('errorCode', { nullable: true, description: 'Why an invalid attempt was refused' }),
    reason: t.exposeString('reason', { nullable: true }),
    qualityScore: t.exposeInt('qualityScore', { nullable: true, description: 'The SOP score given with the attempt' }),
    sourceSha256: t.exposeString('sourceSha256', { nullable: true, description: 'SHA-256 of the file as received' }),
    image: t.relation('image', { nullable: true, description: 'The record an accepted attempt became' }),
    duplicateOf: t.relation('duplicateOf', { nullable: true, description: 'The image an exact duplicate repeats' }),
  }),
});

builder.queryFields((t) => ({
  intakeLog: t.prismaConnection(
    {
      type: 'IntakeRecord',
      cursor: 'id',
      authScopes: { annotator: true },
      description: 'Every acquisition attempt, newest first (annotators and above).',
      args: { outcome: t.arg({ type: [IntakeOutcomeEnum] }) },
      totalCount: (_conn, args) => countIntake(args.outcome),
      resolve: (query, _root, args) => listIntake(query, args),
    },
    { name: 'IntakeRecordConnection' },
    { name: 'IntakeRecordEdge' },
  ),
}));
