/** The paper's information model: 16 fields in 6 clinically oriented blocks (Table 2). */
export const BLOCKS = ['demographic', 'anamnestic', 'morphological', 'dermoscopic', 'diagnostic', 'service'] as const;
export type Block = (typeof BLOCKS)[number];

export interface FieldInfo {
  /** The snake_case name used in CSV, exports and ISIC-compatible notation. */
  readonly name: string;
  readonly block: Block;
  /** A record is rejected without it; every other field may be missing and is reported as such. */
  readonly required: boolean;
  readonly description: string;
}

const f = (name: string, block: Block, required: boolean, description: string): FieldInfo => ({
  name,
  block,
  required,
  description,
});

export const FIELDS: readonly FieldInfo[] = [
  f(
    'age_at_exam',
    'demographic',
    false,
    'Age in whole years at the examination (raw input kept; 0–120 counts as valid)',
  ),
  f('sex', 'demographic', false, 'female / male'),
  f('fitzpatrick_type', 'demographic', false, 'Fitzpatrick skin phototype I–VI'),
  f('sunburn_history', 'anamnestic', false, 'History of sunburns (yes / no)'),
  f('personal_ca_history', 'anamnestic', false, 'Personal history of cancer (yes / no)'),
  f('anatomical_site', 'morphological', false, 'Anatomical site, mappable onto ISIC anatom_site_general'),
  f('lesion_diameter_mm', 'morphological', false, 'Largest lesion diameter in millimetres'),
  f('dominant_colors', 'morphological', false, "Dominant dermoscopic colours (PH2's six), several allowed"),
  f('elevation', 'morphological', false, 'flat / palpable / nodular'),
  f('border_regularity', 'morphological', false, 'regular / irregular'),
  f('dermoscopic_structures', 'dermoscopic', false, 'Expert-annotated dermoscopic structures, several allowed'),
  f('clinical_diagnosis', 'diagnostic', true, 'Raw clinical diagnosis, normalised to one of the 9 classes'),
  f('histopathology_result', 'diagnostic', false, 'Histopathology report text, when a biopsy was taken'),
  f('verification_stage', 'diagnostic', true, 'initial / consensus / histology: the level the label reached'),
  f('examiner_id', 'service', false, 'De-identified code of the examining specialist'),
  f('image_quality_score', 'service', true, 'SOP image quality score 1–5; 1–2 are rejected at acquisition'),
];

export const FIELD_NAMES = FIELDS.map((x) => x.name);
