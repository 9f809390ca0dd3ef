// The verification workflow over the API: acquire and annotate, review (blind), reach consensus,
// attach histology, correct a label — each allowed to the roles that fit it, each with the image's
// version for optimistic concurrency, each failure a typed error that changes nothing.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createGraphQLError } from 'graphql-yoga';
import { builder } from '../builder.ts';
import { db } from '../db/current.ts';
import type { DermoscopicStructure } from '../domain/enums.ts';
import type { QualityMeasures } from '../domain/quality.ts';
import { MIN_REASON_LENGTH, WORKFLOW_TEXT_LIMITS } from '../domain/verification.ts';
import type { RawRecord } from '../ingest/record.ts';
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
import { requireAdmin, staffCode } from './staff.ts';
import { DermoscopicStructureEnum, DiagnosisClassEnum, IntakeOutcomeEnum } from './vocabulary.ts';

const notAFile = () =>
  createGraphQLError('a File must be sent as a part of a multipart request (GraphQL multipart request specification)', {
    extensions: { code: 'BAD_USER_INPUT', argument: 'file' },
  });

/** A part of a multipart request; anything else (text, a number, a literal in the query) is refused. */
const isFile = (value: unknown): value is File =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as File).arrayBuffer === 'function' &&
  typeof (value as File).name === 'string';

builder.scalarType('File', {
  description: 'A file sent as a multipart request (GraphQL multipart request specification)',
  serialize: () => {
    throw new Error('File is an input type');
  },
  parseValue: (value) => {
    if (!isFile(value)) throw notAFile();
    return value;
  },
  parseLiteral: () => {
    throw notAFile();
  },
});

const typed = (e: unknown): never => {
  if (e instanceof VerificationError) {
    const extensions = e.argument === undefined ? { code: e.code } : { code: e.code, argument: e.argument };
    throw createGraphQLError(e.message, { extensions });
  }
  throw e;
};

/** The intake row as the API names it: IntakeRecord's global id, never the row id. */
const intakeGlobalId = (id: number) => encodeGlobalID('IntakeRecord', id);

const chars = (n: number) => n.toLocaleString('en-US');
const NOTE_MAX = chars(WORKFLOW_TEXT_LIMITS.note);
const REASON_MAX = chars(WORKFLOW_TEXT_LIMITS.reason);
const RESULT_MAX = chars(WORKFLOW_TEXT_LIMITS.result);
/** A trail mutation's refusals, for its description: every code it answers with, and when. */
const refusals = (role: string, rules: readonly string[], texts?: string) =>
  'Refused (typed `extensions.code`; a refusal changes nothing): `UNAUTHENTICATED` without a token; ' +
  `\`FORBIDDEN\` below the ${role} role; \`BAD_USER_INPUT\` (with \`argument\`) for a malformed id or another type’s` +
  (texts ? `, ${texts}` : '') +
  `; \`NOT_FOUND\` for an unknown image; ${rules.join('; ')}; \`CONFLICT\` when \`expectedVersion\` is not the ` +
  'image’s version.';

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
      resolve: async (query, r) => {
        const intake = await db().intakeRecord.findUnique({ ...query, where: { id: r.intakeId } });
        if (!intake) {
          throw createGraphQLError('the intake record of this acquisition is gone', {
            extensions: { code: 'NOT_FOUND' },
          });
        }
        return intake;
      },
    }),
    image: t.prismaField({
      type: 'Image',
      nullable: true,
      description: 'The new record, or the image a duplicate repeats; null for an SOP rejection',
      resolve: (query, r) => {
        if (r.imageId === null) {
          // Nothing to load: mark the selection as consumed, or plugin-prisma's unused-query check
          // (on outside production) adds an error beside the null.
          void { ...query };
          return null;
        }
        return db().image.findUnique({ ...query, where: { id: r.imageId } });
      },
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
      'acquisition pipeline. `record` takes the CSV import’s snake_case columns; the examiner is the caller. An SOP ' +
      'rejection (quality score) is the outcome `REJECTED_QUALITY` with a null `image`, not an error. Refusals are ' +
      'typed errors with `intakeId` (the intake row’s global id) and leave no blob and no record: the pipeline’s ' +
      'code for an invalid record or file (`INVALID_RECORD`, …), `ALREADY_PROCESSED` for this very acquisition ' +
      'sent again; `FORBIDDEN` below the annotator role.',
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
            extensions: { code: r.error.code, intakeId: intakeGlobalId(r.intakeId), issues: r.error.issues },
          });
        case 'ALREADY_PROCESSED':
          throw createGraphQLError('this very acquisition was already processed', {
            extensions: { code: 'ALREADY_PROCESSED', intakeId: intakeGlobalId(r.intakeId) },
          });
      }
    },
  }),
  submitReview: t.prismaField({
    type: 'Image',
    authScopes: { reviewer: true },
    description:
      'Reviewers: one independent review (class and structures); once per reviewer, before the consensus. Blind: ' +
      'until the consensus only its author and admins see it. ' +
      refusals('reviewer', [
        '`ALREADY_DECIDED` once the image has a consensus decision',
        '`DUPLICATE_REVIEW` for a second review by the same reviewer',
      ]),
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
      image: t.arg.globalID({ required: true }),
      expectedVersion: t.arg.int({ required: true }),
      diagnosisClass: t.arg({ type: DiagnosisClassEnum, required: true }),
      structures: t.arg({ type: [DermoscopicStructureEnum], required: true }),
      note: t.arg.string({
        description: `At most ${NOTE_MAX} characters; white space only is no note`,
      }),
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
      image: t.arg.globalID({ required: true }),
      expectedVersion: t.arg.int({ required: true }),
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
    resolve: async (query, _root, args, ctx) => {
      const id = imageIdOf(args.image);
      if (args.reason != null) requireAdmin(ctx, 'amending a histopathology report (`reason`)');
      await attachHistopathology(db(), {
        imageId: id,
        resultText: args.result,
        mappedClass: args.diagnosisClass,
        reportedBy: staffCode(ctx),
        reason: args.reason ?? null,
        expectedVersion: args.expectedVersion,
      }).catch(typed);
      return db().image.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  correctLabel: t.prismaField({
    type: 'Image',
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
      image: t.arg.globalID({ required: true }),
      expectedVersion: t.arg.int({ required: true }),
      diagnosisClass: t.arg({ type: DiagnosisClassEnum, required: true }),
      reason: t.arg.string({
        required: true,
        description: `Why: ${MIN_REASON_LENGTH} to ${REASON_MAX} characters`,
      }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = imageIdOf(args.image);
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
