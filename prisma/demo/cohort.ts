// The demo cohort's plan: a pure function of a seed that lays out patients, lesions, acquisition
// attempts and the verification trail so that, once fed through the acquisition pipeline and the
// verification workflow, the database reproduces the paper's dataset (Tables 4 and 5, section 3).
// Nothing here writes to the database; the numbers the tests check are read back from it.
import { CLASS_CODES, CLASSES } from '../../src/domain/classes.ts';
import type {
  AnatomicalSite,
  BorderRegularity,
  Color,
  DermoscopicStructure,
  DiagnosisClass,
  Elevation,
  FitzpatrickType,
  Sex,
} from '../../src/domain/enums.ts';
import { Random } from '../../src/domain/random.ts';
import type { RawRecord } from '../../src/domain/raw-record.ts';
import { showsMalignancySigns } from '../../src/domain/structures.ts';
import type { LesionDrawing } from './synthesize.ts';

export const DEMO_SEED = 20250601;
export const DEMO_WIDTH = 600;
export const DEMO_HEIGHT = 450;

/** Images per class after consensus (the paper's Table 4). */
const CLASS_COUNTS: Record<DiagnosisClass, number> = {
  NEVUS: 733,
  SEBORRHEIC_KERATOSIS: 118,
  HEMANGIOMA: 87,
  DERMATOFIBROMA: 31,
  MELANOMA: 18,
  DYSPLASTIC_NEVUS: 16,
  BASAL_CELL_CARCINOMA: 15,
  SQUAMOUS_CELL_CARCINOMA: 6,
  PAPILLOMA: 2,
};
/** How many patients contribute k images (k = 1…10): 443 patients, 1026 images, 190 with one. */
export const IMAGES_PER_PATIENT: ReadonlyArray<readonly [number, number]> = [
  [1, 190],
  [2, 101],
  [3, 67],
  [4, 41],
  [5, 21],
  [6, 10],
  [7, 6],
  [8, 3],
  [9, 2],
  [10, 2],
];
const FEMALE = 279;
const MALE = 164;
/** Raw ages that are not valid ages: kept as given, left out of age statistics. */
const INVALID_AGES = ['-1', '134', '4O', '2o1'];
const AGE = { min: 2, max: 90, median: 38, mean: 41.1 };
const SOP_REJECTIONS = 32;
const BYTE_DUPLICATES = 10;
const REENCODED_DUPLICATES = 8;
const NEAR_DUPLICATE_PAIRS = 6;
const PERIOD = { start: Date.UTC(2025, 5, 2), end: Date.UTC(2026, 4, 29) };
const EXAMINERS = ['DERM-01', 'DERM-02', 'DERM-03', 'DERM-04'];
const SPECIALISTS = ['SPEC-A', 'SPEC-B', 'SPEC-C', 'SPEC-D', 'SPEC-E'];
const PATHOLOGIST = 'PATH-01';

export interface PlannedPatient {
  sourceId: string;
  sex: Sex;
  fitzpatrick: FitzpatrickType | undefined;
  sunburn: boolean | undefined;
  personalCa: boolean | undefined;
  ageRaw: string;
  visit: number;
}

export interface PlannedReview {
  specialist: string;
  diagnosisClass: DiagnosisClass;
  structures: DermoscopicStructure[];
}

export interface PlannedTrail {
  finalClass: DiagnosisClass;
  finalStructures: DermoscopicStructure[];
  reviews: PlannedReview[];
  consensusNote: string | null;
  histology: string | null;
  decidedAt: Date;
  reportedAt: Date;
}

export type AttemptKind = 'original' | 'near-twin' | 'byte-duplicate' | 'reencoded-duplicate' | 'sop-rejected';

export interface PlannedAttempt {
  kind: AttemptKind;
  fileName: string;
  record: RawRecord;
  drawing: LesionDrawing;
  /** For duplicates: the index of the attempt whose picture is uploaded again. */
  duplicateOf?: number;
  trail?: PlannedTrail;
}

