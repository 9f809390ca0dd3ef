// The import runner: every importer plugin, our own CSV (plugins/importers/dermaset-csv.ts) and the
// public collections (HAM10000, ISIC 2019, ISIC legacy, PAD-UFES-20…), runs through here. The
// plugin turns its CSV rows into our records; this runner finds each record's image file and hands
// both to the acquisition pipeline with the importer's provenance, into a collection (the importer's
// own public collection, created from its facts on the first import; our own CSV's: the own
// collection). Every label an importer knows is stored with its diagnosis term, inside the 9 classes
// or outside them; only labels it does not know at all are reported raw and never stored. Rows whose
// image file is missing are reported and left out, as the paper does. Records and file names are
// derived from the inputs alone, so importing again changes nothing. A real run ends with an import
// record (when, by whom, the inputs' SHA-256, the counts, the report); a dry run stores nothing.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import type { Db } from '../db/client.ts';
import type { Collection } from '../db/generated/sqlite/client.ts';
import { type Actor, toolActor } from '../domain/actor.ts';
import { normaliseDiagnosis } from '../domain/classes.ts';
import { COLLECTION_TEXT_LIMITS, type CollectionFacts, OWN_COLLECTION, SLUG } from '../domain/collection.ts';
import type { ClinicalStatus, DiagnosisClass } from '../domain/enums.ts';
import { passesSopGate } from '../domain/quality.ts';
import type { Provenance } from '../domain/raw-record.ts';
import { dermasetCsv } from '../plugins/importers/dermaset-csv.ts';
import { ImportError, parseCsv } from '../plugins/importers/kit.ts';
import type { ImportRow, MetadataImporter } from '../plugins/types.ts';
import { readHeader } from './analyse.ts';
import { IngestError } from './errors.ts';
import type { AcquisitionPipeline } from './pipeline.ts';
import { type ValidRecord, validateRecord } from './record.ts';

export { ImportError } from '../plugins/importers/kit.ts';

export interface RowProblem {
  row: number;
  fileName: string;
  code: string;
  message: string;
}

/** A lesion id of the source that more than one patient's rows use, and how many patients use it. */
export interface ReusedLesionId {
  lesionId: string;
  patients: number;
}

export interface ImportSummary {
  importer: { id: string; version: string; provenance: Provenance };
  /**
   * The collection the records join; `created`: this run created it; `existed`: it was there before
   * the run (a dry run into a new collection creates none: it says the import would).
   */
  collection: { slug: string; created: boolean; existed: boolean };
  /** A dry run checks rows, records and files (our SOP records: image headers too) but stores nothing. */
  dryRun: boolean;
  rows: number;
  /** Rows per label as the source spells it, e.g. { nv: 6705, mel: 1113 }; invalid rows have none. */
  sourceLabels: Record<string, number>;
  /** Rows that became records, per our class (before looking for their image file). */
  mapped: Partial<Record<DiagnosisClass, number>>;
  /** Rows that became records outside the 9 classes (a term with no class): stored all the same. */
  outsideNine: number;
  /** Records per diagnosis term (a path of domain/terms.ts), for the records that validate. */
  terms: Record<string, number>;
  /** Records per clinical status (benign, borderline, premalignant, malignant, unknown), as terms. */
  statuses: Partial<Record<ClinicalStatus, number>>;
  /** Rows whose label the importer does not know at all, per source label: reported, never stored. */
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
  /**
   * Records stored although they contradict facts an earlier record gave their patient (public
   * collections only): the patient keeps the first value, each contradiction is a FactConflict row
   * of the image. Counted from those rows for the images this run stored; per field.
   */
  factConflicts: { count: number; fields: Record<string, number> };
  /**
   * Source lesion ids that rows of more than one patient use. Not an error: lesions are scoped per
   * patient when pseudonymised (a lesion's code is keyed by patient and lesion id), so each patient's
   * lesion stays its own; the list says where a source reuses its ids.
   */
  reusedLesionIds: ReusedLesionId[];
}

/** One input file as an import record keeps it: the importer's name for it, its file name, SHA-256 and size. */
export interface ImportInputFile {
  name: string;
  fileName: string;
  sha256: string;
  bytes: number;
}

/** What a real run returns: the summary, and the import record it wrote (a dry run writes none). */
export interface ImportResult extends ImportSummary {
  importRecordId: number | null;
}

