import { CLASS_CODES, CLASSES } from '../../domain/classes.ts';
import { definePolicy } from '../types.ts';

/** The identity: the 9 normalised classes under their snake_case labels; terms outside the 9 are unmapped. */
export const nineClass = definePolicy({
  id: 'nine-class',
  version: '1.1.0',
  description:
    'the 9 normalised classes as they are (nevus, seborrheic_keratosis, …); terms outside the 9 are unmapped',
  labels: CLASS_CODES.map((c) => CLASSES[c].label),
  map: ({ diagnosisClass, diagnosisTerm }) =>
    diagnosisClass
      ? { kind: 'mapped', label: CLASSES[diagnosisClass].label }
      : { kind: 'unmapped', reason: `"${diagnosisTerm}" is outside the 9 classes` },
});
