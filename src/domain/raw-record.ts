// The shape of one incoming record: the 16 fields of the information model in their snake_case
// names plus the service data (patient and lesion identifiers, acquisition date), as they arrive
// from a CSV row, an importer plugin or the API. ingest/record.ts checks it; importers build it.
// The API's typed AcquisitionRecordInput (camelCase, enums) becomes one here (rawRecordOf): one
// translation, so both inputs go through the same checks and store the same image.
import type {
  AnatomicalSite,
  BorderRegularity,
  Color,
  DermoscopicStructure,
  Elevation,
  FitzpatrickType,
  Sex,
  VerificationStage,
} from './enums.ts';
import { SITES } from './sites.ts';
import { STRUCTURES } from './structures.ts';

/**
 * A record as given: text from a CSV row, or JSON values from the API (numbers, booleans and lists
 * where they mean the same as the CSV text). Records from JSON arrive cast to this type, so every
 * value is checked at run time as `unknown`: a value of another type is refused with its field.
 */
export interface RawRecord {
  patient_id?: string | null;
  lesion_id?: string | null;
  acquisition_date?: string | Date | null;
  age_at_exam?: string | number | null;
  sex?: string | null;
  fitzpatrick_type?: string | number | null;
  sunburn_history?: string | boolean | null;
  personal_ca_history?: string | boolean | null;
  anatomical_site?: string | null;
  lesion_diameter_mm?: string | number | null;
  dominant_colors?: string | readonly string[] | null;
  elevation?: string | null;
  border_regularity?: string | null;
  dermoscopic_structures?: string | readonly string[] | null;
  clinical_diagnosis?: string | null;
  /** A term of the diagnosis vocabulary (domain/terms.ts): a path of the ISIC hierarchy or a term's name. */
  diagnosis_term?: string | null;
  histopathology_result?: string | null;
  verification_stage?: string | null;
  examiner_id?: string | null;
  image_quality_score?: string | number | null;
}

/**
 * `sop`: our own acquisitions, which must carry an acquisition date and an SOP quality score.
 * `public`: records of public collections (HAM10000, ISIC…), which publish neither.
 */
export type Provenance = 'sop' | 'public';

/**
 * The longest CSV record (one row's values together) an import reads, in bytes of UTF-8: room for
 * every field at its TEXT_LIMITS (ingest/record.ts) at once (a 10,000-character histopathology
 * result, 2,000 characters of colours and of structures, 200 for each other field), twice over for
 * non-Latin script. A longer row refuses the file before it is parsed further (csv-parse's
 * max_record_size).
 */
export const CSV_RECORD_LIMIT = 40_000;

/** Every key a record may have, in the information model's order. */
export const RAW_RECORD_KEYS = [
  'patient_id',
  'lesion_id',
  'acquisition_date',
  'age_at_exam',
  'sex',
  'fitzpatrick_type',
  'sunburn_history',
  'personal_ca_history',
  'anatomical_site',
  'lesion_diameter_mm',
  'dominant_colors',
  'elevation',
  'border_regularity',
  'dermoscopic_structures',
  'clinical_diagnosis',
  'diagnosis_term',
  'histopathology_result',
  'verification_stage',
  'examiner_id',
  'image_quality_score',
] as const satisfies readonly (keyof RawRecord)[];

/**
 * The typed acquisition record (GraphQL AcquisitionRecordInput): the same fields in camelCase, with
 * the vocabularies as enums, numbers as numbers, the date as a date. The examiner is the caller.
 */
export interface AcquisitionInput {
  patientId: string;
  lesionId?: string | null;
  acquisitionDate?: Date | null;
  ageAtExam?: number | null;
  sex?: Sex | null;
  fitzpatrickType?: FitzpatrickType | null;
  sunburnHistory?: boolean | null;
  personalCaHistory?: boolean | null;
  anatomicalSite?: AnatomicalSite | null;
  lesionDiameterMm?: number | null;
  dominantColors?: readonly Color[] | null;
  elevation?: Elevation | null;
  borderRegularity?: BorderRegularity | null;
  dermoscopicStructures?: readonly DermoscopicStructure[] | null;
  clinicalDiagnosis?: string | null;
  diagnosisTerm?: string | null;
  histopathologyResult?: string | null;
  verificationStage?: VerificationStage | null;
  imageQualityScore?: number | null;
}

/**
 * The typed record as the record the pipeline takes: every value in a spelling the CSV accepts
 * (an enum as its vocabulary label), numbers, booleans and the date as they are. Absent and null
 * fields are left out.
 */
export function rawRecordOf(input: AcquisitionInput): RawRecord {
  const lower = (v: string | null | undefined) => (v == null ? undefined : v.toLowerCase());
  const record: RawRecord = {
    patient_id: input.patientId,
    lesion_id: input.lesionId,
    acquisition_date: input.acquisitionDate,
    age_at_exam: input.ageAtExam,
    sex: lower(input.sex),
    fitzpatrick_type: input.fitzpatrickType,
    sunburn_history: input.sunburnHistory,
    personal_ca_history: input.personalCaHistory,
    anatomical_site: input.anatomicalSite == null ? undefined : SITES[input.anatomicalSite].label,
    lesion_diameter_mm: input.lesionDiameterMm,
    dominant_colors: input.dominantColors?.map((c) => c.toLowerCase()),
    elevation: lower(input.elevation),
    border_regularity: lower(input.borderRegularity),
    dermoscopic_structures: input.dermoscopicStructures?.map((s) => STRUCTURES[s].label),
    clinical_diagnosis: input.clinicalDiagnosis,
    diagnosis_term: input.diagnosisTerm,
    histopathology_result: input.histopathologyResult,
    verification_stage: lower(input.verificationStage),
    image_quality_score: input.imageQualityScore,
  };
  for (const key of RAW_RECORD_KEYS) if (record[key] == null) delete record[key];
  return record;
}