export interface CohortPlan {
  patients: PlannedPatient[];
  attempts: PlannedAttempt[];
  examiners: readonly string[];
  specialists: readonly string[];
  pathologist: string;
}

const CONFUSABLE: Record<DiagnosisClass, DiagnosisClass[]> = {
  NEVUS: ['DYSPLASTIC_NEVUS', 'SEBORRHEIC_KERATOSIS', 'DERMATOFIBROMA'],
  DYSPLASTIC_NEVUS: ['NEVUS', 'MELANOMA'],
  MELANOMA: ['DYSPLASTIC_NEVUS', 'NEVUS', 'SEBORRHEIC_KERATOSIS'],
  SEBORRHEIC_KERATOSIS: ['NEVUS', 'PAPILLOMA', 'BASAL_CELL_CARCINOMA'],
  HEMANGIOMA: ['NEVUS', 'MELANOMA'],
  DERMATOFIBROMA: ['NEVUS', 'DYSPLASTIC_NEVUS'],
  BASAL_CELL_CARCINOMA: ['SEBORRHEIC_KERATOSIS', 'SQUAMOUS_CELL_CARCINOMA'],
  SQUAMOUS_CELL_CARCINOMA: ['BASAL_CELL_CARCINOMA', 'SEBORRHEIC_KERATOSIS'],
  PAPILLOMA: ['SEBORRHEIC_KERATOSIS', 'NEVUS'],
};

interface Morphology {
  structures: DermoscopicStructure[];
  colors: Color[];
  elevation: [Elevation, number][];
  irregularBorder: number;
  diameter: [number, number];
}

const MORPHOLOGY: Record<DiagnosisClass, Morphology> = {
  NEVUS: {
    structures: ['PIGMENT_NETWORK_TYPICAL', 'DOTS_GLOBULES_REGULAR', 'VESSELS_COMMA'],
    colors: ['LIGHT_BROWN', 'DARK_BROWN'],
    elevation: [
      ['FLAT', 5],
      ['PALPABLE', 4],
      ['NODULAR', 1],
    ],
    irregularBorder: 0.05,
    diameter: [2, 8],
  },
  DYSPLASTIC_NEVUS: {
    structures: ['PIGMENT_NETWORK_ATYPICAL', 'DOTS_GLOBULES_IRREGULAR', 'BLOTCH_IRREGULAR'],
    colors: ['LIGHT_BROWN', 'DARK_BROWN', 'BLACK'],
    elevation: [
      ['FLAT', 6],
      ['PALPABLE', 4],
    ],
    irregularBorder: 0.7,
    diameter: [5, 12],
  },
  MELANOMA: {
    structures: [
      'PIGMENT_NETWORK_ATYPICAL',
      'STREAKS_IRREGULAR',
      'BLUE_WHITISH_VEIL',
      'REGRESSION_STRUCTURES',
      'DOTS_GLOBULES_IRREGULAR',
      'VESSELS_LINEAR_IRREGULAR',
    ],
    colors: ['DARK_BROWN', 'BLACK', 'BLUE_GRAY', 'WHITE', 'RED'],
    elevation: [
      ['FLAT', 4],
      ['PALPABLE', 4],
      ['NODULAR', 2],
    ],
    irregularBorder: 0.9,
    diameter: [5, 22],
  },
  SEBORRHEIC_KERATOSIS: {
    structures: ['MILIA_LIKE_CYSTS', 'COMEDO_LIKE_OPENINGS', 'FISSURES_RIDGES', 'VESSELS_HAIRPIN'],
    colors: ['LIGHT_BROWN', 'DARK_BROWN', 'WHITE'],
    elevation: [
      ['PALPABLE', 7],
      ['FLAT', 2],
      ['NODULAR', 1],
    ],
    irregularBorder: 0.15,
    diameter: [5, 20],
  },
  HEMANGIOMA: {
    structures: ['LACUNAE'],
    colors: ['RED', 'BLUE_GRAY'],
    elevation: [
      ['PALPABLE', 6],
      ['NODULAR', 3],
      ['FLAT', 1],
    ],
    irregularBorder: 0.05,
    diameter: [2, 8],
  },
  DERMATOFIBROMA: {
    structures: ['CENTRAL_WHITE_PATCH', 'PIGMENT_NETWORK_TYPICAL'],
    colors: ['LIGHT_BROWN', 'WHITE'],
    elevation: [
      ['PALPABLE', 8],
      ['FLAT', 2],
    ],
    irregularBorder: 0.05,
    diameter: [4, 10],
  },
  BASAL_CELL_CARCINOMA: {
    structures: ['VESSELS_ARBORIZING', 'LEAF_LIKE_AREAS', 'BLUE_GRAY_OVOID_NESTS', 'SPOKE_WHEEL_AREAS', 'ULCERATION'],
    colors: ['BLUE_GRAY', 'RED', 'WHITE'],
    elevation: [
      ['NODULAR', 5],
      ['PALPABLE', 4],
      ['FLAT', 1],
    ],
    irregularBorder: 0.5,
    diameter: [4, 15],
  },
  SQUAMOUS_CELL_CARCINOMA: {
    structures: ['VESSELS_GLOMERULAR', 'VESSELS_HAIRPIN', 'ULCERATION'],
    colors: ['WHITE', 'RED'],
    elevation: [
      ['NODULAR', 7],
      ['PALPABLE', 3],
    ],
    irregularBorder: 0.6,
    diameter: [6, 20],
  },
  PAPILLOMA: {
    structures: ['VESSELS_HAIRPIN', 'FISSURES_RIDGES'],
    colors: ['LIGHT_BROWN'],
    elevation: [
      ['NODULAR', 8],
      ['PALPABLE', 2],
    ],
    irregularBorder: 0.1,
    diameter: [3, 8],
  },
};

