// Class facts in tests of cohorts that hold only records of the 9 classes (the demo cohort).
import { CLASSES, type ClassInfo } from '../../src/domain/classes.ts';
import type { DiagnosisClass, VerificationStage } from '../../src/domain/enums.ts';
import { CLASS_TERM } from '../../src/domain/terms.ts';
import type { PolicyInput } from '../../src/plugins/types.ts';

/** The class's facts; a record outside the 9 fails the test that assumed a class. */
export function classInfo(c: DiagnosisClass | null): ClassInfo {
  if (!c) throw new Error('a record outside the 9 classes where the test expects a class');
  return CLASSES[c];
}

/** What a policy sees of a record of a class at a stage, with the class's own term. */
export const policyInput = (diagnosisClass: DiagnosisClass, verificationStage: VerificationStage): PolicyInput => ({
  diagnosisClass,
  diagnosisTerm: CLASS_TERM[diagnosisClass],
  clinicalStatus: CLASSES[diagnosisClass].status,
  verificationStage,
});
