import { CLASSES } from '../../domain/classes.ts';
import type { ClinicalStatus } from '../../domain/enums.ts';
import { definePolicy, type PolicyDecision, type PolicyInput } from '../types.ts';

const unknownStatus = (term: string): PolicyDecision => ({
  kind: 'unmapped',
  reason: `the diagnosis "${term}" states neither benign nor malignant`,
});

/**
 * A binary decision: the class's status where the record has one of the 9, else the term's status
 * (a record outside the 9 whose source says only "benign" or "malignant" still gets its label).
 */
const binary =
  (malignant: readonly ClinicalStatus[]) =>
  ({ diagnosisClass, diagnosisTerm, clinicalStatus }: PolicyInput): PolicyDecision => {
    const status = diagnosisClass ? CLASSES[diagnosisClass].status : clinicalStatus;
    if (status === 'UNKNOWN') return unknownStatus(diagnosisTerm);
    return { kind: 'mapped', label: malignant.includes(status) ? 'malignant' : 'benign' };
  };

/** Benign vs malignant for screening: dysplastic nevi count as benign, as ISIC places them. */
export const screeningBinary = definePolicy({
  id: 'screening-binary',
  version: '1.1.0',
  description:
    'benign / malignant; dysplastic nevus and indeterminate or premalignant terms (actinic keratosis) → benign, the ' +
    'screening default; a term of unknown status is unmapped',
  labels: ['benign', 'malignant'],
  map: binary(['MALIGNANT']),
});

/** Benign vs malignant where a borderline lesion must not be missed: dysplastic → malignant. */
export const strictBinary = definePolicy({
  id: 'strict-binary',
  version: '1.1.0',
  description:
    'benign / malignant; dysplastic nevus and indeterminate or premalignant terms → malignant; a term of unknown status ' +
    'is unmapped',
  labels: ['benign', 'malignant'],
  map: binary(['MALIGNANT', 'BORDERLINE', 'PREMALIGNANT']),
});

/** The clinical status itself: benign / borderline / malignant. */
export const threeTier = definePolicy({
  id: 'three-tier',
  version: '1.1.0',
  description:
    'benign / borderline / malignant (the clinical status of each class or term); premalignant and unknown terms ' +
    'are unmapped',
  labels: ['benign', 'borderline', 'malignant'],
  map: ({ diagnosisClass, diagnosisTerm, clinicalStatus }) => {
    const status = diagnosisClass ? CLASSES[diagnosisClass].status : clinicalStatus;
    if (status === 'UNKNOWN') return unknownStatus(diagnosisTerm);
    if (status === 'PREMALIGNANT') {
      return { kind: 'unmapped', reason: `three-tier has no place for the premalignant "${diagnosisTerm}"` };
    }
    return { kind: 'mapped', label: status.toLowerCase() };
  },
});
