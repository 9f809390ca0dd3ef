// Imports a public collection (HAM10000, ISIC 2019, ISIC legacy, PAD-UFES-20…) through an importer
// plugin: the plugin turns the collection's CSV rows into our records, this runner finds each
// record's image file and hands both to the acquisition pipeline with `provenance: 'public'`.
// Rows whose label has no place among our classes are reported with their raw label and never
// stored; rows whose image file is missing are reported and left out, as the paper does. Records
// and file names are derived from the inputs alone, so importing again changes nothing.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { normaliseDiagnosis } from '../domain/classes.ts';
import type { DiagnosisClass } from '../domain/enums.ts';
import { parseSite, SITES } from '../domain/sites.ts';
import { parseSex } from '../domain/vocabularies.ts';
import type { ImportRow, MetadataImporter } from '../plugins/types.ts';
import { IngestError } from './errors.ts';
import { CSV_OPTIONS, checkConcurrency, csvProblem, ImportError, type RowProblem } from './import-csv.ts';
import type { AcquisitionPipeline } from './pipeline.ts';
import { type RawRecord, validateRecord } from './record.ts';

export interface PublicImportSummary {
  importer: { id: string; version: string };
  /** A dry run checks rows, records and files but stores nothing. */
  dryRun: boolean;
  rows: number;
  /** Rows per label as the source spells it, e.g. { nv: 6705, mel: 1113 }; invalid rows have none. */
  sourceLabels: Record<string, number>;
  /** Rows that became records, per our class (before looking for their image file). */
  mapped: Partial<Record<DiagnosisClass, number>>;
  /** Rows whose label has no place among our classes, per source label: reported, never stored. */
  unmapped: Record<string, { count: number; reason: string }>;
  /** Rows the importer refused, and records without a usable file name. */
  invalid: RowProblem[];
  /** Records whose image file is not in the folder: reported and left out, as the paper does. */
  missingFiles: RowProblem[];
  /** Records with their image file, handed to the pipeline (in a dry run: that would be). */
  ready: number;
  accepted: number;
  nearDuplicates: number;
  duplicates: number;
  /** Refused by the pipeline with its code (in a dry run: records that fail validation). */
  rejected: RowProblem[];
  /** Records processed by an earlier run of the same import: nothing changed for them. */
  alreadyImported: number;
}

export interface PublicImportOptions {
  /** The folder holding the image files, named after the rows' image ids. */
  folder: string;
  /** Input name (as the importer declares it) → path of the CSV file. */
  inputs: Readonly<Record<string, string>>;
  concurrency?: number;
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Tried in this order: the name as given, then with the extensions the collections publish. */
const EXTENSIONS = ['', '.jpg', '.jpeg', '.png'];

export function parseCsv(csv: string, what: string): Record<string, string>[] {
  try {
    return parse(csv, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), ...CSV_OPTIONS });
  } catch (e) {
    throw csvProblem(what, e);
  }
}

async function readInputs(
  importer: MetadataImporter,
  inputs: Readonly<Record<string, string>>,
): Promise<Record<string, Record<string, string>[]>> {
  const known = importer.inputs.map((i) => i.name);
  const unknown = Object.keys(inputs).filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new ImportError(
      `the ${importer.id} importer has no input ${unknown.join(', ')}; it reads ${known.join(', ')}`,
    );
  }
  const missing = importer.inputs.filter((i) => i.required && !inputs[i.name]).map((i) => i.name);
  if (missing.length > 0) throw new ImportError(`the ${importer.id} importer needs the input(s) ${missing.join(', ')}`);
  const parsed: Record<string, Record<string, string>[]> = {};
  for (const [name, path] of Object.entries(inputs)) {
    const csv = await readFile(path, 'utf8').catch(() => {
      throw new ImportError(`cannot read the ${name} file ${path}`);
    });
    parsed[name] = parseCsv(csv, `the ${name} file ${path}`);
  }
  return parsed;
}

async function findFile(folder: string, name: string): Promise<string | null> {
  for (const ext of EXTENSIONS) {
    const s = await stat(resolve(folder, `${name}${ext}`)).catch(() => null);
    if (s?.isFile()) return `${name}${ext}`;
  }
  return null;
}

