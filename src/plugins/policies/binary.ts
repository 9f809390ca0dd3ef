import { CLASSES } from '../../domain/classes.ts';
import { definePolicy } from '../types.ts';

/** Benign vs malignant for screening: dysplastic nevi count as benign, as ISIC places them. */
export const screeningBinary = definePolicy({
  id: 'screening-binary',
  version: '1.0.0',
  description: 'benign / malignant; dysplastic nevus (borderline) → benign, the screening default',
  labels: ['benign', 'malignant'],
  map: ({ diagnosisClass }) => ({
    kind: 'mapped',
    label: CLASSES[diagnosisClass].status === 'MALIGNANT' ? 'malignant' : 'benign',
  }),
});

/** Benign vs malignant where a borderline lesion must not be missed: dysplastic → malignant. */
export const strictBinary = definePolicy({
  id: 'strict-binary',
  version: '1.0.0',
  description: 'benign / malignant; dysplastic nevus (borderline) → malignant',
  labels: ['benign', 'malignant'],
  map: ({ diagnosisClass }) => ({
    kind: 'mapped',
    label: CLASSES[diagnosisClass].status === 'BENIGN' ? 'benign' : 'malignant',
  }),
});

/** The clinical status itself: benign / borderline / malignant. */
export const threeTier = definePolicy({
  id: 'three-tier',
  version: '1.0.0',
  description: 'benign / borderline / malignant (the clinical status of each class)',
  labels: ['benign', 'borderline', 'malignant'],
  map: ({ diagnosisClass }) => ({ kind: 'mapped', label: CLASSES[diagnosisClass].status.toLowerCase() }),
});
