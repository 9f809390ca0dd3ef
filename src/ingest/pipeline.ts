// The acquisition pipeline: the one path by which an image and its record enter the dataset,
// used by the CSV import, the demo cohort and the API alike.
//
//   validate record → read header (format, size, pixel limits) → decode → SOP gate
//   → exact-duplicate check (decoded pixels) → strip embedded metadata → content-addressed storage
//   → thumbnail → perceptual hash → quality advice → record + intake row in one transaction
//
// Every attempt leaves exactly one intake row. A rejection leaves no blob and no record.
import { createHash } from 'node:crypto';
import type { Config, IngestLimits } from '../config.ts';
import type { Db } from '../db/client.ts';
import { OWN_COLLECTION } from '../domain/collection.ts';
import type { IntakeOutcome } from '../domain/enums.ts';
import { mergePatientFacts, type PatientFacts } from '../domain/patient-facts.ts';
import { passesSopGate, type QualityMeasures, type QualityScore } from '../domain/quality.ts';
import type { Provenance, RawRecord } from '../domain/raw-record.ts';
import type { BlobStore, StoredBlob } from '../storage/blob-store.ts';
import { storeFor } from '../storage/open.ts';
import {
  type Decoded,
  type Derived,
  decode,
  derive,
  type Header,
  measure,
  pixelHashOffThread,
  readHeader,
  reencodeUpright,
} from './analyse.ts';
import { IngestError } from './errors.ts';
import { type NearMatch, PhashIndex } from './phash-index.ts';
import { Pseudonymizer, resolvePseudonymKey } from './pseudonym.ts';
import { type ValidRecord, validateRecord } from './record.ts';
import { MetadataStripError, stripMetadata } from './strip-metadata.ts';

export interface AcquisitionInput {
  bytes: Uint8Array;
  record: RawRecord;
  /** The file name as received; only its hash is kept (names can identify people). */
  fileName?: string;
  /** Where the attempt came from, e.g. "import", "demo", "api". */
  source: string;
  /** Who is acquiring (examiner code or token name), for the label change log. */
  actor?: string;
  /** `public` for rows of public collections (no SOP score, maybe no date); default `sop`. */
  provenance?: Provenance;
  /** The collection the image joins (resolvers/collections.ts); default: our own acquisition ("own"). */
  collectionId?: number;
}

/** `quality`: the technical advice on the frame (advice only: the SOP score decided the outcome). */
export type IngestResult =
  | {
      outcome: 'ACCEPTED';
      intakeId: number;
      imageId: number;
      sha256: string;
      nearDuplicates: NearMatch[];
      quality: QualityMeasures;
    }
  | { outcome: 'DUPLICATE'; intakeId: number; duplicateOfId: number }
  | { outcome: 'REJECTED_QUALITY'; intakeId: number; score: number; quality: QualityMeasures }
  | { outcome: 'REJECTED_INVALID'; intakeId: number; error: IngestError }
  /** The very same attempt (same file name, bytes and record) was processed before: nothing changed. */
  | { outcome: 'ALREADY_PROCESSED'; intakeId: number; previous: IntakeOutcome };

export interface PipelineDeps {
  db: Db;
  store: BlobStore;
  pseudonyms: Pseudonymizer;
  limits: IngestLimits;
  now?: () => Date;
}

export type PipelineConfig = Pick<Config, 'dataDir' | 'pseudonymKey' | 'ingest'> & Partial<Pick<Config, 'storage'>>;

