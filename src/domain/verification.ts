import { isMalignant } from './classes.ts';
import type { DiagnosisClass, VerificationStage } from './enums.ts';

/** Independent specialist reviews a consensus must rest on (the paper's three specialists). */
export const MIN_CONSENSUS_REVIEWS = 3;

export interface TrailFacts {
  hasConsensus: boolean;
  /** The histopathology report's mapped class, when one is attached. */
  histologyClass: DiagnosisClass | null;
  label: DiagnosisClass;
}

/**
 * The verification stage is derived from the trail, never set by hand:
 * histology once a histopathology report confirms the label; consensus once a consensus decision
 * exists; initial otherwise.
 */
export function deriveStage(t: TrailFacts): VerificationStage {
  if (t.histologyClass !== null && t.histologyClass === t.label) return 'HISTOLOGY';
  if (t.hasConsensus) return 'CONSENSUS';
  return 'INITIAL';
}

/** A malignant label counts as verified malignant only with histology. */
export const isVerifiedMalignant = (label: DiagnosisClass, stage: VerificationStage): boolean =>
  isMalignant(label) && stage === 'HISTOLOGY';
