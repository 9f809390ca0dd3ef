// ISIC challenge and legacy archive CSVs with flat columns: image_name / isic_id, patient_id,
// lesion_id, sex, age_approx, anatom_site_general (or anatom_site_general_challenge, ISIC 2020),
// diagnosis, benign_malignant and, in archive exports, diagnosis_confirm_type. The current archive
// has retired the flat `diagnosis` for a hierarchy; these files keep the legacy names.
import { normaliseDiagnosis } from '../../domain/classes.ts';
import type { RawRecord } from '../../domain/raw-record.ts';
import { CLASS_TERM, findTerm, statusOf, UNKNOWN_TERM, verdictTerm } from '../../domain/terms.ts';
import { defineImporter, type ImportRow } from '../types.ts';
import {
  cell,
  compact,
  type LabelMeaning,
  labelledRow,
  meaning,
  own,
  publicSex,
  publicSite,
  requireColumns,
  vocabularyOf,
} from './kit.ts';
import { AK_TERM, LENTIGO_NOS } from './public-terms.ts';

const ID = 'isic-legacy';

/**
 * The legacy flat `diagnosis` values (ImageMarkup/isic-metadata LegacyDxEnum) plus `unknown`, which
 * the ISIC 2020 challenge file uses for undiagnosed benign lesions.
 */
export const ISIC_LEGACY_DIAGNOSES = [
  'actinic keratosis',
  'adnexal tumor',
  'AIMP',
  'angiokeratoma',
  'angioma',
  'basal cell carcinoma',
  'cafe-au-lait macule',
  'dermatofibroma',
  'ephelis',
  'lentigo NOS',
  'lentigo simplex',
  'lichenoid keratosis',
  'melanoma',
  'melanoma metastasis',
  'merkel cell carcinoma',
  'mucosal melanosis',
  'nevus',
  'nevus spilus',
  'seborrheic keratosis',
  'solar lentigo',
  'squamous cell carcinoma',
  'clear cell acanthoma',
  'atypical spitz tumor',
  'acrochordon',
  'angiofibroma or fibrous papule',
  'neurofibroma',
  'pyogenic granuloma',
  'scar',
  'sebaceous adenoma',
  'sebaceous hyperplasia',
  'verruca',
  'atypical melanocytic proliferation',
  'epidermal nevus',
  'pigmented benign keratosis',
  'vascular lesion',
  'other',
  'unknown',
] as const;

const VASCULAR = 'Benign:Benign soft tissue proliferations - Vascular';
const FIBRO = 'Benign:Benign soft tissue proliferations - Fibro-histiocytic';
const FLAT = 'Benign:Flat melanotic pigmentations - not melanocytic nevus';
const INDETERMINATE_MELANOCYTIC = 'Indeterminate:Indeterminate melanocytic proliferations';

/**
 * The term of each legacy value that is no class of ours or names a finer term than the class's own:
 * the ISIC hierarchy node the archive itself moved the value to. Values that normalise onto a class
 * (nevus, melanoma, angioma…) and are absent here get their class's term.
 */
