// Stage 1: the examiner's initial annotation, and acquiring an image with it over the API
// (createInitialAnnotation: a multipart upload through the acquisition pipeline).
import { createGraphQLError } from 'graphql-yoga';
import { builder } from '../builder.ts';
import { CLASSES } from '../domain/classes.ts';
import {
  type AcquisitionResult,
  acquire,
  acquisitionImage,
  acquisitionIntake,
  acquisitionRecord,
  TEXT_LIMITS,
} from '../resolvers/acquisition.ts';
import { actorOf } from '../server/context.ts';
import { shownTime, WORKFLOW_TIME_NOTE } from './deidentified.ts';
import { QualityAdviceRef } from './image.ts';
import { staffOnly } from './verification.ts';
import {
  AnatomicalSiteEnum,
  BorderRegularityEnum,
  ColorEnum,
  DermoscopicStructureEnum,
  DiagnosisClassInfoRef,
  ElevationEnum,
  FitzpatrickTypeEnum,
  IntakeOutcomeEnum,
  SexEnum,
  VerificationStageEnum,
} from './vocabulary.ts';

builder.prismaObject('InitialAnnotation', {
  authScopes: { viewer: true },
  description: 'Stage 1: one dermatologist’s initial clinical annotation.',
  fields: (t) => ({
    examinerId: t.exposeString('examinerCode', staffOnly),
    clinicalDiagnosis: t.exposeString('diagnosisRaw', { description: 'The raw clinical diagnosis text' }),
    diagnosisClass: t.field({
      type: DiagnosisClassInfoRef,
      nullable: true,
      description: 'Null: outside the 9 classes (the image’s term stands)',
      select: { diagnosisClass: true },
      resolve: (a) => (a.diagnosisClass ? CLASSES[a.diagnosisClass] : null),
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
    if (Array.isArray(value))
      throw createGraphQLError(`one file expected, got a list of ${value.length}`, {
        extensions: { code: 'BAD_USER_INPUT', argument: 'file' },
      });
    if (!isFile(value)) throw notAFile();
    return value;
  },
  parseLiteral: () => {
    throw notAFile();
  },
});

const AcquisitionResultRef = builder.objectRef<AcquisitionResult>('AcquisitionResult').implement({
  description: 'What became of an acquisition: a new record, a duplicate of one, or an SOP rejection (counted).',
  fields: (t) => ({
    outcome: t.expose('outcome', { type: IntakeOutcomeEnum }),
    intake: t.prismaField({
      type: 'IntakeRecord',
      resolve: (query, r) => acquisitionIntake(query, r.intakeId),
    }),
    image: t.prismaField({
      type: 'Image',
      nullable: true,
      description: 'The new record, or the image a duplicate repeats; null for an SOP rejection',
      resolve: (query, r) => acquisitionImage(query, r.imageId),
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

const AcquisitionRecordInput = builder.inputType('AcquisitionRecordInput', {
  description:
    'The record of an acquisition, typed: the CSV import’s columns in camelCase, the vocabularies as enums. It is ' +
    'checked exactly as `record` is (the same translation, the same rules); the examiner is the caller.',
  fields: (t) => ({
    patientId: t.string({
      required: true,
      description: `The patient’s identifier (at most ${TEXT_LIMITS.patient_id} characters); stored only as a keyed code`,
    }),
    lesionId: t.string({ description: `The lesion’s identifier (at most ${TEXT_LIMITS.lesion_id} characters)` }),
    acquisitionDate: t.field({
      type: 'DateTime',
      description: 'When the image was taken: 2000-01-01 to today (required)',
    }),
    ageAtExam: t.int({ description: 'Whole years, 0–120' }),
    sex: t.field({ type: SexEnum }),
    fitzpatrickType: t.field({ type: FitzpatrickTypeEnum }),
    sunburnHistory: t.boolean(),
    personalCaHistory: t.boolean(),
    anatomicalSite: t.field({ type: AnatomicalSiteEnum }),
    lesionDiameterMm: t.float({ description: 'Above 0, at most 300' }),
    dominantColors: t.field({ type: [ColorEnum] }),
    elevation: t.field({ type: ElevationEnum }),
    borderRegularity: t.field({ type: BorderRegularityEnum }),
    dermoscopicStructures: t.field({ type: [DermoscopicStructureEnum] }),
    clinicalDiagnosis: t.string({
      description: `One of the 9 classes, a synonym or a term’s name (at most ${TEXT_LIMITS.clinical_diagnosis} characters); or diagnosisTerm`,
    }),
    diagnosisTerm: t.string({
      description: `A term of the diagnosis vocabulary: a path of the ISIC hierarchy or a term’s name (at most ${TEXT_LIMITS.diagnosis_term} characters)`,
    }),
    histopathologyResult: t.string({
      description: `The report (at most ${TEXT_LIMITS.histopathology_result} characters); required at HISTOLOGY`,
    }),
    verificationStage: t.field({ type: VerificationStageEnum, description: 'Default INITIAL' }),
    imageQualityScore: t.int({ description: 'The SOP quality score, 1–5 (required)' }),
  }),
});

builder.mutationFields((t) => ({
  createInitialAnnotation: t.field({
    type: AcquisitionResultRef,
    authScopes: { annotator: true },
    description:
      'Annotators: acquires an image with the examiner’s initial annotation (class, structures, clinical fields) through the ' +
      'acquisition pipeline. Give exactly one of `input` (typed, camelCase) and `record` (the CSV import’s snake_case ' +
      'columns as JSON; a key it does not have is refused, naming the key it probably meant); both or neither is ' +
      'BAD_USER_INPUT, and so is an unknown key, before anything is written. The examiner is the caller. An SOP ' +
      'rejection (quality score) is the outcome `REJECTED_QUALITY` with a null `image`, not an error. Refusals are ' +
      'typed errors with `intakeId` (the intake row’s global id) and leave no blob and no record: the pipeline’s ' +
      'code for an invalid record or file (`INVALID_RECORD`, …), `ALREADY_PROCESSED` for this very acquisition ' +
      'sent again; `FORBIDDEN` below the annotator role.',
    args: {
      file: t.arg({ type: 'File', required: true }),
      record: t.arg({ type: 'JSONObject', description: 'The CSV import’s columns, snake_case (or input)' }),
      input: t.arg({ type: AcquisitionRecordInput, description: 'The record, typed (or record)' }),
    },
    resolve: (_root, args, ctx) => {
      const record = acquisitionRecord(args);
      const actor = actorOf(ctx);
      return acquire(ctx.pipeline(), { examiner: actor.source, actor: actor.code }, args.file as File, record);
    },
  }),
}));
