import type { ClinicalStatus, DiagnosisClass } from './enums.ts';

export type { ClinicalStatus } from './enums.ts';
export type Origin = 'MELANOCYTIC' | 'NON_MELANOCYTIC';
/** The statuses a class of the 9 can have; terms outside the 9 add premalignant and unknown (terms.ts). */
export type ClassStatus = Extract<ClinicalStatus, 'BENIGN' | 'BORDERLINE' | 'MALIGNANT'>;

export interface ClassInfo {
  readonly code: DiagnosisClass;
  /** The information model's snake_case label, as exported. */
  readonly label: string;
  readonly name: string;
  readonly origin: Origin;
  readonly status: ClassStatus;
  /** The node of the ISIC diagnosis hierarchy this class corresponds to. */
  readonly isicPath: string;
}

/** The 9 normalised classes of the paper's Table 4, in its order. */
export const CLASSES: Readonly<Record<DiagnosisClass, ClassInfo>> = {
  NEVUS: {
    code: 'NEVUS',
    label: 'nevus',
    name: 'Nevus',
    origin: 'MELANOCYTIC',
    status: 'BENIGN',
    isicPath: 'Benign:Benign melanocytic proliferations:Nevus',
  },
  SEBORRHEIC_KERATOSIS: {
    code: 'SEBORRHEIC_KERATOSIS',
    label: 'seborrheic_keratosis',
    name: 'Seborrheic keratosis',
    origin: 'NON_MELANOCYTIC',
    status: 'BENIGN',
    isicPath: 'Benign:Benign epidermal proliferations:Seborrheic keratosis',
  },
  HEMANGIOMA: {
    code: 'HEMANGIOMA',
    label: 'hemangioma',
    name: 'Hemangioma',
    origin: 'NON_MELANOCYTIC',
    status: 'BENIGN',
    isicPath: 'Benign:Benign soft tissue proliferations - Vascular:Hemangioma',
  },
  DERMATOFIBROMA: {
    code: 'DERMATOFIBROMA',
    label: 'dermatofibroma',
    name: 'Dermatofibroma',
    origin: 'NON_MELANOCYTIC',
    status: 'BENIGN',
    isicPath: 'Benign:Benign soft tissue proliferations - Fibro-histiocytic:Dermatofibroma',
  },
  MELANOMA: {
    code: 'MELANOMA',
    label: 'melanoma',
    name: 'Melanoma',
    origin: 'MELANOCYTIC',
    status: 'MALIGNANT',
    isicPath: 'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma, NOS',
  },
  DYSPLASTIC_NEVUS: {
    code: 'DYSPLASTIC_NEVUS',
    label: 'dysplastic_nevus',
    name: 'Dysplastic nevus',
    origin: 'MELANOCYTIC',
    status: 'BORDERLINE',
    isicPath: 'Benign:Benign melanocytic proliferations:Nevus:Nevus, Atypical, Dysplastic, or Clark',
  },
  BASAL_CELL_CARCINOMA: {
    code: 'BASAL_CELL_CARCINOMA',
    label: 'basal_cell_carcinoma',
    name: 'Basal cell carcinoma',
    origin: 'NON_MELANOCYTIC',
    status: 'MALIGNANT',
    isicPath: 'Malignant:Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma',
  },
  SQUAMOUS_CELL_CARCINOMA: {
    code: 'SQUAMOUS_CELL_CARCINOMA',
    label: 'squamous_cell_carcinoma',
    name: 'Squamous cell carcinoma',
    origin: 'NON_MELANOCYTIC',
    status: 'MALIGNANT',
    isicPath: 'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma, NOS',
  },
  PAPILLOMA: {
    code: 'PAPILLOMA',
    label: 'papilloma',
    name: 'Papilloma',
    origin: 'NON_MELANOCYTIC',
    status: 'BENIGN',
    isicPath: 'Benign:Benign epidermal proliferations',
  },
};

export const CLASS_CODES = Object.keys(CLASSES) as DiagnosisClass[];

