// Small closed vocabularies of the information model and how input spellings map onto them.
import type {
  BorderRegularity,
  ClinicalStatus,
  Color,
  Elevation,
  FitzpatrickType,
  Sex,
  VerificationStage,
} from './enums.ts';

const key = (raw: string) =>
  raw
    .trim()
    .toLowerCase()
    .replace(/[\s/-]+/g, '_');

/** A look-up of the table's own entries only: `constructor` or `__proto__` is no word of a vocabulary. */
function parser<T>(table: Record<string, T>) {
  return (raw: string): T | undefined => {
    const k = key(raw);
    return Object.hasOwn(table, k) ? table[k] : undefined;
  };
}

export const parseSex = parser<Sex>({ female: 'FEMALE', f: 'FEMALE', male: 'MALE', m: 'MALE' });

export const FITZPATRICK_TYPES: readonly FitzpatrickType[] = ['I', 'II', 'III', 'IV', 'V', 'VI'];
export const parseFitzpatrick = parser<FitzpatrickType>({
  i: 'I',
  ii: 'II',
  iii: 'III',
  iv: 'IV',
  v: 'V',
  vi: 'VI',
  '1': 'I',
  '2': 'II',
  '3': 'III',
  '4': 'IV',
  '5': 'V',
  '6': 'VI',
});

/** PH2's six colours. */
export const COLORS: readonly Color[] = ['WHITE', 'RED', 'LIGHT_BROWN', 'DARK_BROWN', 'BLUE_GRAY', 'BLACK'];
export const parseColor = parser<Color>({
  white: 'WHITE',
  red: 'RED',
  light_brown: 'LIGHT_BROWN',
  dark_brown: 'DARK_BROWN',
  blue_gray: 'BLUE_GRAY',
  blue_grey: 'BLUE_GRAY',
  black: 'BLACK',
});

export const parseElevation = parser<Elevation>({ flat: 'FLAT', palpable: 'PALPABLE', nodular: 'NODULAR' });

export const parseBorder = parser<BorderRegularity>({ regular: 'REGULAR', irregular: 'IRREGULAR' });

export const parseYesNo = parser<boolean>({
  yes: true,
  y: true,
  true: true,
  '1': true,
  no: false,
  n: false,
  false: false,
  '0': false,
});

/** Verification stages in order: a label only ever climbs this ladder. */
export const STAGES: readonly VerificationStage[] = ['INITIAL', 'CONSENSUS', 'HISTOLOGY'];

/** The clinical statuses, from benign to malignant, then unknown. */
export const CLINICAL_STATUSES: readonly ClinicalStatus[] = [
  'BENIGN',
  'BORDERLINE',
  'PREMALIGNANT',
  'MALIGNANT',
  'UNKNOWN',
];
export const stageRank = (s: VerificationStage): number => STAGES.indexOf(s);
export const parseStage = parser<VerificationStage>({
  initial: 'INITIAL',
  consensus: 'CONSENSUS',
  histology: 'HISTOLOGY',
});

/** Ages outside this range are kept raw but left out of age statistics. */
export const AGE_RANGE = { min: 0, max: 120 } as const;

/** An age is valid when it is a whole number of years within AGE_RANGE ("80.0", as some tables write it, is 80). */
export function parseAge(raw: string): number | undefined {
  const t = raw.trim().replace(/\.0+$/, '');
  if (!/^\d{1,3}$/.test(t)) return undefined;
  const n = Number(t);
  return n >= AGE_RANGE.min && n <= AGE_RANGE.max ? n : undefined;
}
