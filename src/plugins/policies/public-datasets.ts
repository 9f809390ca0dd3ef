import type { DiagnosisClass } from '../../domain/enums.ts';
import { definePolicy, type PolicyDecision } from '../types.ts';

const table =
  (t: Record<DiagnosisClass, PolicyDecision>) =>
  ({ diagnosisClass }: { diagnosisClass: DiagnosisClass }): PolicyDecision =>
    t[diagnosisClass];

/**
 * The ISIC 2019 challenge's eight classes plus UNK ("none of the others"). ISIC files dysplastic
 * nevi under nevus, seborrheic keratosis under BKL and haemangioma under VASC; papilloma, which
 * none of the eight covers, is UNK.
 */
export const isic2019 = definePolicy({
  id: 'isic2019',
  version: '1.0.0',
  description: 'ISIC 2019 labels: NV, MEL, BCC, AK, BKL, DF, VASC, SCC, UNK',
  labels: ['NV', 'MEL', 'BCC', 'AK', 'BKL', 'DF', 'VASC', 'SCC', 'UNK'],
  map: table({
    NEVUS: { kind: 'mapped', label: 'NV' },
    DYSPLASTIC_NEVUS: { kind: 'mapped', label: 'NV' },
    MELANOMA: { kind: 'mapped', label: 'MEL' },
    SEBORRHEIC_KERATOSIS: { kind: 'mapped', label: 'BKL' },
    HEMANGIOMA: { kind: 'mapped', label: 'VASC' },
    DERMATOFIBROMA: { kind: 'mapped', label: 'DF' },
    BASAL_CELL_CARCINOMA: { kind: 'mapped', label: 'BCC' },
    SQUAMOUS_CELL_CARCINOMA: { kind: 'mapped', label: 'SCC' },
    PAPILLOMA: { kind: 'mapped', label: 'UNK' },
  }),
});

/**
 * HAM10000's seven classes. HAM has no class for invasive squamous cell carcinoma (akiec holds
 * actinic keratoses and Bowen's disease only) nor for papilloma: those are unmapped, not forced.
 */
export const ham10000 = definePolicy({
  id: 'ham10000',
  version: '1.0.0',
  description: 'HAM10000 labels: nv, mel, bkl, bcc, akiec, vasc, df',
  labels: ['nv', 'mel', 'bkl', 'bcc', 'akiec', 'vasc', 'df'],
  map: table({
    NEVUS: { kind: 'mapped', label: 'nv' },
    DYSPLASTIC_NEVUS: { kind: 'mapped', label: 'nv' },
    MELANOMA: { kind: 'mapped', label: 'mel' },
    SEBORRHEIC_KERATOSIS: { kind: 'mapped', label: 'bkl' },
    HEMANGIOMA: { kind: 'mapped', label: 'vasc' },
    DERMATOFIBROMA: { kind: 'mapped', label: 'df' },
    BASAL_CELL_CARCINOMA: { kind: 'mapped', label: 'bcc' },
    SQUAMOUS_CELL_CARCINOMA: {
      kind: 'unmapped',
      reason: "HAM10000's akiec covers actinic keratosis and Bowen's disease, not invasive squamous cell carcinoma",
    },
    PAPILLOMA: { kind: 'unmapped', reason: 'HAM10000 has no class for papilloma' },
  }),
});