export const isMalignant = (c: DiagnosisClass): boolean => CLASSES[c].status === 'MALIGNANT';

/** The malignant classes, in the table's order: the ones histology must verify. */
export const MALIGNANT_CLASSES: readonly DiagnosisClass[] = CLASS_CODES.filter(isMalignant);

const normalise = (s: string) =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

/**
 * Raw clinical diagnosis texts (and common synonyms) that normalise onto a class. The paper's
 * service category "benign nevus-like formation" maps to nevus when the record carries no
 * clinical signs of malignancy; see normaliseDiagnosis.
 */
const SYNONYMS: ReadonlyArray<readonly [string, DiagnosisClass]> = [
  ['nevus', 'NEVUS'],
  ['naevus', 'NEVUS'],
  ['nv', 'NEVUS'],
  ['melanocytic nevus', 'NEVUS'],
  ['common nevus', 'NEVUS'],
  ['compound nevus', 'NEVUS'],
  ['junctional nevus', 'NEVUS'],
  ['intradermal nevus', 'NEVUS'],
  ['congenital nevus', 'NEVUS'],
  ['blue nevus', 'NEVUS'],
  ['benign nevus like formation', 'NEVUS'],
  ['dysplastic nevus', 'DYSPLASTIC_NEVUS'],
  ['atypical nevus', 'DYSPLASTIC_NEVUS'],
  ['clark nevus', 'DYSPLASTIC_NEVUS'],
  ['melanoma', 'MELANOMA'],
  ['mel', 'MELANOMA'],
  ['melanoma in situ', 'MELANOMA'],
  ['invasive melanoma', 'MELANOMA'],
  ['seborrheic keratosis', 'SEBORRHEIC_KERATOSIS'],
  ['seborrhoeic keratosis', 'SEBORRHEIC_KERATOSIS'],
  ['hemangioma', 'HEMANGIOMA'],
  ['haemangioma', 'HEMANGIOMA'],
  ['angioma', 'HEMANGIOMA'],
  ['cherry angioma', 'HEMANGIOMA'],
  ['dermatofibroma', 'DERMATOFIBROMA'],
  ['df', 'DERMATOFIBROMA'],
  ['basal cell carcinoma', 'BASAL_CELL_CARCINOMA'],
  ['bcc', 'BASAL_CELL_CARCINOMA'],
  ['squamous cell carcinoma', 'SQUAMOUS_CELL_CARCINOMA'],
  ['scc', 'SQUAMOUS_CELL_CARCINOMA'],
  ['papilloma', 'PAPILLOMA'],
  ['skin papilloma', 'PAPILLOMA'],
];
const SYNONYM_MAP = new Map(SYNONYMS.map(([k, v]) => [normalise(k), v]));
for (const info of Object.values(CLASSES)) {
  SYNONYM_MAP.set(normalise(info.label), info.code);
  SYNONYM_MAP.set(normalise(info.code), info.code);
}

export type DiagnosisNormalisation = { ok: true; diagnosisClass: DiagnosisClass } | { ok: false; reason: string };

/**
 * Maps a raw clinical diagnosis text onto one of the 9 classes. The raw text is always kept beside
 * the class by the caller. "Benign nevus-like formation" becomes nevus only when the record has no
 * clinical sign of malignancy (an irregular border or atypical/melanoma-specific structures).
 */
export function normaliseDiagnosis(raw: string, malignancySigns = false): DiagnosisNormalisation {
  const key = normalise(raw);
  if (key === '') return { ok: false, reason: 'clinical_diagnosis is empty' };
  const found = SYNONYM_MAP.get(key);
  if (!found)
    return { ok: false, reason: `clinical_diagnosis "${raw}" is not one of the 9 classes or a known synonym` };
  if (key === normalise('benign nevus-like formation') && malignancySigns) {
    return {
      ok: false,
      reason: 'a "benign nevus-like formation" with clinical signs of malignancy cannot be normalised to nevus',
    };
  }
  return { ok: true, diagnosisClass: found };
}
