// ISIC notation shared by the isic-csv and isic-zip exporters.
import { SITES } from '../../domain/sites.ts';
import { isTerm, termByPath } from '../../domain/terms.ts';
import type { ExportCollection, ExportRow } from '../types.ts';
import { termsOf } from './licenses.ts';

/** ISIC's diagnosis_confirm_type for each verification stage. */
export const CONFIRM_TYPE: Record<string, string> = {
  HISTOLOGY: 'histopathology',
  CONSENSUS: 'single image expert consensus',
  INITIAL: 'single contributor clinical assessment',
};

/**
 * ISIC's benign_malignant for each clinical status. Premalignant terms (actinic keratosis and
 * cheilitis) lie under ISIC's own "Indeterminate" root; an unknown status leaves the cell empty.
 */
export const BENIGN_MALIGNANT: Record<string, string> = {
  BENIGN: 'benign',
  BORDERLINE: 'indeterminate',
  PREMALIGNANT: 'indeterminate',
  MALIGNANT: 'malignant',
  UNKNOWN: '',
};

/**
 * The deepest node of ISIC's own hierarchy at or above a term: the term itself for ISIC's terms;
 * for our extensions their nearest ISIC ancestor (papilloma → "Benign:Benign epidermal
 * proliferations"), none for "Unknown".
 */
export function isicNode(term: string): string[] {
  const levels = term.split(':');
  for (let n = levels.length; n > 0; n--) {
    const path = levels.slice(0, n).join(':');
    if (isTerm(path) && termByPath(path).source === 'isic') return levels.slice(0, n);
  }
  return [];
}

/** Levels of ISIC's diagnosis hierarchy (diagnosis_1 … diagnosis_5), as its vocabulary has them. */
export const ISIC_DIAGNOSIS_LEVELS = 5;

export const ISIC_COLUMNS = [
  'isic_id',
  'attribution',
  'copyright_license',
  'patient_id',
  'lesion_id',
  'age_approx',
  'sex',
  'anatom_site_general',
  'clin_size_long_diam_mm',
  'fitzpatrick_skin_type',
  'benign_malignant',
  'diagnosis',
  'policy',
  'diagnosis_1',
  'diagnosis_2',
  'diagnosis_3',
  'diagnosis_4',
  'diagnosis_5',
  'diagnosis_confirm_type',
  'image_type',
  'diagnosis_term',
  'clinical_status',
  'collection',
] as const;

/**
 * One ISIC metadata.csv row. `diagnosis` is the label under `policy` (id@version); diagnosis_1–5
 * the levels of the term's node in the ISIC hierarchy (isicNode: a dysplastic nevus reaches "Nevus,
 * Atypical, Dysplastic, or Clark" at level 4), empty below it; benign_malignant from the clinical
 * status; attribution and copyright_license the row's collection's (the options where it states none);
 * then our diagnosis_term, clinical_status (code) and collection.
 */
export function isicRow(
  row: ExportRow,
  options: {
    attribution: string;
    license: string;
    policy: { id: string; version: string };
    collections: ReadonlyMap<string, ExportCollection>;
  },
): Record<string, string> {
  const path = isicNode(String(row.diagnosis_term ?? ''));
  const terms = termsOf(options.collections.get(String(row.collection)), options);
  const site = row.anatomical_site ? SITES[row.anatomical_site as keyof typeof SITES] : undefined;
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  return {
    isic_id: cell(row.image_name),
    attribution: terms.attribution,
    copyright_license: terms.license,
    patient_id: cell(row.patient_id),
    lesion_id: cell(row.lesion_id),
    // computed by the runner through the export's profile (domain/deidentify.ts isicAgeApprox)
    age_approx: cell(row.age_approx),
    sex: cell(row.sex?.toLowerCase()),
    anatom_site_general: cell(site?.isicGeneral),
    clin_size_long_diam_mm: cell(row.lesion_diameter_mm),
    fitzpatrick_skin_type: cell(row.fitzpatrick_type),
    benign_malignant: cell(BENIGN_MALIGNANT[String(row.clinical_status)]),
    diagnosis: cell(row.label),
    policy: `${options.policy.id}@${options.policy.version}`,
    diagnosis_1: cell(path[0]),
    diagnosis_2: cell(path[1]),
    diagnosis_3: cell(path[2]),
    diagnosis_4: cell(path[3]),
    diagnosis_5: cell(path[4]),
    diagnosis_confirm_type: cell(CONFIRM_TYPE[String(row.verification_stage)]),
    image_type: 'dermoscopic',
    diagnosis_term: cell(row.diagnosis_term),
    clinical_status: cell(row.clinical_status),
    collection: cell(row.collection),
  };
}
