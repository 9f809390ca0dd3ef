import { builder } from '../builder.ts';
import { CLASS_CODES, CLASSES, type ClassInfo } from '../domain/classes.ts';
import {
  AnatomicalSite,
  BorderRegularity,
  Color,
  DermoscopicStructure,
  DiagnosisClass,
  Elevation,
  FitzpatrickType,
  IntakeOutcome,
  Sex,
  VerificationStage,
} from '../domain/enums.ts';
import { BLOCKS, FIELDS, type FieldInfo } from '../domain/information-model.ts';
import type { DiagnosisTerm } from '../domain/terms.ts';
import { listTerms, TERM_PAGE } from '../resolvers/image-filter.ts';

export const DiagnosisClassEnum = builder.enumType('DiagnosisClass', { values: Object.values(DiagnosisClass) });
export const SexEnum = builder.enumType('Sex', { values: Object.values(Sex) });
export const FitzpatrickTypeEnum = builder.enumType('FitzpatrickType', { values: Object.values(FitzpatrickType) });
export const AnatomicalSiteEnum = builder.enumType('AnatomicalSite', { values: Object.values(AnatomicalSite) });
export const ColorEnum = builder.enumType('Color', { values: Object.values(Color) });
export const ElevationEnum = builder.enumType('Elevation', { values: Object.values(Elevation) });
export const BorderRegularityEnum = builder.enumType('BorderRegularity', { values: Object.values(BorderRegularity) });
export const DermoscopicStructureEnum = builder.enumType('DermoscopicStructure', {
  values: Object.values(DermoscopicStructure),
});
export const VerificationStageEnum = builder.enumType('VerificationStage', {
  values: Object.values(VerificationStage),
});
export const SplitPartEnum = builder.enumType('SplitPart', {
  values: {
    TRAIN: { description: 'train; in a k-fold split with fold: every other fold' },
    VALIDATION: { description: 'validation (train/validation/test splits only)' },
    TEST: { description: 'test; in a k-fold split with fold: that fold' },
  },
});
export const IntakeOutcomeEnum = builder.enumType('IntakeOutcome', { values: Object.values(IntakeOutcome) });
export const OriginEnum = builder.enumType('Origin', { values: ['MELANOCYTIC', 'NON_MELANOCYTIC'] as const });
export const ClinicalStatusEnum = builder.enumType('ClinicalStatus', {
  description: 'The clinical status of a class, or of a diagnosis term outside the 9 classes.',
  values: {
    BENIGN: { description: 'benign' },
    BORDERLINE: { description: 'borderline / indeterminate (dysplastic nevus, ISIC "Indeterminate" terms)' },
    PREMALIGNANT: { description: 'premalignant (actinic keratosis and cheilitis); no class of the 9 has it' },
    MALIGNANT: { description: 'malignant' },
    UNKNOWN: { description: 'the source states no diagnosis and no benign/malignant verdict' },
  },
});
export const BlockEnum = builder.enumType('InformationBlock', {
  values: BLOCKS.map((b) => b.toUpperCase()) as Uppercase<(typeof BLOCKS)[number]>[],
});

export const DiagnosisClassInfoRef = builder.objectRef<ClassInfo>('DiagnosisClassInfo').implement({
  description: 'One of the 9 normalised diagnostic classes with its origin and clinical status.',
  fields: (t) => ({
    code: t.expose('code', { type: DiagnosisClassEnum }),
    label: t.exposeString('label', { description: 'snake_case label used in exports' }),
    name: t.exposeString('name'),
    origin: t.expose('origin', { type: OriginEnum }),
    status: t.expose('status', { type: ClinicalStatusEnum }),
    isicPath: t.exposeString('isicPath', { description: 'The matching node of the ISIC diagnosis hierarchy' }),
  }),
});

export const TermSourceEnum = builder.enumType('TermSource', {
  values: {
    ISIC: { description: 'a path of the ISIC diagnosis hierarchy, verbatim' },
    DERMASET: { description: 'our extension: the paper’s papilloma and "Unknown"' },
  },
});

export const DiagnosisTermRef = builder.objectRef<DiagnosisTerm>('DiagnosisTerm').implement({
  description:
    'A term of the diagnosis vocabulary (the ISIC diagnosis hierarchy with its levels, and our extensions), with its ' +
    'origin, clinical status and class among the 9 (null: outside the 9).',
  fields: (t) => ({
    path: t.exposeString('path', { description: 'The full colon-separated path: the term’s identity' }),
    name: t.exposeString('name', { description: 'The last level' }),
    levels: t.exposeStringList('levels', {
      description: 'The levels from the root (Benign / Indeterminate / Malignant)',
    }),
    status: t.expose('status', { type: ClinicalStatusEnum }),
    origin: t.expose('origin', { type: OriginEnum, nullable: true }),
    diagnosisClass: t.field({
      type: DiagnosisClassInfoRef,
      nullable: true,
      description: 'The class of the 9 the term falls under; null: outside the 9',
      resolve: (term) => (term.diagnosisClass ? CLASSES[term.diagnosisClass] : null),
    }),
    source: t.field({ type: TermSourceEnum, resolve: (term) => (term.source === 'isic' ? 'ISIC' : 'DERMASET') }),
  }),
});

const FieldInfoRef = builder.objectRef<FieldInfo>('InformationField').implement({
  description: 'A field of the 16-field information model.',
  fields: (t) => ({
    name: t.exposeString('name'),
    block: t.field({ type: BlockEnum, resolve: (f) => f.block.toUpperCase() as Uppercase<FieldInfo['block']> }),
    required: t.exposeBoolean('required'),
    description: t.exposeString('description'),
  }),
});

builder.queryFields((t) => ({
  diagnosisClasses: t.field({
    type: [DiagnosisClassInfoRef],
    authScopes: { viewer: true },
    description: 'The 9 classes in the order of the paper’s Table 4.',
    resolve: () => CLASS_CODES.map((c) => CLASSES[c]),
  }),
  diagnosisTerms: t.field({
    type: [DiagnosisTermRef],
    authScopes: { viewer: true },
    description:
      'The diagnosis vocabulary (the ISIC diagnosis hierarchy verbatim, then our extensions), in its order: the terms ' +
      'under `under` (a node or term, as the diagnosisTerm filter takes it; an unknown one is BAD_USER_INPUT) whose ' +
      `path contains \`search\` (ignoring case, at most ${TERM_PAGE.search} characters), the first \`first\` ` +
      `(0–${TERM_PAGE.max}, default 50).`,
    args: { under: t.arg.string(), search: t.arg.string(), first: t.arg.int({ defaultValue: 50 }) },
    resolve: (_root, args) => listTerms(args),
  }),
  informationModel: t.field({
    type: [FieldInfoRef],
    authScopes: { viewer: true },
    description: 'The 16 fields of the information model in their 6 blocks.',
    resolve: () => [...FIELDS],
  }),
}));
