import { builder } from '../builder.ts';
import { readProfile } from '../domain/deidentify.ts';
import type { Summary } from '../domain/histogram.ts';
import { type DatasetSummary, summaryOf } from '../resolvers/dataset-summary.ts';
import { computeStats } from '../resolvers/stats.ts';
import { resolveSubset } from '../resolvers/subset.ts';
import { ClinicalStatusEnum, DiagnosisClassEnum, OriginEnum, SexEnum, VerificationStageEnum } from './vocabulary.ts';

export const DistributionRef = builder.objectRef<Summary>('Distribution').implement({
  description: 'Summary of a numeric variable over n observations; null fields when n = 0.',
  fields: (t) => ({
    n: t.exposeInt('n'),
    min: t.exposeFloat('min', { nullable: true }),
    median: t.exposeFloat('median', { nullable: true }),
    mean: t.exposeFloat('mean', { nullable: true }),
    max: t.exposeFloat('max', { nullable: true }),
  }),
});

export const IntakeFunnelRef = builder.objectRef<DatasetSummary['intake']>('IntakeFunnel').implement({
  description: 'What happened to every acquisition attempt.',
  fields: (t) => ({
    attempts: t.exposeInt('attempts'),
    sopRejected: t.exposeInt('sopRejected', { description: 'Refused by the SOP quality gate (score 1–2)' }),
    invalidRejected: t.exposeInt('invalidRejected', { description: 'Refused as invalid files or records' }),
    records: t.exposeInt('records', { description: 'Records after SOP quality control (accepted + duplicates)' }),
    duplicates: t.exposeInt('duplicates', { description: 'Exact duplicates (same decoded pixels)' }),
    duplicateShare: t.exposeFloat('duplicateShare', { description: 'duplicates / records' }),
    uniqueImages: t.exposeInt('uniqueImages'),
  }),
});

type ClassRow = DatasetSummary['classes'][number];
export const ClassCountRef = builder.objectRef<ClassRow>('ClassCount').implement({
  fields: (t) => ({
    diagnosisClass: t.expose('diagnosisClass', { type: DiagnosisClassEnum }),
    count: t.exposeInt('count'),
    share: t.exposeFloat('share'),
    origin: t.expose('origin', { type: OriginEnum }),
    status: t.expose('status', { type: ClinicalStatusEnum }),
  }),
});

const SexCountRef = builder.objectRef<DatasetSummary['sex'][number]>('SexCount').implement({
  fields: (t) => ({
    sex: t.expose('sex', { type: SexEnum, nullable: true }),
    count: t.exposeInt('count'),
    share: t.exposeFloat('share'),
  }),
});
const OriginCountRef = builder.objectRef<DatasetSummary['origins'][number]>('OriginCount').implement({
  fields: (t) => ({
    origin: t.expose('origin', { type: OriginEnum }),
    count: t.exposeInt('count'),
    share: t.exposeFloat('share'),
  }),
});
const StatusCountRef = builder.objectRef<DatasetSummary['statuses'][number]>('StatusCount').implement({
  fields: (t) => ({
    status: t.expose('status', { type: ClinicalStatusEnum }),
    count: t.exposeInt('count'),
    share: t.exposeFloat('share'),
  }),
});
const StageCountRef = builder.objectRef<DatasetSummary['stages'][number]>('StageCount').implement({
  fields: (t) => ({
    stage: t.expose('stage', { type: VerificationStageEnum }),
    count: t.exposeInt('count'),
  }),
});
export const MalignantRef = builder.objectRef<DatasetSummary['malignant']>('MalignantVerification').implement({
  fields: (t) => ({
    count: t.exposeInt('count'),
    histologyVerified: t.exposeInt('histologyVerified'),
    histologyShare: t.exposeFloat('histologyShare'),
  }),
});
const PeriodRef = builder.objectRef<DatasetSummary['collection']>('CollectionPeriod').implement({
  description:
    'The first and the last acquisition. For viewers the first instant (UTC) of their years (safe-harbor); exact ' +
    'for annotators and above',
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime', nullable: true }),
    to: t.expose('to', { type: 'DateTime', nullable: true }),
  }),
});

const DatasetSummaryRef = builder.objectRef<DatasetSummary>('DatasetSummary').implement({
  description: 'The headline numbers of the whole dataset (the paper’s Tables 4–5), computed from the records.',
  fields: (t) => ({
    intake: t.field({ type: IntakeFunnelRef, resolve: (s) => s.intake }),
    images: t.exposeInt('images'),
    patients: t.exposeInt('patients'),
    imagesPerPatient: t.field({ type: DistributionRef, resolve: (s) => s.imagesPerPatient }),
    singleImagePatients: t.int({ resolve: (s) => s.imagesPerPatient.singleImagePatients }),
    age: t.field({
      type: DistributionRef,
      description:
        'Age at first examination over patients with a valid age (n = patients counted). For viewers computed over ' +
        'ages top-coded at 90 (max 90 means "90 or older"); exact for annotators and above',
      resolve: (s) => s.age,
    }),
    sex: t.field({ type: [SexCountRef], resolve: (s) => s.sex }),
    classes: t.field({
      type: [ClassCountRef],
      resolve: (s) => s.classes,
      description: 'The 9 classes (Table 4); images outside the 9 are counted in outsideNine',
    }),
    outsideNine: t.exposeInt('outsideNine', {
      description: 'Images whose diagnosis term has no place among the 9 classes (not in classes)',
    }),
    diagnosticCategories: t.exposeInt('diagnosticCategories'),
    informationModelFields: t.exposeInt('informationModelFields'),
    origins: t.field({ type: [OriginCountRef], resolve: (s) => s.origins }),
    statuses: t.field({ type: [StatusCountRef], resolve: (s) => s.statuses }),
    stages: t.field({ type: [StageCountRef], resolve: (s) => s.stages }),
    malignant: t.field({ type: MalignantRef, resolve: (s) => s.malignant }),
    collection: t.field({ type: PeriodRef, resolve: (s) => s.collection }),
    nearDuplicatePairs: t.exposeInt('nearDuplicatePairs'),
  }),
});

builder.queryFields((t) => ({
  datasetSummary: t.field({
    type: DatasetSummaryRef,
    authScopes: { viewer: true },
    description:
      'Counts, funnel and distributions of the whole dataset. Viewers read ages top-coded at 90 and the collection ' +
      'period in years (safe-harbor); counts and shares are the same for every role.',
    resolve: async (_root, _args, ctx) => {
      const profile = readProfile(ctx.role);
      return summaryOf(await computeStats(await resolveSubset(ctx, {}), { profile }), profile);
    },
  }),
}));
