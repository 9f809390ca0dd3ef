import { builder } from '../builder.ts';
import type { Agreement, KappaResult } from '../domain/agreement.ts';
import { readProfile } from '../domain/deidentify.ts';
import type { DiagnosisClass } from '../domain/enums.ts';
import { termByPath } from '../domain/terms.ts';
import { type CountShare, computeStats, type Stats } from '../resolvers/stats.ts';
import { ClassCountRef, DistributionRef, IntakeFunnelRef, MalignantRef } from './dataset.ts';
import { FieldDistributionRef } from './facets.ts';
import { ImageFilter, QualityVerdictEnum, RELEASE_ARG_DESCRIPTION, readSubset } from './image.ts';
import { ClinicalStatusEnum, DiagnosisClassEnum, DiagnosisTermRef } from './vocabulary.ts';

const KappaRef = builder.objectRef<KappaResult>('Kappa').implement({
  fields: (t) => ({
    kappa: t.exposeFloat('kappa', { nullable: true, description: 'null when undefined (no variation or no items)' }),
    n: t.exposeInt('n', { description: 'Images the value rests on' }),
  }),
});
const ClassKappaRef = builder.objectRef<KappaResult & { diagnosisClass: DiagnosisClass }>('ClassKappa').implement({
  fields: (t) => ({
    diagnosisClass: t.expose('diagnosisClass', { type: DiagnosisClassEnum }),
    kappa: t.exposeFloat('kappa', { nullable: true }),
    n: t.exposeInt('n'),
  }),
});
const PairKappaRef = builder.objectRef<Agreement['pairs'][number]>('ReviewerPairKappa').implement({
  fields: (t) => ({
    reviewerA: t.exposeString('reviewerA', { nullable: true, authScopes: { reviewer: true } }),
    reviewerB: t.exposeString('reviewerB', { nullable: true, authScopes: { reviewer: true } }),
    kappa: t.exposeFloat('kappa', { nullable: true, description: "Cohen's kappa over the images both reviewed" }),
    n: t.exposeInt('n'),
    perClass: t.field({ type: [ClassKappaRef], resolve: (p) => p.perClass, description: 'One class against the rest' }),
  }),
});
const AgreementRef = builder.objectRef<Agreement>('Agreement').implement({
  description: 'Inter-rater agreement of the independent specialist reviews.',
  fields: (t) => ({
    fleiss: t.field({
      type: KappaRef,
      resolve: (a) => a.fleiss,
      description: "Fleiss' kappa over images with three reviews",
    }),
    fleissPerClass: t.field({ type: [ClassKappaRef], resolve: (a) => a.fleissPerClass }),
    pairs: t.field({ type: [PairKappaRef], resolve: (a) => a.pairs }),
  }),
});
const CountShareRef = builder.objectRef<CountShare>('LabelCount').implement({
  fields: (t) => ({ label: t.exposeString('key'), count: t.exposeInt('count'), share: t.exposeFloat('share') }),
});
const CompletenessRef = builder.objectRef<Stats['completeness'][number]>('FieldCompleteness').implement({
  fields: (t) => ({ field: t.exposeString('field'), present: t.exposeInt('present'), missing: t.exposeInt('missing') }),
});

const QualityVerdictCountRef = builder.objectRef<Stats['qualityVerdicts'][number]>('QualityVerdictCount').implement({
  fields: (t) => ({
    verdict: t.expose('verdict', { type: QualityVerdictEnum }),
    count: t.exposeInt('count'),
    share: t.exposeFloat('share', { description: 'Of the images' }),
  }),
});

const TermCountRef = builder.objectRef<Stats['terms'][number]>('TermCount').implement({
  description: 'Images with one diagnosis term.',
  fields: (t) => ({
    term: t.field({ type: DiagnosisTermRef, resolve: (r) => termByPath(r.term) }),
    diagnosisClass: t.expose('diagnosisClass', {
      type: DiagnosisClassEnum,
      nullable: true,
      description: 'The class of the 9 the images have; null: outside the 9',
    }),
    status: t.expose('status', { type: ClinicalStatusEnum }),
    count: t.exposeInt('count'),
    share: t.exposeFloat('share', { description: 'Of the images' }),
  }),
});
const StatusShareRef = builder.objectRef<Stats['statuses'][number]>('StatusShare').implement({
  fields: (t) => ({
    status: t.expose('status', { type: ClinicalStatusEnum }),
    count: t.exposeInt('count'),
    share: t.exposeFloat('share', { description: 'Of the images' }),
  }),
});
const CollectionShareRef = builder.objectRef<Stats['collections'][number]>('CollectionShare').implement({
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'The collection (see collections)' }),
    count: t.exposeInt('count'),
    share: t.exposeFloat('share', { description: 'Of the images' }),
  }),
});

