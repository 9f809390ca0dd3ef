import { getRefFromModel, queryFromInfo } from '@pothos/plugin-prisma';
import { builder } from '../builder.ts';
import { CLASSES, type ClassInfo } from '../domain/classes.ts';
import { ageNumber, ageValue, generaliseFilter, readProfile } from '../domain/deidentify.ts';
import { displayName } from '../domain/display-names.ts';
import type {
  AnatomicalSite,
  BorderRegularity,
  ClinicalStatus,
  Color,
  DermoscopicStructure,
  Elevation,
  FitzpatrickType,
  Sex,
  VerificationStage,
} from '../domain/enums.ts';
import { imagePath } from '../domain/image-url.ts';
import {
  QUALITY_VERDICTS,
  type QualityCheck,
  type QualityMeasures,
  qualityChecks,
  qualityVerdicts,
} from '../domain/quality.ts';
import { type DiagnosisTerm, termByPath } from '../domain/terms.ts';
import { type ImageFilter as ImageFilterShape, OPTIONAL_FIELDS } from '../resolvers/image-filter.ts';
import {
  countImages,
  IMAGE_ORDER_KEYS,
  type ImageOrderField,
  imageBySha256,
  imagesConnection,
  sortOrder,
} from '../resolvers/images.ts';
import { resolveSelection, resolveSubset } from '../resolvers/subset.ts';
import type { Context } from '../server/context.ts';
import { ConsensusDecisionRef } from './consensus.ts';
import { shownTime } from './deidentified.ts';
import { ExpertReviewRef } from './review.ts';
import {
  AnatomicalSiteEnum,
  BorderRegularityEnum,
  ClinicalStatusEnum,
  ColorEnum,
  DermoscopicStructureEnum,
  DiagnosisClassEnum,
  DiagnosisClassInfoRef,
  DiagnosisTermRef,
  ElevationEnum,
  FitzpatrickTypeEnum,
  OriginEnum,
  SexEnum,
  SplitPartEnum,
  VerificationStageEnum,
  vocabularyEnum,
} from './vocabulary.ts';

// ---------------------------------------------------------------- the six blocks of a record

/** The field beside it, as a person reads it (domain/display-names.ts; every value: Query.vocabularies). */
const SHOWN = 'The value beside it as shown to a person ("Upper extremity"); null when that value is null';
const shown = (vocabulary: string, value: string | null) => (value === null ? null : displayName(vocabulary, value));

interface Demographic {
  ageAtExam: number | null;
  ageAtExamRaw: string | null;
  sex: Sex | null;
  fitzpatrickType: FitzpatrickType | null;
}
const DemographicBlock = builder.objectRef<Demographic>('DemographicBlock').implement({
  fields: (t) => ({
    ageAtExam: t.exposeInt('ageAtExam', {
      nullable: true,
      description:
        'Valid age in years; null when missing or invalid. Viewers read it top-coded (safe-harbor): 90 means 90 or ' +
        'older; annotators and above read the exact age',
    }),
    ageAtExamRaw: t.exposeString('ageAtExamRaw', {
      nullable: true,
      description:
        'The age as it was entered (annotators and above). Viewers read the safe-harbor text of a valid age ' +
        '("45", "90+") and null for an invalid one (what was typed may identify someone)',
    }),
    sex: t.expose('sex', { type: SexEnum, nullable: true }),
    sexDisplayName: t.string({ nullable: true, resolve: (b) => shown('Sex', b.sex), description: SHOWN }),
    fitzpatrickType: t.expose('fitzpatrickType', { type: FitzpatrickTypeEnum, nullable: true }),
    fitzpatrickTypeDisplayName: t.string({
      nullable: true,
      resolve: (b) => shown('FitzpatrickType', b.fitzpatrickType),
      description: SHOWN,
    }),
  }),
});

interface Anamnestic {
  sunburnHistory: boolean | null;
  personalCaHistory: boolean | null;
}
const AnamnesticBlock = builder.objectRef<Anamnestic>('AnamnesticBlock').implement({
  fields: (t) => ({
    sunburnHistory: t.exposeBoolean('sunburnHistory', { nullable: true }),
    personalCaHistory: t.exposeBoolean('personalCaHistory', { nullable: true }),
  }),
});

