import { builder } from '../builder.ts';
import { CLASS_CODES, CLASSES, type ClassInfo } from '../domain/classes.ts';
import { type Vocabulary, type VocabularyValue, vocabulary } from '../domain/display-names.ts';
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
import { CLINICAL_STATUSES } from '../domain/vocabularies.ts';
import { listTerms, TERM_PAGE } from '../resolvers/image-filter.ts';
import { vocabularies } from '../resolvers/vocabularies.ts';

/**
 * A GraphQL enum of a vocabulary of domain/display-names.ts, each value described by its display name
 * (and its meaning), so GraphiQL and generated clients show what a value means.
 */
export function vocabularyEnum<T extends string>(name: string, values: readonly T[]) {
  const v = vocabulary(name);
  const described = Object.fromEntries(
    values.map((value) => {
      const x = v.values.find((y) => y.value === value);
      return [
        value,
        { description: x ? (x.description ? `${x.displayName}: ${x.description}` : x.displayName) : value },
      ];
    }),
  ) as Record<T, { description: string }>;
  return builder.enumType(name, { description: v.description, values: described });
}

export const DiagnosisClassEnum = vocabularyEnum('DiagnosisClass', Object.values(DiagnosisClass));
export const SexEnum = vocabularyEnum('Sex', Object.values(Sex));
export const FitzpatrickTypeEnum = vocabularyEnum('FitzpatrickType', Object.values(FitzpatrickType));
export const AnatomicalSiteEnum = vocabularyEnum('AnatomicalSite', Object.values(AnatomicalSite));
export const ColorEnum = vocabularyEnum('Color', Object.values(Color));
export const ElevationEnum = vocabularyEnum('Elevation', Object.values(Elevation));
export const BorderRegularityEnum = vocabularyEnum('BorderRegularity', Object.values(BorderRegularity));
export const DermoscopicStructureEnum = vocabularyEnum('DermoscopicStructure', Object.values(DermoscopicStructure));
export const VerificationStageEnum = vocabularyEnum('VerificationStage', Object.values(VerificationStage));
export const SplitPartEnum = builder.enumType('SplitPart', {
  values: {
    TRAIN: { description: 'train; in a k-fold split with fold: every other fold' },
    VALIDATION: { description: 'validation (train/validation/test splits only)' },
    TEST: { description: 'test; in a k-fold split with fold: that fold' },
  },
});
export const IntakeOutcomeEnum = vocabularyEnum('IntakeOutcome', Object.values(IntakeOutcome));
export const OriginEnum = vocabularyEnum('Origin', ['MELANOCYTIC', 'NON_MELANOCYTIC'] as const);
export const ClinicalStatusEnum = vocabularyEnum('ClinicalStatus', CLINICAL_STATUSES);
export const BlockEnum = builder.enumType('InformationBlock', {
  values: BLOCKS.map((b) => b.toUpperCase()) as Uppercase<(typeof BLOCKS)[number]>[],
});

export const DiagnosisClassInfoRef = builder.objectRef<ClassInfo>('DiagnosisClassInfo').implement({
  description: 'One of the 9 normalised diagnostic classes with its origin and clinical status.',
  fields: (t) => ({
    code: t.expose('code', { type: DiagnosisClassEnum }),
    label: t.exposeString('label', { description: 'snake_case label used in exports' }),
    name: t.exposeString('name'),
    displayName: t.exposeString('name', { description: 'What to show ("Basal cell carcinoma"); the same as name' }),
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
    displayName: t.exposeString('name', { description: 'What to show: the last level ("Solar lentigo")' }),
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

const VocabularyValueRef = builder.objectRef<VocabularyValue>('VocabularyValue').implement({
  description: 'One value of a vocabulary: the enum name, what to show, and what it means.',
  fields: (t) => ({
    value: t.exposeString('value', { description: 'The enum name, as ImageFilter and every output take it' }),
    displayName: t.exposeString('displayName', { description: 'What to show ("Upper extremity")' }),
    description: t.exposeString('description', {
      nullable: true,
      description: 'What it means; null: the name says it',
    }),
  }),
});

const VocabularyRef = builder.objectRef<Vocabulary>('Vocabulary').implement({
  description: 'A closed vocabulary of the API: a GraphQL enum with the name and meaning of each of its values.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The GraphQL enum (AnatomicalSite)' }),
    filterFields: t.exposeStringList('filterFields', {
      description:
        'The ImageFilter input fields taking its values (anatomicalSite), which are also the facets’ `field`; empty ' +
        'when no filter takes them',
    }),
    description: t.exposeString('description'),
    values: t.field({ type: [VocabularyValueRef], resolve: (v) => v.values, description: 'In the enum’s order' }),
  }),
});

builder.queryFields((t) => ({
  vocabularies: t.field({
    type: [VocabularyRef],
    authScopes: { viewer: true },
    description:
      'Every closed vocabulary (Sex, FitzpatrickType, AnatomicalSite, Color, Elevation, BorderRegularity, ' +
      'DermoscopicStructure, DiagnosisClass, ClinicalStatus, Origin, VerificationStage, QualityVerdict, ' +
      'IntakeOutcome, ConsensusOutcome) with each value’s display name and meaning, so a client can show any ' +
      'value. Diagnosis terms are a vocabulary of about 420 paths: see diagnosisTerms (each with its displayName).',
    args: {
      name: t.arg.string({ description: 'Only this vocabulary (its enum name); an unknown one is BAD_USER_INPUT' }),
    },
    resolve: (_root, args) => vocabularies(args.name),
  }),
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