export const StatsRef = builder.objectRef<Stats>('Stats').implement({
  description: 'The description of a subset under a policy, computed from the records.',
  fields: (t) => ({
    policyId: t.string({ resolve: (s) => s.policy.id }),
    policyVersion: t.string({ resolve: (s) => s.policy.version }),
    images: t.exposeInt('images'),
    patients: t.exposeInt('patients'),
    classes: t.field({
      type: [ClassCountRef],
      resolve: (s) => s.classes,
      description: 'The 9 classes (Table 4); images outside the 9 are counted in outsideNine',
    }),
    outsideNine: t.exposeInt('outsideNine', {
      description: 'Images whose diagnosis term has no place among the 9 classes',
    }),
    terms: t.field({
      type: [TermCountRef],
      resolve: (s) => s.terms,
      description: 'Images per diagnosis term, most frequent first (only terms with images)',
    }),
    statuses: t.field({
      type: [StatusShareRef],
      resolve: (s) => s.statuses,
      description: 'Images per clinical status (the class’s, or the term’s outside the 9), every status listed',
    }),
    collections: t.field({
      type: [CollectionShareRef],
      resolve: (s) => s.collections,
      description: 'Images per collection, most frequent first (only collections with images)',
    }),
    labels: t.field({ type: [CountShareRef], resolve: (s) => s.labels }),
    excluded: t.exposeInt('excluded', { description: 'Images the policy leaves out' }),
    unmapped: t.exposeInt('unmapped', { description: 'Images the policy cannot name' }),
    intake: t.field({
      type: IntakeFunnelRef,
      description:
        'SOP rejections are the whole collection’s (they left no image); duplicates are those of this subset',
      resolve: (s) => ({ ...s.intake, attempts: s.intake.sopRejected + s.intake.records, invalidRejected: 0 }),
    }),
    imagesPerPatient: t.field({ type: DistributionRef, resolve: (s) => s.imagesPerPatient }),
    singleImagePatients: t.int({ resolve: (s) => s.imagesPerPatient.singleImagePatients }),
    age: t.field({
      type: DistributionRef,
      resolve: (s) => s.age,
      description:
        'Age at first examination over valid ages. For viewers computed over ages top-coded at 90 (max 90 means ' +
        '"90 or older"); exact for annotators and above',
    }),
    distributions: t.field({
      type: [FieldDistributionRef],
      resolve: (s) => s.distributions,
      description: 'Counted over images',
    }),
    patientDistributions: t.field({
      type: [FieldDistributionRef],
      resolve: (s) => s.patientDistributions,
      description: 'Sex, Fitzpatrick type and anamnestic facts counted over patients',
    }),
    malignant: t.field({ type: MalignantRef, resolve: (s) => s.malignant }),
    completeness: t.field({ type: [CompletenessRef], resolve: (s) => s.completeness }),
    nearDuplicatePairs: t.exposeInt('nearDuplicatePairs'),
    qualityVerdicts: t.field({
      type: [QualityVerdictCountRef],
      resolve: (s) => s.qualityVerdicts,
      description:
        'Images per verdict of the technical quality advice, every verdict listed (an image with two defects ' +
        'counts under both). Advice: the SOP score decided acceptance',
    }),
    agreement: t.field({ type: AgreementRef, resolve: (s) => s.agreement }),
  }),
});

builder.queryFields((t) => ({
  stats: t.field({
    type: StatsRef,
    authScopes: { viewer: true },
    description:
      'Counts, Table 4, the funnel, distributions, completeness and agreement of the filtered images. For viewers ' +
      'the age figures are top-coded at 90 and the filter’s age and date bounds select no finer than safe-harbor ' +
      'shows (an age bound of 90 or more means 90+, date bounds widen to whole years).',
    args: {
      filter: t.arg({ type: ImageFilter }),
      policy: t.arg.string(),
      release: t.arg.string({ description: RELEASE_ARG_DESCRIPTION }),
    },
    resolve: async (_root, args, ctx) => computeStats(await readSubset(ctx, args), { profile: readProfile(ctx.role) }),
  }),
}));