const TERMS: Readonly<Record<string, string>> = {
  'actinic keratosis': AK_TERM,
  // intraepithelial, indeterminate: neither nevus nor melanoma (ISIC: Indeterminate melanocytic proliferations)
  AIMP: `${INDETERMINATE_MELANOCYTIC}:Atypical intraepithelial melanocytic proliferation`,
  'atypical melanocytic proliferation': `${INDETERMINATE_MELANOCYTIC}:Atypical melanocytic neoplasm`,
  'atypical spitz tumor': `${INDETERMINATE_MELANOCYTIC}:Atypical Spitz tumor`,
  angiokeratoma: `${VASCULAR}:Angiokeratoma`,
  'pyogenic granuloma': `${VASCULAR}:Pyogenic granuloma`,
  // "vascular lesion" not further specified: the benign vascular node, not hemangioma (angioma maps)
  'vascular lesion': VASCULAR,
  'cafe-au-lait macule': `${FLAT}:Cafe au lait macule or patch`,
  ephelis: `${FLAT}:Ephelis`,
  'lentigo NOS': LENTIGO_NOS,
  'mucosal melanosis': `${FLAT}:Mucosal melanotic macule`,
  'lentigo simplex': 'Benign:Benign melanocytic proliferations:Lentigo simplex',
  'solar lentigo': 'Benign:Benign epidermal proliferations:Solar lentigo',
  'lichenoid keratosis': 'Benign:Benign epidermal proliferations:Lichen planus like keratosis',
  'pigmented benign keratosis': 'Benign:Benign epidermal proliferations:Pigmented benign keratosis',
  'clear cell acanthoma': 'Benign:Benign epidermal proliferations:Clear cell acanthoma',
  'epidermal nevus': 'Benign:Benign epidermal proliferations:Epidermal nevus',
  // a skin tag: ISIC's fibroepithelial polyp
  acrochordon: `${FIBRO}:Fibroepithelial polyp`,
  'angiofibroma or fibrous papule': `${FIBRO}:Angiofibroma`,
  scar: `${FIBRO}:Scar`,
  neurofibroma: 'Benign:Benign soft tissue proliferations - Neural:Neurofibroma',
  'sebaceous adenoma': 'Benign:Benign adnexal epithelial proliferations - Sebaceous:Sebaceous adenoma',
  'sebaceous hyperplasia': 'Benign:Benign adnexal epithelial proliferations - Sebaceous:Sebaceous hyperplasia',
  verruca: 'Benign:Inflammatory or infectious diseases:Verruca',
  'merkel cell carcinoma': 'Malignant:Merkel cell proliferation:Merkel cell carcinoma',
  // under ISIC's melanoma node, beside in situ and invasive: our melanoma
  'melanoma metastasis': 'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma metastasis',
  // ISIC files the speckled lentiginous nevus under Nevus: our nevus
  'nevus spilus': 'Benign:Benign melanocytic proliferations:Nevus:Nevus, Spilus',
  // the values that name no diagnosis: Unknown, which the row's benign_malignant refines (VERDICT)
  'adnexal tumor': UNKNOWN_TERM,
  other: UNKNOWN_TERM,
  unknown: UNKNOWN_TERM,
};

/**
 * Values that name no diagnosis of their own (benign and malignant adnexal tumours alike, "other",
 * "unknown"): the row's benign_malignant gives the term (verdictTerm: Benign, Malignant,
 * Indeterminate, or Unknown where it is empty), so "unknown, benign" is stored as benign.
 */
const VERDICT = new Set(['adnexal tumor', 'other', 'unknown']);

/** A legacy value's meaning: its term (table above, else its class's) with the value as the diagnosis text. */
function legacyMeaning(label: string): LabelMeaning {
  const path = own(TERMS, label);
  if (path !== undefined) return meaning(path, label);
  const d = normaliseDiagnosis(label);
  if (!d.ok) throw new Error(`isic-legacy: "${label}" has no term`);
  return meaning(CLASS_TERM[d.diagnosisClass], label);
}

/** Every legacy value with its term and class (null: outside the 9). */
export const ISIC_LEGACY_LABELS: Readonly<Record<string, LabelMeaning>> = Object.fromEntries(
  ISIC_LEGACY_DIAGNOSES.map((label): [string, LabelMeaning] => [label, legacyMeaning(label)]),
);

const BY_LOWER = new Map(Object.entries(ISIC_LEGACY_LABELS).map(([k, v]) => [k.toLowerCase(), v]));
const VERDICT_LOWER = new Set([...VERDICT].map((v) => v.toLowerCase()));

/**
 * A value's meaning for one row: a legacy value (its term; a verdict value refined by the row's
 * benign_malignant), else a value outside the list (older or hand-made files) that normalises to a
 * class or names a term of the vocabulary; else undefined (unmapped: the importer does not know it).
 */
function meaningOf(label: string, benignMalignant: string | undefined): LabelMeaning | undefined {
  const lower = label.toLowerCase();
  if (VERDICT_LOWER.has(lower)) return meaning(verdictTerm(benignMalignant), label);
  const known = BY_LOWER.get(lower);
  if (known) return known;
  const d = normaliseDiagnosis(label);
  if (d.ok) return meaning(CLASS_TERM[d.diagnosisClass], label);
  const t = findTerm(label);
  return t ? meaning(t.path, label) : undefined;
}

/** `diagnosis_confirm_type` (archive exports): only histopathology and expert consensus raise the stage. */
function verification(confirm: string | undefined): Pick<RawRecord, 'verification_stage' | 'histopathology_result'> {
  switch (confirm?.toLowerCase()) {
    case 'histopathology':
      return {
        verification_stage: 'histology',
        histopathology_result: 'histopathology (ISIC diagnosis_confirm_type=histopathology)',
      };
    case 'single image expert consensus':
      return { verification_stage: 'consensus' };
    default:
      return { verification_stage: 'initial' };
  }
}