export function createPipeline(config: PipelineConfig, db: Db): AcquisitionPipeline {
  return new AcquisitionPipeline({
    db,
    store: storeFor(config),
    pseudonyms: new Pseudonymizer(resolvePseudonymKey(config.pseudonymKey, config.dataDir)),
    limits: config.ingest,
  });
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** A record value as the attempt key reads it: a list as the CSV writes it, anything else not flattened. */
function textOf(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? v.join(';') : JSON.stringify(v);
  // an object (refused by validation, but keyed first) must not read as "[object Object]"
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function canonical(record: RawRecord): string {
  const entries = Object.entries(record)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [k, textOf(v)] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(entries);
}

const isUniqueViolation = (e: unknown, column: string): boolean => {
  const err = e as { code?: string; meta?: { target?: unknown; driverAdapterError?: unknown }; message?: string };
  return err?.code === 'P2002' && JSON.stringify(err.meta ?? err.message ?? '').includes(column);
};

interface Prepared {
  valid: ValidRecord;
  header: Header;
  decoded: Decoded;
  pixelHash: string;
  /**
   * The SOP gate's verdict. A frame that passes has its thumbnail, perceptual hash and quality advice
   * started as soon as the pixels are decoded, so that libvips works while the pixel hash and the
   * duplicate check run; a frame the gate rejects is never stored and derives nothing.
   */
  gate: { passed: true; derived: Promise<Derived> } | { passed: false; score: QualityScore };
}

export class AcquisitionPipeline {
  readonly #deps: PipelineDeps;
  readonly #index = new PhashIndex();
  #ownId: number | undefined;

  /** Our own acquisition's collection (the migration creates it): where uploads and our CSV go. */
  async #ownCollection(tx: Pick<Db, 'collection'>): Promise<number> {
    this.#ownId ??= (
      await tx.collection.findUniqueOrThrow({ where: { slug: OWN_COLLECTION }, select: { id: true } })
    ).id;
    return this.#ownId;
  }
  /** Decisions that read-then-write (duplicates, near duplicates) run one at a time per process. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
  }

  get deps(): PipelineDeps {
    return this.#deps;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async ingest(input: AcquisitionInput): Promise<IngestResult> {
    const { db } = this.#deps;
    const sourceSha256 = sha256(input.bytes);
    const attemptKey = sha256(`${input.fileName ?? ''}\0${sourceSha256}\0${canonical(input.record)}`);
    const seen = await db.intakeRecord.findUnique({ where: { attemptKey }, select: { id: true, outcome: true } });
    if (seen) return { outcome: 'ALREADY_PROCESSED', intakeId: seen.id, previous: seen.outcome };

    const base = { attemptKey, source: input.source, sourceSha256 };
    let prepared: Prepared;
    try {
      prepared = await this.#prepare(input);
    } catch (e) {
      if (!(e instanceof IngestError)) throw e;
      return this.#reject(base, e);
    }
    const { gate } = prepared;
    if (!gate.passed) {
      const { score } = gate;
      const quality = await measure(prepared.decoded);
      return this.#record(
        base,
        { outcome: 'REJECTED_QUALITY', qualityScore: score, pixelHash: prepared.pixelHash },
        (id) => ({
          outcome: 'REJECTED_QUALITY',
          intakeId: id,
          score,
          quality,
        }),
      );
    }
    const twin = await db.image.findUnique({ where: { pixelHash: prepared.pixelHash }, select: { id: true } });
    if (twin) return this.#duplicate(base, prepared, twin.id);
    return this.#store(base, input, prepared, gate.derived);
  }

  /**
   * Validation, header checks and the one full decode: everything that can refuse the file. The pixel
   * hash is computed off the event loop, beside the derivatives of a frame that passes the SOP gate.
   */
  async #prepare(input: AcquisitionInput): Promise<Prepared> {
    const valid = validateRecord(input.record, this.#deps.now?.() ?? new Date(), input.provenance);
    const header = await readHeader(input.bytes, this.#deps.limits);
    const decoded = await decode(input.bytes, this.#deps.limits);
    // records of public collections carry no SOP score: the gate is ours, not theirs
    const score = valid.imageQualityScore;
    let gate: Prepared['gate'];
    if (score !== undefined && !passesSopGate(score)) gate = { passed: false, score };
    else {
      gate = { passed: true, derived: derive(decoded) };
      // a duplicate never reads it: its failure must not go unhandled (a stored image awaits it again)
      gate.derived.catch(() => undefined);
    }
    return {
      valid,
      header,
      decoded,
      pixelHash: await pixelHashOffThread(decoded),
      gate,
    };
  }

  async #reject(base: IntakeBase, error: IngestError): Promise<IngestResult> {
    return this.#record(base, { outcome: 'REJECTED_INVALID', errorCode: error.code, reason: error.message }, (id) => ({
      outcome: 'REJECTED_INVALID',
      intakeId: id,
      error,
    }));
  }

  async #duplicate(base: IntakeBase, p: Prepared, duplicateOfId: number): Promise<IngestResult> {
    return this.#record(
      base,
      { outcome: 'DUPLICATE', duplicateOfId, pixelHash: p.pixelHash, qualityScore: p.valid.imageQualityScore },
      (id) => ({ outcome: 'DUPLICATE', intakeId: id, duplicateOfId }),
    );
  }

  async #record(base: IntakeBase, data: IntakeData, result: (intakeId: number) => IngestResult): Promise<IngestResult> {
    try {
      const row = await this.#deps.db.intakeRecord.create({ data: { ...base, ...data }, select: { id: true } });
      return result(row.id);
    } catch (e) {
      if (!isUniqueViolation(e, 'attempt_key')) throw e;
      return this.#alreadyProcessed(base.attemptKey);
    }
  }

  /** The same attempt was recorded concurrently (another process or request): report that one. */
  async #alreadyProcessed(attemptKey: string): Promise<IngestResult> {
    const seen = await this.#deps.db.intakeRecord.findUniqueOrThrow({ where: { attemptKey } });
    return { outcome: 'ALREADY_PROCESSED', intakeId: seen.id, previous: seen.outcome };
  }

  async #store(
    base: IntakeBase,
    input: AcquisitionInput,
    p: Prepared,
    deriving: Promise<Derived>,
  ): Promise<IngestResult> {
    const { store, pseudonyms, limits, db } = this.#deps;
    const { format, orientation } = p.header;
    let stored: Buffer;
    try {
      stored = orientation === 1 ? stripMetadata(format, input.bytes) : await reencodeUpright(input.bytes, format);
    } catch (e) {
      if (!(e instanceof MetadataStripError)) throw e;
      return this.#reject(base, new IngestError('CORRUPT_IMAGE', `the file's structure is damaged: ${e.message}`));
    }
    const derived = await deriving;
    const ext = format === 'jpeg' ? 'jpg' : format;
    const blobs: StoredBlob[] = [];
    const cleanup = async () => {
      for (const b of blobs.filter((x) => x.created)) {
        const inUse = await db.image.count({ where: { OR: [{ storageKey: b.key }, { thumbnailKey: b.key }] } });
        if (inUse === 0) await store.remove(b.key);
      }
    };
    // both blobs at once; one that was written when the other failed is removed again
    const puts = await Promise.allSettled([
      store.put('originals', stored, ext),
      store.put('thumbnails', derived.thumbnail, 'webp'),
    ]);
    for (const r of puts) if (r.status === 'fulfilled') blobs.push(r.value);
    const failed = puts.find((r) => r.status === 'rejected');
    if (failed) {
      await cleanup();
      throw failed.reason;
    }
    const [original, thumbnail] = blobs as [StoredBlob, StoredBlob];
    const v = p.valid;
    const patientCode = pseudonyms.code('patient', v.patientId);
    const lesionCode = v.lesionId
      ? pseudonyms.code('lesion', v.patientId, v.lesionId)
      : pseudonyms.code('lesion', v.patientId, `image:${p.pixelHash}`);
    const examinerCode = v.examinerId ? pseudonyms.code('examiner', v.examinerId) : null;
    const actor = input.actor ?? examinerCode ?? `intake:${input.source}`;
    const now = this.#deps.now?.() ?? new Date();

    return this.#serial(async () => {
      const twin = await db.image.findUnique({ where: { pixelHash: p.pixelHash }, select: { id: true } });
      if (twin) {
        await cleanup();
        return this.#duplicate(base, p, twin.id);
      }
      await this.#index.refresh(db);
      const near = this.#index.near(derived.phash, limits.nearDuplicateDistance);
      try {
        const { imageId, intakeId } = await db.$transaction(
          async (tx) => {
            const patient = await tx.patient.findUnique({ where: { code: patientCode } });
            const facts: PatientFacts = {
              sex: v.sex,
              fitzpatrickType: v.fitzpatrickType,
              sunburnHistory: v.sunburnHistory,
              personalCaHistory: v.personalCaHistory,
            };
            let patientId: number;
            let conflicts: { patientId: number; field: string; storedValue: string; recordValue: string }[] = [];
            if (!patient) {
              patientId = (await tx.patient.create({ data: { code: patientCode, ...facts }, select: { id: true } })).id;
            } else {
              const merge = mergePatientFacts(patient, facts);
              if (!merge.ok && input.provenance === 'public') {
                // a public collection's record is not lost for a contradiction: it is stored, the
                // patient keeps the first value, and the conflict is flagged on the image
                conflicts = merge.conflicts.map((field) => ({
                  patientId: patient.id,
                  field,
                  storedValue: String(patient[field]),
                  recordValue: String(facts[field]),
                }));
                const fill = mergePatientFacts(patient, {
                  ...facts,
                  ...Object.fromEntries(merge.conflicts.map((k) => [k, undefined])),
                });
                if (fill.ok && Object.keys(fill.fill).length > 0) {
                  await tx.patient.update({ where: { id: patient.id }, data: fill.fill });
                }
              } else if (!merge.ok) {
                throw new IngestError(
                  'CONFLICTING_PATIENT_FACTS',
                  `the patient's ${merge.conflicts.join(', ')} differ from what earlier records of the same patient say`,
                  // the field and the rule, not the values: they are the patient's facts
                  merge.conflicts.map((k) => ({
                    field: k,
                    message: 'differs from what earlier records of the same patient say',
                  })),
                );
              }
              if (merge.ok && Object.keys(merge.fill).length > 0) {
                await tx.patient.update({ where: { id: patient.id }, data: merge.fill });
              }
              patientId = patient.id;
            }
            // a read, and an insert when new (an upsert is three statements in Prisma: read, insert, read)
            const lesion =
              (await tx.lesion.findUnique({ where: { code: lesionCode }, select: { id: true } })) ??
              (await tx.lesion.create({ data: { code: lesionCode, patientId }, select: { id: true } }));
            const image = await tx.image.create({
              data: {
                patientId,
                lesionId: lesion.id,
                ageAtExamRaw: v.ageAtExamRaw,
                ageAtExam: v.ageAtExam,
                anatomicalSite: v.anatomicalSite,
                lesionDiameterMm: v.lesionDiameterMm,
                elevation: v.elevation,
                borderRegularity: v.borderRegularity,
                // one INSERT for all values of a multi-valued field (a nested create is one per value)
                colors: { createMany: { data: v.colors.map((color) => ({ color })) } },
                structures: { createMany: { data: v.structures.map((structure) => ({ structure })) } },
                clinicalDiagnosisRaw: v.clinicalDiagnosisRaw,
                diagnosisClass: v.diagnosisClass,
                diagnosisTerm: v.diagnosisTerm,
                clinicalStatus: v.clinicalStatus,
                collectionId: input.collectionId ?? (await this.#ownCollection(tx)),
                histopathologyResult: v.histopathologyResult,
                verificationStage: v.verificationStage,
                examinerCode,
                imageQualityScore: v.imageQualityScore,
                sha256: original.sha256,
                pixelHash: p.pixelHash,
                phash: derived.phash,
                width: p.decoded.width,
                height: p.decoded.height,
                format,
                byteSize: original.size,
                storageKey: original.key,
                thumbnailKey: thumbnail.key,
                acquiredAt: v.acquiredAt,
                ...derived.quality,
                initialAnnotation: {
                  create: {
                    examinerCode,
                    diagnosisRaw: v.clinicalDiagnosisRaw,
                    diagnosisClass: v.diagnosisClass,
                    diagnosisTerm: v.diagnosisTerm,
                    structures: { createMany: { data: v.structures.map((structure) => ({ structure })) } },
                    createdAt: now,
                  },
                },
                labelChanges: {
                  create: { actor, at: now, fromClass: null, toClass: v.diagnosisClass, reason: 'initial annotation' },
                },
                nearDuplicates: { create: near.map((m) => ({ twinId: m.imageId, distance: m.distance })) },
                factConflicts: { create: conflicts },
                ...importedVerification(v, now),
              },
              select: { id: true },
            });
            const intake = await tx.intakeRecord.create({
              data: {
                ...base,
                outcome: 'ACCEPTED',
                pixelHash: p.pixelHash,
                qualityScore: v.imageQualityScore,
                imageId: image.id,
              },
              select: { id: true },
            });
            return { imageId: image.id, intakeId: intake.id };
          },
          { timeout: 30_000, maxWait: 30_000 },
        );
        this.#index.add(imageId, derived.phash);
        return {
          outcome: 'ACCEPTED',
          intakeId,
          imageId,
          sha256: original.sha256,
          nearDuplicates: near,
          quality: derived.quality,
        } as const;
      } catch (e) {
        await cleanup();
        if (e instanceof IngestError) return this.#reject(base, e);
        if (isUniqueViolation(e, 'attempt_key')) return this.#alreadyProcessed(base.attemptKey);
        if (isUniqueViolation(e, 'pixel_hash')) {
          const other = await db.image.findUniqueOrThrow({ where: { pixelHash: p.pixelHash }, select: { id: true } });
          return this.#duplicate(base, p, other.id);
        }
        throw e;
      }
    });
  }
}

type IntakeBase = { attemptKey: string; source: string; sourceSha256: string };
type IntakeData = {
  outcome: IntakeOutcome;
  errorCode?: string;
  reason?: string;
  pixelHash?: string;
  qualityScore?: number;
  duplicateOfId?: number;
};

/**
 * A record imported with a verification stage reached elsewhere carries that stage's evidence as
 * imported trail entries, so the stage stays derivable from the trail.
 */
function importedVerification(v: ValidRecord, now: Date) {
  if (v.verificationStage === 'INITIAL') return {};
  return {
    consensus: {
      create: {
        diagnosisClass: v.diagnosisClass,
        outcome: 'CONFIRMED' as const,
        reviewCount: 0,
        note: 'consensus reached at the source and imported with the record',
        decidedBy: 'import',
        decidedAt: now,
      },
    },
    ...(v.verificationStage === 'HISTOLOGY' && v.histopathologyResult
      ? {
          histopathology: {
            create: {
              resultText: v.histopathologyResult,
              mappedClass: v.diagnosisClass,
              reportedBy: 'import',
              reportedAt: now,
            },
          },
        }
      : {}),
  };
}
