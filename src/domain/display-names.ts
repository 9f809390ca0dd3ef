// The words a person reads for every value of the closed vocabularies: declared once here, and read
// by the GraphQL enum descriptions, `Query.vocabularies`, the facets' `displayName` and the image
// blocks' names. Wording follows the paper and the ISIC Archive ("Upper extremity", "Blue-white
// veil", "Consensus of three specialists").
import { CLASS_CODES, CLASSES, type Origin } from './classes.ts';
import {
  type AnatomicalSite,
  type BorderRegularity,
  type ClinicalStatus,
  type Color,
  type ConsensusOutcome,
  type DermoscopicStructure,
  DiagnosisClass as DIAGNOSIS_CLASSES,
  type DiagnosisClass,
  type Elevation,
  type FitzpatrickType,
  type IntakeOutcome,
  type Sex,
  type VerificationStage,
} from './enums.ts';
import { QUALITY_THRESHOLDS, QUALITY_VERDICTS, type QualityVerdict } from './quality.ts';
import { SITES } from './sites.ts';
import { STRUCTURES } from './structures.ts';

/** One value of a vocabulary: the enum name, what to show, and what it means (null: the name says it). */
export interface VocabularyValue {
  readonly value: string;
  readonly displayName: string;
  readonly description: string | null;
}

/** A closed vocabulary: its GraphQL enum, the ImageFilter fields that take its values, its values in order. */
export interface Vocabulary {
  /** The GraphQL enum's name (`AnatomicalSite`). */
  readonly name: string;
  /** The ImageFilter input fields taking these values (`anatomicalSite`); empty when no filter takes them. */
  readonly filterFields: readonly string[];
  readonly description: string;
  readonly values: readonly VocabularyValue[];
}

type Names<T extends string> = Readonly<Record<T, readonly [displayName: string, description?: string]>>;

const SEX: Names<Sex> = { FEMALE: ['Female'], MALE: ['Male'] };

const FITZPATRICK: Names<FitzpatrickType> = {
  I: ['Type I', 'Always burns, never tans (pale white skin)'],
  II: ['Type II', 'Usually burns, tans minimally (white skin)'],
  III: ['Type III', 'Sometimes burns mildly, tans uniformly (light brown skin)'],
  IV: ['Type IV', 'Burns minimally, always tans well (moderate brown skin)'],
  V: ['Type V', 'Very rarely burns, tans very easily (dark brown skin)'],
  VI: ['Type VI', 'Never burns (deeply pigmented dark brown to black skin)'],
};

const SITE_NAMES: Readonly<Record<AnatomicalSite, string>> = {
  HEAD_NECK: 'Head and neck',
  SCALP: 'Scalp',
  FACE: 'Face',
  EAR: 'Ear',
  NECK: 'Neck',
  TRUNK: 'Trunk',
  ANTERIOR_TORSO: 'Anterior torso',
  POSTERIOR_TORSO: 'Posterior torso',
  LATERAL_TORSO: 'Lateral torso',
  UPPER_EXTREMITY: 'Upper extremity',
  LOWER_EXTREMITY: 'Lower extremity',
  PALMS_SOLES: 'Palms and soles',
  ORAL_GENITAL: 'Oral and genital',
};

const COLOR: Names<Color> = {
  WHITE: ['White'],
  RED: ['Red'],
  LIGHT_BROWN: ['Light brown'],
  DARK_BROWN: ['Dark brown'],
  BLUE_GRAY: ['Blue-gray'],
  BLACK: ['Black'],
};

const ELEVATION: Names<Elevation> = {
  FLAT: ['Flat', 'Not raised above the skin'],
  PALPABLE: ['Palpable', 'Slightly raised, felt on touch'],
  NODULAR: ['Nodular', 'A raised nodule'],
};

const BORDER: Names<BorderRegularity> = {
  REGULAR: ['Regular', 'A smooth, even border'],
  IRREGULAR: ['Irregular', 'A ragged, notched or blurred border'],
};

