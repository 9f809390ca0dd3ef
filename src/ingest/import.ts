// The import runner: every importer plugin, our own CSV (plugins/importers/dermaset-csv.ts) and the
// public collections (HAM10000, ISIC 2019, ISIC legacy, PAD-UFES-20…), runs through here. The
// plugin turns its CSV rows into our records; this runner finds each record's image file and hands
// both to the acquisition pipeline with the importer's provenance. Rows whose label has no place
// among our classes are reported with their raw label and never stored; rows whose image file is
// missing are reported and left out, as the paper does. Records and file names are derived from the
// inputs alone, so importing again changes nothing. A dry run checks and stores nothing.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { normaliseDiagnosis } from '../domain/classes.ts';
import type { DiagnosisClass } from '../domain/enums.ts';
import { passesSopGate } from '../domain/quality.ts';
import type { Provenance } from '../domain/raw-record.ts';
import { dermasetCsv } from '../plugins/importers/dermaset-csv.ts';
import { ImportError, parseCsv } from '../plugins/importers/kit.ts';
import type { ImportRow, MetadataImporter } from '../plugins/types.ts';
import { readHeader } from './analyse.ts';
import { IngestError } from './errors.ts';
import type { AcquisitionPipeline } from './pipeline.ts';
import { validateRecord } from './record.ts';

export { ImportError } from '../plugins/importers/kit.ts';

export interface RowProblem {
  row: number;
  fileName: string;
  code: string;
  message: string;
}

export interface ImportSummary {
  importer: { id: string; version: string; provenance: Provenance };
  /** A dry run checks rows, records and files (our SOP records: image headers too) but stores nothing. */
  dryRun: boolean;
  rows: number;
  /** Rows per label as the source spells it, e.g. { nv: 6705, mel: 1113 }; invalid rows have none. */
  sourceLabels: Record<string, number>;
  /** Rows that became records, per our class (before looking for their image file). */
  mapped: Partial<Record<DiagnosisClass, number>>;
  /** Rows whose label has no place among our classes, per source label: reported, never stored. */
  unmapped: Record<string, { count: number; reason: string }>;
  /**
   * Rows the importer refused, and records without a usable file name. For SOP records also the
   * pipeline's refusals with a code (in a dry run: the record and image header checks).
   */
  invalid: RowProblem[];
  /** Records whose image file is not in the folder: reported and left out, as the paper does. */
  missingFiles: RowProblem[];
  /**
   * Records with their image file, handed to the pipeline. In a dry run: public records with their
   * file; SOP records that pass every check a dry run makes.
   */
  ready: number;
  accepted: number;
  nearDuplicates: number;
  duplicates: number;
  /** Refused by the SOP quality gate (in a dry run: would be). */
  sopRejected: number;
  /** Public records refused by the pipeline with its code (in a dry run: records that fail validation). */
  rejected: RowProblem[];
  /** Records processed by an earlier run of the same import: nothing changed for them. */
  alreadyImported: number;
}

export interface ImportOptions {
  /** The folder holding the image files, named after the rows' file names or image ids. */
  folder: string;
  /** Input name (as the importer declares it) → path of the CSV file. */
  inputs: Readonly<Record<string, string>>;
  concurrency?: number;
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
}

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

/** The public collections publish image ids: tried as given, then with the extensions they use. */
const PUBLIC_FILES = { extensions: ['', '.jpg', '.jpeg', '.png'], namedBy: 'the image id' } as const;

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
    parsed[name] = importer.parse ? importer.parse(csv, { name, path }) : parseCsv(csv, `the ${name} file ${path}`);
  }
  return parsed;
}

async function findFile(folder: string, name: string, extensions: readonly string[]): Promise<string | null> {
  for (const ext of extensions) {
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

/** Runs an importer over its inputs and the folder of images: the one way anything is imported. */
export async function runImport(
  pipeline: AcquisitionPipeline,
  importer: MetadataImporter,
  opts: ImportOptions,
): Promise<ImportSummary> {
  const concurrency = checkConcurrency(opts.concurrency);
  const folder = resolve(opts.folder);
  if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new ImportError(`${opts.folder} is not a folder`);
  const rows = [...importer.rows(await readInputs(importer, opts.inputs))];
  const dryRun = opts.dryRun ?? false;
  const provenance = importer.provenance ?? 'public';
  const sop = provenance === 'sop';
  const files = importer.files ?? PUBLIC_FILES;
  const summary: ImportSummary = {
    importer: { id: importer.id, version: importer.version, provenance },
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
    sopRejected: 0,
    rejected: [],
    alreadyImported: 0,
  };
  // the pipeline's refusals: beside the row checks for our own records, on their own list for public ones
  const refusals = sop ? summary.invalid : summary.rejected;

  // every importer yields one row per line of its main input, in order: report lines as such
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
  // our own acquisitions keep the intake source they always had; a collection's names its importer
  const source = sop ? 'import' : `import:${importer.id}`;
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
        message: `${files.namedBy} must name a file inside the folder`,
      });
      return;
    }
    const missingFile = () => {
      const others = files.extensions.filter(Boolean);
      summary.missingFiles.push({
        row: n,
        fileName: row.fileName,
        code: 'MISSING_FILE',
        message: `${row.fileName}${others.length > 0 ? ` (or with ${others.join(', ')})` : ''} is not in the folder`,
      });
    };
    const fileName = await findFile(folder, row.fileName, files.extensions);
    if (!fileName) return missingFile();
    // a collection's dry run checks its records and reads no image (tens of thousands of files)
    if (dryRun && !sop) return checkPublic(n, fileName, row);
    const bytes = await readFile(resolve(folder, fileName)).catch(() => null);
    if (!bytes) return missingFile();
    if (dryRun) return checkSop(n, fileName, row, bytes);
    summary.ready++;
    const r = await pipeline.ingest({ bytes, record: row.record, fileName, source, provenance });
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
        if (!sop) {
          const message = `image quality score ${r.score} fails the SOP gate`;
          summary.rejected.push({ row: n, fileName, code: 'REJECTED_QUALITY', message });
        }
        break;
      case 'REJECTED_INVALID':
        refusals.push({ row: n, fileName, code: r.error.code, message: r.error.message });
        break;
      case 'ALREADY_PROCESSED':
        summary.alreadyImported++;
        break;
    }
  }

  /** A public record's dry run: its file is there (ready), and its record validates or is refused. */
  function checkPublic(n: number, fileName: string, row: RecordRow): void {
    summary.ready++;
    try {
      validateRecord(row.record, now, 'public');
    } catch (e) {
      if (!(e instanceof IngestError)) throw e;
      summary.rejected.push({ row: n, fileName, code: e.code, message: e.message });
    }
  }

  /**
   * An SOP record's dry run: what the pipeline checks before it decodes a pixel (the record, the
   * image header, the SOP gate) in its order, without storing anything. Exact duplicates,
   * truncated files and earlier imports need the decoded pixels or the database: only the import
   * finds them.
   */
  async function checkSop(n: number, fileName: string, row: RecordRow, bytes: Uint8Array): Promise<void> {
    try {
      const valid = validateRecord(row.record, now, 'sop');
      await readHeader(bytes, pipeline.deps.limits);
      if (valid.imageQualityScore !== undefined && !passesSopGate(valid.imageQualityScore)) summary.sopRejected++;
      else summary.ready++;
    } catch (e) {
      if (!(e instanceof IngestError)) throw e;
      summary.invalid.push({ row: n, fileName, code: e.code, message: e.message });
    }
  }

  await Promise.all(Array.from({ length: concurrency }, work));
  for (const list of [summary.invalid, summary.missingFiles, summary.rejected]) list.sort((a, b) => a.row - b.row);
  return summary;
}

