// The export record: one image as every exporter sees it, and the columns exporters write from it.
// The 16 fields of the information model (./information-model.ts FIELDS) give their columns' names,
// types, blocks and de-identification; the record adds what an export needs beside them (the file,
// the codes, the label under the policy, the split part). Exporters choose which columns they write
// and in which layout (jsonl nests them by group, parquet types them, imagefolder and Croissant pick
// some); none restates a column's name, type or treatment.
import type { ProfileId } from './deidentify.ts';
import { type Block, type Deidentification, type FieldInfo, type FieldType, field } from './information-model.ts';

/**
 * One image in an export, after the profile: ages and dates as the export's de-identification
 * profile shows them, examiner codes for reviewers only. Every coded value is spelled as the GraphQL
 * API spells it (the enum's value name: NEVUS, CONSENSUS, FEMALE, HEAD_NECK), so a value read from a
 * file goes back into an ImageFilter as it is; formats with their own vocabulary (ISIC) translate.
 */
export interface ExportRecord {
  /** The image's name in ISIC notation (its sha256). */
  readonly image_name: string;
  /** `<sha256>.<ext>`: the image's file name in archives. */
  readonly file_name: string;
  readonly sha256: string;
  /** The blob store key of the original bytes. */
  readonly storage_key: string;
  readonly patient_id: string;
  readonly lesion_id: string;
  /** Exact years (a number) under limited; text ("45", "90+", "40-44") under the others. */
  readonly age_at_exam: number | string | null;
  /** ISIC's age_approx through the profile (domain/deidentify.ts isicAgeApprox). */
  readonly age_approx: number | null;
  /** FEMALE / MALE. */
  readonly sex: string | null;
  readonly fitzpatrick_type: string | null;
  readonly sunburn_history: boolean | null;
  readonly personal_ca_history: boolean | null;
  /** The site's code (domain/sites.ts; the AnatomicalSite enum). */
  readonly anatomical_site: string | null;
  readonly lesion_diameter_mm: number | null;
  /** Colour codes (the Color enum), sorted. */
  readonly dominant_colors: readonly string[];
  readonly elevation: string | null;
  readonly border_regularity: string | null;
  /** Structure codes (the DermoscopicStructure enum), sorted. */
  readonly dermoscopic_structures: readonly string[];
  readonly clinical_diagnosis: string;
  /** The class's code (the DiagnosisClass enum: NEVUS); null: the term is outside the 9. */
  readonly diagnosis_class: string | null;
  /** The diagnosis term: its path in ISIC's diagnosis hierarchy (or our extension), `:`-separated. */
  readonly diagnosis_term: string;
  /** The class's origin, or the term's (MELANOCYTIC / NON_MELANOCYTIC); null where the term does not say. */
  readonly origin: string | null;
  /** The clinical status code (BENIGN, BORDERLINE, PREMALIGNANT, MALIGNANT, UNKNOWN). */
  readonly clinical_status: string;
  /** The term's path (what the ISIC files call the diagnosis path): the same as diagnosis_term. */
  readonly isic_path: string;
  /** The slug of the image's collection (own, ham10000, …). */
  readonly collection: string;
  readonly histopathology_result: string | null;
  /** The stage's code (INITIAL, CONSENSUS, HISTOLOGY). */
  readonly verification_stage: string;
  /** null unless the export is a reviewer's or an admin's. */
  readonly examiner_id: string | null;
  readonly image_quality_score: number | null;
  /** As the profile shows a date: "2024", "2024-05" or "2024-05-17". */
  readonly acquisition_date: string | null;
  /**
   * The same date as a value: the first day (UTC) of the year (safe-harbor) or month (research) the
   * profile shows, the day under limited; what typed formats (Parquet's DATE) write.
   */
  readonly acquisition_day: Date | null;
  /** `<origin>/images/<sha256>/original` (domain/image-url.ts), under the API's access rules. */
  readonly image_url: string;
  /** `<origin>/images/<sha256>/thumbnail`. */
  readonly thumbnail_url: string;
  readonly width: number;
  readonly height: number;
  readonly format: string;
  /** The label under the export's policy. */
  readonly label: string;
  /** The image's part in an export of a stored split, else null. */
  readonly split: string | null;
}

/**
 * Where a column sits in a nested record (jsonl): at the top (`record`), as the label's value, in
 * its block of the information model, or among the file's properties.
 */
export type ColumnGroup = 'record' | 'label' | Block | 'file';

export interface ExportColumn {
  /** The name exports write (snake_case, the information model's own where it is a field). */
  readonly name: string;
  /** The record's value it writes. */
  readonly from: keyof ExportRecord;
  readonly group: ColumnGroup;
  readonly type: FieldType;
  readonly deidentify: Deidentification;
  /** What documents of an export (Croissant's record set) say the column holds. */
  readonly description: string;
  /** The information model's field it exports, if it is one. */
  readonly field: FieldInfo | null;
  /** Written only by exports of a stored split. */
  readonly splitOnly?: boolean;
  /**
   * A URL under the server's origin: written by the formats of one export run (parquet,
   * imagefolder), not by jsonl, which is also Croissant's metadata.jsonl, served by a route
   * whose bytes must not depend on the origin a document was asked from.
   */
  readonly url?: boolean;
}