export interface ImportOptions {
  /** The folder holding the image files, named after the rows' file names or image ids. */
  folder: string;
  /** Input name (as the importer declares it) → path of the CSV file. */
  inputs: Readonly<Record<string, string>>;
  concurrency?: number;
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
  /**
   * The slug of the collection to import into. Default: the importer's own collection (its id,
   * created from its facts on the first import), our own CSV's the own collection. A slug that does
   * not exist yet is created with the importer's facts; a public importer cannot import into the own
   * collection, nor our own CSV into a public one.
   */
  collection?: string;
  /** Who runs the import, as the import record names it (default: the CLI, `toolActor('dermaset-cli')`). */
  actor?: Actor;
}

/** The tool actor of the command line, as import records name it. */
export const CLI_ACTOR = toolActor('dermaset-cli');

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
): Promise<{ parsed: Record<string, Record<string, string>[]>; files: ImportInputFile[] }> {
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
  const files: ImportInputFile[] = [];
  for (const [name, path] of Object.entries(inputs)) {
    const bytes = await readFile(path).catch(() => {
      throw new ImportError(`cannot read the ${name} file ${path}`);
    });
    // the file name only: the folders it was read from say nothing about the source and may name people
    files.push({
      name,
      fileName: basename(path),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.byteLength,
    });
    const csv = bytes.toString('utf8');
    parsed[name] = importer.parse ? importer.parse(csv, { name, path }) : parseCsv(csv, `the ${name} file ${path}`);
  }
  return { parsed, files };
}

/**
 * A collection by slug, created from the facts when there is none (an existing one keeps what it
 * states: an admin may have corrected it). Two imports creating it at once keep one (unique slug).
 * The caller checks the facts against COLLECTION_TEXT_LIMITS first.
 */
export async function findOrCreateCollection(
  db: Db,
  facts: CollectionFacts,
  kind: 'own' | 'public',
): Promise<Collection> {
  const found = await db.collection.findUnique({ where: { slug: facts.slug } });
  if (found) return found;
  const { slug, name, source, citation, license, attribution, version } = facts;
  return db.collection
    .create({ data: { slug, kind, name, source, citation, license, attribution, version } })
    .catch(async (e: unknown) => {
      const again = await db.collection.findUnique({ where: { slug } });
      if (again) return again;
      throw e;
    });
}

/**
 * The collection an import's records join (see ImportOptions.collection): found by slug, or created
 * from the importer's facts (not in a dry run, which only says it would be). Refuses a public
 * importer into the own collection, our own CSV into a public one, and a slug that cannot be one.
 */