const insideFolder = (folder: string, name: string): boolean => {
  const rel = relative(folder, resolve(folder, name));
  return name !== '' && rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

type RecordRow = Extract<ImportRow, { kind: 'record' }>;

export async function importPublic(
  pipeline: AcquisitionPipeline,
  importer: MetadataImporter,
  opts: PublicImportOptions,
): Promise<PublicImportSummary> {
  const concurrency = checkConcurrency(opts.concurrency);
  const folder = resolve(opts.folder);
  if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new ImportError(`${opts.folder} is not a folder`);
  const rows = [...importer.rows(await readInputs(importer, opts.inputs))];
  const dryRun = opts.dryRun ?? false;
  const summary: PublicImportSummary = {
    importer: { id: importer.id, version: importer.version },
    dryRun,
    rows: rows.length,
    sourceLabels: {},
    mapped: {},
    unmapped: {},
    invalid: [],
    missingFiles: [],
    ready: 0,
    accepted: 0,
    nearDuplicates: 0,
    duplicates: 0,
    rejected: [],
    alreadyImported: 0,
  };

  // every importer yields one row per line of its main input, in order: report lines as import-csv does
  const records: { n: number; row: RecordRow }[] = [];
  rows.forEach((row, i) => {
    const n = i + 2;
    if (row.kind === 'invalid') {
      summary.invalid.push({ row: n, fileName: row.fileName, code: 'INVALID_ROW', message: row.reason });
      return;
    }
    summary.sourceLabels[row.sourceLabel] = (summary.sourceLabels[row.sourceLabel] ?? 0) + 1;
    if (row.kind === 'unmapped') {
      const entry = summary.unmapped[row.sourceLabel];
      if (entry) entry.count++;
      else summary.unmapped[row.sourceLabel] = { count: 1, reason: row.reason };
      return;
    }
    const d = normaliseDiagnosis(String(row.record.clinical_diagnosis ?? ''));
    if (d.ok) summary.mapped[d.diagnosisClass] = (summary.mapped[d.diagnosisClass] ?? 0) + 1;
    records.push({ n, row });
  });

  let done = rows.length - records.length;
  opts.onProgress?.(done, rows.length);
  const source = `import:${importer.id}`;
  const now = new Date();
  let next = 0;
  const work = async () => {
    while (next < records.length) {
      const { n, row } = records[next++] as { n: number; row: RecordRow };
      await importRecord(n, row);
      opts.onProgress?.(++done, rows.length);
    }
  };

  async function importRecord(n: number, row: RecordRow): Promise<void> {
    if (!insideFolder(folder, row.fileName)) {
      summary.invalid.push({
        row: n,
        fileName: row.fileName,
        code: 'INVALID_FILE_NAME',
        message: 'the image id must name a file inside the folder',
      });
      return;
    }
    const fileName = await findFile(folder, row.fileName);
    if (!fileName) {
      summary.missingFiles.push({
        row: n,
        fileName: row.fileName,
        code: 'MISSING_FILE',
        message: `${row.fileName} (or with ${EXTENSIONS.filter(Boolean).join(', ')}) is not in the folder`,
      });
      return;
    }
    summary.ready++;
    if (dryRun) {
      try {
        validateRecord(row.record, now, 'public');
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
        summary.rejected.push({ row: n, fileName, code: e.code, message: e.message });
      }
      return;
    }
    const bytes = await readFile(resolve(folder, fileName));
    const r = await pipeline.ingest({ bytes, record: row.record, fileName, source, provenance: 'public' });
    switch (r.outcome) {
      case 'ACCEPTED':
        summary.accepted++;
        if (r.nearDuplicates.length > 0) summary.nearDuplicates++;
        break;
      case 'DUPLICATE':
        summary.duplicates++;
        break;
      case 'REJECTED_QUALITY':
        summary.rejected.push({
          row: n,
          fileName,
          code: 'REJECTED_QUALITY',
          message: `image quality score ${r.score} fails the SOP gate`,
        });
        break;
      case 'REJECTED_INVALID':
        summary.rejected.push({ row: n, fileName, code: r.error.code, message: r.error.message });
        break;
      case 'ALREADY_PROCESSED':
        summary.alreadyImported++;
        break;
    }
  }

  await Promise.all(Array.from({ length: concurrency }, work));
  for (const list of [summary.invalid, summary.missingFiles, summary.rejected]) list.sort((a, b) => a.row - b.row);
  return summary;
}

const byCount = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export function formatPublicSummary(s: PublicImportSummary): string {
  const unmapped = Object.entries(s.unmapped).sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b));
  const lines = [
    `importer: ${s.importer.id} ${s.importer.version}${s.dryRun ? ' (dry run: nothing was stored)' : ''}`,
    `rows: ${s.rows}`,
    `source labels: ${byCount(s.sourceLabels) || 'none'}`,
    `mapped to our classes: ${byCount(s.mapped as Record<string, number>) || 'none'}`,
    `unmapped (not imported): ${unmapped.reduce((n, [, u]) => n + u.count, 0)}`,
    ...unmapped.map(([label, u]) => `  ${label} ${u.count}: ${u.reason}`),
    `invalid rows: ${s.invalid.length}`,
    ...s.invalid.map((p) => `  row ${p.row} ${p.fileName}: ${p.code} ${p.message}`),
    `missing image files: ${s.missingFiles.length}`,
    ...s.missingFiles.map((p) => `  row ${p.row} ${p.fileName}`),
    `${s.dryRun ? 'ready to import' : 'handed to the pipeline'}: ${s.ready}`,
  ];
  if (s.dryRun) {
    lines.push(
      `would be rejected: ${s.rejected.length}`,
      ...s.rejected.map((p) => `  row ${p.row} ${p.fileName}: ${p.code} ${p.message}`),
    );
  } else {
    lines.push(
      `accepted: ${s.accepted}${s.nearDuplicates ? ` (${s.nearDuplicates} flagged as near duplicates)` : ''}`,
      `exact duplicates: ${s.duplicates}`,
      `rejected: ${s.rejected.length}`,
      ...s.rejected.map((p) => `  row ${p.row} ${p.fileName}: ${p.code} ${p.message}`),
      `already imported (unchanged): ${s.alreadyImported}`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- helpers for importer plugins

/** What one source label means here: our class and the diagnosis text to record, or why it has none. */
export type LabelMeaning = { class: DiagnosisClass; diagnosis: string } | { class: null; reason: string };

/** A table entry by source label; labels such as "constructor" must not find Object's prototype. */
export const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

/** The `vocabulary` of an importer, derived from its label table. */
export const vocabularyOf = (labels: Readonly<Record<string, LabelMeaning>>): Record<string, DiagnosisClass | null> =>
  Object.fromEntries(Object.entries(labels).map(([label, m]) => [label, m.class]));

/** The row for a labelled source row: a record built by `build`, or unmapped with the label's reason. */
export function labelledRow(
  meaning: LabelMeaning | undefined,
  sourceLabel: string,
  fileName: string,
  build: (diagnosis: string) => RawRecord,
  unknownReason: string,
): ImportRow {
  if (!meaning) return { kind: 'unmapped', fileName, sourceLabel, reason: unknownReason };
  if (meaning.class === null) return { kind: 'unmapped', fileName, sourceLabel, reason: meaning.reason };
  return { kind: 'record', fileName, sourceLabel, record: build(meaning.diagnosis) };
}

/** The first non-empty value among the given columns (headers are already lower-cased). */
export function cell(row: Readonly<Record<string, string>>, ...columns: string[]): string | undefined {
  for (const c of columns) {
    const v = row[c]?.trim();
    if (v) return v;
  }
  return undefined;
}

/** Refuses an input that lacks a column the importer needs, before any row is read. */
export function requireColumns(
  importerId: string,
  input: string,
  rows: readonly Record<string, string>[],
  ...columns: (string | readonly string[])[]
): void {
  const first = rows[0];
  if (!first) return;
  const have = Object.keys(first);
  const missing = columns
    .filter((c) => (typeof c === 'string' ? !have.includes(c) : !c.some((x) => have.includes(x))))
    .map((c) => (typeof c === 'string' ? c : c.join(' or ')));
  if (missing.length > 0) {
    throw new ImportError(`the ${importerId} ${input} file lacks the column(s) ${missing.join(', ')}`);
  }
}

/** `male` / `female`; anything else (`unknown`, empty) is left out rather than invalidating the row. */
export function publicSex(raw: string | undefined): string | undefined {
  const sex = raw === undefined ? undefined : parseSex(raw);
  return sex === 'MALE' ? 'male' : sex === 'FEMALE' ? 'female' : undefined;
}

/** Our site label for a source spelling; spellings we do not know are left out, not refused. */
export function publicSite(raw: string | undefined): string | undefined {
  const site = raw === undefined ? undefined : parseSite(raw);
  return site ? SITES[site].label : undefined;
}

/** Drops empty fields, so records stay canonical (the pipeline's attempt key ignores them anyway). */
export function compact(record: RawRecord): RawRecord {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && v !== '')) as RawRecord;
}
