// The patient-facts merge rule. Sex, Fitzpatrick type, sunburn and skin-cancer history belong to
// the patient, not to one image: every record of a patient repeats them. A new record may tell a
// fact the stored patient lacks (it is filled in), but never contradict one already known (the
// record is refused: one of the two is wrong, and we cannot tell which).
import type { FitzpatrickType, Sex } from './enums.ts';

export interface PatientFacts {
  sex: Sex | undefined;
  fitzpatrickType: FitzpatrickType | undefined;
  sunburnHistory: boolean | undefined;
  personalCaHistory: boolean | undefined;
}

export type PatientFact = keyof PatientFacts;

/** The facts as stored: null where unknown. */
export type StoredPatientFacts = { readonly [K in PatientFact]: PatientFacts[K] | null };

export const PATIENT_FACTS: readonly PatientFact[] = ['sex', 'fitzpatrickType', 'sunburnHistory', 'personalCaHistory'];

export type PatientFactsMerge =
  /** The record contradicts a known fact: refuse it, naming the facts (never their values). */
  | { ok: false; conflicts: PatientFact[] }
  /** The facts to store on the patient: the known ones the record tells and the patient lacked. */
  | { ok: true; fill: Partial<PatientFacts> };

/**
 * Merges a record's facts into the stored patient's. A fact the record leaves out changes nothing;
 * one the patient lacks is filled; one that differs from the stored value is a conflict.
 */
export function mergePatientFacts(stored: StoredPatientFacts, incoming: PatientFacts): PatientFactsMerge {
  const told = PATIENT_FACTS.filter((k) => incoming[k] !== undefined);
  const conflicts = told.filter((k) => stored[k] !== null && stored[k] !== incoming[k]);
  if (conflicts.length > 0) return { ok: false, conflicts };
  return {
    ok: true,
    fill: Object.fromEntries(
      told.filter((k) => stored[k] === null).map((k) => [k, incoming[k]]),
    ) as Partial<PatientFacts>,
  };
}
