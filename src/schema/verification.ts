import { builder } from '../builder.ts';
import { CLASSES } from '../domain/classes.ts';
import { ConsensusOutcome } from '../domain/enums.ts';
import { shownTime, WORKFLOW_TIME_NOTE } from './deidentified.ts';
import { DermoscopicStructureEnum, DiagnosisClassInfoRef } from './vocabulary.ts';

// Codes of examiners, reviewers and pathologists are de-identified, yet still visible to reviewers
// and admins only: each such field is nullable and FORBIDDEN for the other roles.
const staffOnly = { authScopes: { reviewer: true }, nullable: true } as const;

const ConsensusOutcomeEnum = builder.enumType('ConsensusOutcome', { values: Object.values(ConsensusOutcome) });

builder.prismaObject('InitialAnnotation', {
  authScopes: { viewer: true },
  description: 'Stage 1: one dermatologist’s initial clinical annotation.',
  fields: (t) => ({
    examinerId: t.exposeString('examinerCode', staffOnly),
    clinicalDiagnosis: t.exposeString('diagnosisRaw', { description: 'The raw clinical diagnosis text' }),
    diagnosisClass: t.field({
      type: DiagnosisClassInfoRef,
      select: { diagnosisClass: true },
      resolve: (a) => CLASSES[a.diagnosisClass],
    }),
    structures: t.field({
      type: [DermoscopicStructureEnum],
      select: { structures: { select: { structure: true } } },
      resolve: (a) => a.structures.map((s) => s.structure).sort(),
    }),
    createdAt: t.field({
      type: 'DateTime',
      description: WORKFLOW_TIME_NOTE,
      resolve: (r, _args, ctx) => shownTime(r.createdAt, ctx),
    }),
  }),
});

builder.prismaObject('ExpertReview', {
  authScopes: { viewer: true },
  description:
    'Stage 2a: one specialist’s independent review. Blind until the consensus: only its author and admins see it ' +
    '(and the other reviewers of the image once their own is in; see Image.reviews).',
  fields: (t) => ({
    reviewerId: t.exposeString('reviewerCode', staffOnly),
    diagnosisClass: t.field({
      type: DiagnosisClassInfoRef,
      select: { diagnosisClass: true },
      resolve: (r) => CLASSES[r.diagnosisClass],
    }),
    structures: t.field({
      type: [DermoscopicStructureEnum],
      select: { structures: { select: { structure: true } } },
      resolve: (r) => r.structures.map((s) => s.structure).sort(),
    }),
    createdAt: t.field({
      type: 'DateTime',
      description: WORKFLOW_TIME_NOTE,
      resolve: (r, _args, ctx) => shownTime(r.createdAt, ctx),
    }),
  }),
});

builder.prismaObject('ConsensusDecision', {
  authScopes: { viewer: true },
  description: 'Stage 2b: the specialists’ consensus, confirming or correcting the initial label.',
  fields: (t) => ({
    diagnosisClass: t.field({
      type: DiagnosisClassInfoRef,
      select: { diagnosisClass: true },
      resolve: (c) => CLASSES[c.diagnosisClass],
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

builder.prismaObject('HistopathologyReport', {
  authScopes: { viewer: true },
  description: 'Stage 3: the histopathology result and the class it maps to.',
  fields: (t) => ({
    result: t.exposeString('resultText'),
    diagnosisClass: t.field({
      type: DiagnosisClassInfoRef,
      select: { mappedClass: true },
      resolve: (h) => CLASSES[h.mappedClass],
    }),
    reportedBy: t.exposeString('reportedBy', staffOnly),
    reportedAt: t.field({
      type: 'DateTime',
      description: WORKFLOW_TIME_NOTE,
      resolve: (h, _args, ctx) => shownTime(h.reportedAt, ctx),
    }),
  }),
});

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
    to: t.field({ type: DiagnosisClassInfoRef, select: { toClass: true }, resolve: (c) => CLASSES[c.toClass] }),
    reason: t.exposeString('reason'),
  }),
});
