// The importers' kit: what every importer plugin needs to turn a source's CSV rows into our
// records (label tables, cells, column checks, sex and site spellings) and to read a CSV file the
// one way every import reads it. It imports only domain/, so importers stay below the runner
// (ingest/import.ts) that feeds their rows through the acquisition pipeline.
import { parse } from 'csv-parse/sync';
import { normaliseDiagnosis } from '../../domain/classes.ts';
import type { DermoscopicStructure, DiagnosisClass } from '../../domain/enums.ts';
import { CSV_RECORD_LIMIT, type RawRecord } from '../../domain/raw-record.ts';
import { parseSite, SITES } from '../../domain/sites.ts';
import { STRUCTURES } from '../../domain/structures.ts';
import { isTerm, termByPath } from '../../domain/terms.ts';
import { parseSex } from '../../domain/vocabularies.ts';
import type { ImportRow, LabelEntry } from '../types.ts';

/** An import refused as a whole (a file that is not what the importer reads), before anything is stored. */
export class ImportError extends Error {
  override name = 'ImportError';
}

// ---------------------------------------------------------------- reading CSV

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
 * CSV text as rows keyed by lower-cased header, or refused naming `what` (e.g. "the metadata file
 * x.csv"). `onHeader` sees the header (lower-cased) when the text has one.
 */
export function parseCsv(
  csv: string,
  what: string,
  onHeader?: (header: readonly string[]) => void,
): Record<string, string>[] {
  try {
    return parse(csv, {
      columns: (h: string[]) => {
        const header = h.map((c) => c.trim().toLowerCase());
        onHeader?.(header);
        return header;
      },
      ...CSV_OPTIONS,
    });
  } catch (e) {
    throw csvProblem(what, e);
  }
}

// ---------------------------------------------------------------- labels and cells

/**
 * What one source label means here: a diagnosis term (a path of domain/terms.ts), the class of the
 * 9 that term lies under or null (outside the 9), and the clinical_diagnosis text the record carries.
 * Build it with `meaning(term, diagnosis)`: the class is the term's, never chosen apart from it.
 */
export interface LabelMeaning {
  readonly term: string;
  readonly class: DiagnosisClass | null;
  readonly diagnosis: string;
}

/**
 * A label's meaning, checked when the importer loads: the term is in the vocabulary, and a diagnosis
 * text that normalises to a class names the term's class (the record validator takes the text's
 * class where there is one, so a text such as "Bowen's disease" must never pull a record into a
 * class its term does not name); a text naming no class leaves the class to the term.
 */
export function meaning(term: string, diagnosis: string): LabelMeaning {
  if (!isTerm(term)) throw new Error(`importer label table: "${term}" is not a term of the diagnosis vocabulary`);
  const c = termByPath(term).diagnosisClass;
  const d = normaliseDiagnosis(diagnosis);
  if (d.ok && d.diagnosisClass !== c) {
    throw new Error(
      `importer label table: the diagnosis "${diagnosis}" normalises to ${d.diagnosisClass}, ` +
        `its term "${term}" lies under ${c ?? 'no class'}`,
    );
  }
  return { term, class: c, diagnosis };
}

/** A table entry by source label; labels such as "constructor" must not find Object's prototype. */
export const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

/** The `vocabulary` of an importer, derived from its label table: each label's term and class (null: outside the 9). */
export const vocabularyOf = (labels: Readonly<Record<string, LabelMeaning>>): Record<string, LabelEntry> =>
  Object.fromEntries(Object.entries(labels).map(([label, m]) => [label, { term: m.term, diagnosisClass: m.class }]));

/**
 * The row for a labelled source row: a record built by `build` from the label's diagnosis text and
 * term (every known label is stored, inside the 9 or outside), or unmapped when the importer does
 * not know the label at all.
 */
export function labelledRow(
  meaning: LabelMeaning | undefined,
  sourceLabel: string,
  fileName: string,
  build: (diagnosis: { clinical_diagnosis: string; diagnosis_term: string }) => RawRecord,
  unknownReason: string,
): ImportRow {
  if (!meaning) return { kind: 'unmapped', fileName, sourceLabel, reason: unknownReason };
  const record = build({ clinical_diagnosis: meaning.diagnosis, diagnosis_term: meaning.term });
  return { kind: 'record', fileName, sourceLabel, record };
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

/** A `;`-separated list of our structure labels (domain/structures.ts), or nothing when there is none. */
export function structureList(codes: readonly (DermoscopicStructure | undefined)[]): string | undefined {
  const labels = [...new Set(codes.filter((c) => c !== undefined))].map((c) => STRUCTURES[c].label);
  return labels.length > 0 ? labels.join(';') : undefined;
}
