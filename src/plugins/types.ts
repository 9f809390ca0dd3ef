// The contracts of dermaset's domain plugins. A plugin is a plain object with a stable id, a
// version (the semver of its output contract: bump it when the same input would give other
// output) and a description, plus the hooks of its kind. Register it in ./index.ts.
import type { Readable, Writable } from 'node:stream';
import type { z } from 'zod';
import type { CollectionFacts } from '../domain/collection.ts';
import type { Profile } from '../domain/deidentify.ts';
import type { ClinicalStatus, DiagnosisClass, VerificationStage } from '../domain/enums.ts';
import type { ExportRecord } from '../domain/export-record.ts';
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

/**
 * What a policy sees of one image: its class (null = outside the 9), its diagnosis term (a path of
 * domain/terms.ts), the term's clinical status and the verification stage. Records of the 9 classes
 * keep the status of their class; binary policies can map records outside the 9 by status.
 */
export interface PolicyInput {
  diagnosisClass: DiagnosisClass | null;
  diagnosisTerm: string;
  clinicalStatus: ClinicalStatus;
  verificationStage: VerificationStage;
}

export interface ClassMappingPolicy extends PluginMeta {
  readonly kind: 'policy';
  /** The labels the policy can produce, in a fixed order (for exports and class indices). */
  readonly labels: readonly string[];
  /** Images below this stage are excluded (with a reason) whatever their class. */
  readonly minVerificationStage?: VerificationStage;
  /** Must be total and must never throw: every class, and every term outside the 9, maps to a decision. */
  map(input: PolicyInput): PolicyDecision;
}

// ---------------------------------------------------------------- importers

/** What an importer's source label means: a diagnosis term (a path of domain/terms.ts) and its class or null. */
export interface LabelEntry {
  readonly term: string;
  readonly diagnosisClass: DiagnosisClass | null;
}

/** One row of a metadata table, turned into our record, or refused with a reason. */
export type ImportRow =
  | { kind: 'record'; fileName: string; record: RawRecord; sourceLabel: string }
  /** The importer does not know the row's label at all: kept raw in the report, never guessed at. */
  | { kind: 'unmapped'; fileName: string; sourceLabel: string; reason: string }
  | { kind: 'invalid'; fileName: string; reason: string };

export interface MetadataImporter extends PluginMeta {
  readonly kind: 'importer';
  /** The CSV files it reads, by role (e.g. { metadata: …, groundTruth: … }); the CLI passes paths. */
  readonly inputs: readonly { name: string; description: string; required: boolean }[];
  /**
   * Source label → its diagnosis term and class (null: outside the 9), for documentation and tests.
   * Every label in it is stored; labels not in it are reported as unmapped.
   */
  readonly vocabulary: Readonly<Record<string, LabelEntry>>;
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
  /**
   * The collection a public importer's records join, as the source publishes it (slug = the
   * importer's id, name, source, citation, licence, attribution, version): the runner creates it on
   * the first import. Our own format has none: its records join the own collection.
   */
  readonly collection?: CollectionFacts;
}

// ---------------------------------------------------------------- exporters

/**
 * An exporter's options as a zod object: each option with its type, its default and its
 * description (`.describe()`); startExport checks a request's options against it before anything is
 * recorded, and the `exporters` query lists them from it. Options it does not name are refused.
 */
export type ExportOptionsSchema = z.ZodObject;

export interface ExportFile {
  /** Path inside the export (e.g. "metadata.csv", "train/nevus/<sha>.jpg"). */
  path: string;
  sha256: string;
  bytes: number;
}

/** The record as exporters see it (domain/export-record.ts): the columns they write and what ISIC reads. */
export type ExportRow = ExportRecord;

/**
 * What a document of an export's subset states beyond its records (Croissant): the subset's
 * figures, its image files and its metadata file (the jsonl export of the same subset, without
 * examiner codes), read by the runner for the subset the export already resolved.
 */
export interface SubsetDescription {
  policy: { id: string; version: string };
  /** The release the subset is read as of (its frozen labels; its version is the subset's), or null. */
  release: { id: string; name: string; version: string; imageCount: number; contentHash: string } | null;
  /** The stored split the export is limited to, with the split's manifest hash. */
  split: {
    id: string;
    part?: string | null;
    fold?: number | null;
    parts: readonly string[];
    manifestHash: string;
  } | null;
  /** The filter as asked (after the profile generalised its bounds): the metadata URL restates it. */
  filter: unknown;
  /** metadata.jsonl: its records, SHA-256 and size. */
  metadata: { records: number; sha256: string; bytes: number };
  /** The image files of the records, in image id order. */
  images: readonly { sha256: string; fileName: string; format: string }[];
  /** The first and the latest acquisition in the subset (exact: the document shows them through the profile). */
  period: { first: Date | null; last: Date | null };
  /** Licence and creator as stated (or "not stated"), and the dataset's version. */
  license: string;
  creator: string;
  version: string;
  /** The collections of the records, by slug (their licences and attributions). */
  collections: readonly ExportCollection[];
  /** The subset's figures (resolvers/stats.ts computes them). */
  stats: {
    images: number;
    patients: number;
    intake: { sopRejected: number; records: number; duplicates: number };
    agreement: { fleiss: { kappa: number | null; n: number }; pairs: readonly { kappa: number | null }[] };
    patientDistributions: readonly { field: string; values: readonly { value: string; count: number }[] }[];
    malignant: { histologyVerified: number; count: number };
    imagesPerPatient: { max: number | null };
    classes: readonly { diagnosisClass: string; count: number }[];
  };
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
  /**
   * The subset described (Croissant): read on demand, once per call, for the subset the runner
   * resolved; exporters that describe nothing never call it.
   */
  describe(): Promise<SubsetDescription>;
  /** The collections the exported rows belong to, by slug: what archives' LICENSES and ISIC rows state. */
  collections(): Promise<readonly ExportCollection[]>;
}

/** A collection as exports state it: its licence, attribution and source apply to its images. */
export interface ExportCollection {
  slug: string;
  name: string;
  kind: string;
  license: string;
  attribution: string;
  source: string | null;
  citation: string | null;
  version: string | null;
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
  /**
   * How many times write() reads ctx.rows() (default 1; a zip with its metadata first reads them
   * twice): an export's progress counts the rows of every pass and divides by it.
   */
  readonly passes?: number;
  /** Writes the export to `out` as a stream; returns the files it contains (for the manifest). */
  write(ctx: ExportContext, out: Writable): Promise<ExportFile[]>;
}

export type DermasetPlugin = ClassMappingPolicy | MetadataImporter | Exporter;

/** Identity helpers that give type inference to plugin objects. */
export const definePolicy = (p: Omit<ClassMappingPolicy, 'kind'>): ClassMappingPolicy => ({ ...p, kind: 'policy' });
export const defineImporter = (p: Omit<MetadataImporter, 'kind'>): MetadataImporter => ({ ...p, kind: 'importer' });
export const defineExporter = (p: Omit<Exporter, 'kind'>): Exporter => ({ ...p, kind: 'exporter' });
