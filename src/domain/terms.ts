// The diagnosis vocabulary beyond the 9 classes. Every record keeps a diagnosis term: a path of the
// ISIC diagnosis hierarchy (isic-diagnosis.ts, with its levels) or one of our few extensions. Each
// term carries its origin and clinical status. The paper's 9 classes stay the normalised class
// where one applies (a term at or below a class's node); a term with no place among the 9 leaves
// the class empty ("outside the 9") and is stored all the same.
import { CLASS_CODES, CLASSES, type Origin } from './classes.ts';
import type { ClinicalStatus, DiagnosisClass } from './enums.ts';
import { ISIC_DIAGNOSIS_PATHS } from './isic-diagnosis.ts';

export interface DiagnosisTerm {
  /** The full colon-separated path, the term's identity (e.g. "Benign:Benign epidermal proliferations:Solar lentigo"). */
  readonly path: string;
  /** The last level, the term's name. */
  readonly name: string;
  /** The levels from the root (level 1 = Benign / Indeterminate / Malignant / Unknown). */
  readonly levels: readonly string[];
  readonly status: ClinicalStatus;
  /** Melanocytic or not; null where the term does not say (the roots, collisions, unknown). */
  readonly origin: Origin | null;
  /** The class of the 9 the term falls under, or null: outside the 9. */
  readonly diagnosisClass: DiagnosisClass | null;
  /** `isic`: the ISIC hierarchy, verbatim; `dermaset`: our extension (the paper's papilloma, "Unknown"). */
  readonly source: 'isic' | 'dermaset';
}

/** The term of a record whose source gives no diagnosis and no benign/malignant verdict. */
export const UNKNOWN_TERM = 'Unknown';
/** The paper's papilloma has no node in the ISIC hierarchy: our extension under benign epidermal proliferations. */
export const PAPILLOMA_TERM = 'Benign:Benign epidermal proliferations:Papilloma';

const EXTENSIONS: readonly string[] = [UNKNOWN_TERM, PAPILLOMA_TERM];

const AK = 'Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis';
const ACTINIC_CHEILITIS = 'Indeterminate:Indeterminate epidermal proliferations:Solar or actinic cheilitis';
const DYSPLASTIC = CLASSES.DYSPLASTIC_NEVUS.isicPath;

/** The class nodes: a term at or below one of a class's nodes belongs to that class (the deepest node wins). */
const CLASS_NODES: Readonly<Record<DiagnosisClass, readonly string[]>> = {
  NEVUS: ['Benign:Benign melanocytic proliferations:Nevus'],
  DYSPLASTIC_NEVUS: [DYSPLASTIC],
  MELANOMA: ['Malignant:Malignant melanocytic proliferations (Melanoma)'],
  SEBORRHEIC_KERATOSIS: ['Benign:Benign epidermal proliferations:Seborrheic keratosis'],
  HEMANGIOMA: ['Benign:Benign soft tissue proliferations - Vascular:Hemangioma'],
  DERMATOFIBROMA: ['Benign:Benign soft tissue proliferations - Fibro-histiocytic:Dermatofibroma'],
  BASAL_CELL_CARCINOMA: ['Malignant:Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma'],
  SQUAMOUS_CELL_CARCINOMA: [
    'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma in situ',
    'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma, Invasive',
    'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma, NOS',
  ],
  PAPILLOMA: [PAPILLOMA_TERM],
};

/** The term a record of a class gets when its source names nothing finer (the class's ISIC node). */
export const CLASS_TERM: Readonly<Record<DiagnosisClass, string>> = Object.fromEntries(
  CLASS_CODES.map((c) => [c, c === 'PAPILLOMA' ? PAPILLOMA_TERM : CLASSES[c].isicPath]),
) as Record<DiagnosisClass, string>;

/** Whether a term lies at or under a node of the hierarchy (a node ends at a level separator). */
export const isUnder = (path: string, node: string): boolean => path === node || path.startsWith(`${node}:`);

function classOfPath(path: string): DiagnosisClass | null {
  let best: { c: DiagnosisClass; depth: number } | null = null;
  for (const c of CLASS_CODES) {
    for (const node of CLASS_NODES[c]) {
      if (isUnder(path, node) && (!best || node.length > best.depth)) best = { c, depth: node.length };
    }
  }
  return best?.c ?? null;
}

function statusOfPath(path: string, diagnosisClass: DiagnosisClass | null): ClinicalStatus {
  // a class decides (dysplastic nevi are borderline, although ISIC files them under Benign)
  if (diagnosisClass) return CLASSES[diagnosisClass].status;
  if (isUnder(path, AK) || isUnder(path, ACTINIC_CHEILITIS)) return 'PREMALIGNANT';
  const root = path.split(':')[0];
  return root === 'Benign'
    ? 'BENIGN'
    : root === 'Malignant'
      ? 'MALIGNANT'
      : root === 'Indeterminate'
        ? 'BORDERLINE'
        : 'UNKNOWN';
}

function originOfPath(levels: readonly string[], diagnosisClass: DiagnosisClass | null): Origin | null {
  if (diagnosisClass) return CLASSES[diagnosisClass].origin;
  if (levels.length < 2 || /^Collision/.test(levels[1] ?? '')) return null;
  const group = levels[1] ?? '';
  if (/not melanocytic/i.test(group)) return 'NON_MELANOCYTIC';
  return /melanocytic|Melanoma/.test(group) ? 'MELANOCYTIC' : 'NON_MELANOCYTIC';
}

