// `dermaset import <folder> --metadata <file.csv>`: our own CSV, one row per image, with the 16
// information-model fields in their snake_case names plus patient_id, lesion_id, file_name and
// acquisition_date. Every row goes through the acquisition pipeline; importing the same folder
// again changes nothing.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { AcquisitionPipeline } from './pipeline.ts';
import type { RawRecord } from './record.ts';

export interface RowProblem {
  row: number;
  fileName: string;
  code: string;
  message: string;
}

export interface ImportSummary {
  rows: number;
  accepted: number;
  duplicates: number;
  sopRejected: number;
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

export function readMetadata(csv: string): Record<string, string>[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(csv, {
      columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
      bom: true,
      trim: true,
      skip_empty_lines: true,
    });
  } catch (e) {
    throw new ImportError(`the metadata file is not valid CSV: ${(e as Error).message}`);
  }
  const columns = Object.keys(rows[0] ?? {});
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (rows.length > 0 && missing.length > 0) {
    throw new ImportError(`the metadata file lacks the column(s) ${missing.join(', ')}`);
  }
  return rows;
}

export async function importFolder(
  pipeline: AcquisitionPipeline,
  opts: { folder: string; metadata: string; concurrency?: number; onProgress?: (done: number, total: number) => void },
): Promise<ImportSummary> {
  const folder = resolve(opts.folder);
  if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new ImportError(`${opts.folder} is not a folder`);
  const rows = readMetadata(
    await readFile(opts.metadata, 'utf8').catch(() => {
      throw new ImportError(`cannot read the metadata file ${opts.metadata}`);
    }),
  );
  const summary: ImportSummary = {
    rows: rows.length,
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
      await importRow(pipeline, folder, row, i + 2, summary);
      opts.onProgress?.(++done, rows.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, work));
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

export function formatSummary(s: ImportSummary): string {
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