async function importCollection(
  db: Db,
  importer: MetadataImporter,
  slug: string | undefined,
  dryRun: boolean,
): Promise<{ id: number | null; slug: string; created: boolean; existed: boolean }> {
  const sop = (importer.provenance ?? 'public') === 'sop';
  const target = slug ?? (sop ? OWN_COLLECTION : (importer.collection?.slug ?? importer.id));
  if (!SLUG.test(target)) {
    throw new ImportError(
      `--collection "${target.slice(0, 64)}" is not a collection slug (kebab-case, 2–64 characters)`,
    );
  }
  const found = await db.collection.findUnique({ where: { slug: target }, select: { id: true, kind: true } });
  const kind = sop ? 'own' : 'public';
  if (found && found.kind !== kind) {
    throw new ImportError(
      sop
        ? `the collection ${target} is a public collection: our own acquisitions go into an own collection`
        : `the collection ${target} is our own acquisition: a public importer's records go into a public collection`,
    );
  }
  if (found) return { id: found.id, slug: target, created: false, existed: true };
  if (!importer.collection) {
    throw new ImportError(
      `there is no collection ${target}, and the ${importer.id} importer states no facts to create it`,
    );
  }
  if (dryRun) return { id: null, slug: target, created: false, existed: false };
  const facts = { ...importer.collection, slug: target };
  const bad = (Object.keys(COLLECTION_TEXT_LIMITS) as (keyof typeof COLLECTION_TEXT_LIMITS)[]).find(
    (k) => (facts[k]?.length ?? 0) > COLLECTION_TEXT_LIMITS[k],
  );
  if (bad) throw new ImportError(`the ${importer.id} importer's collection ${bad} is longer than its bound`);
  const created = await findOrCreateCollection(db, facts, kind);
  return { id: created.id, slug: target, created: true, existed: false };
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
): Promise<ImportResult> {
  const startedAt = new Date();
  const concurrency = checkConcurrency(opts.concurrency);
  const folder = resolve(opts.folder);
  if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new ImportError(`${opts.folder} is not a folder`);
  const { parsed, files: inputFiles } = await readInputs(importer, opts.inputs);
  const rows = [...importer.rows(parsed)];
  const dryRun = opts.dryRun ?? false;
  const provenance = importer.provenance ?? 'public';
  const sop = provenance === 'sop';
  const files = importer.files ?? PUBLIC_FILES;
  const db = pipeline.deps.db;
  const collection = await importCollection(db, importer, opts.collection, dryRun);
  const summary: ImportSummary = {
    importer: { id: importer.id, version: importer.version, provenance },
    collection: { slug: collection.slug, created: collection.created, existed: collection.existed },
    dryRun,
    rows: rows.length,
    sourceLabels: {},
    mapped: {},
    outsideNine: 0,
    terms: {},
    statuses: {},
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
    factConflicts: { count: 0, fields: {} },
    reusedLesionIds: [],
  };
  // the pipeline's refusals: beside the row checks for our own records, on their own list for public ones
  const refusals = sop ? summary.invalid : summary.rejected;
  const now = new Date();
  /** Earlier runs' outcomes of rows found already processed: stored before, or refused before. */
  let refusedBefore = 0;
  /** The images this run stored, to read their fact conflicts back. */
  const storedIds: number[] = [];
  const bump = <K extends string>(counts: Partial<Record<K, number>>, key: K) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };

  // every importer yields one row per line of its main input, in order: report lines as such
  const records: { n: number; row: RecordRow }[] = [];
  const lesionPatients = new Map<string, Set<string>>();
  rows.forEach((row, i) => {
    const n = i + 2;
    if (row.kind === 'invalid') {
      summary.invalid.push({ row: n, fileName: row.fileName, code: 'INVALID_ROW', message: row.reason });
      return;
    }
    bump(summary.sourceLabels, row.sourceLabel);
    if (row.kind === 'unmapped') {
      const entry = summary.unmapped[row.sourceLabel];
      if (entry) entry.count++;
      else summary.unmapped[row.sourceLabel] = { count: 1, reason: row.reason };
      return;
    }
    // the class, term and status the record will be stored with (a record that does not validate
    // is refused by the pipeline and counted only by the class its diagnosis text names)
    let valid: ValidRecord | undefined;
    try {
      valid = validateRecord(row.record, now, provenance);
    } catch (e) {
      if (!(e instanceof IngestError)) throw e;
    }
    if (valid) {
      if (valid.diagnosisClass) bump(summary.mapped, valid.diagnosisClass);
      else summary.outsideNine++;
      bump(summary.terms, valid.diagnosisTerm);
      bump(summary.statuses, valid.clinicalStatus);
    } else {
      const d = normaliseDiagnosis(String(row.record.clinical_diagnosis ?? ''));
      if (d.ok) bump(summary.mapped, d.diagnosisClass);
    }
    const patient = textOf(row.record.patient_id);
    const lesion = textOf(row.record.lesion_id);
    if (patient && lesion) {
      const set = lesionPatients.get(lesion) ?? new Set<string>();
      set.add(patient);
      lesionPatients.set(lesion, set);
    }
    records.push({ n, row });
  });
  summary.reusedLesionIds = [...lesionPatients]
    .filter(([, patients]) => patients.size > 1)
    .map(([lesionId, patients]) => ({ lesionId, patients: patients.size }))
    .sort((a, b) => b.patients - a.patients || a.lesionId.localeCompare(b.lesionId));

  let done = rows.length - records.length;
  opts.onProgress?.(done, rows.length);
  // our own acquisitions keep the intake source they always had; a collection's names its importer
  const source = sop ? 'import' : `import:${importer.id}`;
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
    const r = await pipeline.ingest({
      bytes,
      record: row.record,
      fileName,
      source,
      provenance,
      ...(collection.id === null ? {} : { collectionId: collection.id }),
    });
    switch (r.outcome) {
      case 'ACCEPTED':
        summary.accepted++;
        storedIds.push(r.imageId);
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
        if (r.previous !== 'ACCEPTED' && r.previous !== 'DUPLICATE') refusedBefore++;
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
  if (dryRun || collection.id === null) return { ...summary, importRecordId: null };

  summary.factConflicts = await conflictsOf(db, storedIds);
  // every row ends in one of three counts: stored now, stored before (by an earlier run, or as an
  // exact duplicate of a stored image), or refused (with its reason in the report)
  const alreadyStored = summary.alreadyImported - refusedBefore + summary.duplicates;
  const record = await db.importRecord.create({
    data: {
      collectionId: collection.id,
      importer: importer.id,
      importerVersion: importer.version,
      actor: (opts.actor ?? CLI_ACTOR).code,
      startedAt,
      finishedAt: new Date(),
      inputs: JSON.stringify(inputFiles),
      rowsIn: summary.rows,
      stored: summary.accepted,
      alreadyStored,
      refused: summary.rows - summary.accepted - alreadyStored,
      report: JSON.stringify(storedReport(summary)),
    },
    select: { id: true },
  });
  return { ...summary, importRecordId: record.id };
}

