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

/**
 * The order of the trail (the paper: initial annotation → consensus of three specialists →
 * histology for malignant lesions), as the workflow enforces it:
 *
 * - Histology comes after the consensus: a report for an image without a consensus decision is
 *   refused (`NO_CONSENSUS`), so histology is never the first word on a label.
 * - Histology is the reference standard, and final: once a report is attached, the label is the
 *   report's class. A consensus or an admin's label correction to any other class is refused
 *   (`HISTOLOGY_FINAL`), so the stage never drops from histology back to consensus. One that agrees
 *   with the report is allowed and changes nothing of the stage.
 * - Only a new report changes a histology-verified label: an admin's amendment of the report, with
 *   a reason (attachHistopathology with `reason`), logged as every label change. A second report
 *   without one is `ALREADY_DECIDED`.
 */
export const contradictsHistology = (histologyClass: DiagnosisClass | null, proposed: DiagnosisClass): boolean =>
  histologyClass !== null && histologyClass !== proposed;

/**
 * Free text of the workflow, in characters (Unicode code points). A histopathology result has the
 * import's limit for the same field (histopathology_result), so a report attached through the API
 * and one imported with a record hold the same text.
 */
export const WORKFLOW_TEXT_LIMITS = {
  /** recordConsensus `note`: the disagreement the specialists settled */
  note: 2_000,
  /** correctLabel `reason`, attachHistopathology `reason` (an admin's amendment) */
  reason: 2_000,
  /** attachHistopathology `result`: the report's text */
  result: 10_000,
} as const;

/** A reason must say something: at least this many characters besides white space at its ends. */
export const MIN_REASON_LENGTH = 3;

/** More than `max` characters (code points)? A 5 MB text is not walked to the end to say so. */
function longerThan(s: string, max: number): boolean {
  if (s.length <= max) return false; // never more code points than UTF-16 units
  let n = 0;
  for (const _ of s) if (++n > max) return true;
  return false;
}

/** Fewer than `min` characters (code points)? */
function shorterThan(s: string, min: number): boolean {
  let n = 0;
  for (const _ of s) if (++n >= min) return false;
  return n < min;
}

/**
 * Why a workflow text is refused, or null when it is fine. The text is judged without the white
 * space at its ends (which is not stored). The message names the argument and the limit, never the
 * value (which may be long, or private).
 */
export function textProblem(argument: string, value: string, rule: { max: number; min?: number }): string | null {
  const text = value.trim();
  const min = rule.min ?? 0;
  if (min > 0 && text.length === 0) return `${argument} must not be empty`;
  if (shorterThan(text, min)) return `${argument} needs at least ${min} characters`;
  if (longerThan(text, rule.max)) return `${argument} is too long: at most ${rule.max} characters`;
  return null;
}
