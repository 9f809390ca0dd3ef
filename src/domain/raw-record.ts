// The shape of one incoming record: the 16 fields of the information model in their snake_case
// names plus the service data (patient and lesion identifiers, acquisition date), as they arrive
// from a CSV row, an importer plugin or the API. ingest/record.ts checks it; importers build it.

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