interface Morphological {
  anatomicalSite: AnatomicalSite | null;
  lesionDiameterMm: number | null;
  dominantColors: Color[];
  elevation: Elevation | null;
  borderRegularity: BorderRegularity | null;
}
const MorphologicalBlock = builder.objectRef<Morphological>('MorphologicalBlock').implement({
  fields: (t) => ({
    anatomicalSite: t.expose('anatomicalSite', { type: AnatomicalSiteEnum, nullable: true }),
    anatomicalSiteDisplayName: t.string({
      nullable: true,
      resolve: (b) => shown('AnatomicalSite', b.anatomicalSite),
      description: SHOWN,
    }),
    lesionDiameterMm: t.exposeFloat('lesionDiameterMm', { nullable: true }),
    dominantColors: t.expose('dominantColors', { type: [ColorEnum] }),
    dominantColorsDisplayNames: t.stringList({
      resolve: (b) => b.dominantColors.map((c) => displayName('Color', c)),
      description: 'The display names of dominantColors, in its order (see vocabularies)',
    }),
    elevation: t.expose('elevation', { type: ElevationEnum, nullable: true }),
    elevationDisplayName: t.string({
      nullable: true,
      resolve: (b) => shown('Elevation', b.elevation),
      description: SHOWN,
    }),
    borderRegularity: t.expose('borderRegularity', { type: BorderRegularityEnum, nullable: true }),
    borderRegularityDisplayName: t.string({
      nullable: true,
      resolve: (b) => shown('BorderRegularity', b.borderRegularity),
      description: SHOWN,
    }),
  }),
});

const DermoscopicBlock = builder.objectRef<{ structures: DermoscopicStructure[] }>('DermoscopicBlock').implement({
  fields: (t) => ({
    dermoscopicStructures: t.expose('structures', { type: [DermoscopicStructureEnum] }),
    dermoscopicStructuresDisplayNames: t.stringList({
      resolve: (b) => b.structures.map((x) => displayName('DermoscopicStructure', x)),
      description: 'The display names of dermoscopicStructures, in its order (see vocabularies)',
    }),
  }),
});

interface Diagnostic {
  clinicalDiagnosis: string;
  diagnosisClass: ClassInfo | null;
  term: DiagnosisTerm;
  clinicalStatus: ClinicalStatus;
  histopathologyResult: string | null;
  verificationStage: VerificationStage;
}
const DiagnosticBlock = builder.objectRef<Diagnostic>('DiagnosticBlock').implement({
  fields: (t) => ({
    clinicalDiagnosis: t.exposeString('clinicalDiagnosis', { description: 'The raw clinical diagnosis, verbatim' }),
    diagnosisClass: t.expose('diagnosisClass', {
      type: DiagnosisClassInfoRef,
      nullable: true,
      description: 'The normalised class; null when the term has no place among the 9 ("outside the 9")',
    }),
    term: t.expose('term', { type: DiagnosisTermRef, description: 'The diagnosis term, always present' }),
    clinicalStatus: t.expose('clinicalStatus', {
      type: ClinicalStatusEnum,
      description: 'The class’s status, or the term’s outside the 9',
    }),
    clinicalStatusDisplayName: t.string({
      resolve: (b) => displayName('ClinicalStatus', b.clinicalStatus),
      description: SHOWN,
    }),
    histopathologyResult: t.exposeString('histopathologyResult', { nullable: true }),
    verificationStage: t.expose('verificationStage', { type: VerificationStageEnum }),
    verificationStageDisplayName: t.string({
      resolve: (b) => displayName('VerificationStage', b.verificationStage),
      description: SHOWN,
    }),
  }),
});

interface Service extends QualityMeasures {
  examinerCode: string | null;
  imageQualityScore: number | null;
}

