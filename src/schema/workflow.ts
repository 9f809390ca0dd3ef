// The verification workflow over the API: acquire and annotate, review (blind), reach consensus,
// attach histology, correct a label — each allowed to the roles that fit it, each with the image's
// version for optimistic concurrency, each failure a typed error that changes nothing.
import { createGraphQLError } from 'graphql-yoga';
import { builder } from '../builder.ts';
import { db } from '../db/current.ts';
import type { DermoscopicStructure } from '../domain/enums.ts';
import type { QualityMeasures } from '../domain/quality.ts';
import type { RawRecord } from '../ingest/record.ts';
import { badInput } from '../resolvers/errors.ts';
import { qualityOf } from '../resolvers/images.ts';
import {
  attachHistopathology,
  correctLabel,
  recordConsensus,
  submitReview,
  VerificationError,
} from '../resolvers/verification.ts';
import { imageIdOf } from './ids.ts';
import { QualityAdviceRef } from './image.ts';
import { staffCode } from './staff.ts';
import { DermoscopicStructureEnum, DiagnosisClassEnum, IntakeOutcomeEnum } from './vocabulary.ts';

builder.scalarType('File', {
  description: 'A file sent as a multipart request (GraphQL multipart request specification)',
  serialize: () => {
    throw new Error('File is an input type');
  },
});

const typed = (e: unknown): never => {
  if (e instanceof VerificationError) throw createGraphQLError(e.message, { extensions: { code: e.code } });
  throw e;
};

interface AcquisitionResult {
  outcome: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED_QUALITY';
  intakeId: number;
  imageId: number | null;
  /** Measured on the frame (a duplicate: stored with the image it repeats). */
  quality: QualityMeasures;
}
const AcquisitionResultRef = builder.objectRef<AcquisitionResult>('AcquisitionResult').implement({
  description: 'What became of an acquisition: a new record, a duplicate of one, or an SOP rejection (counted).',
  fields: (t) => ({
    outcome: t.expose('outcome', { type: IntakeOutcomeEnum }),
    intake: t.prismaField({
      type: 'IntakeRecord',
      resolve: (query, r) => db().intakeRecord.findUniqueOrThrow({ ...query, where: { id: r.intakeId } }),
    }),
    image: t.prismaField({
      type: 'Image',
      nullable: true,
      description: 'The new record, or the image a duplicate repeats',
      resolve: (query, r) =>
        r.imageId === null ? null : db().image.findUnique({ ...query, where: { id: r.imageId } }),
    }),
    qualityAdvice: t.field({
      type: QualityAdviceRef,
      description:
        'The technical advice on the frame, with its verdicts, for the annotator at upload (also for an SOP ' +
        'rejection, and for a duplicate: the stored image’s). Advice only: the SOP score decided the outcome',
      resolve: (r) => r.quality,
    }),
  }),
});