const SITES: [AnatomicalSite, number][] = [
  ['POSTERIOR_TORSO', 26],
  ['ANTERIOR_TORSO', 20],
  ['LOWER_EXTREMITY', 14],
  ['UPPER_EXTREMITY', 13],
  ['FACE', 8],
  ['NECK', 6],
  ['LATERAL_TORSO', 4],
  ['SCALP', 3],
  ['EAR', 1],
  ['PALMS_SOLES', 3],
  ['ORAL_GENITAL', 2],
];

const HISTOLOGY_TEXT: Partial<Record<DiagnosisClass, string[]>> = {
  MELANOMA: [
    'Superficial spreading melanoma, Breslow 0.6 mm, Clark level II',
    'Melanoma in situ, lentigo maligna type',
    'Nodular melanoma, Breslow 2.1 mm, ulceration present',
  ],
  BASAL_CELL_CARCINOMA: ['Nodular basal cell carcinoma, margins clear', 'Superficial basal cell carcinoma'],
  SQUAMOUS_CELL_CARCINOMA: [
    'Well-differentiated invasive squamous cell carcinoma',
    'Squamous cell carcinoma in situ (Bowen disease)',
  ],
};

const DAY = 86_400_000;
const isoDate = (t: number) => new Date(t).toISOString().slice(0, 10);

/** A gamma(k, θ) draw (Marsaglia and Tsang), for a smooth right-skewed age shape. */
function gamma(rnd: Random, k: number, theta: number): number {
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rnd.normal(0, 1);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rnd.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * theta;
  }
}

/**
 * 439 valid ages with exactly the published min, max, median and mean (to one decimal), drawn from a
 * smooth shape that already has about that median and mean (2 + gamma(4.2, 9.3): median ≈ 38, mean
 * ≈ 41.1), so pinning the four statistics moves few ages by little and the histogram stays natural.
 */
