// `dermaset import <folder> --metadata <file.csv>`: our own CSV, one row per image, with the 16
// information-model fields in their snake_case names plus patient_id, lesion_id, file_name and
// acquisition_date. Every row goes through the acquisition pipeline; importing the same folder
// again changes nothing. A dry run checks every row and stores nothing.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { passesSopGate } from '../domain/quality.ts';
import { readHeader } from './analyse.ts';
import { IngestError } from './errors.ts';
import type { AcquisitionPipeline } from './pipeline.ts';
import { CSV_RECORD_LIMIT, type RawRecord, validateRecord } from './record.ts';

export interface RowProblem {
  row: number;
  fileName: string;
  code: string;
  message: string;
}

export interface ImportSummary {
  /** A dry run checks rows, records, files and image headers but stores nothing. */
  dryRun: boolean;
  rows: number;
  /** Dry run: rows whose record and image header pass every check a dry run makes (0 in an import). */
  ready: number;
  accepted: number;
  duplicates: number;
  sopRejected: number;
  /** Refused with a code: the file name, the record or the image (in a dry run: would be). */
  invalid: RowProblem[];
  /** Rows whose image file is not in the folder: reported and left out, as the paper does. */
  missingFiles: RowProblem[];
  nearDuplicates: number;
  /** Rows processed by an earlier run of the same import: nothing changed for them. */
  alreadyImported: number;
}

export class ImportError extends Error {
  override name = 'ImportError';
}

export const REQUIRED_COLUMNS = [
  'file_name',
  'patient_id',
  'acquisition_date',
  'clinical_diagnosis',
  'image_quality_score',
];

/** How many images are processed at once: a whole number in this range. */
export const CONCURRENCY = { min: 1, max: 64, rule: 'must be a whole number from 1 to 64' } as const;

/** The concurrency written as text (a command-line option), or undefined when it breaks the rule. */
export function parseConcurrency(text: string): number | undefined {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  return n >= CONCURRENCY.min && n <= CONCURRENCY.max ? n : undefined;
}

/** Refuses a concurrency that would run no worker (NaN, 0) or an unbounded number of them. */
export function checkConcurrency(n: number | undefined, fallback = 2): number {
  const c = n ?? fallback;
  if (!Number.isInteger(c) || c < CONCURRENCY.min || c > CONCURRENCY.max) {
    throw new ImportError(`concurrency ${CONCURRENCY.rule}, got ${c}`);
  }
  return c;
}

/**
 * The csv-parse options every importer reads a metadata file with: a record (one row, all its
 * values) longer than CSV_RECORD_LIMIT bytes ends the parse, before anything grows with it.
 */
export const CSV_OPTIONS = {
  bom: true,
  trim: true,
  skip_empty_lines: true,
  max_record_size: CSV_RECORD_LIMIT,
} as const;

/** Why a metadata file could not be read as CSV, in one line naming the row (and the limit). */
export function csvProblem(what: string, e: unknown): ImportError {
  const err = e as { code?: string; lines?: number; message?: string };
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    return new ImportError(
      `${what}: row ${err.lines ?? '?'} is longer than ${CSV_RECORD_LIMIT.toLocaleString('en-US')} bytes, ` +
        'the limit of one CSV record (a value that long is no field of a record); nothing was imported',
    );
  }
  return new ImportError(`${what} is not valid CSV: ${err.message ?? String(e)}`);
}

/**
 * The rows of our CSV format. A file that is not ours is refused by its header, before any row is
 * read: an empty file, a header naming a column twice, or one without the required columns (a
 * text file, another dataset's table), even when it has no rows. A row longer than
 * CSV_RECORD_LIMIT bytes refuses the file.
 */