/** Our own CSV format (`dermaset import <folder> --metadata <file.csv>`) through the runner. */
export function importFolder(
  pipeline: AcquisitionPipeline,
  opts: Omit<ImportOptions, 'inputs'> & { metadata: string },
): Promise<ImportSummary> {
  const { metadata, ...rest } = opts;
  return runImport(pipeline, dermasetCsv, { ...rest, inputs: { metadata } });
}

const byCount = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

const problems = (list: readonly RowProblem[]) =>
  list.map((p) => `  row ${p.row} ${p.fileName}: ${p.code} ${p.message}`);
const missing = (list: readonly RowProblem[]) => list.map((p) => `  row ${p.row} ${p.fileName}`);

/** The report the CLI prints: our own records' (SOP gate, invalid rows) or a collection's (labels, mapping). */
export function formatSummary(s: ImportSummary): string {
  return s.importer.provenance === 'sop' ? formatSopSummary(s) : formatPublicSummary(s);
}

function formatSopSummary(s: ImportSummary): string {
  if (s.dryRun) {
    return [
      `format: ${s.importer.id} (dry run: nothing was stored)`,
      `rows: ${s.rows}`,
      `ready to import: ${s.ready}`,
      `would be rejected by the SOP quality gate: ${s.sopRejected}`,
      `would be rejected as invalid: ${s.invalid.length}`,
      ...problems(s.invalid),
      `missing image files: ${s.missingFiles.length}`,
      ...missing(s.missingFiles),
      'checked only by the import: exact duplicates, truncated image data, patient facts that contradict earlier records, rows already imported',
    ].join('\n');
  }
  return [
    `rows: ${s.rows}`,
    `accepted: ${s.accepted}${s.nearDuplicates ? ` (${s.nearDuplicates} flagged as near duplicates)` : ''}`,
    `exact duplicates: ${s.duplicates}`,
    `rejected by the SOP quality gate: ${s.sopRejected}`,
    `rejected as invalid: ${s.invalid.length}`,
    ...problems(s.invalid),
    `missing image files: ${s.missingFiles.length}`,
    ...missing(s.missingFiles),
    `already imported (unchanged): ${s.alreadyImported}`,
  ].join('\n');
}

export function formatPublicSummary(s: ImportSummary): string {
  const unmapped = Object.entries(s.unmapped).sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b));
  const lines = [
    `importer: ${s.importer.id} ${s.importer.version}${s.dryRun ? ' (dry run: nothing was stored)' : ''}`,
    `rows: ${s.rows}`,
    `source labels: ${byCount(s.sourceLabels) || 'none'}`,
    `mapped to our classes: ${byCount(s.mapped as Record<string, number>) || 'none'}`,
    `unmapped (not imported): ${unmapped.reduce((n, [, u]) => n + u.count, 0)}`,
    ...unmapped.map(([label, u]) => `  ${label} ${u.count}: ${u.reason}`),
    `invalid rows: ${s.invalid.length}`,
    ...problems(s.invalid),
    `missing image files: ${s.missingFiles.length}`,
    ...missing(s.missingFiles),
    `${s.dryRun ? 'ready to import' : 'handed to the pipeline'}: ${s.ready}`,
  ];
  if (s.dryRun) {
    lines.push(`would be rejected: ${s.rejected.length}`, ...problems(s.rejected));
  } else {
    lines.push(
      `accepted: ${s.accepted}${s.nearDuplicates ? ` (${s.nearDuplicates} flagged as near duplicates)` : ''}`,
      `exact duplicates: ${s.duplicates}`,
      `rejected: ${s.rejected.length}`,
      ...problems(s.rejected),
      `already imported (unchanged): ${s.alreadyImported}`,
    );
  }
  return lines.join('\n');
}
