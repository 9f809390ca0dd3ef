/** The paper's information model: 16 fields in 6 clinically oriented blocks (Table 2). */
export const BLOCKS = ['demographic', 'anamnestic', 'morphological', 'dermoscopic', 'diagnostic', 'service'] as const;
export type Block = (typeof BLOCKS)[number];

/**
 * A field's value type as exports write it: text, a whole number, a decimal number, yes/no, a
 * calendar date, or a list of texts (several allowed).
 */
export const FIELD_TYPES = ['string', 'integer', 'float', 'boolean', 'date', 'strings'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/**
 * What the de-identification profiles (domain/deidentify.ts) do to a field in an export:
 * - `kept`: every profile shows it as stored (codes are already keyed hashes, see ingest);
 * - `age`: an age, shown through ageValue (exact under limited; text such as "45", "90+", "40-44"
 *   under the others, so the column is text there);
 * - `date`: a date, shown through dateValue (the year, the month or the day);
 * - `reviewers`: not generalised by any profile, written only for reviewers and admins (null for
 *   everyone else).
 */
export type Deidentification = 'kept' | 'age' | 'date' | 'reviewers';

export interface FieldInfo {
  /** The snake_case name used in CSV, exports and ISIC-compatible notation. */
  readonly name: string;
  readonly block: Block;
  /** A record is rejected without it; every other field may be missing and is reported as such. */
  readonly required: boolean;
  readonly description: string;
  /** Its value type in exports (domain/export-record.ts). */
  readonly type: FieldType;
  readonly deidentify: Deidentification;
}

const f = (
  name: string,
  block: Block,
  required: boolean,
  description: string,
  type: FieldType,
  deidentify: Deidentification = 'kept',
): FieldInfo => ({ name, block, required, description, type, deidentify });

export const FIELDS: readonly FieldInfo[] = [
  f(
    'age_at_exam',
    'demographic',
    false,
    'Age in whole years at the examination (raw input kept; 0–120 counts as valid)',
    'integer',
    'age',
  ),
  f('sex', 'demographic', false, 'female / male', 'string'),
  f('fitzpatrick_type', 'demographic', false, 'Fitzpatrick skin phototype I–VI', 'string'),
  f('sunburn_history', 'anamnestic', false, 'History of sunburns (yes / no)', 'boolean'),
  f('personal_ca_history', 'anamnestic', false, 'Personal history of cancer (yes / no)', 'boolean'),
  f('anatomical_site', 'morphological', false, 'Anatomical site, mappable onto ISIC anatom_site_general', 'string'),
  f('lesion_diameter_mm', 'morphological', false, 'Largest lesion diameter in millimetres', 'float'),
  f('dominant_colors', 'morphological', false, "Dominant dermoscopic colours (PH2's six), several allowed", 'strings'),
  f('elevation', 'morphological', false, 'flat / palpable / nodular', 'string'),
  f('border_regularity', 'morphological', false, 'regular / irregular', 'string'),
  f(
    'dermoscopic_structures',
    'dermoscopic',
    false,
    'Expert-annotated dermoscopic structures, several allowed',
    'strings',
  ),
  f('clinical_diagnosis', 'diagnostic', true, 'Raw clinical diagnosis, normalised to one of the 9 classes', 'string'),
  f('histopathology_result', 'diagnostic', false, 'Histopathology report text, when a biopsy was taken', 'string'),
  f('verification_stage', 'diagnostic', true, 'initial / consensus / histology: the level the label reached', 'string'),
  f('examiner_id', 'service', false, 'De-identified code of the examining specialist', 'string', 'reviewers'),
  f('image_quality_score', 'service', true, 'SOP image quality score 1–5; 1–2 are rejected at acquisition', 'integer'),
];

export const FIELD_NAMES = FIELDS.map((x) => x.name);

/** A field of the model by its name; an unknown name throws (at load, where the export record names them). */
export function field(name: string): FieldInfo {
  const found = FIELDS.find((x) => x.name === name);
  if (!found) throw new Error(`no field ${name} in the information model`);
  return found;
}
