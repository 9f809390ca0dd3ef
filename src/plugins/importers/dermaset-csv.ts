// Our own CSV (`dermaset import <folder> --metadata <file.csv>`): one row per image, with the 16
// information-model fields in their snake_case names plus patient_id, lesion_id, file_name and
// acquisition_date. Its records are our acquisitions under the SOP: they carry their own quality
// score, acquisition date and examiner, and pass the SOP gate or are rejected by it.
import { CLASS_CODES, CLASSES } from '../../domain/classes.ts';
import type { RawRecord } from '../../domain/raw-record.ts';
import { CLASS_TERM } from '../../domain/terms.ts';
import { defineImporter, type ImportRow } from '../types.ts';
import { ImportError, parseCsv } from './kit.ts';

/** The id of our own format, the default of `dermaset import --format`. */
export const DERMASET_CSV = 'dermaset';

export const REQUIRED_COLUMNS = [
  'file_name',
  'patient_id',
  'acquisition_date',
  'clinical_diagnosis',
  'image_quality_score',
];

/**
 * The rows of our CSV format. A file that is not ours is refused by its header, before any row is
 * read: an empty file, a header naming a column twice, or one without the required columns (a
 * text file, another dataset's table), even when it has no rows. A row longer than
 * CSV_RECORD_LIMIT bytes refuses the file.
 */
export function readMetadata(csv: string): Record<string, string>[] {
  let header: readonly string[] | undefined;
  const rows = parseCsv(csv, 'the metadata file', (h) => {
    header = h;
  });
  if (!header) throw new ImportError('the metadata file is empty: it has no header row');
  const twice = [...new Set(header.filter((c, i) => c !== '' && header?.indexOf(c) !== i))];
  if (twice.length > 0)
    throw new ImportError(`the metadata file names the column(s) ${twice.join(', ')} more than once`);
  const missing = REQUIRED_COLUMNS.filter((c) => !header?.includes(c));
  if (missing.length > 0) {
    throw new ImportError(
      `the metadata file lacks the column(s) ${missing.join(', ')}: it is not a dermaset metadata CSV ` +
        `(its header: ${header.slice(0, 8).join(', ') || 'empty'}${header.length > 8 ? ', …' : ''})`,
    );
  }
  return rows;
}

export const dermasetCsv = defineImporter({
  id: DERMASET_CSV,
  version: '1.0.0',
  description:
    "dermaset's own metadata CSV: file_name, patient_id, lesion_id, acquisition_date and the 16 fields of the " +
    'information model in their snake_case names. Acquisitions under the SOP: image_quality_score and ' +
    'acquisition_date are required and the SOP gate applies. clinical_diagnosis takes the 9 classes (code or ' +
    'label), a known synonym or a term of the diagnosis vocabulary (stored outside the 9); anything else is ' +
    'refused, never unmapped. Its records join the own collection.',
  inputs: [{ name: 'metadata', description: 'the metadata CSV, one row per image', required: true }],
  // the labels of the 9 classes; their codes and the synonyms of domain/classes.ts map as well
  vocabulary: Object.fromEntries(
    CLASS_CODES.map((c) => [CLASSES[c].label, { term: CLASS_TERM[c], diagnosisClass: c }]),
  ),
  provenance: 'sop',
  files: { extensions: [''], namedBy: 'file_name' },
  parse: (text) => readMetadata(text),
  *rows(inputs): Iterable<ImportRow> {
    for (const row of inputs.metadata ?? []) {
      // every other column is the record as written (the pipeline's attempt key reads it whole)
      const { file_name: fileName = '', ...record } = row;
      yield { kind: 'record', fileName, record: record as RawRecord, sourceLabel: row.clinical_diagnosis ?? '' };
    }
  },
});