function termOf(path: string, source: DiagnosisTerm['source']): DiagnosisTerm {
  const levels = path.split(':');
  const diagnosisClass = classOfPath(path);
  return {
    path,
    name: levels[levels.length - 1] ?? path,
    levels,
    status: statusOfPath(path, diagnosisClass),
    origin: originOfPath(levels, diagnosisClass),
    diagnosisClass,
    source,
  };
}

/** Every term of the vocabulary, the ISIC hierarchy's order first, then our extensions. */
export const TERMS: readonly DiagnosisTerm[] = [
  ...ISIC_DIAGNOSIS_PATHS.map((p) => termOf(p, 'isic')),
  ...EXTENSIONS.map((p) => termOf(p, 'dermaset')),
];
const BY_PATH = new Map(TERMS.map((t) => [t.path, t]));

export const TERM_PATHS: readonly string[] = TERMS.map((t) => t.path);

export const isTerm = (path: string): boolean => BY_PATH.has(path);

/** The term of a path; throws for a path outside the vocabulary (stored terms are always inside it). */
export function termByPath(path: string): DiagnosisTerm {
  const t = BY_PATH.get(path);
  if (!t) throw new Error(`"${path}" is not a term of the diagnosis vocabulary`);
  return t;
}

/** The terms at or below a node (a path, or a level-1 name such as "Malignant"). */
export const termsUnder = (node: string): string[] => TERM_PATHS.filter((p) => isUnder(p, node));

const key = (s: string) =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

/** Clinical phrases (and the legacy ISIC flat diagnoses) for terms outside the 9, by their meaning. */
const PHRASES: ReadonlyArray<readonly [string, string]> = [
  ['actinic keratosis', AK],
  ['solar keratosis', AK],
  ['ak', AK],
  ['solar lentigo', 'Benign:Benign epidermal proliferations:Solar lentigo'],
  ['lichenoid keratosis', 'Benign:Benign epidermal proliferations:Lichen planus like keratosis'],
  ['lichen planus like keratosis', 'Benign:Benign epidermal proliferations:Lichen planus like keratosis'],
  ['pigmented benign keratosis', 'Benign:Benign epidermal proliferations:Pigmented benign keratosis'],
  ['lentigo nos', 'Benign:Flat melanotic pigmentations - not melanocytic nevus:Lentigo NOS'],
  ['lentigo', 'Benign:Flat melanotic pigmentations - not melanocytic nevus:Lentigo NOS'],
  ['lentigo simplex', 'Benign:Benign melanocytic proliferations:Lentigo simplex'],
  ['cafe au lait macule', 'Benign:Flat melanotic pigmentations - not melanocytic nevus:Cafe au lait macule or patch'],
  [
    'atypical melanocytic proliferation',
    'Indeterminate:Indeterminate melanocytic proliferations:Atypical melanocytic neoplasm',
  ],
  ['angiofibroma or fibrous papule', 'Benign:Benign soft tissue proliferations - Fibro-histiocytic:Angiofibroma'],
  ['scar', 'Benign:Benign soft tissue proliferations - Fibro-histiocytic:Scar'],
  ['verruca', 'Benign:Inflammatory or infectious diseases:Verruca'],
  ['unknown', UNKNOWN_TERM],
];
const BY_KEY = new Map<string, string>();
// a term's own name finds it when the name is unique in the vocabulary
const nameCount = new Map<string, number>();
for (const t of TERMS) nameCount.set(key(t.name), (nameCount.get(key(t.name)) ?? 0) + 1);
for (const t of TERMS) if (nameCount.get(key(t.name)) === 1) BY_KEY.set(key(t.name), t.path);
for (const [phrase, path] of PHRASES) BY_KEY.set(key(phrase), path);
for (const t of TERMS) BY_KEY.set(key(t.path), t.path);

/** The term a text names: a full path, a unique term name, or a known clinical phrase; else undefined. */
export function findTerm(text: string): DiagnosisTerm | undefined {
  const path = BY_KEY.get(key(text));
  return path === undefined ? undefined : BY_PATH.get(path);
}

/** The status of a stored (class, term) pair: the class's where there is one, else the term's. */
export const statusOf = (diagnosisClass: DiagnosisClass | null, term: string): ClinicalStatus =>
  diagnosisClass ? CLASSES[diagnosisClass].status : termByPath(term).status;

/** The origin of a stored (class, term) pair: the class's where there is one, else the term's. */
export const originOf = (diagnosisClass: DiagnosisClass | null, term: string): Origin | null =>
  diagnosisClass ? CLASSES[diagnosisClass].origin : termByPath(term).origin;

/** A level-1 node for a source's benign/malignant verdict, when it names no finer diagnosis. */
export function verdictTerm(benignMalignant: string | undefined): string {
  const v = key(benignMalignant ?? '');
  if (v === 'benign') return 'Benign';
  if (v === 'malignant') return 'Malignant';
  if (v === 'indeterminate' || v.startsWith('indeterminate')) return 'Indeterminate';
  return UNKNOWN_TERM;
}

/**
 * The label fields after an image is relabelled to a class (consensus, histology, an admin's
 * correction): the term stays where it already lies under the class (a blue nevus stays a blue
 * nevus when confirmed as a nevus), else it becomes the class's own term; the status follows.
 */
export function relabelled(
  term: string,
  diagnosisClass: DiagnosisClass,
): { diagnosisClass: DiagnosisClass; diagnosisTerm: string; clinicalStatus: ClinicalStatus } {
  const keep = BY_PATH.get(term)?.diagnosisClass === diagnosisClass;
  return {
    diagnosisClass,
    diagnosisTerm: keep ? term : CLASS_TERM[diagnosisClass],
    clinicalStatus: CLASSES[diagnosisClass].status,
  };
}