const STRUCTURE_NAMES: Readonly<Record<DermoscopicStructure, string>> = {
  PIGMENT_NETWORK_TYPICAL: 'Typical pigment network',
  PIGMENT_NETWORK_ATYPICAL: 'Atypical pigment network',
  NEGATIVE_NETWORK: 'Negative network',
  DOTS_GLOBULES_REGULAR: 'Regular dots and globules',
  DOTS_GLOBULES_IRREGULAR: 'Irregular dots and globules',
  STREAKS_REGULAR: 'Regular streaks',
  STREAKS_IRREGULAR: 'Irregular streaks',
  BLOTCH_REGULAR: 'Regular blotch',
  BLOTCH_IRREGULAR: 'Irregular blotch',
  BLUE_WHITISH_VEIL: 'Blue-white veil',
  REGRESSION_STRUCTURES: 'Regression structures',
  MILIA_LIKE_CYSTS: 'Milia-like cysts',
  COMEDO_LIKE_OPENINGS: 'Comedo-like openings',
  FISSURES_RIDGES: 'Fissures and ridges',
  LACUNAE: 'Lacunae',
  CENTRAL_WHITE_PATCH: 'Central white patch',
  LEAF_LIKE_AREAS: 'Leaf-like areas',
  SPOKE_WHEEL_AREAS: 'Spoke-wheel areas',
  BLUE_GRAY_OVOID_NESTS: 'Blue-gray ovoid nests',
  ULCERATION: 'Ulceration',
  VESSELS_ARBORIZING: 'Arborizing vessels',
  VESSELS_DOTTED: 'Dotted vessels',
  VESSELS_COMMA: 'Comma vessels',
  VESSELS_HAIRPIN: 'Hairpin vessels',
  VESSELS_GLOMERULAR: 'Glomerular vessels',
  VESSELS_LINEAR_IRREGULAR: 'Linear irregular vessels',
};

const STAGE: Names<VerificationStage> = {
  INITIAL: ['Initial annotation', 'The examining dermatologist’s clinical annotation'],
  CONSENSUS: ['Consensus of three specialists', 'Confirmed or corrected by the consensus of three specialists'],
  HISTOLOGY: ['Histopathology', 'Verified by a histopathology report'],
};

const STATUS: Names<ClinicalStatus> = {
  BENIGN: ['Benign'],
  BORDERLINE: ['Borderline', 'Borderline / indeterminate (dysplastic nevus, ISIC "Indeterminate" terms)'],
  PREMALIGNANT: ['Premalignant', 'Actinic keratosis and cheilitis; no class of the 9 has it'],
  MALIGNANT: ['Malignant'],
  UNKNOWN: ['Unknown', 'The source states no diagnosis and no benign/malignant verdict'],
};

const ORIGIN: Names<Origin> = {
  MELANOCYTIC: ['Melanocytic', 'Arising from melanocytes'],
  NON_MELANOCYTIC: ['Non-melanocytic', 'Arising from other cells (keratinocytes, vessels, fibroblasts …)'],
};

const INTAKE: Names<IntakeOutcome> = {
  ACCEPTED: ['Accepted', 'Stored as a new image'],
  DUPLICATE: ['Duplicate', 'The same pixels are stored already: nothing new stored'],
  REJECTED_QUALITY: ['Rejected: quality', 'An SOP quality score below the acceptance threshold'],
  REJECTED_INVALID: ['Rejected: invalid', 'Unreadable bytes or a record that breaks the information model'],
};

const CONSENSUS: Names<ConsensusOutcome> = {
  CONFIRMED: ['Confirmed', 'The consensus kept the initial class'],
  CORRECTED: ['Corrected', 'The consensus changed the initial class'],
};

