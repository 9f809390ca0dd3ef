// ISIC challenge and legacy archive CSVs with flat columns: image_name / isic_id, patient_id,
// lesion_id, sex, age_approx, anatom_site_general (or anatom_site_general_challenge, ISIC 2020),
// diagnosis, benign_malignant and, in archive exports, diagnosis_confirm_type. The current archive
// has retired the flat `diagnosis` for a hierarchy; these files keep the legacy names.
import { CLASSES, normaliseDiagnosis } from '../../domain/classes.ts';
import type { RawRecord } from '../../domain/raw-record.ts';
import { defineImporter, type ImportRow } from '../types.ts';
import {
  cell,
  compact,
  type LabelMeaning,
  labelledRow,
  own,
  publicSex,
  publicSite,
  requireColumns,
  vocabularyOf,
} from './kit.ts';

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

/** Why a legacy value that does not normalise has no class, where "not one of our 9" says too little. */
const REASONS: Readonly<Record<string, string>> = {
  'actinic keratosis': 'actinic keratosis: a precancerous keratinocytic lesion with no class among our 9',
  AIMP: 'atypical intraepidermal melanocytic proliferation: indeterminate, neither nevus nor melanoma',
  'atypical melanocytic proliferation': 'indeterminate melanocytic proliferation, neither nevus nor melanoma',
  'atypical spitz tumor': 'indeterminate melanocytic tumour, neither nevus nor melanoma',
  'melanoma metastasis': 'a metastasis, not a primary cutaneous melanoma',
  'nevus spilus': 'speckled lentiginous nevus: a distinct entity that our nevus class does not name',
  'epidermal nevus': 'a keratinocytic hamartoma, not a melanocytic nevus',
  'pigmented benign keratosis': 'benign keratosis of any kind, broader than our seborrheic keratosis',
  'lichenoid keratosis': 'lichen-planus-like keratosis, not our seborrheic keratosis',
  'solar lentigo': 'a lentigo, not our seborrheic keratosis',
  'vascular lesion': 'a vascular lesion not further specified, broader than hemangioma (angioma maps)',
  angiokeratoma: 'a vascular lesion distinct from hemangioma',
  'pyogenic granuloma': 'a vascular lesion distinct from hemangioma',
  other: 'the source gives no diagnosis among its own values',
  unknown: 'the source gives no diagnosis',
};

const unmappedReason = (label: string) => own(REASONS, label) ?? `"${label}" is not one of our 9 classes`;

/** Legacy values map only through normaliseDiagnosis, the rule our own records follow. */
export const ISIC_LEGACY_LABELS: Readonly<Record<string, LabelMeaning>> = Object.fromEntries(
  ISIC_LEGACY_DIAGNOSES.map((label): [string, LabelMeaning] => {
    const d = normaliseDiagnosis(label);
    return [
      label,
      d.ok ? { class: d.diagnosisClass, diagnosis: label } : { class: null, reason: unmappedReason(label) },
    ];
  }),
);

const BY_LOWER = new Map(Object.entries(ISIC_LEGACY_LABELS).map(([k, v]) => [k.toLowerCase(), v]));

/** A value outside the legacy list (older or hand-made files) still maps when it normalises. */
function meaningOf(label: string): LabelMeaning {
  const known = BY_LOWER.get(label.toLowerCase());
  if (known) return known;
  const d = normaliseDiagnosis(label);
  return d.ok ? { class: d.diagnosisClass, diagnosis: label } : { class: null, reason: d.reason };
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

/** A diagnosis whose status contradicts the row's benign_malignant is refused rather than guessed at. */
function contradiction(label: string, meaning: LabelMeaning, benignMalignant: string | undefined): string | undefined {
  if (meaning.class === null || !benignMalignant) return undefined;
  const status = CLASSES[meaning.class].status;
  const bm = benignMalignant.toLowerCase();
  if ((status === 'MALIGNANT' && bm === 'benign') || (status !== 'MALIGNANT' && bm === 'malignant')) {
    return `diagnosis "${label}" contradicts benign_malignant "${benignMalignant}"`;
  }
  return undefined;
}

const NO_DIAGNOSIS = '(no diagnosis)';

export const isicLegacy = defineImporter({
  id: ID,
  version: '1.0.0',
  description:
    'ISIC challenge / legacy archive CSVs (image_name or isic_id, patient_id, lesion_id, sex, age_approx, ' +
    'anatom_site_general or anatom_site_general_challenge, diagnosis, benign_malignant, optional ' +
    'diagnosis_confirm_type). patient_id = "isic:<patient_id>", or the lesion_id / image id where none is ' +
    'given. The flat diagnosis maps only where our diagnosis normalisation applies; the rest is unmapped.',
  inputs: [{ name: 'metadata', description: 'the challenge or archive metadata CSV', required: true }],
  vocabulary: vocabularyOf(ISIC_LEGACY_LABELS),
  *rows(inputs): Iterable<ImportRow> {
    const rows = inputs.metadata ?? [];
    requireColumns(ID, 'metadata', rows, ['image_name', 'isic_id', 'image'], 'diagnosis');
    for (const row of rows) {
      const image = cell(row, 'image_name', 'isic_id', 'image');
      if (!image) {
        yield { kind: 'invalid', fileName: '', reason: 'image_name / isic_id is empty' };
        continue;
      }
      const label = cell(row, 'diagnosis');
      if (!label) {
        const reason = 'the row has no diagnosis; benign_malignant alone names no class';
        yield { kind: 'unmapped', fileName: image, sourceLabel: NO_DIAGNOSIS, reason };
        continue;
      }
      const meaning = meaningOf(label);
      const conflict = contradiction(label, meaning, cell(row, 'benign_malignant'));
      if (conflict) {
        yield { kind: 'invalid', fileName: image, reason: conflict };
        continue;
      }
      const lesionId = cell(row, 'lesion_id');
      yield labelledRow(
        meaning,
        label,
        image,
        (diagnosis) =>
          compact({
            patient_id: `isic:${cell(row, 'patient_id') ?? lesionId ?? image}`,
            lesion_id: lesionId,
            age_at_exam: cell(row, 'age_approx'),
            sex: publicSex(cell(row, 'sex')),
            anatomical_site: publicSite(cell(row, 'anatom_site_general', 'anatom_site_general_challenge')),
            clinical_diagnosis: diagnosis,
            ...verification(cell(row, 'diagnosis_confirm_type')),
          }),
        unmappedReason(label),
      );
    }
  },
});
