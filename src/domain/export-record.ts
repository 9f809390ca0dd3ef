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
 * profile shows them, examiner codes for reviewers only. Besides the columns' values it holds what
 * formats with their own vocabulary read (ISIC: the site code, the stage code, the class's path).
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
  readonly sex: string | null;
  readonly fitzpatrick_type: string | null;
  readonly sunburn_history: boolean | null;
  readonly personal_ca_history: boolean | null;
  /** The site's label. */
  readonly anatomical_site: string | null;
  /** The site's code (domain/sites.ts). */
  readonly anatomical_site_code: string | null;
  readonly lesion_diameter_mm: number | null;
  readonly dominant_colors: readonly string[];
  readonly elevation: string | null;
  readonly border_regularity: string | null;
  readonly dermoscopic_structures: readonly string[];
  readonly clinical_diagnosis: string;
  /** The class's label (9 classes); null: the term is outside the 9. */
  readonly diagnosis_class: string | null;
  /** The diagnosis term: its path in ISIC's diagnosis hierarchy (or our extension), `:`-separated. */
  readonly diagnosis_term: string;
  /** The class's origin, or the term's; null where the term does not say. */
  readonly origin: string | null;
  /** The clinical status code (BENIGN, BORDERLINE, PREMALIGNANT, MALIGNANT, UNKNOWN). */
  readonly clinical_status: string;
  /** The same, lower case: what jsonl and parquet write as clinical_status. */
  readonly clinical_status_label: string;
  /** The term's path (what the ISIC files call the diagnosis path): the same as diagnosis_term. */
  readonly isic_path: string;
  /** The slug of the image's collection (own, ham10000, …). */
  readonly collection: string;
  readonly histopathology_result: string | null;
  /** The stage, lower case. */
  readonly verification_stage: string;
  /** The stage's code (INITIAL, CONSENSUS, HISTOLOGY). */
  readonly verification_stage_code: string;
  /** null unless the export is a reviewer's or an admin's. */
  readonly examiner_id: string | null;
  readonly image_quality_score: number | null;
  /** As the profile shows a date: "2024", "2024-05" or "2024-05-17". */
  readonly acquisition_date: string | null;
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
  more: Partial<Pick<ExportColumn, 'from' | 'deidentify' | 'splitOnly'>> = {},
): ExportColumn => ({
  name,
  from: more.from ?? (name as keyof ExportRecord),
  group,
  type,
  deidentify: more.deidentify ?? 'kept',
  description,
  field: null,
  ...(more.splitOnly ? { splitOnly: true } : {}),
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
  model('sex'),
  model('fitzpatrick_type', 'Fitzpatrick phototype I–VI'),
  model('sunburn_history'),
  model('personal_ca_history'),
  model('anatomical_site', 'Anatomical site'),
  model('lesion_diameter_mm'),
  model('dominant_colors'),
  model('elevation'),
  model('border_regularity'),
  model('dermoscopic_structures'),
  model('clinical_diagnosis'),
  extra('diagnosis_class', 'diagnostic', 'string', 'Normalised diagnostic class (9 classes); empty: outside the 9'),
  extra('diagnosis_term', 'diagnostic', 'string', 'Diagnosis term: its path in the ISIC diagnosis hierarchy'),
  extra('origin', 'diagnostic', 'string', 'Origin: melanocytic / non_melanocytic; empty where the term does not say'),
  extra('clinical_status', 'diagnostic', 'string', 'benign / borderline / premalignant / malignant / unknown', {
    from: 'clinical_status_label',
  }),
  model('histopathology_result'),
  model('verification_stage', 'initial / consensus / histology'),
  model('examiner_id'),
  model('image_quality_score', 'SOP image quality score 1–5'),
  extra('acquisition_date', 'record', 'date', 'Date of acquisition, as the de-identification profile shows it', {
    deidentify: 'date',
  }),
  extra('collection', 'record', 'string', 'The collection the image belongs to (its licence and attribution apply)'),
  extra('width', 'file', 'integer', 'Width of the image in pixels'),
  extra('height', 'file', 'integer', 'Height of the image in pixels'),
  extra('format', 'file', 'string', 'Image file format (jpeg, png)'),
  extra('split', 'record', 'string', 'The part of the split the image is in', { splitOnly: true }),
];

const BY_NAME = new Map(EXPORT_COLUMNS.map((c) => [c.name, c]));

/** A column of the export record by its name; an unknown name throws (at load, where exporters name theirs). */
export function exportColumn(name: string): ExportColumn {
  const c = BY_NAME.get(name);
  if (!c) throw new Error(`no column ${name} in the export record`);
  return c;
}

/** The columns an export writes: without the split's part unless it is an export of a stored split. */
export const columnsOf = (inSplit: boolean): readonly ExportColumn[] =>
  EXPORT_COLUMNS.filter((c) => inSplit || !c.splitOnly);

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
