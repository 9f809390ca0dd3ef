// The vocabularies the forms offer, as the schema's enums spell them (schema.graphql). A value the
// server no longer knows is refused by it as BAD_USER_INPUT, shown as any other refusal.
export const STRUCTURES = [
  'BLOTCH_IRREGULAR',
  'BLOTCH_REGULAR',
  'BLUE_GRAY_OVOID_NESTS',
  'BLUE_WHITISH_VEIL',
  'CENTRAL_WHITE_PATCH',
  'COMEDO_LIKE_OPENINGS',
  'DOTS_GLOBULES_IRREGULAR',
  'DOTS_GLOBULES_REGULAR',
  'FISSURES_RIDGES',
  'LACUNAE',
  'LEAF_LIKE_AREAS',
  'MILIA_LIKE_CYSTS',
  'NEGATIVE_NETWORK',
  'PIGMENT_NETWORK_ATYPICAL',
  'PIGMENT_NETWORK_TYPICAL',
  'REGRESSION_STRUCTURES',
  'SPOKE_WHEEL_AREAS',
  'STREAKS_IRREGULAR',
  'STREAKS_REGULAR',
  'ULCERATION',
  'VESSELS_ARBORIZING',
  'VESSELS_COMMA',
  'VESSELS_DOTTED',
  'VESSELS_GLOMERULAR',
  'VESSELS_HAIRPIN',
  'VESSELS_LINEAR_IRREGULAR',
] as const;

/** The upload's record fields (the CSV-style record createInitialAnnotation takes), with a hint each. */
export const RECORD_FIELDS: { name: string; label: string; hint: string; required?: boolean }[] = [
  { name: 'patient_id', label: 'Patient id', hint: 'MRN-000123', required: true },
  { name: 'lesion_id', label: 'Lesion id', hint: 'L1', required: true },
  { name: 'acquisition_date', label: 'Acquisition date', hint: 'YYYY-MM-DD', required: true },
  { name: 'age_at_exam', label: 'Age at exam', hint: '44' },
  { name: 'sex', label: 'Sex', hint: 'female / male' },
  { name: 'fitzpatrick_type', label: 'Fitzpatrick type', hint: 'I–VI' },
  { name: 'sunburn_history', label: 'Sunburn history', hint: 'yes / no' },
  { name: 'personal_ca_history', label: 'Personal cancer history', hint: 'yes / no' },
  { name: 'anatomical_site', label: 'Anatomical site', hint: 'posterior torso' },
  { name: 'lesion_diameter_mm', label: 'Lesion diameter (mm)', hint: '5.5' },
  { name: 'dominant_colors', label: 'Dominant colours', hint: 'light_brown;dark_brown' },
  { name: 'elevation', label: 'Elevation', hint: 'flat / palpable / nodular' },
  { name: 'border_regularity', label: 'Border', hint: 'regular / irregular' },
  { name: 'dermoscopic_structures', label: 'Dermoscopic structures', hint: 'pigment_network_typical' },
  { name: 'clinical_diagnosis', label: 'Clinical diagnosis', hint: 'nevus', required: true },
  { name: 'examiner_id', label: 'Examiner id', hint: 'DERM-01' },
  { name: 'image_quality_score', label: 'Image quality score', hint: '1–5' },
];

/** FEMALE → Female, UPPER_EXTREMITY → Upper extremity: for values without a displayName. */
export const humanize = (value: string | null | undefined) =>
  value == null || value === ''
    ? '—'
    : value.charAt(0).toUpperCase() + value.slice(1).toLowerCase().replaceAll('_', ' ');