/** Described by domain/display-names.ts, as every vocabulary. */
export const QualityVerdictEnum = vocabularyEnum('QualityVerdict', QUALITY_VERDICTS);
const QualityCheckNameEnum = builder.enumType('QualityCheckName', {
  values: {
    SHARPNESS: { description: 'sharpness → BLURRED' },
    BRIGHTNESS: { description: 'meanLuminance → UNDEREXPOSED' },
    HIGHLIGHTS: { description: 'highlightShare → OVEREXPOSED' },
    GLARE: { description: 'glareShare → GLARE' },
  },
});
const QualityCheckRef = builder.objectRef<QualityCheck>('QualityCheck').implement({
  description: 'One check of the advice: a measure against a documented threshold, and its verdict.',
  fields: (t) => ({
    check: t.expose('check', { type: QualityCheckNameEnum }),
    verdict: t.expose('verdict', { type: QualityVerdictEnum, description: 'OK or the defect this check looks for' }),
    value: t.exposeFloat('value', { nullable: true, description: 'The measure read; null when it was not measured' }),
    threshold: t.exposeFloat('threshold'),
    flaggedBelow: t.boolean({
      description: 'true: the defect is flagged below the threshold; false: at or above it',
      resolve: (c) => c.flagged === 'below',
    }),
  }),
});
export const QualityAdviceRef = builder.objectRef<QualityMeasures>('QualityAdvice').implement({
  description:
    'Automatic technical measures on the 256 px copy of the image, with a verdict per check. Stored as advice ' +
    'beside the examiner’s score: the SOP score alone decides whether an acquisition is accepted.',
  fields: (t) => ({
    verdicts: t.field({
      type: [QualityVerdictEnum],
      description: '[OK], or every defect found',
      resolve: (m) => qualityVerdicts(m),
    }),
    checks: t.field({ type: [QualityCheckRef], resolve: (m) => qualityChecks(m) }),
    sharpness: t.exposeFloat('sharpness', { description: 'Variance of the Laplacian of luminance (higher = sharper)' }),
    clippedShare: t.exposeFloat('clippedShare', {
      description: 'Share of pixels with clipped exposure (luminance ≤ 3 or ≥ 252)',
    }),
    glareShare: t.exposeFloat('glareShare', { description: 'Share of bright, colourless (glare) pixels' }),
    meanLuminance: t.exposeFloat('meanLuminance', {
      nullable: true,
      description: 'Mean luminance 0–255; null for images stored before it was measured',
    }),
    highlightShare: t.exposeFloat('highlightShare', {
      nullable: true,
      description: 'Share of blown-out pixels (luminance ≥ 252); null for images stored before it was measured',
    }),
  }),
});
const ServiceBlock = builder.objectRef<Service>('ServiceBlock').implement({
  fields: (t) => ({
    examinerId: t.exposeString('examinerCode', {
      nullable: true,
      authScopes: { reviewer: true },
      description: 'De-identified code of the examining specialist (reviewers and admins only)',
    }),
    imageQualityScore: t.exposeInt('imageQualityScore', {
      nullable: true,
      description: 'SOP score 1–5 given by the examiner; null for records of public collections',
    }),
    qualityAdvice: t.field({ type: QualityAdviceRef, resolve: (s) => s }),
  }),
});

// ---------------------------------------------------------------- file facts and the image

export const ImageVariantEnum = builder.enumType('ImageVariant', {
  values: {
    ORIGINAL: { description: 'The stored original (metadata stripped)' },
    THUMBNAIL: { description: '256 px WebP' },
  },
});

/** The image at one end of a near-duplicate link (the page's other ends, read in one statement). */
async function linkEnd(ctx: Context, id: number) {
  const image = await ctx.parts.images.load(id);
  if (!image) throw new Error(`near-duplicate link to image ${id}, which has no row`);
  return image;
}

const NearDuplicateLink = builder.prismaObject('NearDuplicate', {
  authScopes: { viewer: true },
  description: 'A visually near-identical image, by perceptual-hash distance.',
  fields: (t) => ({
    distance: t.exposeInt('distance', { description: 'Hamming distance of the 64-bit perceptual hashes' }),
  }),
});

builder.prismaObject('FactConflict', {
  authScopes: { viewer: true },
  description:
    'A patient fact of an image’s record that contradicts what earlier records of the same patient say. The record ' +
    'was stored all the same (public collections only) and the patient keeps the first value.',
  fields: (t) => ({
    field: t.exposeString('field', { description: 'The patient fact, snake_case (sex, fitzpatrick_type, …)' }),
    storedValue: t.exposeString('storedValue', { description: 'The value stored for the patient' }),
    recordValue: t.exposeString('recordValue', { description: 'The value this image’s record gave' }),
  }),
});

