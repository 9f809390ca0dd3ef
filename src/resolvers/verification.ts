// The verification trail's write operations: independent reviews, the consensus decision, the
// histopathology report and an admin's correction. Each checks its texts first, then the trail's
// rules (domain/verification.ts), then the image's version, all in one transaction; keeps the
// image's label and derived stage in step with the trail, and logs every label change. Messages
// name no database id: the caller knows the image it sent, by its global id.
import type { Db } from '../db/client.ts';
import { db } from '../db/current.ts';
import { votesKey } from '../domain/agreement.ts';
import type { DermoscopicStructure, DiagnosisClass } from '../domain/enums.ts';
import { relabelled } from '../domain/terms.ts';
import {
  contradictsHistology,
  deriveStage,
  MIN_CONSENSUS_REVIEWS,
  MIN_REASON_LENGTH,
  textProblem,
  WORKFLOW_TEXT_LIMITS,
} from '../domain/verification.ts';
import { prepareRegions, type RegionsRequest } from './regions.ts';

export type VerificationErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'DUPLICATE_REVIEW'
  | 'NOT_ENOUGH_REVIEWS'
  | 'ALREADY_DECIDED'
  | 'CONFLICT'
  | 'NO_CONSENSUS'
  | 'HISTOLOGY_FINAL';

export class VerificationError extends Error {
  override name = 'VerificationError';
  constructor(
    readonly code: VerificationErrorCode,
    message: string,
    /** For BAD_USER_INPUT: the argument refused (the API's name for it). */
    readonly argument?: string,
  ) {
    super(message);
  }
}

/** A workflow text as stored (without white space at its ends), or BAD_USER_INPUT naming it. */
function checkedText(argument: string, value: string, rule: { max: number; min?: number }): string {
  const problem = textProblem(argument, value, rule);
  if (problem) throw new VerificationError('BAD_USER_INPUT', problem, argument);
  return value.trim();
}

const checkedReason = (value: string) =>
  checkedText('reason', value, { min: MIN_REASON_LENGTH, max: WORKFLOW_TEXT_LIMITS.reason });

/** The image's label is fixed by its report: a consensus or correction to another class is refused. */
function refuseAgainstHistology(histologyClass: DiagnosisClass | null, proposed: DiagnosisClass): void {
  if (histologyClass !== null && contradictsHistology(histologyClass, proposed)) {
    throw new VerificationError(
      'HISTOLOGY_FINAL',
      `the image's histopathology report says ${histologyClass}, which is final: ${proposed} contradicts it ` +
        '(only an admin’s amendment of the report, with a reason, changes a histology-verified label)',
    );
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
    throw new VerificationError('CONFLICT', `the image changed since version ${expected}: reload it and try again`);
  }
}

export interface ReviewInput {
  imageId: number;
  reviewerCode: string;
  diagnosisClass: DiagnosisClass;
  structures: readonly DermoscopicStructure[];
  at?: Date;
  expectedVersion?: number;
  /** Where the reviewer marked the structures (resolvers/regions.ts), stored with the review. */
  regions?: RegionsRequest | null;
}