const QUALITY: Names<QualityVerdict> = {
  OK: ['No defect found', 'No check of the technical quality advice found a defect'],
  BLURRED: ['Blurred', `Sharpness below ${QUALITY_THRESHOLDS.minSharpness}`],
  UNDEREXPOSED: ['Underexposed', `Mean luminance below ${QUALITY_THRESHOLDS.minMeanLuminance} (of 255)`],
  OVEREXPOSED: [
    'Overexposed',
    `${QUALITY_THRESHOLDS.maxHighlightShare * 100} % or more of the pixels blown out (luminance ≥ 252)`,
  ],
  GLARE: [
    'Glare',
    `${QUALITY_THRESHOLDS.maxGlareShare * 100} % or more of the pixels bright and colourless (specular glare)`,
  ],
};

const withNames = <T extends string>(order: readonly T[], names: Names<T>): VocabularyValue[] =>
  order.map((value) => {
    const [displayName, description] = names[value];
    return { value, displayName, description: description ?? null };
  });
const keys = <T extends string>(r: Readonly<Record<T, unknown>>) => Object.keys(r) as T[];

/** Every closed vocabulary of the API with its values' names, in the order the enums declare them. */
export const VOCABULARIES: readonly Vocabulary[] = [
  {
    name: 'Sex',
    filterFields: ['sex'],
    description: 'The patient’s sex',
    values: withNames(keys(SEX), SEX),
  },
  {
    name: 'FitzpatrickType',
    filterFields: ['fitzpatrickType'],
    description: 'Fitzpatrick skin phototype',
    values: withNames(keys(FITZPATRICK), FITZPATRICK),
  },
  {
    name: 'AnatomicalSite',
    filterFields: ['anatomicalSite'],
    description: 'Where the lesion is (ISIC’s anatom_site_general, with finer head and trunk sites)',
    values: keys(SITE_NAMES).map((code) => ({
      value: code,
      displayName: SITE_NAMES[code],
      description: `ISIC anatomical site: ${SITES[code].isicPath}`,
    })),
  },
  {
    name: 'Color',
    filterFields: ['colors'],
    description: 'PH2’s six dermoscopic colours',
    values: withNames(keys(COLOR), COLOR),
  },
  {
    name: 'Elevation',
    filterFields: ['elevation'],
    description: 'The lesion’s elevation',
    values: withNames(keys(ELEVATION), ELEVATION),
  },
  {
    name: 'BorderRegularity',
    filterFields: ['borderRegularity'],
    description: 'The regularity of the lesion’s border',
    values: withNames(keys(BORDER), BORDER),
  },
  {
    name: 'DermoscopicStructure',
    filterFields: ['structures'],
    description: 'Dermoscopic structures (Derm7pt, PH2, ISIC 2018 attributes, pattern analysis)',
    values: keys(STRUCTURE_NAMES).map((code) => ({
      value: code,
      displayName: STRUCTURE_NAMES[code],
      description: STRUCTURES[code].description,
    })),
  },
  {
    name: 'DiagnosisClass',
    filterFields: ['diagnosisClass'],
    description:
      'The 9 normalised diagnostic classes (diagnosisClasses lists them in the order of the paper’s Table 4)',
    values: Object.values(DIAGNOSIS_CLASSES).map((c) => ({
      value: c,
      displayName: CLASSES[c].name,
      description: `ISIC diagnosis: ${CLASSES[c].isicPath}`,
    })),
  },
  {
    name: 'ClinicalStatus',
    filterFields: ['clinicalStatus'],
    description: 'The clinical status of a class, or of a diagnosis term outside the 9',
    values: withNames(keys(STATUS), STATUS),
  },
  {
    name: 'Origin',
    filterFields: ['origin'],
    description: 'Melanocytic or not',
    values: withNames(keys(ORIGIN), ORIGIN),
  },
  {
    name: 'VerificationStage',
    filterFields: ['verificationStage', 'verificationStageAtLeast'],
    description: 'How far a label is verified, in order',
    values: withNames(keys(STAGE), STAGE),
  },
  {
    name: 'QualityVerdict',
    filterFields: ['qualityVerdict'],
    description:
      'What the technical quality advice says about an image: OK, or a defect one of its checks found. Advice ' +
      'only: the examiner’s SOP score alone decides acceptance.',
    values: withNames(QUALITY_VERDICTS, QUALITY),
  },
  {
    name: 'IntakeOutcome',
    filterFields: [],
    description: 'The outcome of one acquisition attempt (the intake log)',
    values: withNames(keys(INTAKE), INTAKE),
  },
  {
    name: 'ConsensusOutcome',
    filterFields: [],
    description: 'What the specialists’ consensus did with the initial class',
    values: withNames(keys(CONSENSUS), CONSENSUS),
  },
];