export const ImageRef = builder.prismaNode('Image', {
  id: { field: 'id' },
  authScopes: { viewer: true },
  description: 'One unique dermoscopic image: a dataset record with the 16 fields of the information model.',
  fields: (t) => ({
    sha256: t.exposeString('sha256', { description: 'SHA-256 of the stored original’s bytes' }),
    pixelHash: t.exposeString('pixelHash', { description: 'SHA-256 of the decoded pixels (exact duplicates)' }),
    perceptualHash: t.exposeString('phash', { description: '64-bit difference hash, 16 hex digits (near duplicates)' }),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    format: t.exposeString('format'),
    byteSize: t.exposeInt('byteSize'),
    acquiredAt: t.field({
      type: 'DateTime',
      nullable: true,
      select: { acquiredAt: true },
      description:
        'When the image was acquired. Viewers read the year only (safe-harbor): the first instant of the year, UTC; ' +
        'annotators and above read the exact time',
      resolve: (i, _args, ctx) => shownTime(i.acquiredAt, ctx),
    }),
    url: t.string({
      args: {
        variant: t.arg({ type: ImageVariantEnum, required: true, defaultValue: 'ORIGINAL' }),
        expiresIn: t.arg.int({
          required: false,
          description: 'Seconds the signed URL opens for: 60 to 604800 (7 days), default 3600',
        }),
      },
      select: { sha256: true },
      description:
        'Where the bytes are served over HTTP: a URL signed for the caller that opens without a header ' +
        '(`<img src>`, pandas) until it expires (expiresIn, rounded up to the next 10 minutes); the plain URL ' +
        'for an anonymous caller under public read',
      resolve: (img, args, ctx) =>
        ctx.signedUrl(imagePath(img.sha256, args.variant === 'THUMBNAIL' ? 'thumbnail' : 'original'), args.expiresIn),
    }),
    patient: t.field({
      // by model name: schema/patient.ts declares the type and imports this file (its filters take ImageFilter)
      type: getRefFromModel('Patient', builder),
      resolve: async (i, _args, ctx) => (await ctx.parts.parts.load(i.id)).patient,
    }),
    lesion: t.relation('lesion'),
    demographic: t.field({
      type: DemographicBlock,
      select: { ageAtExam: true, ageAtExamRaw: true },
      resolve: async (i, _args, ctx) => {
        const { patient } = await ctx.parts.parts.load(i.id);
        const profile = readProfile(ctx.role);
        const exact = profile === 'limited';
        const shown = ageValue(i.ageAtExam, profile);
        return {
          ageAtExam: ageNumber(i.ageAtExam, profile),
          ageAtExamRaw: exact ? i.ageAtExamRaw : shown === null ? null : String(shown),
          sex: patient.sex,
          fitzpatrickType: patient.fitzpatrickType,
        };
      },
    }),
    anamnestic: t.field({
      type: AnamnesticBlock,
      resolve: async (i, _args, ctx) => {
        const { patient } = await ctx.parts.parts.load(i.id);
        return { sunburnHistory: patient.sunburnHistory, personalCaHistory: patient.personalCaHistory };
      },
    }),
    morphological: t.field({
      type: MorphologicalBlock,
      select: {
        anatomicalSite: true,
        lesionDiameterMm: true,
        elevation: true,
        borderRegularity: true,
      },
      resolve: async (i, _args, ctx) => ({
        anatomicalSite: i.anatomicalSite,
        lesionDiameterMm: i.lesionDiameterMm,
        elevation: i.elevation,
        borderRegularity: i.borderRegularity,
        dominantColors: (await ctx.parts.parts.load(i.id)).colors,
      }),
    }),
    dermoscopic: t.field({
      type: DermoscopicBlock,
      resolve: async (i, _args, ctx) => ({ structures: (await ctx.parts.parts.load(i.id)).structures }),
    }),
    diagnostic: t.field({
      type: DiagnosticBlock,
      select: {
        clinicalDiagnosisRaw: true,
        diagnosisClass: true,
        diagnosisTerm: true,
        clinicalStatus: true,
        histopathologyResult: true,
        verificationStage: true,
      },
      resolve: (i) => ({
        clinicalDiagnosis: i.clinicalDiagnosisRaw,
        diagnosisClass: i.diagnosisClass ? CLASSES[i.diagnosisClass] : null,
        term: termByPath(i.diagnosisTerm),
        clinicalStatus: i.clinicalStatus,
        histopathologyResult: i.histopathologyResult,
        verificationStage: i.verificationStage,
      }),
    }),
    service: t.field({
      type: ServiceBlock,
      select: {
        examinerCode: true,
        imageQualityScore: true,
        sharpness: true,
        clippedShare: true,
        glareShare: true,
        meanLuminance: true,
        highlightShare: true,
      },
      resolve: (i) => i,
    }),
    collection: t.relation('collection', {
      description: 'The collection the image belongs to: our own acquisition or an imported public source',
    }),
    factConflicts: t.relation('factConflicts', {
      description:
        'Patient facts of this image’s record that contradict the facts stored for its patient (public records only: ' +
        'stored and flagged; the patient keeps the first value)',
      query: { orderBy: { field: 'asc' } },
    }),
    initialAnnotation: t.relation('initialAnnotation', { nullable: true }),
    reviews: t.field({
      type: [ExpertReviewRef],
      description:
        'The independent reviews. Blind until the consensus: only their authors and admins see them (a reviewer ' +
        'also sees the others once their own is in)',
      resolve: (i, _args, ctx) => ctx.parts.reviews.load(i.id),
    }),
    consensus: t.field({
      type: ConsensusDecisionRef,
      nullable: true,
      resolve: async (i, _args, ctx) => (await ctx.parts.parts.load(i.id)).consensus,
    }),
    histopathology: t.relation('histopathology', { nullable: true }),
    labelChanges: t.relation('labelChanges', { query: { orderBy: { id: 'asc' } } }),
    nearDuplicates: t.field({
      type: [NearDuplicateLink],
      description: 'Near-duplicate links in either direction (this image as the later or the earlier one)',
      resolve: async (i, _args, ctx) => (await ctx.parts.parts.load(i.id)).nearDuplicates,
    }),
    version: t.exposeInt('version', { description: 'Increases with every change (optimistic concurrency)' }),
  }),
});

