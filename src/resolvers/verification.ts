// The verification trail's write operations: independent reviews, the consensus decision and the
// histopathology report. Each runs in one transaction, keeps the image's label and derived stage
// in step with the trail, and logs every label change.
import type { Db } from '../db/client.ts';
import type { DermoscopicStructure, DiagnosisClass } from '../domain/enums.ts';
import { deriveStage, MIN_CONSENSUS_REVIEWS } from '../domain/verification.ts';

export class VerificationError extends Error {
  override name = 'VerificationError';
  constructor(
    readonly code:
      | 'NOT_FOUND'
      | 'DUPLICATE_REVIEW'
      | 'NOT_ENOUGH_REVIEWS'
      | 'ALREADY_DECIDED'
      | 'CONFLICT'
      | 'NO_CONSENSUS',
    message: string,
  ) {
    super(message);
  }
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/**
 * Optimistic concurrency: every write to an image's trail bumps its version. With an expected
 * version, the bump only happens if nobody changed the image meanwhile; otherwise CONFLICT and the
 * transaction (with everything it did) rolls back. The conditional UPDATE also takes the row lock
 * on PostgreSQL, so of two concurrent edits with the same version exactly one wins.
 */
async function claimVersion(tx: Tx, imageId: number, expected: number | undefined): Promise<void> {
  const { count } = await tx.image.updateMany({
    where: { id: imageId, ...(expected === undefined ? {} : { version: expected }) },
    data: { version: { increment: 1 } },
  });
  if (count === 0) {
    throw new VerificationError(
      'CONFLICT',
      `image ${imageId} changed since version ${expected}: reload it and try again`,
    );
  }
}

export interface ReviewInput {
  imageId: number;
  reviewerCode: string;
  diagnosisClass: DiagnosisClass;
  structures: readonly DermoscopicStructure[];
  at?: Date;
  expectedVersion?: number;
}

export async function submitReview(db: Db, input: ReviewInput): Promise<{ id: number }> {
  return db.$transaction(async (tx) => {
    const image = await requireImage(tx, input.imageId);
    if (image.consensus) {
      throw new VerificationError(
        'ALREADY_DECIDED',
        `image ${input.imageId} already has a consensus decision: reviews are closed`,
      );
    }
    const existing = await tx.expertReview.findUnique({
      where: { imageId_reviewerCode: { imageId: input.imageId, reviewerCode: input.reviewerCode } },
      select: { id: true },
    });
    if (existing)
      throw new VerificationError(
        'DUPLICATE_REVIEW',
        `reviewer ${input.reviewerCode} already reviewed image ${input.imageId}`,
      );
    await claimVersion(tx, input.imageId, input.expectedVersion);
    await tx.image.update({ where: { id: input.imageId }, data: { reviewCount: { increment: 1 } } });
    return tx.expertReview.create({
      data: {
        imageId: input.imageId,
        reviewerCode: input.reviewerCode,
        diagnosisClass: input.diagnosisClass,
        structures: { create: [...new Set(input.structures)].map((structure) => ({ structure })) },
        ...(input.at ? { createdAt: input.at } : {}),
      },
      select: { id: true },
    });
  });
}

export interface ConsensusInput {
  imageId: number;
  diagnosisClass: DiagnosisClass;
  /** The structures the specialists agreed on: they become the record's dermoscopic_structures. */
  structures: readonly DermoscopicStructure[];
  note?: string | null;
  decidedBy: string;
  at?: Date;
  expectedVersion?: number;
}

export async function recordConsensus(db: Db, input: ConsensusInput): Promise<void> {
  const at = input.at ?? new Date();
  await db.$transaction(async (tx) => {
    const image = await requireImage(tx, input.imageId);
    if (image.consensus)
      throw new VerificationError('ALREADY_DECIDED', `image ${input.imageId} already has a consensus decision`);
    const reviewCount = await tx.expertReview.count({ where: { imageId: input.imageId } });
    if (reviewCount < MIN_CONSENSUS_REVIEWS) {
      throw new VerificationError(
        'NOT_ENOUGH_REVIEWS',
        `a consensus needs at least ${MIN_CONSENSUS_REVIEWS} independent reviews; image ${input.imageId} has ${reviewCount}`,
      );
    }
    await claimVersion(tx, input.imageId, input.expectedVersion);
    const corrected = input.diagnosisClass !== image.diagnosisClass;
    await tx.consensusDecision.create({
      data: {
        imageId: input.imageId,
        diagnosisClass: input.diagnosisClass,
        outcome: corrected ? 'CORRECTED' : 'CONFIRMED',
        reviewCount,
        note: input.note ?? null,
        decidedBy: input.decidedBy,
        decidedAt: at,
      },
    });
    if (corrected) {
      await tx.labelChange.create({
        data: {
          imageId: input.imageId,
          actor: input.decidedBy,
          at,
          fromClass: image.diagnosisClass,
          toClass: input.diagnosisClass,
          reason: `consensus of ${reviewCount} specialists corrected the initial label`,
        },
      });
    }
    await tx.imageStructure.deleteMany({ where: { imageId: input.imageId } });
    await tx.image.update({
      where: { id: input.imageId },
      data: {
        diagnosisClass: input.diagnosisClass,
        structures: { create: [...new Set(input.structures)].map((structure) => ({ structure })) },
        verificationStage: deriveStage({
          hasConsensus: true,
          histologyClass: image.histopathology?.mappedClass ?? null,
          label: input.diagnosisClass,
        }),
      },
    });
  });
}

export interface HistopathologyInput {
  imageId: number;
  resultText: string;
  mappedClass: DiagnosisClass;
  reportedBy: string;
  at?: Date;
  expectedVersion?: number;
}

/** Attaches the report; a histology class that differs from the label corrects the label (logged). */
export async function attachHistopathology(db: Db, input: HistopathologyInput): Promise<void> {
  const at = input.at ?? new Date();
  await db.$transaction(async (tx) => {
    const image = await requireImage(tx, input.imageId);
    if (image.histopathology)
      throw new VerificationError('ALREADY_DECIDED', `image ${input.imageId} already has a histopathology report`);
    await claimVersion(tx, input.imageId, input.expectedVersion);
    await tx.histopathologyReport.create({
      data: {
        imageId: input.imageId,
        resultText: input.resultText,
        mappedClass: input.mappedClass,
        reportedBy: input.reportedBy,
        reportedAt: at,
      },
    });
    if (input.mappedClass !== image.diagnosisClass) {
      await tx.labelChange.create({
        data: {
          imageId: input.imageId,
          actor: input.reportedBy,
          at,
          fromClass: image.diagnosisClass,
          toClass: input.mappedClass,
          reason: 'histopathology result differs from the label',
        },
      });
    }
    await tx.image.update({
      where: { id: input.imageId },
      data: {
        diagnosisClass: input.mappedClass,
        histopathologyResult: input.resultText,
        verificationStage: deriveStage({
          hasConsensus: image.consensus !== null,
          histologyClass: input.mappedClass,
          label: input.mappedClass,
        }),
      },
    });
  });
}

async function requireImage(tx: Tx, imageId: number) {
  const image = await tx.image.findUnique({
    where: { id: imageId },
    select: {
      id: true,
      diagnosisClass: true,
      consensus: { select: { id: true } },
      histopathology: { select: { mappedClass: true } },
    },
  });
  if (!image) throw new VerificationError('NOT_FOUND', `image ${imageId} does not exist`);
  return image;
}

export interface CorrectionInput {
  imageId: number;
  diagnosisClass: DiagnosisClass;
  reason: string;
  actor: string;
  expectedVersion?: number;
  at?: Date;
}

/** An admin's correction of the label, with a reason; logged like every label change. */
export async function correctLabel(db: Db, input: CorrectionInput): Promise<void> {
  const at = input.at ?? new Date();
  await db.$transaction(async (tx) => {
    const image = await requireImage(tx, input.imageId);
    await claimVersion(tx, input.imageId, input.expectedVersion);
    if (image.diagnosisClass === input.diagnosisClass) return;
    await tx.labelChange.create({
      data: {
        imageId: input.imageId,
        actor: input.actor,
        at,
        fromClass: image.diagnosisClass,
        toClass: input.diagnosisClass,
        reason: input.reason,
      },
    });
    await tx.image.update({
      where: { id: input.imageId },
      data: {
        diagnosisClass: input.diagnosisClass,
        verificationStage: deriveStage({
          hasConsensus: image.consensus !== null,
          histologyClass: image.histopathology?.mappedClass ?? null,
          label: input.diagnosisClass,
        }),
      },
    });
  });
}
