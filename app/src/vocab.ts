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

/** A field of the upload's typed record (AcquisitionRecordInput in schema.graphql, camelCase). */
export interface RecordField {
  name: string;
  label: string;
  kind: 'text' | 'date' | 'int' | 'float' | 'yesno' | 'one' | 'many';
  /** The enum values a `one` or `many` field offers, as the schema spells them. */
  values?: readonly string[];
  hint?: string;
  required?: boolean;
  /** Bounds the server holds the value to (the form says them too). */
  min?: number;
  max?: number;
  maxLength?: number;
}

const SITES = [
  'HEAD_NECK',
  'SCALP',
  'FACE',
  'EAR',
  'NECK',
  'TRUNK',
  'ANTERIOR_TORSO',
  'POSTERIOR_TORSO',
  'LATERAL_TORSO',
  'UPPER_EXTREMITY',
  'LOWER_EXTREMITY',
  'PALMS_SOLES',
  'ORAL_GENITAL',
] as const;
const COLORS = ['WHITE', 'RED', 'LIGHT_BROWN', 'DARK_BROWN', 'BLUE_GRAY', 'BLACK'] as const;

/** The upload's record fields, in the information model's order. */
export const RECORD_FIELDS: RecordField[] = [
  { name: 'patientId', label: 'Patient id', kind: 'text', hint: 'MRN-000123', required: true, maxLength: 200 },
  { name: 'lesionId', label: 'Lesion id', kind: 'text', hint: 'L1', required: true, maxLength: 200 },
  { name: 'acquisitionDate', label: 'Acquisition date', kind: 'date', required: true },
  { name: 'ageAtExam', label: 'Age at exam', kind: 'int', hint: '44', min: 0, max: 120 },
  { name: 'sex', label: 'Sex', kind: 'one', values: ['FEMALE', 'MALE'] },
  { name: 'fitzpatrickType', label: 'Fitzpatrick type', kind: 'one', values: ['I', 'II', 'III', 'IV', 'V', 'VI'] },
  { name: 'sunburnHistory', label: 'Sunburn history', kind: 'yesno' },
  { name: 'personalCaHistory', label: 'Personal cancer history', kind: 'yesno' },
  { name: 'anatomicalSite', label: 'Anatomical site', kind: 'one', values: SITES },
  { name: 'lesionDiameterMm', label: 'Lesion diameter (mm)', kind: 'float', hint: '5.5', min: 0.1, max: 300 },
  { name: 'dominantColors', label: 'Dominant colours', kind: 'many', values: COLORS },
  { name: 'elevation', label: 'Elevation', kind: 'one', values: ['FLAT', 'PALPABLE', 'NODULAR'] },
  { name: 'borderRegularity', label: 'Border', kind: 'one', values: ['REGULAR', 'IRREGULAR'] },
  { name: 'dermoscopicStructures', label: 'Dermoscopic structures', kind: 'many', values: STRUCTURES },
  {
    name: 'clinicalDiagnosis',
    label: 'Clinical diagnosis',
    kind: 'text',
    hint: 'nevus',
    required: true,
    maxLength: 200,
  },
  {
    name: 'imageQualityScore',
    label: 'Image quality score',
    kind: 'one',
    values: ['1', '2', '3', '4', '5'],
    required: true,
  },
];

/**
 * The typed record of the form's values (each a string, or a list for `many`): empty fields left
 * out, numbers and yes/no typed, the date as the start of that day in UTC.
 */
export function typedRecord(values: Record<string, string | string[]>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const f of RECORD_FIELDS) {
    const v = values[f.name];
    if (v === undefined || (Array.isArray(v) ? v.length === 0 : v.trim() === '')) continue;
    if (Array.isArray(v)) input[f.name] = v;
    else if (f.kind === 'int' || f.name === 'imageQualityScore') input[f.name] = Number.parseInt(v, 10);
    else if (f.kind === 'float') input[f.name] = Number(v);
    else if (f.kind === 'yesno') input[f.name] = v === 'yes';
    else if (f.kind === 'date') input[f.name] = `${v}T00:00:00Z`;
    else input[f.name] = v.trim();
  }
  return input;
}

/** FEMALE → Female, UPPER_EXTREMITY → Upper extremity: for values without a displayName. */
export const humanize = (value: string | null | undefined) =>
  value == null || value === ''
    ? '—'
    : value.charAt(0).toUpperCase() + value.slice(1).toLowerCase().replaceAll('_', ' ');