// the link's ends, declared once Image is (the two types refer to each other)
builder.objectFields(NearDuplicateLink, (t) => ({
  image: t.field({ type: ImageRef, resolve: (l, _args, ctx) => linkEnd(ctx, l.imageId) }),
  twin: t.field({ type: ImageRef, resolve: (l, _args, ctx) => linkEnd(ctx, l.twinId) }),
}));

// ---------------------------------------------------------------- filtering

const IntRange = builder.inputType('IntRange', {
  description: 'Inclusive bounds; either may be left out.',
  fields: (t) => ({ min: t.int(), max: t.int() }),
});
const FloatRange = builder.inputType('FloatRange', {
  description: 'Inclusive bounds; either may be left out.',
  fields: (t) => ({ min: t.float(), max: t.float() }),
});
const DateTimeRange = builder.inputType('DateTimeRange', {
  description: 'Inclusive bounds; either may be left out.',
  fields: (t) => ({ min: t.field({ type: 'DateTime' }), max: t.field({ type: 'DateTime' }) }),
});
const ColorMatch = builder.inputType('ColorMatch', {
  description: 'anyOf: at least one of these colours; allOf: every one of them.',
  fields: (t) => ({ anyOf: t.field({ type: [ColorEnum] }), allOf: t.field({ type: [ColorEnum] }) }),
});
const StructureMatch = builder.inputType('StructureMatch', {
  description: 'anyOf: at least one of these structures; allOf: every one of them.',
  fields: (t) => ({
    anyOf: t.field({ type: [DermoscopicStructureEnum] }),
    allOf: t.field({ type: [DermoscopicStructureEnum] }),
  }),
});

export const SplitSelectionInput = builder.inputType('SplitSelection', {
  description:
    'A stored split, or one part of it: part: for a train/validation/test split; fold: (that fold) for a k-fold ' +
    'split, with part: TRAIN for every other fold.',
  fields: (t) => ({
    id: t.string({ required: true }),
    part: t.field({ type: SplitPartEnum }),
    fold: t.int(),
  }),
});

