// An acquisition over the API (createInitialAnnotation): the bytes and the examiner's record through
// the acquisition pipeline, the caller as the examiner; and the intake row and image it became.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createGraphQLError } from 'graphql-yoga';
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import type { QualityMeasures } from '../domain/quality.ts';
import { type AcquisitionInput, type RawRecord, rawRecordOf } from '../domain/raw-record.ts';
import type { AcquisitionPipeline } from '../ingest/pipeline.ts';
import { TEXT_LIMITS, unknownKeys } from '../ingest/record.ts';
import { badInput } from './errors.ts';
import { qualityOf } from './images.ts';

export interface AcquisitionResult {
  outcome: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED_QUALITY';
  intakeId: number;
  imageId: number | null;
  /** Measured on the frame (a duplicate: stored with the image it repeats). */
  quality: QualityMeasures;
}

/** The bounds on a record's free text, as the schema documents them. */
export { TEXT_LIMITS };

/**
 * The record of an acquisition from exactly one of its two forms: `record`, the CSV import's
 * snake_case columns as JSON (a key the record does not have is refused, naming the key it
 * probably meant), or `input`, the typed AcquisitionRecordInput, translated by rawRecordOf. Both,
 * or neither, is BAD_USER_INPUT. Refused here, before the pipeline: nothing is written, not even
 * an intake row.
 */
export function acquisitionRecord(args: {
  record?: Readonly<Record<string, unknown>> | null;
  input?: AcquisitionInput | null;
}): RawRecord {
  const { record, input } = args;
  if ((record == null) === (input == null))
    throw badInput(
      'give exactly one of record (the CSV columns, snake_case JSON) and input (AcquisitionRecordInput)',
      record == null ? 'record' : 'input',
    );
  if (input != null) return rawRecordOf(input);
  const unknown = unknownKeys(record as Readonly<Record<string, unknown>>);
  if (unknown.length > 0) throw badInput(unknown.join('; '), 'record');
  return record as RawRecord;
}

/** The intake row as the API names it: IntakeRecord's global id, never the row id. */
const intakeGlobalId = (id: number) => encodeGlobalID('IntakeRecord', id);

/**
 * Acquires one image. `examiner` is the caller as the record's examiner_id (`token:<id>`, which the
 * pipeline turns into the examiner code), `actor` their staff code for the label change log. An
 * invalid record or file, or this very acquisition sent again, is a typed error naming the intake row.
 */
export async function acquire(
  pipeline: AcquisitionPipeline,
  caller: { examiner: string; actor: string },
  file: File,
  record: RawRecord,
): Promise<AcquisitionResult> {
  const r = await pipeline.ingest({
    bytes: Buffer.from(await file.arrayBuffer()),
    record: { ...record, examiner_id: caller.examiner },
    fileName: file.name,
    source: 'api',
    actor: caller.actor,
  });
  switch (r.outcome) {
    case 'ACCEPTED':
      return { outcome: 'ACCEPTED', intakeId: r.intakeId, imageId: r.imageId, quality: r.quality };
    case 'DUPLICATE':
      return {
        outcome: 'DUPLICATE',
        intakeId: r.intakeId,
        imageId: r.duplicateOfId,
        quality: await qualityOf(r.duplicateOfId),
      };
    case 'REJECTED_QUALITY':
      return { outcome: 'REJECTED_QUALITY', intakeId: r.intakeId, imageId: null, quality: r.quality };
    case 'REJECTED_INVALID':
      throw createGraphQLError(r.error.message, {
        extensions: { code: r.error.code, intakeId: intakeGlobalId(r.intakeId), issues: r.error.issues },
      });
    case 'ALREADY_PROCESSED':
      throw createGraphQLError('this very acquisition was already processed', {
        extensions: { code: 'ALREADY_PROCESSED', intakeId: intakeGlobalId(r.intakeId) },
      });
  }
}

/** The intake row of an acquisition, with the request's selection. */
export async function acquisitionIntake(
  query: { include?: Prisma.IntakeRecordInclude; select?: Prisma.IntakeRecordSelect },
  intakeId: number,
) {
  const intake = await db().intakeRecord.findUnique({ ...query, where: { id: intakeId } });
  if (!intake) {
    throw createGraphQLError('the intake record of this acquisition is gone', { extensions: { code: 'NOT_FOUND' } });
  }
  return intake;
}

/** The image an acquisition became (or repeats), with the request's selection; null for an SOP rejection. */
export function acquisitionImage(
  query: { include?: Prisma.ImageInclude; select?: Prisma.ImageSelect },
  imageId: number | null,
) {
  if (imageId === null) {
    // Nothing to load: mark the selection as consumed, or plugin-prisma's unused-query check
    // (on outside production) adds an error beside the null.
    void { ...query };
    return null;
  }
  return db().image.findUnique({ ...query, where: { id: imageId } });
}
