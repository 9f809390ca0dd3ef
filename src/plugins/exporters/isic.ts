// ISIC notation shared by the isic-csv and isic-zip exporters.
import { SITES } from '../../domain/sites.ts';
import type { ExportRow } from '../types.ts';

/** ISIC's diagnosis_confirm_type for each verification stage. */
export const CONFIRM_TYPE: Record<string, string> = {
  HISTOLOGY: 'histopathology',
  CONSENSUS: 'single image expert consensus',
  INITIAL: 'single contributor clinical assessment',
};

const BENIGN_MALIGNANT: Record<string, string> = {
  BENIGN: 'benign',
  BORDERLINE: 'indeterminate',
  MALIGNANT: 'malignant',
};

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
] as const;

/**
 * One ISIC metadata.csv row. `diagnosis` is the label under `policy` (id@version); diagnosis_1–5
 * the class's node in the ISIC hierarchy, as deep as the class goes (a dysplastic nevus reaches
 * "Nevus, Atypical, Dysplastic, or Clark" at level 4), empty below it.
 */
export function isicRow(
  row: ExportRow,
  options: { attribution: string; license: string; policy: { id: string; version: string } },
): Record<string, string> {
  const path = String(row.isic_path ?? '').split(':');
  const site = row.anatomical_site_code ? SITES[row.anatomical_site_code as keyof typeof SITES] : undefined;
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  return {
    isic_id: cell(row.image_name),
    attribution: options.attribution,
    copyright_license: options.license,
    patient_id: cell(row.patient_id),
    lesion_id: cell(row.lesion_id),
    // computed by the runner through the export's profile (domain/deidentify.ts isicAgeApprox)
    age_approx: cell(row.age_approx),
    sex: cell(row.sex),
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
    diagnosis_confirm_type: cell(CONFIRM_TYPE[String(row.verification_stage_code)]),
    image_type: 'dermoscopic',
  };
}