function planAges(rnd: Random, n: number): number[] {
  // the n quantiles of a large sample: the shape without the noise of n draws
  const big = Float64Array.from({ length: 50 * n }, () => 2 + gamma(rnd, 4.2, 9.3)).sort();
  // the tail past 70 is compressed smoothly below 89 (90 is the published maximum, one patient)
  const soft = (v: number) => (v <= 70 ? v : 70 + 19 * (1 - Math.exp(-(v - 70) / 19)));
  const ages = Array.from({ length: n }, (_, i) =>
    Math.round(Math.max(3, soft(big[Math.floor(((i + 0.5) / n) * big.length)] ?? AGE.median))),
  );
  const mid = (n - 1) / 2;
  // shift the whole sample so that its middle value is the median, then pin the extremes
  const shift = AGE.median - (ages[mid] ?? AGE.median);
  for (let i = 0; i < n; i++) ages[i] = Math.min(89, Math.max(3, (ages[i] ?? 0) + shift));
  ages[0] = AGE.min;
  ages[n - 1] = AGE.max;
  ages[mid] = AGE.median;
  for (let i = 1; i < mid; i++) ages[i] = Math.min(ages[i] ?? 0, AGE.median);
  for (let i = mid + 1; i < n - 1; i++) ages[i] = Math.max(ages[i] ?? 0, AGE.median);
  const target = Math.round(AGE.mean * n);
  let sum = ages.reduce((s, a) => s + a, 0);
  // nudge ages on the matching side of the median until the mean is exact; order statistics hold
  while (sum !== target) {
    const up = sum < target;
    const i = up ? rnd.int(mid + 1, n - 2) : rnd.int(1, n - 2);
    const a = ages[i] ?? 0;
    if (up && a < AGE.max - 1) ages[i] = a + 1;
    else if (!up && i > mid && a > AGE.median) ages[i] = a - 1;
    else if (!up && i < mid && a > AGE.min + 1) ages[i] = a - 1;
    else continue;
    sum += up ? 1 : -1;
  }
  return rnd.shuffle(ages);
}

function someOf<T>(rnd: Random, items: readonly T[], min: number, max: number): T[] {
  return rnd.sample(items, Math.min(items.length, rnd.int(min, max)));
}