/**
 * The report an import record keeps, which readers of the API see. A public collection's is the
 * summary (its image ids and lesion ids are published). Our own acquisitions' leaves out what could
 * identify a patient: file names (the pipeline keeps only their hash) and our lesion ids (their
 * number stays); rows, codes and reasons are kept.
 */
export function storedReport(s: ImportSummary): ImportSummary {
  if (s.importer.provenance !== 'sop') return s;
  const anonymous = (list: readonly RowProblem[]) =>
    list.map((p) => ({
      ...p,
      fileName: '',
      message: p.fileName ? p.message.split(p.fileName).join('the file') : p.message,
    }));
  return {
    ...s,
    invalid: anonymous(s.invalid),
    missingFiles: anonymous(s.missingFiles),
    rejected: anonymous(s.rejected),
    reusedLesionIds: s.reusedLesionIds.map((r) => ({ ...r, lesionId: '' })),
  };
}

/** A record's id field as text (ids may be numbers in hand-made records); empty → undefined. */
function textOf(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const t = String(v).trim();
  return t === '' ? undefined : t;
}

/** The FactConflict rows of the given images, counted per field (read in chunks: SQLite bounds parameters). */
async function conflictsOf(db: Db, imageIds: readonly number[]): Promise<ImportSummary['factConflicts']> {
  const fields: Record<string, number> = {};
  let count = 0;
  for (let i = 0; i < imageIds.length; i += 500) {
    const groups = await db.factConflict.groupBy({
      by: ['field'],
      where: { imageId: { in: imageIds.slice(i, i + 500) } },
      _count: { _all: true },
    });
    for (const g of groups) {
      fields[g.field] = (fields[g.field] ?? 0) + g._count._all;
      count += g._count._all;
    }
  }
  return { count, fields };
}

/** Our own CSV format (`dermaset import <folder> --metadata <file.csv>`) through the runner. */
export function importFolder(
  pipeline: AcquisitionPipeline,
  opts: Omit<ImportOptions, 'inputs'> & { metadata: string },
): Promise<ImportResult> {
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
export function formatSummary(s: ImportSummary | ImportResult): string {
  return s.importer.provenance === 'sop' ? formatSopSummary(s) : formatPublicSummary(s);
}

function formatSopSummary(s: ImportSummary | ImportResult): string {
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
    ...('importRecordId' in s && s.importRecordId !== null ? [`import record: ${s.importRecordId}`] : []),
  ].join('\n');
}

export function formatPublicSummary(s: ImportSummary | ImportResult): string {
  const unmapped = Object.entries(s.unmapped).sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b));
  const lines = [
    `importer: ${s.importer.id} ${s.importer.version}${s.dryRun ? ' (dry run: nothing was stored)' : ''}`,
    `collection: ${s.collection.slug}${
      s.collection.created ? ' (created by this import)' : s.collection.existed ? '' : ' (new: the import creates it)'
    }`,
    `rows: ${s.rows}`,
    `source labels: ${byCount(s.sourceLabels) || 'none'}`,
    `records in the 9 classes: ${byCount(s.mapped as Record<string, number>) || 'none'}`,
    `records outside the 9 (stored with their term): ${s.outsideNine}`,
    `records per status: ${byCount(s.statuses as Record<string, number>) || 'none'}`,
    `records per term: ${byCount(s.terms) || 'none'}`,
    `unknown labels (not imported): ${unmapped.reduce((n, [, u]) => n + u.count, 0)}`,
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
      `stored with patient facts that contradict an earlier record (the patient keeps the first value): ${s.factConflicts.count}${
        s.factConflicts.count ? ` (${byCount(s.factConflicts.fields)})` : ''
      }`,
    );
  }
  lines.push(...reusedLines(s));
  if ('importRecordId' in s && s.importRecordId !== null) lines.push(`import record: ${s.importRecordId}`);
  return lines.join('\n');
}

/** The reused lesion ids, a few of them named: lesions are scoped per patient, so nothing is merged. */
function reusedLines(s: ImportSummary): string[] {
  const n = s.reusedLesionIds.length;
  if (n === 0) return ['lesion ids used by more than one patient: 0'];
  const shown = s.reusedLesionIds
    .slice(0, 10)
    .map((r) => `${r.lesionId} (${r.patients} patients)`)
    .join(', ');
  return [
    `lesion ids used by more than one patient: ${n} (lesions are scoped per patient: each patient's lesion stays its own)`,
    `  ${shown}${n > 10 ? `, … ${n - 10} more in the import record` : ''}`,
  ];
}