/**
 * A diagnosis whose status contradicts the row's benign_malignant is refused rather than guessed at:
 * only benign against malignant (a premalignant, borderline or unknown term contradicts neither).
 */
function contradiction(label: string, m: LabelMeaning, benignMalignant: string | undefined): string | undefined {
  if (!benignMalignant) return undefined;
  const status = statusOf(m.class, m.term);
  const bm = benignMalignant.toLowerCase();
  if ((status === 'MALIGNANT' && bm === 'benign') || (status === 'BENIGN' && bm === 'malignant')) {
    return `diagnosis "${label}" contradicts benign_malignant "${benignMalignant}"`;
  }
  return undefined;
}

/** The source label of a row whose diagnosis is empty (its benign_malignant gives the term). */
const NO_DIAGNOSIS = '(no diagnosis)';

export const isicLegacy = defineImporter({
  id: ID,
  version: '1.1.0',
  description:
    'ISIC challenge / legacy archive CSVs (image_name or isic_id, patient_id, lesion_id, sex, age_approx, ' +
    'anatom_site_general or anatom_site_general_challenge, diagnosis, benign_malignant, optional ' +
    'diagnosis_confirm_type). patient_id = "isic:<patient_id>", or the lesion_id / image id where none is ' +
    'given. Every legacy diagnosis is stored with its ISIC term (outside the 9 where no class applies); unknown, ' +
    'other, adnexal tumor and an empty diagnosis take the term of benign_malignant (Benign, Malignant or Unknown); ' +
    'a diagnosis whose benign/malignant status contradicts benign_malignant is refused.',
  inputs: [{ name: 'metadata', description: 'the challenge or archive metadata CSV', required: true }],
  vocabulary: vocabularyOf(ISIC_LEGACY_LABELS),
  collection: {
    slug: ID,
    name: 'ISIC Archive (challenge and legacy metadata)',
    source: 'https://www.isic-archive.com',
    citation:
      'Rotemberg V et al. A patient-centric dataset of images and metadata for identifying melanomas using ' +
      'clinical context. Sci Data 8, 34 (2021). doi:10.1038/s41597-021-00815-z (ISIC 2020); cite the challenge ' +
      'or archive release each file came from',
    license:
      'CC BY-NC 4.0 (ISIC challenge data); archive images carry their own licence (CC0, CC BY or CC BY-NC), see ' +
      'https://www.isic-archive.com',
    attribution:
      'International Skin Imaging Collaboration (ISIC), ISIC Archive https://www.isic-archive.com, and the ' +
      'contributing institutions named with each challenge or image.',
    version: null,
  },
  *rows(inputs): Iterable<ImportRow> {
    const rows = inputs.metadata ?? [];
    requireColumns(ID, 'metadata', rows, ['image_name', 'isic_id', 'image'], 'diagnosis');
    for (const row of rows) {
      const image = cell(row, 'image_name', 'isic_id', 'image');
      if (!image) {
        yield { kind: 'invalid', fileName: '', reason: 'image_name / isic_id is empty' };
        continue;
      }
      const bm = cell(row, 'benign_malignant');
      // a row with no diagnosis is stored with its verdict's term (benign, malignant…) or as Unknown
      const label = cell(row, 'diagnosis') ?? NO_DIAGNOSIS;
      const m = label === NO_DIAGNOSIS ? meaning(verdictTerm(bm), label) : meaningOf(label, bm);
      const conflict = m && contradiction(label, m, bm);
      if (conflict) {
        yield { kind: 'invalid', fileName: image, reason: conflict };
        continue;
      }
      const lesionId = cell(row, 'lesion_id');
      yield labelledRow(
        m,
        label,
        image,
        (diagnosis) =>
          compact({
            ...diagnosis,
            patient_id: `isic:${cell(row, 'patient_id') ?? lesionId ?? image}`,
            lesion_id: lesionId,
            age_at_exam: cell(row, 'age_approx'),
            sex: publicSex(cell(row, 'sex')),
            anatomical_site: publicSite(cell(row, 'anatom_site_general', 'anatom_site_general_challenge')),
            ...verification(cell(row, 'diagnosis_confirm_type')),
          }),
        `"${label}" is neither a legacy ISIC diagnosis nor one of our 9 classes, a known synonym or a term of ` +
          'the diagnosis vocabulary',
      );
    }
  },
});
