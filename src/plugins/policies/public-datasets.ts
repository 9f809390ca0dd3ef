import type { DiagnosisClass } from '../../domain/enums.ts';
import { isUnder } from '../../domain/terms.ts';
import { definePolicy, type PolicyDecision, type PolicyInput } from '../types.ts';

/** A term outside the 9 at or below one of these nodes of the ISIC hierarchy gets the label. */
type TermRule = readonly [node: string, decision: PolicyDecision];

/** The class table for records of the 9, the term rules (first match) for the others, then `otherwise`. */
const table =
  (
    t: Record<DiagnosisClass, PolicyDecision>,
    terms: readonly TermRule[],
    otherwise: (term: string) => PolicyDecision,
  ) =>
  ({ diagnosisClass, diagnosisTerm }: PolicyInput): PolicyDecision => {
    if (diagnosisClass) return t[diagnosisClass];
    return terms.find(([node]) => isUnder(diagnosisTerm, node))?.[1] ?? otherwise(diagnosisTerm);
  };

const AK = 'Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis';
const BOWEN = 'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma in situ';
const BENIGN_EPIDERMAL = 'Benign:Benign epidermal proliferations';
const VASCULAR = 'Benign:Benign soft tissue proliferations - Vascular';
const HEMORRHAGE = 'Benign:Hemorrhagic lesions';

/**
 * The ISIC 2019 challenge's eight classes plus UNK ("none of the others"). ISIC files dysplastic
 * nevi under nevus, seborrheic keratosis under BKL and haemangioma under VASC; papilloma, which
 * none of the eight covers, is UNK. Outside the 9: actinic keratoses are AK, the benign epidermal
 * proliferations (solar lentigo, lichenoid keratosis, pigmented benign keratosis) BKL, the benign
 * vascular ones VASC, every other term UNK.
 */
export const isic2019 = definePolicy({
  id: 'isic2019',
  version: '1.1.0',
  description: 'ISIC 2019 labels: NV, MEL, BCC, AK, BKL, DF, VASC, SCC, UNK',
  labels: ['NV', 'MEL', 'BCC', 'AK', 'BKL', 'DF', 'VASC', 'SCC', 'UNK'],
  map: table(
    {
      NEVUS: { kind: 'mapped', label: 'NV' },
      DYSPLASTIC_NEVUS: { kind: 'mapped', label: 'NV' },
      MELANOMA: { kind: 'mapped', label: 'MEL' },
      SEBORRHEIC_KERATOSIS: { kind: 'mapped', label: 'BKL' },
      HEMANGIOMA: { kind: 'mapped', label: 'VASC' },
      DERMATOFIBROMA: { kind: 'mapped', label: 'DF' },
      BASAL_CELL_CARCINOMA: { kind: 'mapped', label: 'BCC' },
      SQUAMOUS_CELL_CARCINOMA: { kind: 'mapped', label: 'SCC' },
      PAPILLOMA: { kind: 'mapped', label: 'UNK' },
    },
    [
      [AK, { kind: 'mapped', label: 'AK' }],
      [BENIGN_EPIDERMAL, { kind: 'mapped', label: 'BKL' }],
      [VASCULAR, { kind: 'mapped', label: 'VASC' }],
    ],
    () => ({ kind: 'mapped', label: 'UNK' }),
  ),
});

/**
 * HAM10000's seven classes. Outside the 9: actinic keratoses and Bowen's disease are akiec, the
 * benign epidermal proliferations bkl, the benign vascular lesions and haemorrhage vasc (as HAM files
 * them); other terms are unmapped. HAM has no class for invasive squamous cell carcinoma (akiec holds
 * actinic keratoses and Bowen's disease only) nor for papilloma: those are unmapped, not forced.
 */
export const ham10000 = definePolicy({
  id: 'ham10000',
  version: '1.1.0',
  description: 'HAM10000 labels: nv, mel, bkl, bcc, akiec, vasc, df',
  labels: ['nv', 'mel', 'bkl', 'bcc', 'akiec', 'vasc', 'df'],
  // Bowen's disease (squamous cell carcinoma in situ) is akiec even though its class is ours
  map: (input) => (isUnder(input.diagnosisTerm, BOWEN) ? { kind: 'mapped', label: 'akiec' } : hamTable(input)),
});

const hamTable = table(
  {
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
  },
  [
    [AK, { kind: 'mapped', label: 'akiec' }],
    [BENIGN_EPIDERMAL, { kind: 'mapped', label: 'bkl' }],
    [VASCULAR, { kind: 'mapped', label: 'vasc' }],
    [HEMORRHAGE, { kind: 'mapped', label: 'vasc' }],
  ],
  (term) => ({ kind: 'unmapped', reason: `HAM10000 has no class for "${term}"` }),
);