export function readMetadata(csv: string): Record<string, string>[] {
  let header: string[] | undefined;
  let rows: Record<string, string>[];
  try {
    rows = parse(csv, {
      columns: (h: string[]) => {
        header = h.map((c) => c.trim().toLowerCase());
        return header;
      },
      ...CSV_OPTIONS,
    });
  } catch (e) {
    throw csvProblem('the metadata file', e);
  }
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

export async function importFolder(
  pipeline: AcquisitionPipeline,
  opts: {
    folder: string;
    metadata: string;
    concurrency?: number;
    /** Check rows, records, files and image headers, and store nothing. */
    dryRun?: boolean;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<ImportSummary> {
  const concurrency = checkConcurrency(opts.concurrency);
  const folder = resolve(opts.folder);
  if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new ImportError(`${opts.folder} is not a folder`);
  const rows = readMetadata(
    await readFile(opts.metadata, 'utf8').catch(() => {
      throw new ImportError(`cannot read the metadata file ${opts.metadata}`);
    }),
  );
  const dryRun = opts.dryRun ?? false;
  const summary: ImportSummary = {
    dryRun,
    rows: rows.length,
    ready: 0,
    accepted: 0,
    duplicates: 0,
    sopRejected: 0,
    invalid: [],
    missingFiles: [],
    nearDuplicates: 0,
    alreadyImported: 0,
  };
  let next = 0;
  let done = 0;
  const work = async () => {
    while (next < rows.length) {
      const i = next++;
      const row = rows[i] as Record<string, string>;
      await importRow(pipeline, folder, row, i + 2, summary, dryRun);
      opts.onProgress?.(++done, rows.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, work));
  summary.invalid.sort((a, b) => a.row - b.row);
  summary.missingFiles.sort((a, b) => a.row - b.row);
  return summary;
}

async function importRow(
  pipeline: AcquisitionPipeline,
  folder: string,
  row: Record<string, string>,
  line: number,
  summary: ImportSummary,
  dryRun: boolean,
): Promise<void> {
  const fileName = row.file_name ?? '';
  const path = resolve(folder, fileName);
  const rel = relative(folder, path);
  if (fileName === '' || rel.startsWith('..') || isAbsolute(rel)) {
    summary.invalid.push({
      row: line,
      fileName,
      code: 'INVALID_FILE_NAME',
      message: 'file_name must name a file inside the folder',
    });
    return;
  }
  const bytes = await readFile(path).catch(() => null);
  if (!bytes) {
    summary.missingFiles.push({
      row: line,
      fileName,
      code: 'MISSING_FILE',
      message: `${fileName} is not in the folder`,
    });
    return;
  }
  const { file_name: _ignored, ...fields } = row;
  if (dryRun) return checkRow(pipeline, bytes, fields as RawRecord, { row: line, fileName }, summary);
  const r = await pipeline.ingest({ bytes, record: fields as RawRecord, fileName, source: 'import' });
  switch (r.outcome) {
    case 'ACCEPTED':
      summary.accepted++;
      if (r.nearDuplicates.length > 0) summary.nearDuplicates++;
      break;
    case 'DUPLICATE':
      summary.duplicates++;
      break;
    case 'REJECTED_QUALITY':
      summary.sopRejected++;
      break;
    case 'REJECTED_INVALID':
      summary.invalid.push({ row: line, fileName, code: r.error.code, message: r.error.message });
      break;
    case 'ALREADY_PROCESSED':
      summary.alreadyImported++;
      break;
  }
}

/**
 * A dry run's check of one row: what the pipeline checks before it decodes a pixel (the record,
 * the image header, the SOP gate) in its order, without storing anything. Exact duplicates,
 * truncated files and earlier imports need the decoded pixels or the database: only the import
 * finds them.
 */
async function checkRow(
  pipeline: AcquisitionPipeline,
  bytes: Uint8Array,
  record: RawRecord,
  at: { row: number; fileName: string },
  summary: ImportSummary,
): Promise<void> {
  try {
    const valid = validateRecord(record);
    await readHeader(bytes, pipeline.deps.limits);
    if (valid.imageQualityScore !== undefined && !passesSopGate(valid.imageQualityScore)) summary.sopRejected++;
    else summary.ready++;
  } catch (e) {
    if (!(e instanceof IngestError)) throw e;
    summary.invalid.push({ ...at, code: e.code, message: e.message });
  }
}

export function formatSummary(s: ImportSummary): string {
  if (s.dryRun) {
    return [
      'format: dermaset (dry run: nothing was stored)',
      `rows: ${s.rows}`,
      `ready to import: ${s.ready}`,
      `would be rejected by the SOP quality gate: ${s.sopRejected}`,
      `would be rejected as invalid: ${s.invalid.length}`,
      ...s.invalid.map((p) => `  row ${p.row} ${p.fileName}: ${p.code} ${p.message}`),
      `missing image files: ${s.missingFiles.length}`,
      ...s.missingFiles.map((p) => `  row ${p.row} ${p.fileName}`),
      'checked only by the import: exact duplicates, truncated image data, patient facts that contradict earlier records, rows already imported',
    ].join('\n');
  }
  const lines = [
    `rows: ${s.rows}`,
    `accepted: ${s.accepted}${s.nearDuplicates ? ` (${s.nearDuplicates} flagged as near duplicates)` : ''}`,
    `exact duplicates: ${s.duplicates}`,
    `rejected by the SOP quality gate: ${s.sopRejected}`,
    `rejected as invalid: ${s.invalid.length}`,
    ...s.invalid.map((p) => `  row ${p.row} ${p.fileName}: ${p.code} ${p.message}`),
    `missing image files: ${s.missingFiles.length}`,
    ...s.missingFiles.map((p) => `  row ${p.row} ${p.fileName}`),
    `already imported (unchanged): ${s.alreadyImported}`,
  ];
  return lines.join('\n');
}
