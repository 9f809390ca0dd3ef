// The contracts of dermaset's domain plugins. A plugin is a plain object with a stable id, a
// version (the semver of its output contract: bump it when the same input would give other
// output) and a description, plus the hooks of its kind. Register it in ./index.ts.
import type { Readable, Writable } from 'node:stream';
import type { Profile } from '../domain/deidentify.ts';
import type { DiagnosisClass, VerificationStage } from '../domain/enums.ts';
import type { Provenance, RawRecord } from '../domain/raw-record.ts';

export interface PluginMeta {
  /** Stable, kebab-case, unique across all plugins of a kind. */
  readonly id: string;
  /** Semver of the output contract. */
  readonly version: string;
  readonly description: string;
}

// ---------------------------------------------------------------- class-mapping policies

/** What a policy does with one image's class: a label, or no label and why. */
export type PolicyDecision =
  | { kind: 'mapped'; label: string }
  /** Deliberately left out of this task (e.g. a class the task does not model). */
  | { kind: 'excluded'; reason: string }
  /** The target vocabulary has no place for it. */
  | { kind: 'unmapped'; reason: string };

export interface PolicyInput {
  diagnosisClass: DiagnosisClass;
  verificationStage: VerificationStage;
}

export interface ClassMappingPolicy extends PluginMeta {
  readonly kind: 'policy';
  /** The labels the policy can produce, in a fixed order (for exports and class indices). */
  readonly labels: readonly string[];
  /** Images below this stage are excluded (with a reason) whatever their class. */
  readonly minVerificationStage?: VerificationStage;
  /** Must be total and must never throw: every class maps to a decision. */
  map(input: PolicyInput): PolicyDecision;
}

// ---------------------------------------------------------------- importers

/** One row of a metadata table, turned into our record, or refused with a reason. */
export type ImportRow =
  | { kind: 'record'; fileName: string; record: RawRecord; sourceLabel: string }
  /** The row's label has no place among our 9 classes: kept raw in the report, never forced. */
  | { kind: 'unmapped'; fileName: string; sourceLabel: string; reason: string }
  | { kind: 'invalid'; fileName: string; reason: string };

export interface MetadataImporter extends PluginMeta {
  readonly kind: 'importer';
  /** The CSV files it reads, by role (e.g. { metadata: …, groundTruth: … }); the CLI passes paths. */
  readonly inputs: readonly { name: string; description: string; required: boolean }[];
  /** Source label → our class, for documentation and tests; labels not in it are unmapped. */
  readonly vocabulary: Readonly<Record<string, DiagnosisClass | null>>;
  /** Reads the inputs (already parsed as CSV rows with lower-cased headers) into rows. */
  rows(inputs: Readonly<Record<string, readonly Record<string, string>[]>>): Iterable<ImportRow>;
  /**
   * How one input file's text becomes rows (headers lower-cased); default: the kit's parseCsv. An
   * importer gives its own to refuse a file by its header (empty, a column twice, columns missing)
   * before any row is read, or to name the file otherwise in a refusal.
   */
  parse?(text: string, input: { name: string; path: string }): Record<string, string>[];
  /**
   * `public` (default): records of a public collection, with no SOP score and maybe no date; a dry
   * run checks the records only; the pipeline's refusals are reported as "rejected".
   * `sop`: our own acquisitions under the SOP (score and date required, the gate applies); a dry run
   * also reads each image's header and applies the gate; refusals are reported as "invalid".
   */
  readonly provenance?: Provenance;
  /**
   * How a row's file name finds its image file: the extensions tried after the name as given
   * (default .jpg, .jpeg, .png, as the collections publish ids without them) and how a refusal names
   * the file name (default "the image id").
   */
  readonly files?: { readonly extensions: readonly string[]; readonly namedBy: string };
}

// ---------------------------------------------------------------- exporters

export interface ExportOptionsSchema {
  /** Option name → description; options not listed are refused. */
  readonly [name: string]: { description: string; type: 'boolean' | 'string' | 'number'; default?: unknown };
}

export interface ExportFile {
  /** Path inside the export (e.g. "metadata.csv", "train/nevus/<sha>.jpg"). */
  path: string;
  sha256: string;
  bytes: number;
}

export interface ExportRow {
  /** The record as exporters see it: information-model fields in snake_case, plus service data. */
  readonly [field: string]: unknown;
}

export interface ExportContext {
  /**
   * The de-identification profile the export runs under (domain/deidentify.ts). Rows arrive already
   * generalised by it; an exporter needs it only to type a column or to stamp its output.
   */
  profile: Profile;
  /** Rows in a stable order (image id), labelled by the policy; excluded/unmapped ones are left out. */
  rows(): AsyncIterable<ExportRow>;
  /** The stored original bytes of an image, streamed. */
  openImage(storageKey: string): Readable;
  options: Readonly<Record<string, unknown>>;
  policy: ClassMappingPolicy;
  /** The manifest (JSON text) for the files of a multi-file export, to store inside it. */
  manifest(files: readonly ExportFile[]): string;
  /** The export's image filter, as given. */
  filter: unknown;
  /** The origin the server is reached at (for URLs written into an export). */
  origin: string;
  /** The stored split the export is limited to (each row's `split` holds its part), or null. */
  split: {
    id: string;
    part?: 'TRAIN' | 'VALIDATION' | 'TEST' | null;
    fold?: number | null;
    /** The part names the export covers. */
    parts: readonly string[];
  } | null;
}

export interface Exporter extends PluginMeta {
  readonly kind: 'exporter';
  /** The main file's media type when the export is one file. */
  readonly mediaType: string;
  /** File extension of the download. */
  readonly extension: string;
  /** Whether it needs image bytes (the runner streams them only then). */
  readonly needsImages: boolean;
  readonly options: ExportOptionsSchema;
  /** Writes the export to `out` as a stream; returns the files it contains (for the manifest). */
  write(ctx: ExportContext, out: Writable): Promise<ExportFile[]>;
}

export type DermasetPlugin = ClassMappingPolicy | MetadataImporter | Exporter;

/** Identity helpers that give type inference to plugin objects. */
export const definePolicy = (p: Omit<ClassMappingPolicy, 'kind'>): ClassMappingPolicy => ({ ...p, kind: 'policy' });
export const defineImporter = (p: Omit<MetadataImporter, 'kind'>): MetadataImporter => ({ ...p, kind: 'importer' });
export const defineExporter = (p: Omit<Exporter, 'kind'>): Exporter => ({ ...p, kind: 'exporter' });
