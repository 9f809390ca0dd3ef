import { CLASS_CODES, CLASSES } from '../../domain/classes.ts';
import { definePolicy } from '../types.ts';

/** The identity: the 9 normalised classes under their snake_case labels. */
export const nineClass = definePolicy({
  id: 'nine-class',
  version: '1.0.0',
  description: 'the 9 normalised classes as they are (nevus, seborrheic_keratosis, …)',
  labels: CLASS_CODES.map((c) => CLASSES[c].label),
  map: ({ diagnosisClass }) => ({ kind: 'mapped', label: CLASSES[diagnosisClass].label }),
});
