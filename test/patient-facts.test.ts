// The patient-facts merge rule (domain/patient-facts.ts): a record may fill a fact the stored
// patient lacks, never contradict one already known. Table-driven over every fact.
import { describe, expect, it } from 'vitest';
import {
  mergePatientFacts,
  PATIENT_FACTS,
  type PatientFacts,
  type StoredPatientFacts,
} from '../src/domain/patient-facts.ts';

const NONE: PatientFacts = {
  sex: undefined,
  fitzpatrickType: undefined,
  sunburnHistory: undefined,
  personalCaHistory: undefined,
};
const UNKNOWN: StoredPatientFacts = { sex: null, fitzpatrickType: null, sunburnHistory: null, personalCaHistory: null };
/** Every fact known: a stored patient, or a record that tells them all. */
const KNOWN = { sex: 'FEMALE', fitzpatrickType: 'II', sunburnHistory: true, personalCaHistory: false } as const;
/** A value of each fact that differs from KNOWN's. */
const OTHER: PatientFacts = { sex: 'MALE', fitzpatrickType: 'IV', sunburnHistory: false, personalCaHistory: true };

describe('mergePatientFacts', () => {
  it('covers the four facts of the patient', () => {
    expect([...PATIENT_FACTS].sort()).toEqual(Object.keys(NONE).sort());
  });

  it('changes nothing when the record tells no fact', () => {
    expect(mergePatientFacts(KNOWN, NONE)).toEqual({ ok: true, fill: {} });
    expect(mergePatientFacts(UNKNOWN, NONE)).toEqual({ ok: true, fill: {} });
  });

  it('changes nothing when the record repeats what is known', () => {
    expect(mergePatientFacts(KNOWN, { ...KNOWN })).toEqual({ ok: true, fill: {} });
  });

  it.each(PATIENT_FACTS)('fills %s when the patient lacks it', (fact) => {
    const incoming = { ...NONE, [fact]: OTHER[fact] };
    expect(mergePatientFacts(UNKNOWN, incoming)).toEqual({ ok: true, fill: { [fact]: OTHER[fact] } });
  });

  it.each(PATIENT_FACTS)('refuses a record whose %s contradicts the known one', (fact) => {
    const incoming = { ...NONE, [fact]: OTHER[fact] };
    expect(mergePatientFacts(KNOWN, incoming)).toEqual({ ok: false, conflicts: [fact] });
  });

  it('keeps false as a known answer: a history of false is contradicted by true', () => {
    const stored = { ...UNKNOWN, sunburnHistory: false };
    expect(mergePatientFacts(stored, { ...NONE, sunburnHistory: true })).toEqual({
      ok: false,
      conflicts: ['sunburnHistory'],
    });
    expect(mergePatientFacts(stored, { ...NONE, sunburnHistory: false })).toEqual({ ok: true, fill: {} });
  });

  it('names every conflict, in the order of the facts, and fills nothing when there is one', () => {
    const stored = { ...KNOWN, fitzpatrickType: null };
    expect(mergePatientFacts(stored, OTHER)).toEqual({
      ok: false,
      conflicts: ['sex', 'sunburnHistory', 'personalCaHistory'],
    });
  });

  it('fills the missing facts and keeps the known ones in one merge', () => {
    const stored = { ...UNKNOWN, sex: 'FEMALE' as const };
    expect(mergePatientFacts(stored, { ...KNOWN, personalCaHistory: undefined })).toEqual({
      ok: true,
      fill: { fitzpatrickType: 'II', sunburnHistory: true },
    });
  });
});