builder.mutationFields((t) => ({
  createInitialAnnotation: t.field({
    type: AcquisitionResultRef,
    authScopes: { annotator: true },
    description:
      'Annotators: acquires an image with the examiner’s initial annotation (class, structures, clinical fields) through the ' +
      'acquisition pipeline. `record` takes the CSV import’s snake_case columns; the examiner is the caller. Refusals ' +
      '(invalid record or file) are typed errors with the intake row’s id and leave no blob and no record.',
    args: { file: t.arg({ type: 'File', required: true }), record: t.arg({ type: 'JSONObject', required: true }) },
    resolve: async (_root, args, ctx) => {
      const file = args.file as File;
      const record = { ...(args.record as RawRecord), examiner_id: `token:${ctx.identity?.tokenId}` };
      const r = await ctx.pipeline().ingest({
        bytes: Buffer.from(await file.arrayBuffer()),
        record,
        fileName: file.name,
        source: 'api',
        actor: staffCode(ctx),
      });
      switch (r.outcome) {
        case 'ACCEPTED':
          return { outcome: 'ACCEPTED' as const, intakeId: r.intakeId, imageId: r.imageId, quality: r.quality };
        case 'DUPLICATE':
          return {
            outcome: 'DUPLICATE' as const,
            intakeId: r.intakeId,
            imageId: r.duplicateOfId,
            quality: await qualityOf(r.duplicateOfId),
          };
        case 'REJECTED_QUALITY':
          return { outcome: 'REJECTED_QUALITY' as const, intakeId: r.intakeId, imageId: null, quality: r.quality };
        case 'REJECTED_INVALID':
          throw createGraphQLError(r.error.message, {
            extensions: { code: r.error.code, intakeId: r.intakeId, issues: r.error.issues },
          });
        case 'ALREADY_PROCESSED':
          throw createGraphQLError('this very acquisition was already processed', {
            extensions: { code: 'ALREADY_PROCESSED', intakeId: r.intakeId },
          });
      }
    },
  }),
  submitReview: t.prismaField({
    type: 'Image',
    authScopes: { reviewer: true },
    description: 'Reviewers: one independent review (class and structures); once per reviewer, before the consensus.',
    args: {
      image: t.arg.globalID({ required: true }),
      expectedVersion: t.arg.int({ required: true }),
      diagnosisClass: t.arg({ type: DiagnosisClassEnum, required: true }),
      structures: t.arg({ type: [DermoscopicStructureEnum], required: true }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = imageIdOf(args.image);
      await submitReview(db(), {
        imageId: id,
        reviewerCode: staffCode(ctx),
        diagnosisClass: args.diagnosisClass,
        structures: args.structures as DermoscopicStructure[],
        expectedVersion: args.expectedVersion,
      }).catch(typed);
      return db().image.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  recordConsensus: t.prismaField({
    type: 'Image',
    authScopes: { reviewer: true },
    description: 'Reviewers: the agreed class over at least 3 independent reviews, with a note on any disagreement.',
    args: {
      image: t.arg.globalID({ required: true }),
      expectedVersion: t.arg.int({ required: true }),
      diagnosisClass: t.arg({ type: DiagnosisClassEnum, required: true }),
      structures: t.arg({ type: [DermoscopicStructureEnum], required: true }),
      note: t.arg.string(),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = imageIdOf(args.image);
      await recordConsensus(db(), {
        imageId: id,
        diagnosisClass: args.diagnosisClass,
        structures: args.structures as DermoscopicStructure[],
        note: args.note ?? null,
        decidedBy: staffCode(ctx),
        expectedVersion: args.expectedVersion,
      }).catch(typed);
      return db().image.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  attachHistopathology: t.prismaField({
    type: 'Image',
    authScopes: { reviewer: true },
    description: 'Reviewers: the histopathology result and its class; a differing class corrects the label (logged).',
    args: {
      image: t.arg.globalID({ required: true }),
      expectedVersion: t.arg.int({ required: true }),
      result: t.arg.string({ required: true }),
      diagnosisClass: t.arg({ type: DiagnosisClassEnum, required: true }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = imageIdOf(args.image);
      await attachHistopathology(db(), {
        imageId: id,
        resultText: args.result,
        mappedClass: args.diagnosisClass,
        reportedBy: staffCode(ctx),
        expectedVersion: args.expectedVersion,
      }).catch(typed);
      return db().image.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  correctLabel: t.prismaField({
    type: 'Image',
    authScopes: { admin: true },
    description: 'Admins only: corrects the label, with a reason (logged).',
    args: {
      image: t.arg.globalID({ required: true }),
      expectedVersion: t.arg.int({ required: true }),
      diagnosisClass: t.arg({ type: DiagnosisClassEnum, required: true }),
      reason: t.arg.string({ required: true }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = imageIdOf(args.image);
      if (args.reason.trim().length < 3) {
        throw badInput('a correction needs a reason', 'reason');
      }
      await correctLabel(db(), {
        imageId: id,
        diagnosisClass: args.diagnosisClass,
        reason: args.reason,
        actor: staffCode(ctx),
        expectedVersion: args.expectedVersion,
      }).catch(typed);
      return db().image.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
}));

const MALIGNANT = ['MELANOMA', 'BASAL_CELL_CARCINOMA', 'SQUAMOUS_CELL_CARCINOMA'] as const;

builder.queryFields((t) => ({
  reviewQueue: t.prismaConnection(
    {
      type: 'Image',
      cursor: 'id',
      authScopes: { reviewer: true },
      description: 'Images waiting for my independent review (no consensus yet, not reviewed by me).',
      resolve: (query, _root, _args, ctx) =>
        db().image.findMany({
          ...query,
          where: { consensus: null, reviews: { none: { reviewerCode: staffCode(ctx) } } },
          orderBy: { id: 'asc' },
        }),
    },
    { name: 'ReviewQueueConnection' },
    { name: 'ReviewQueueEdge' },
  ),
  consensusQueue: t.prismaConnection(
    {
      type: 'Image',
      cursor: 'id',
      authScopes: { reviewer: true },
      description: 'Images with at least 3 independent reviews and no consensus yet.',
      resolve: (query) =>
        db().image.findMany({ ...query, where: { consensus: null, reviewCount: { gte: 3 } }, orderBy: { id: 'asc' } }),
    },
    { name: 'ConsensusQueueConnection' },
    { name: 'ConsensusQueueEdge' },
  ),
  pendingHistology: t.prismaConnection(
    {
      type: 'Image',
      cursor: 'id',
      authScopes: { reviewer: true },
      description: 'Malignant by consensus but without histology: not yet verified malignant.',
      resolve: (query) =>
        db().image.findMany({
          ...query,
          where: { diagnosisClass: { in: [...MALIGNANT] }, consensus: { isNot: null }, histopathology: null },
          orderBy: { id: 'asc' },
        }),
    },
    { name: 'PendingHistologyConnection' },
    { name: 'PendingHistologyEdge' },
  ),
}));