const BY_NAME = new Map(VOCABULARIES.map((v) => [v.name, new Map(v.values.map((x) => [x.value, x]))]));

/** A vocabulary by its enum name; throws for a name not declared above (a programming error). */
export function vocabulary(name: string): Vocabulary {
  const v = VOCABULARIES.find((x) => x.name === name);
  if (!v) throw new Error(`no vocabulary ${name}`);
  return v;
}

/** The name to show for a value of a vocabulary; the value itself when the vocabulary lacks it. */
export const displayName = (vocabularyName: string, value: string): string =>
  BY_NAME.get(vocabularyName)?.get(value)?.displayName ?? value;

/**
 * The label of each field a facet counts, keyed by the ImageFilter input field that selects it (as
 * `FieldFacet.field` names it): what a heading over its values says.
 */
export const FILTER_FIELD_NAMES = {
  sex: 'Sex',
  fitzpatrickType: 'Fitzpatrick type',
  sunburnHistory: 'Sunburn history',
  personalCaHistory: 'Personal cancer history',
  anatomicalSite: 'Anatomical site',
  colors: 'Dominant colours',
  elevation: 'Elevation',
  borderRegularity: 'Border regularity',
  structures: 'Dermoscopic structures',
  diagnosisClass: 'Diagnosis class',
  diagnosisTerm: 'Diagnosis term',
  origin: 'Origin',
  clinicalStatus: 'Clinical status',
  collection: 'Collection',
  verificationStage: 'Verification stage',
  imageQualityScore: 'Image quality score',
  hasHistology: 'Histopathology report',
  nearDuplicate: 'Near-duplicate',
  factConflict: 'Conflicting patient facts',
  qualityVerdict: 'Quality advice',
  label: 'Label under the policy',
} as const satisfies Readonly<Record<string, string>>;

/** A yes/no field's value, shown. */
export const yesNo = (v: boolean): string => (v ? 'Yes' : 'No');

/** An SOP image quality score, shown. */
export const scoreName = (score: number): string => `Score ${score}`;

const CLASS_BY_LABEL = new Map<string, DiagnosisClass>(CLASS_CODES.map((c) => [CLASSES[c].label, c]));

/** The ISIC 2019 and HAM10000 label abbreviations (either case), as those challenges name them. */
const PUBLIC_LABELS: Readonly<Record<string, string>> = {
  nv: 'Melanocytic nevus',
  mel: 'Melanoma',
  bcc: 'Basal cell carcinoma',
  ak: 'Actinic keratosis',
  akiec: 'Actinic keratosis / intraepithelial carcinoma',
  bkl: 'Benign keratosis',
  df: 'Dermatofibroma',
  vasc: 'Vascular lesion',
  scc: 'Squamous cell carcinoma',
  unk: 'Unknown',
};

/**
 * A policy label, shown: a class's name where the label is a class's label (`nevus` → "Nevus"), the
 * ISIC/HAM10000 name of an abbreviation (`NV` → "Melanocytic nevus"), else the label with its first
 * letter raised and underscores as spaces (`benign` → "Benign").
 */
export function labelName(label: string): string {
  const c = CLASS_BY_LABEL.get(label);
  if (c) return CLASSES[c].name;
  const lower = label.toLowerCase();
  if (Object.hasOwn(PUBLIC_LABELS, lower)) return PUBLIC_LABELS[lower] as string;
  const spaced = label.replace(/_/g, ' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