export const OptionalFieldEnum = builder.enumType('OptionalField', {
  description:
    'A field an image may lack: the `field` of the completeness table, in upper case (fitzpatrick_type → ' +
    'FITZPATRICK_TYPE); a facet gives its own as `missingFilter`. LABEL: the query’s policy excludes the image or ' +
    'cannot name it.',
  values: OPTIONAL_FIELDS,
});

export const ImageFilter = builder.inputRef<ImageFilterShape>('ImageFilter').implement({
  description:
    'Conditions on images, all of which must hold; compose with AND / OR / NOT. A condition on a field never ' +
    'matches an image that lacks the field, and NOT matches exactly the images its filter does not (those ' +
    'lacking the field included); select the missing ones with `missing`. A range that cannot match anything ' +
    '(min above max, or outside the field’s values) and a label the policy does not have are BAD_USER_INPUT.',
  fields: (t) => ({
    AND: t.field({ type: [ImageFilter] }),
    OR: t.field({ type: [ImageFilter] }),
    NOT: t.field({ type: ImageFilter, description: 'Every image the filter does not match' }),
    diagnosisClass: t.field({
      type: [DiagnosisClassEnum],
      description:
        'One of these classes (images outside the 9 never match: select them with missing: [DIAGNOSIS_CLASS])',
    }),
    diagnosisTerm: t.stringList({
      description:
        'Diagnosis terms or nodes of their hierarchy ("Benign", "Benign:Benign epidermal proliferations", a full ' +
        'path, or a term name such as "solar lentigo"): each matches itself and every term under it. A value that is ' +
        'no term and no node is BAD_USER_INPUT; see diagnosisTerms',
    }),
    collection: t.stringList({
      description: 'Images of these collections, by slug; an unknown slug is BAD_USER_INPUT (see collections)',
    }),
    factConflict: t.boolean({
      description:
        'Images stored with (true) or without (false) a conflict between their record’s patient facts and the facts ' +
        'stored for the patient (see Image.factConflicts)',
    }),
    origin: t.field({ type: [OriginEnum] }),
    clinicalStatus: t.field({ type: [ClinicalStatusEnum] }),
    verificationStage: t.field({ type: [VerificationStageEnum], description: 'Exactly one of these stages' }),
    verificationStageAtLeast: t.field({ type: VerificationStageEnum, description: 'This stage or a later one' }),
    imageQualityScore: t.field({ type: IntRange, description: 'SOP score, 1–5' }),
    ageAtExam: t.field({
      type: IntRange,
      description: 'Valid ages (0–120) only: a missing or invalid age never matches',
    }),
    lesionDiameterMm: t.field({ type: FloatRange, description: 'Millimetres, 0 or more' }),
    acquiredAt: t.field({ type: DateTimeRange }),
    sex: t.field({ type: [SexEnum] }),
    fitzpatrickType: t.field({ type: [FitzpatrickTypeEnum] }),
    anatomicalSite: t.field({ type: [AnatomicalSiteEnum] }),
    elevation: t.field({ type: [ElevationEnum] }),
    borderRegularity: t.field({ type: [BorderRegularityEnum] }),
    colors: t.field({ type: ColorMatch }),
    structures: t.field({ type: StructureMatch }),
    patientCode: t.stringList({ description: 'Images of these patients' }),
    sunburnHistory: t.boolean({ description: 'The patient reports (true) or denies (false) a history of sunburns' }),
    personalCaHistory: t.boolean({
      description: 'The patient has (true) or has no (false) personal history of cancer',
    }),
    hasHistology: t.boolean(),
    nearDuplicate: t.boolean({ description: 'Flagged as a near duplicate of another image' }),
    qualityVerdict: t.field({
      type: [QualityVerdictEnum],
      description:
        'Images with any of these verdicts of the technical quality advice (OK: no check found a defect); ' +
        'the facet qualityVerdict counts them',
    }),
    label: t.stringList({
      description:
        'Labels under the query’s policy (its policy argument, else the active one); one it lacks is refused',
    }),
    split: t.field({ type: SplitSelectionInput, description: 'Images of a stored split, or of one of its parts' }),
    missing: t.field({
      type: [OptionalFieldEnum],
      description:
        'Images lacking every one of these fields: a facet’s `missing` count, selected. ' +
        '`NOT: { missing: [X] }` selects the images that have X; OR several filters for "any of".',
    }),
    search: t.string({
      description:
        'Text (1–200 characters once trimmed; else BAD_USER_INPUT) found, ignoring case, in the diagnosis term’s ' +
        'path, the patient’s or the lesion’s code, the collection’s slug, or at the start of the image’s SHA-256. ' +
        'Answered in SQL (the facet index does not hold codes).',
    }),
  }),
});