export function planCohort(seed = DEMO_SEED): CohortPlan {
  const rnd = new Random(seed);

  // ---- patients
  const nPatients = IMAGES_PER_PATIENT.reduce((s, [, p]) => s + p, 0);
  const sexes = rnd.shuffle([...Array<Sex>(FEMALE).fill('FEMALE'), ...Array<Sex>(MALE).fill('MALE')]);
  const ages = [...planAges(rnd, nPatients - INVALID_AGES.length).map(String), ...INVALID_AGES];
  rnd.shuffle(ages);
  const visits = Array.from({ length: nPatients }, () => rnd.int(PERIOD.start, PERIOD.end));
  visits[0] = PERIOD.start;
  visits[1] = PERIOD.end;
  const patients: PlannedPatient[] = sexes.map((sex, i) => ({
    sourceId: `MRN-${String(100_000 + rnd.int(0, 899_999))}-${i}`,
    sex,
    fitzpatrick: rnd.chance(0.04)
      ? undefined
      : rnd.weighted<FitzpatrickType>([
          ['I', 10],
          ['II', 45],
          ['III', 35],
          ['IV', 10],
        ]),
    sunburn: rnd.chance(0.08) ? undefined : rnd.chance(0.35),
    personalCa: rnd.chance(0.05) ? undefined : rnd.chance(0.06),
    ageRaw: ages[i] ?? '',
    visit: Math.floor((visits[i] ?? PERIOD.start) / DAY) * DAY,
  }));

  // ---- images per patient and lesions
  const perPatient = rnd.shuffle(IMAGES_PER_PATIENT.flatMap(([k, p]) => Array<number>(p).fill(k)));
  const pairPatients = new Set(
    rnd.sample(
      perPatient.map((k, i) => (k >= 2 ? i : -1)).filter((i) => i >= 0),
      NEAR_DUPLICATE_PAIRS,
    ),
  );
  interface Lesion {
    patient: number;
    images: number;
    cls?: DiagnosisClass;
  }
  const lesions: Lesion[] = [];
  perPatient.forEach((k, patient) => {
    let left = k;
    if (pairPatients.has(patient)) {
      lesions.push({ patient, images: 2, cls: 'NEVUS' });
      left -= 2;
    }
    for (let j = 0; j < left; j++) lesions.push({ patient, images: 1 });
  });
  const classPool = rnd.shuffle(
    CLASS_CODES.flatMap((c) =>
      Array<DiagnosisClass>(CLASS_COUNTS[c] - (c === 'NEVUS' ? 2 * NEAR_DUPLICATE_PAIRS : 0)).fill(c),
    ),
  );
  for (const l of lesions) l.cls ??= classPool.pop();

  // ---- accepted acquisitions with their records and trails
  const attempts: PlannedAttempt[] = [];
  let fileNo = 0;
  const fileName = (p: PlannedPatient, ext = 'jpg') =>
    `IMG_${isoDate(p.visit).replaceAll('-', '')}_${String(++fileNo).padStart(4, '0')}.${ext}`;

  lesions.forEach((lesion, lesionNo) => {
    const p = patients[lesion.patient] as PlannedPatient;
    const cls = lesion.cls as DiagnosisClass;
    const m = MORPHOLOGY[cls];
    const truth = someOf(rnd, m.structures, 1, Math.min(3, m.structures.length));
    const border: BorderRegularity = rnd.chance(m.irregularBorder) ? 'IRREGULAR' : 'REGULAR';
    const initialClass = rnd.chance(0.92) ? cls : rnd.pick(CONFUSABLE[cls]);
    const initialStructures = rnd.chance(0.85) ? truth : someOf(rnd, MORPHOLOGY[initialClass].structures, 1, 2);
    const malignancySigns = showsMalignancySigns(border, initialStructures);
    const rawDiagnosis =
      initialClass === 'NEVUS' && !malignancySigns && rnd.chance(0.12)
        ? 'benign nevus-like formation'
        : CLASSES[initialClass].name.toLowerCase();
    const seedOf = rnd.int(1, 2 ** 31 - 1);
    const drawing: LesionDrawing = {
      seed: seedOf,
      diagnosisClass: cls,
      fitzpatrick: p.fitzpatrick,
      width: DEMO_WIDTH,
      height: DEMO_HEIGHT,
    };
    const specialists = rnd.sample(SPECIALISTS, 3);
    const reviews = specialists.map((specialist) => ({
      specialist,
      diagnosisClass: rnd.chance(0.88) ? cls : rnd.pick(CONFUSABLE[cls]),
      structures: rnd.chance(0.8) ? truth : someOf(rnd, m.structures, 1, 2),
    }));
    const agree = reviews.filter((r) => r.diagnosisClass === cls).length;
    const decidedAt = new Date(p.visit + rnd.int(3, 21) * DAY);
    const trail: PlannedTrail = {
      finalClass: cls,
      finalStructures: truth,
      reviews,
      consensusNote:
        agree === 3 ? null : `${agree} of 3 independent reviews gave ${CLASSES[cls].name}; resolved by discussion`,
      histology: CLASSES[cls].status === 'MALIGNANT' ? rnd.pick(HISTOLOGY_TEXT[cls] ?? []) : null,
      decidedAt,
      reportedAt: new Date(decidedAt.getTime() + rnd.int(7, 30) * DAY),
    };
    const record: RawRecord = {
      patient_id: p.sourceId,
      lesion_id: `LES-${lesionNo}`,
      acquisition_date: isoDate(p.visit),
      age_at_exam: p.ageRaw,
      sex: p.sex.toLowerCase(),
      fitzpatrick_type: p.fitzpatrick,
      sunburn_history: p.sunburn === undefined ? undefined : p.sunburn ? 'yes' : 'no',
      personal_ca_history: p.personalCa === undefined ? undefined : p.personalCa ? 'yes' : 'no',
      anatomical_site: rnd.chance(0.02) ? undefined : rnd.weighted(SITES).toLowerCase(),
      lesion_diameter_mm: rnd.chance(0.05) ? undefined : rnd.range(m.diameter[0], m.diameter[1]).toFixed(1),
      dominant_colors: rnd.chance(0.03) ? undefined : someOf(rnd, m.colors, 1, 3).map((c) => c.toLowerCase()),
      elevation: rnd.chance(0.04) ? undefined : rnd.weighted(m.elevation).toLowerCase(),
      border_regularity: rnd.chance(0.03) ? undefined : border.toLowerCase(),
      dermoscopic_structures: initialStructures.map((s) => s.toLowerCase()),
      clinical_diagnosis: rawDiagnosis,
      examiner_id: rnd.pick(EXAMINERS),
      image_quality_score: rnd.weighted([
        [3, 2],
        [4, 5],
        [5, 3],
      ]),
    };
    attempts.push({ kind: 'original', fileName: fileName(p), record, drawing, trail });
    if (lesion.images === 2) {
      // a second shot of the same lesion, moments later: a near duplicate, not an exact one
      const shot = { dx: rnd.int(-2, 2) || 1, dy: rnd.int(-2, 2), noiseSeed: rnd.int(1, 2 ** 31 - 1) };
      const twinTrail = { ...trail, reviews: reviews.map((r) => ({ ...r })) };
      attempts.push({
        kind: 'near-twin',
        fileName: fileName(p),
        record: { ...record },
        drawing: { ...drawing, shot },
        trail: twinTrail,
      });
    }
  });

  // ---- exact duplicates: re-uploads under a new name, and lossless re-saves as PNG
  const originals = attempts.map((a, i) => (a.kind === 'original' ? i : -1)).filter((i) => i >= 0);
  const dupSources = rnd.sample(originals, BYTE_DUPLICATES + REENCODED_DUPLICATES);
  dupSources.forEach((src, j) => {
    const a = attempts[src] as PlannedAttempt;
    const p = patients.find((x) => x.sourceId === a.record.patient_id) as PlannedPatient;
    const reencoded = j >= BYTE_DUPLICATES;
    attempts.push({
      kind: reencoded ? 'reencoded-duplicate' : 'byte-duplicate',
      fileName: fileName(p, reencoded ? 'png' : 'jpg'),
      // re-entered by another examiner: other metadata, same picture
      record: { ...a.record, examiner_id: rnd.pick(EXAMINERS) },
      drawing: a.drawing,
      duplicateOf: src,
    });
  });

  // ---- frames refused by the SOP quality gate (scores 1–2): counted, never stored
  for (let j = 0; j < SOP_REJECTIONS; j++) {
    const src = attempts[rnd.pick(originals)] as PlannedAttempt;
    const p = patients.find((x) => x.sourceId === src.record.patient_id) as PlannedPatient;
    attempts.push({
      kind: 'sop-rejected',
      fileName: fileName(p),
      record: {
        ...src.record,
        image_quality_score: rnd.weighted([
          [1, 2],
          [2, 3],
        ]),
      },
      drawing: { ...src.drawing, seed: rnd.int(1, 2 ** 31 - 1), blur: rnd.range(6, 12) },
    });
  }

  // intake in acquisition order; a re-upload always comes after the picture it repeats
  const order = attempts.map((a, i) => ({
    a,
    i,
    t: Date.parse(String(a.record.acquisition_date)),
    late: a.duplicateOf === undefined ? 0 : 1,
  }));
  order.sort((x, y) => x.t - y.t || x.late - y.late || x.i - y.i);
  const newIndex = new Map(order.map((o, j) => [o.i, j]));
  const sorted = order.map(({ a }) =>
    a.duplicateOf === undefined ? a : { ...a, duplicateOf: newIndex.get(a.duplicateOf) as number },
  );
  return { patients, attempts: sorted, examiners: EXAMINERS, specialists: SPECIALISTS, pathologist: PATHOLOGIST };
}