export async function submitReview(input: ReviewInput): Promise<{ id: number }> {
  // a bad region refuses the review before anything is written; a failed write removes the masks it stored
  const regions = await prepareRegions(input.regions, input.structures);
  const written = db().$transaction(async (tx) => {
    const image = await requireImage(tx, input.imageId);
    if (image.consensus) {
      throw new VerificationError('ALREADY_DECIDED', 'the image already has a consensus decision: reviews are closed');
    }
    const existing = await tx.expertReview.findUnique({
      where: { imageId_reviewerCode: { imageId: input.imageId, reviewerCode: input.reviewerCode } },
      select: { id: true },
    });
    if (existing) throw new VerificationError('DUPLICATE_REVIEW', 'this reviewer already reviewed the image');
    await claimVersion(tx, input.imageId, input.expectedVersion);
    const review = await tx.expertReview.create({
      data: {
        imageId: input.imageId,
        reviewerCode: input.reviewerCode,
        diagnosisClass: input.diagnosisClass,
        structures: { create: [...new Set(input.structures)].map((structure) => ({ structure })) },
        ...(input.at ? { createdAt: input.at } : {}),
      },
      select: { id: true },
    });
    await regions.save(tx, review.id);
    // the votes agreement statistics group by, read after the row lock claimVersion took (so a
    // concurrent review of the image is either seen here or waits for this one)
    const votes = await tx.expertReview.findMany({
      where: { imageId: input.imageId },
      select: { reviewerCode: true, diagnosisClass: true },
    });
    await tx.image.update({
      where: { id: input.imageId },
      data: {
        reviewCount: { increment: 1 },
        reviewVotes: votesKey(votes.map((v) => ({ reviewer: v.reviewerCode, cls: v.diagnosisClass }))),
      },
    });
    return review;
  });
  return regions.settle(written);
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

export async function recordConsensus(input: ConsensusInput): Promise<void> {
  const at = input.at ?? new Date();
  // a note of white space only is no note
  const note = input.note ? checkedText('note', input.note, { max: WORKFLOW_TEXT_LIMITS.note }) || null : null;
  await db().$transaction(async (tx) => {
    const image = await requireImage(tx, input.imageId);
    if (image.consensus) throw new VerificationError('ALREADY_DECIDED', 'the image already has a consensus decision');
    // only a report attached before this rule existed can precede the consensus; it still holds
    refuseAgainstHistology(image.histopathology?.mappedClass ?? null, input.diagnosisClass);
    const reviewCount = await tx.expertReview.count({ where: { imageId: input.imageId } });
    if (reviewCount < MIN_CONSENSUS_REVIEWS) {
      throw new VerificationError(
        'NOT_ENOUGH_REVIEWS',
        `a consensus needs at least ${MIN_CONSENSUS_REVIEWS} independent reviews; the image has ${reviewCount}`,
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
        note,
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
        ...relabelled(image.diagnosisTerm, input.diagnosisClass),
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
  /**
   * Why the report is amended: with a report already attached, the new one replaces it (an admin's
   * correction; the caller checks the role). Without a report, it is the first one's reason.
   */
  reason?: string | null;
  at?: Date;
  expectedVersion?: number;
}

/**
 * Attaches the report, after the consensus; a histology class that differs from the label corrects
 * the label (logged). A second report is refused unless it comes with a reason: an amendment, which
 * replaces the first.
 */
export async function attachHistopathology(input: HistopathologyInput): Promise<void> {
  const at = input.at ?? new Date();
  const resultText = checkedText('result', input.resultText, { min: 1, max: WORKFLOW_TEXT_LIMITS.result });
  const reason = input.reason == null ? null : checkedReason(input.reason);
  await db().$transaction(async (tx) => {
    const image = await requireImage(tx, input.imageId);
    if (!image.consensus) {
      throw new VerificationError(
        'NO_CONSENSUS',
        'histology comes after the consensus of the specialists: the image has no consensus decision yet',
      );
    }
    const amended = image.histopathology !== null;
    if (amended && reason === null) {
      throw new VerificationError(
        'ALREADY_DECIDED',
        'the image already has a histopathology report: only an admin’s amendment, with a reason, replaces it',
      );
    }
    await claimVersion(tx, input.imageId, input.expectedVersion);
    const report = { resultText, mappedClass: input.mappedClass, reportedBy: input.reportedBy, reportedAt: at };
    await tx.histopathologyReport.upsert({
      where: { imageId: input.imageId },
      create: { imageId: input.imageId, ...report },
      update: report,
    });
    if (input.mappedClass !== image.diagnosisClass) {
      await tx.labelChange.create({
        data: {
          imageId: input.imageId,
          actor: input.reportedBy,
          at,
          fromClass: image.diagnosisClass,
          toClass: input.mappedClass,
          reason: amended
            ? `histopathology report amended: ${reason}`
            : reason
              ? `histopathology result differs from the label: ${reason}`
              : 'histopathology result differs from the label',
        },
      });
    }
    await tx.image.update({
      where: { id: input.imageId },
      data: {
        ...relabelled(image.diagnosisTerm, input.mappedClass),
        histopathologyResult: resultText,
        verificationStage: deriveStage({
          hasConsensus: true,
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
      diagnosisTerm: true,
      consensus: { select: { id: true } },
      histopathology: { select: { mappedClass: true } },
    },
  });
  if (!image) throw new VerificationError('NOT_FOUND', 'no image has this id');
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

/**
 * An admin's correction of the label, with a reason; logged like every label change. A label fixed
 * by histology is corrected by amending the report instead (attachHistopathology with a reason).
 */
export async function correctLabel(input: CorrectionInput): Promise<void> {
  const at = input.at ?? new Date();
  const reason = checkedReason(input.reason);
  await db().$transaction(async (tx) => {
    const image = await requireImage(tx, input.imageId);
    refuseAgainstHistology(image.histopathology?.mappedClass ?? null, input.diagnosisClass);
    await claimVersion(tx, input.imageId, input.expectedVersion);
    if (image.diagnosisClass === input.diagnosisClass) return;
    await tx.labelChange.create({
      data: {
        imageId: input.imageId,
        actor: input.actor,
        at,
        fromClass: image.diagnosisClass,
        toClass: input.diagnosisClass,
        reason,
      },
    });
    await tx.image.update({
      where: { id: input.imageId },
      data: {
        ...relabelled(image.diagnosisTerm, input.diagnosisClass),
        verificationStage: deriveStage({
          hasConsensus: image.consensus !== null,
          histologyClass: image.histopathology?.mappedClass ?? null,
          label: input.diagnosisClass,
        }),
      },
    });
  });
}