/** The subset of a read: the filter as the caller's profile may select (generaliseFilter), resolved once per request. */
export const readSubset = (ctx: Context, args: ReadArgs) =>
  resolveSubset(ctx, {
    filter: generaliseFilter(args.filter, readProfile(ctx.role)),
    policy: args.policy,
    release: args.release,
  });
/** The images of a read without their labels (a page and its count): see resolveSelection. */
const imagesSubset = (ctx: Context, args: ReadArgs) =>
  resolveSelection(ctx, {
    filter: generaliseFilter(args.filter, readProfile(ctx.role)),
    policy: args.policy,
    release: args.release,
  });
type ReadArgs = { filter?: ImageFilterShape | null; policy?: string | null; release?: string | null };
/** The `release` argument of a read: the subset as of a stored release (its images, its frozen labels). */
export const RELEASE_ARG_DESCRIPTION =
  'Read as of a stored release (its id): only its images, and every class, term, status, stage and label as the ' +
  'release froze them; an unknown id is BAD_USER_INPUT';

export const OrderDirectionEnum = builder.enumType('OrderDirection', {
  description:
    'ASC: smallest (oldest) first; DESC: largest (newest) first. Rows without the value come last either way.',
  values: ['ASC', 'DESC'] as const,
});

const ImageOrderFieldEnum = builder.enumType('ImageOrderField', {
  description:
    'What images are sorted by; ties (and rows without the value, which come last) in id order. Viewers read ' +
    'ACQUIRED_AT and CREATED_AT as years and AGE_AT_EXAM top-coded at 90, and are sorted by those values, then id.',
  values: Object.keys(IMAGE_ORDER_KEYS) as ImageOrderField[],
});

const ImageOrder = builder.inputType('ImageOrder', {
  description: 'An order of the images connection (default: ID ASC).',
  fields: (t) => ({
    field: t.field({ type: ImageOrderFieldEnum, required: true }),
    direction: t.field({ type: OrderDirectionEnum, defaultValue: 'ASC' }),
  }),
});

/** Whether a caller reads dates as years and ages top-coded (viewers): they are sorted by those values. */
export const readsCoarse = (ctx: Context) => readProfile(ctx.role) !== 'limited';

builder.queryFields((t) => ({
  images: t.connection(
    {
      type: ImageRef,
      authScopes: { viewer: true },
      description:
        'Images matching the filter, in `orderBy` (default: id ascending), with keyset cursors (at most 200 a ' +
        'page): a cursor pages only the order it was given under. For viewers the filter’s age and date bounds ' +
        'select no finer than they read the values (an age bound of 90 or more means 90+, date bounds widen to ' +
        'whole years), and the order sorts by the values they read.',
      args: {
        filter: t.arg({ type: ImageFilter }),
        orderBy: t.arg({ type: ImageOrder }),
        policy: t.arg.string({ description: 'Policy for label filters (default: the active policy)' }),
        release: t.arg.string({ description: RELEASE_ARG_DESCRIPTION }),
      },
      resolve: async (_root, args, ctx, info) => {
        const selection = await imagesSubset(ctx, args);
        const order = sortOrder(IMAGE_ORDER_KEYS, args.orderBy, readsCoarse(ctx), 'ID');
        const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] });
        const connection = await imagesConnection(query, selection, order, args);
        return { ...connection, totalCount: () => countImages(selection) };
      },
    },
    {
      name: 'ImageConnection',
      fields: (t) => ({
        totalCount: t.int({
          description: 'How many images match (every page of this connection, not this page)',
          resolve: (c) => (c as unknown as { totalCount: () => Promise<number> }).totalCount(),
        }),
      }),
    },
    { name: 'ImageEdge' },
  ),
  image: t.prismaField({
    type: 'Image',
    nullable: true,
    authScopes: { viewer: true },
    args: { sha256: t.arg.string({ required: true }) },
    resolve: (query, _root, args) => imageBySha256(query, args.sha256),
  }),
}));