/** A column of one of the 16 fields: name, block, type and treatment from FIELDS. */
const model = (name: string, description?: string): ExportColumn => {
  const f = field(name);
  return {
    name: f.name,
    from: f.name as keyof ExportRecord,
    group: f.block,
    type: f.type,
    deidentify: f.deidentify,
    description: description ?? f.description,
    field: f,
  };
};
/** A column beside the model's fields. */
const extra = (
  name: string,
  group: ColumnGroup,
  type: FieldType,
  description: string,
  more: Partial<Pick<ExportColumn, 'from' | 'deidentify' | 'splitOnly' | 'url'>> = {},
): ExportColumn => ({
  name,
  from: more.from ?? (name as keyof ExportRecord),
  group,
  type,
  deidentify: more.deidentify ?? 'kept',
  description,
  field: null,
  ...(more.splitOnly ? { splitOnly: true } : {}),
  ...(more.url ? { url: true } : {}),
});

/**
 * Every column of the export record, in record order (the order jsonl nests them in). The 16 fields
 * of the information model are each here once (test/export-record.test.ts holds it).
 */
export const EXPORT_COLUMNS: readonly ExportColumn[] = [
  extra('image', 'record', 'string', 'File name of the image: <sha256>.<ext>', { from: 'file_name' }),
  extra('sha256', 'record', 'string', 'SHA-256 of the stored image file'),
  extra('patient_id', 'record', 'string', 'De-identified patient code (group by it when splitting)'),
  extra('lesion_id', 'record', 'string', 'De-identified lesion code'),
  extra('label', 'label', 'string', 'Label under the class-mapping policy'),
  model('age_at_exam', 'Age in years at the examination'),
  model('sex', 'Sex of the patient: FEMALE / MALE'),
  model('fitzpatrick_type', 'Fitzpatrick phototype I–VI'),
  model('sunburn_history'),
  model('personal_ca_history'),
  model('anatomical_site', 'Anatomical site: its code (HEAD_NECK, UPPER_EXTREMITY, …)'),
  model('lesion_diameter_mm'),
  model('dominant_colors'),
  model('elevation'),
  model('border_regularity'),
  model('dermoscopic_structures'),
  model('clinical_diagnosis'),
  extra(
    'diagnosis_class',
    'diagnostic',
    'string',
    'Normalised diagnostic class (9 classes: NEVUS, MELANOMA, …); empty: outside the 9',
  ),
  extra('diagnosis_term', 'diagnostic', 'string', 'Diagnosis term: its path in the ISIC diagnosis hierarchy'),
  extra('origin', 'diagnostic', 'string', 'Origin: MELANOCYTIC / NON_MELANOCYTIC; empty where the term does not say'),
  extra('clinical_status', 'diagnostic', 'string', 'BENIGN / BORDERLINE / PREMALIGNANT / MALIGNANT / UNKNOWN'),
  model('histopathology_result'),
  model('verification_stage', 'INITIAL / CONSENSUS / HISTOLOGY'),
  model('examiner_id'),
  model('image_quality_score', 'SOP image quality score 1–5'),
  extra('acquisition_date', 'record', 'date', 'Date of acquisition, as the de-identification profile shows it', {
    deidentify: 'date',
  }),
  extra('collection', 'record', 'string', 'The collection the image belongs to (its licence and attribution apply)'),
  extra('width', 'file', 'integer', 'Width of the image in pixels'),
  extra('height', 'file', 'integer', 'Height of the image in pixels'),
  extra('format', 'file', 'string', 'Image file format (jpeg, png)'),
  extra('image_url', 'file', 'string', 'URL of the stored original (a bearer token or a signed URL reads it)', {
    url: true,
  }),
  extra('thumbnail_url', 'file', 'string', 'URL of the 256 px WebP thumbnail', { url: true }),
  extra('split', 'record', 'string', 'The part of the split the image is in', { splitOnly: true }),
];

const BY_NAME = new Map(EXPORT_COLUMNS.map((c) => [c.name, c]));

/** A column of the export record by its name; an unknown name throws (at load, where exporters name theirs). */
export function exportColumn(name: string): ExportColumn {
  const c = BY_NAME.get(name);
  if (!c) throw new Error(`no column ${name} in the export record`);
  return c;
}

/**
 * The columns an export writes: without the split's part unless it is an export of a stored split,
 * without the URL columns where `urls` is false (jsonl).
 */
export const columnsOf = (inSplit: boolean, urls = true): readonly ExportColumn[] =>
  EXPORT_COLUMNS.filter((c) => (inSplit || !c.splitOnly) && (urls || !c.url));

/**
 * A column's value type under a profile: an age is a whole number only where the profile shows it
 * exactly (limited); elsewhere it is text ("90+", "40-44").
 */
export function columnType(c: ExportColumn, profile: ProfileId): FieldType {
  return c.deidentify === 'age' && profile !== 'limited' ? 'string' : c.type;
}

/** A column's value in a record. */
export const columnValue = (c: ExportColumn, r: ExportRecord): unknown => r[c.from];

/** Where a column is in a nested (jsonl) record, as a JSONPath. */
export function jsonPathOf(c: ExportColumn): string {
  if (c.group === 'record') return `$.${c.name}`;
  if (c.group === 'label') return '$.label.value';
  return `$.${c.group}.${c.name}`;
}
