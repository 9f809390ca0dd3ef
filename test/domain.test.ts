import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  CLASS_CODES,
  CLASSES,
  type ClinicalStatus,
  isMalignant,
  MALIGNANT_CLASSES,
  normaliseDiagnosis,
  type Origin,
} from '../src/domain/classes.ts';
import { AnatomicalSite, DermoscopicStructure, DiagnosisClass } from '../src/domain/enums.ts';
import { type Bin, summarise } from '../src/domain/histogram.ts';
import { BLOCKS, FIELD_NAMES, FIELDS } from '../src/domain/information-model.ts';
import { dHash, hammingDistance } from '../src/domain/perceptual-hash.ts';
import { Random } from '../src/domain/random.ts';
import { type ReviewFacts, reviewVisibility, seesReview } from '../src/domain/review-visibility.ts';
import { ROLES } from '../src/domain/roles.ts';
import { type IsicSiteGeneral, parseSite, SITES } from '../src/domain/sites.ts';
import { parseStructure, STRUCTURES } from '../src/domain/structures.ts';
import {
  FITZPATRICK_TYPES,
  parseAge,
  parseFitzpatrick,
  parseSex,
  parseStage,
  parseYesNo,
  STAGES,
  stageRank,
} from '../src/domain/vocabularies.ts';
import { Pseudonymizer } from '../src/ingest/pseudonym.ts';
import { FIXTURES } from './helpers/fixtures.ts';
import { TEST_SEED } from './helpers/images.ts';

const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const lines = (name: string) =>
  fixture(name)
    .split(/\r?\n/)
    .filter((l) => l !== '');
const csvRows = (name: string) =>
  parse(fixture(name), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
const distinct = (values: readonly string[]) => [...new Set(values)].sort();

describe('diagnosis classes', () => {
  // the paper's Table 4
  const TABLE_4: Record<DiagnosisClass, readonly [Origin, ClinicalStatus]> = {
    NEVUS: ['MELANOCYTIC', 'BENIGN'],
    SEBORRHEIC_KERATOSIS: ['NON_MELANOCYTIC', 'BENIGN'],
    HEMANGIOMA: ['NON_MELANOCYTIC', 'BENIGN'],
    DERMATOFIBROMA: ['NON_MELANOCYTIC', 'BENIGN'],
    PAPILLOMA: ['NON_MELANOCYTIC', 'BENIGN'],
    MELANOMA: ['MELANOCYTIC', 'MALIGNANT'],
    DYSPLASTIC_NEVUS: ['MELANOCYTIC', 'BORDERLINE'],
    BASAL_CELL_CARCINOMA: ['NON_MELANOCYTIC', 'MALIGNANT'],
    SQUAMOUS_CELL_CARCINOMA: ['NON_MELANOCYTIC', 'MALIGNANT'],
  };

  it('has the 9 classes of the database enum', () => {
    expect(CLASS_CODES).toHaveLength(9);
    expect([...CLASS_CODES].sort()).toEqual(Object.values(DiagnosisClass).sort());
  });

  it.each(Object.entries(TABLE_4))('%s has the origin and status of Table 4', (code, [origin, status]) => {
    const info = CLASSES[code as DiagnosisClass];
    expect(info.code).toBe(code);
    expect(info.label).toBe(code.toLowerCase());
    expect([info.origin, info.status]).toEqual([origin, status]);
    expect(isMalignant(info.code)).toBe(status === 'MALIGNANT');
  });

  it('maps every isicPath onto a node of the ISIC diagnosis hierarchy', () => {
    const hierarchy = lines('isic_diagnosis_hierarchical_values.txt');
    expect(hierarchy.length).toBeGreaterThan(400);
    for (const { code, isicPath } of Object.values(CLASSES)) {
      const found = hierarchy.some((l) => l === isicPath || l.startsWith(`${isicPath}:`));
      expect(found, `${code}: ${isicPath}`).toBe(true);
    }
    // the malignant classes sit under the Malignant root, the benign ones under Benign
    for (const { code, status, isicPath } of Object.values(CLASSES)) {
      if (status !== 'BORDERLINE')
        expect(isicPath.startsWith(status === 'MALIGNANT' ? 'Malignant:' : 'Benign:'), code).toBe(true);
    }
  });

  it.each([
    ['Nevus', 'NEVUS'],
    ['naevus', 'NEVUS'],
    ['NV', 'NEVUS'],
    ['Melanocytic nevus', 'NEVUS'],
    ['intradermal nevus', 'NEVUS'],
    ['Clark nevus', 'DYSPLASTIC_NEVUS'],
    ['Atypical nevus', 'DYSPLASTIC_NEVUS'],
    ['dysplastic_nevus', 'DYSPLASTIC_NEVUS'],
    ['MEL', 'MELANOMA'],
    ['  Melanoma in situ ', 'MELANOMA'],
    ['Seborrhoeic keratosis', 'SEBORRHEIC_KERATOSIS'],
    ['haemangioma', 'HEMANGIOMA'],
    ['Cherry angioma', 'HEMANGIOMA'],
    ['DF', 'DERMATOFIBROMA'],
    ['BCC', 'BASAL_CELL_CARCINOMA'],
    ['Basal-cell carcinoma', 'BASAL_CELL_CARCINOMA'],
    ['scc', 'SQUAMOUS_CELL_CARCINOMA'],
    ['SQUAMOUS_CELL_CARCINOMA', 'SQUAMOUS_CELL_CARCINOMA'],
    ['Skin papilloma', 'PAPILLOMA'],
  ] as const)('normalises %j to %s', (raw, expected) => {
    expect(normaliseDiagnosis(raw)).toEqual({ ok: true, diagnosisClass: expected });
  });

  it('normalises every class label and code onto itself', () => {
    for (const { code, label, name } of Object.values(CLASSES)) {
      for (const raw of [code, label, name])
        expect(normaliseDiagnosis(raw), raw).toEqual({ ok: true, diagnosisClass: code });
    }
  });

  it('maps "benign nevus-like formation" to nevus only without clinical signs of malignancy', () => {
    for (const raw of ['benign nevus-like formation', 'Benign nevus like formation']) {
      expect(normaliseDiagnosis(raw)).toEqual({ ok: true, diagnosisClass: 'NEVUS' });
      expect(normaliseDiagnosis(raw, false)).toEqual({ ok: true, diagnosisClass: 'NEVUS' });
      const refused = normaliseDiagnosis(raw, true);
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.reason).toMatch(/malignancy/);
    }
    // the condition applies to the service category only: a named diagnosis stands
    expect(normaliseDiagnosis('melanoma', true)).toEqual({ ok: true, diagnosisClass: 'MELANOMA' });
    expect(normaliseDiagnosis('compound nevus', true)).toEqual({ ok: true, diagnosisClass: 'NEVUS' });
  });

  it.each(['actinic keratosis', 'akiec', 'bkl', 'vasc', 'lentigo', 'melanosis', 'nevus or melanoma'])(
    'rejects %j with a reason',
    (raw) => {
      const r = normaliseDiagnosis(raw);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(`"${raw}"`);
    },
  );

  it('rejects an empty diagnosis with its own reason', () => {
    for (const raw of ['', '   ', '--']) {
      const r = normaliseDiagnosis(raw);
      expect(r.ok, raw).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/empty/);
    }
  });
});

describe('anatomical sites', () => {
  const LEGACY: readonly IsicSiteGeneral[] = [
    'anterior torso',
    'posterior torso',
    'lateral torso',
    'head/neck',
    'upper extremity',
    'lower extremity',
    'palms/soles',
    'oral/genital',
  ];

  it('has one entry per database enum value, under its own code', () => {
    expect(Object.keys(SITES).sort()).toEqual(Object.values(AnatomicalSite).sort());
    for (const [code, s] of Object.entries(SITES)) {
      expect(s.code).toBe(code);
      expect(parseSite(s.label)).toBe(code);
    }
  });

  it('maps every site onto a line of the ISIC anatom_site hierarchy', () => {
    const hierarchy = new Set(lines('isic_anatom_site_hierarchical_values.txt'));
    expect(hierarchy.size).toBeGreaterThan(200);
    for (const s of Object.values(SITES)) expect(hierarchy.has(s.isicPath), `${s.code}: ${s.isicPath}`).toBe(true);
  });

  it.each(LEGACY)('parses the ISIC legacy anatom_site_general %j onto a site with that value', (general) => {
    const code = parseSite(general);
    expect(code).toBeDefined();
    if (code) expect(SITES[code].isicGeneral).toBe(general);
  });

  it('uses exactly the 8 legacy values as isicGeneral, and none only for an unspecified trunk', () => {
    const generals = Object.values(SITES).map((s) => s.isicGeneral);
    expect(distinct(generals.filter((g): g is NonNullable<typeof g> => g !== null))).toEqual(distinct(LEGACY));
    expect(
      Object.values(SITES)
        .filter((s) => s.isicGeneral === null)
        .map((s) => s.code),
    ).toEqual(['TRUNK']);
    expect(parseSite('trunk')).toBe('TRUNK');
  });

  it('parses every anatom_site_general of the ISIC 2019 metadata onto a site with that value', () => {
    const values = distinct(csvRows('isic2019_training_metadata.csv').map((r) => r.anatom_site_general ?? ''));
    const named = values.filter((v) => v !== '');
    expect(named).toHaveLength(8);
    for (const v of named) {
      const code = parseSite(v);
      expect(code && SITES[code].isicGeneral, v).toBe(v);
    }
  });

  it('parses every HAM10000 localization except "unknown"', () => {
    const rows = csvRows('ham10000_metadata.csv');
    expect(rows).toHaveLength(10_015);
    const values = distinct(rows.map((r) => r.localization ?? ''));
    expect(values).toContain('unknown');
    const known = values.filter((v) => v !== 'unknown');
    expect(known.length).toBeGreaterThanOrEqual(14);
    for (const v of known) expect(parseSite(v), v).toBeDefined();
    expect(parseSite('unknown')).toBeUndefined();
    expect(parseSite('scalp')).toBe('SCALP');
    expect(parseSite('back')).toBe('POSTERIOR_TORSO');
    expect(parseSite('acral')).toBe('PALMS_SOLES');
  });

  it('parses every Derm7pt location', () => {
    const values = distinct(csvRows('derm7pt_meta.csv').map((r) => r.location ?? ''));
    expect(values.length).toBeGreaterThanOrEqual(9);
    for (const v of values) expect(parseSite(v), v).toBeDefined();
    expect(parseSite('lower limbs')).toBe('LOWER_EXTREMITY');
    expect(parseSite('genital areas')).toBe('ORAL_GENITAL');
  });

  it('rejects spellings it does not know', () => {
    for (const raw of ['', 'unknown', 'elbow', 'kidney']) expect(parseSite(raw), raw).toBeUndefined();
  });
});

describe('dermoscopic structures', () => {
  // Derm7pt's seven criteria and the label prefix of the structures that record each
  const DERM7PT_CRITERIA = {
    pigment_network: 'pigment_network',
    streaks: 'streaks',
    dots_and_globules: 'dots_globules',
    blue_whitish_veil: 'blue_whitish_veil',
    regression_structures: 'regression_structures',
    vascular_structures: 'vessels',
    pigmentation: 'blotch',
  };

  it('has one entry per database enum value, each with a source', () => {
    expect(Object.keys(STRUCTURES).sort()).toEqual(Object.values(DermoscopicStructure).sort());
    const sources = new Set(['derm7pt', 'ph2', 'isic2018', 'pattern-analysis']);
    for (const [code, s] of Object.entries(STRUCTURES)) {
      expect(s.code).toBe(code);
      expect(s.sources.length, code).toBeGreaterThanOrEqual(1);
      for (const src of s.sources) expect(sources.has(src), `${code}: ${src}`).toBe(true);
      expect(s.description, code).not.toBe('');
    }
    expect(new Set(Object.values(STRUCTURES).map((s) => s.label)).size).toBe(Object.keys(STRUCTURES).length);
  });

  it("names Derm7pt's criteria as the columns of its metadata file do", () => {
    const header = (lines('derm7pt_meta.csv')[0] ?? '').split(',');
    for (const criterion of Object.keys(DERM7PT_CRITERIA)) expect(header).toContain(criterion);
  });

  it.each(Object.entries(DERM7PT_CRITERIA))('represents the Derm7pt criterion %s (%s…)', (_criterion, prefix) => {
    const matching = Object.values(STRUCTURES).filter((s) => s.label.startsWith(prefix));
    expect(matching.length).toBeGreaterThanOrEqual(1);
    expect(matching.some((s) => s.sources.includes('derm7pt'))).toBe(true);
  });

  it('parses labels and codes, in any case and with spaces or hyphens', () => {
    for (const s of Object.values(STRUCTURES)) {
      expect(parseStructure(s.label)).toBe(s.code);
      expect(parseStructure(s.code)).toBe(s.code);
    }
    expect(parseStructure(' Blue-whitish veil ')).toBe('BLUE_WHITISH_VEIL');
    expect(parseStructure('Pigment network atypical')).toBe('PIGMENT_NETWORK_ATYPICAL');
    expect(parseStructure('milia-like cysts')).toBe('MILIA_LIKE_CYSTS');
  });

  it('rejects unknown or unqualified terms', () => {
    for (const raw of ['', 'pigment network', 'streaks', 'vessels', 'asymmetry']) {
      expect(parseStructure(raw), raw).toBeUndefined();
    }
  });
});

describe('vocabularies', () => {
  it.each([
    ['0', 0],
    ['44', 44],
    ['120', 120],
    [' 7 ', 7],
    ['80.0', 80],
  ] as const)('parseAge accepts %j', (raw, age) => {
    expect(parseAge(raw)).toBe(age);
  });

  it.each(['-1', '121', '134', '4O', '2o1', '', ' ', '3.5', '80.5', '.0', '1e2', '0x10', '1000'])(
    'parseAge rejects %j',
    (raw) => {
      expect(parseAge(raw)).toBeUndefined();
    },
  );

  it('parseSex', () => {
    expect(['female', 'Female', ' F ', 'male', 'MALE', 'm'].map(parseSex)).toEqual([
      'FEMALE',
      'FEMALE',
      'FEMALE',
      'MALE',
      'MALE',
      'MALE',
    ]);
    for (const raw of ['', 'unknown', 'x', 'fm']) expect(parseSex(raw), raw).toBeUndefined();
  });

  it('parseFitzpatrick reads Roman and Arabic numerals I–VI', () => {
    expect(FITZPATRICK_TYPES).toEqual(['I', 'II', 'III', 'IV', 'V', 'VI']);
    FITZPATRICK_TYPES.forEach((t, i) => {
      expect(parseFitzpatrick(t)).toBe(t);
      expect(parseFitzpatrick(t.toLowerCase())).toBe(t);
      expect(parseFitzpatrick(String(i + 1))).toBe(t);
    });
    for (const raw of ['', '0', '7', 'VII', 'IIII', 'type II']) expect(parseFitzpatrick(raw), raw).toBeUndefined();
  });

  it('parseYesNo tells no apart from unreadable', () => {
    for (const raw of ['yes', 'Y', 'true', '1']) expect(parseYesNo(raw), raw).toBe(true);
    for (const raw of ['no', 'N', 'FALSE', '0']) expect(parseYesNo(raw), raw).toBe(false);
    for (const raw of ['', 'maybe', 'unknown', '2']) expect(parseYesNo(raw), raw).toBeUndefined();
  });

  it('orders the verification stages initial < consensus < histology', () => {
    expect(STAGES).toEqual(['INITIAL', 'CONSENSUS', 'HISTOLOGY']);
    expect(stageRank('INITIAL')).toBeLessThan(stageRank('CONSENSUS'));
    expect(stageRank('CONSENSUS')).toBeLessThan(stageRank('HISTOLOGY'));
    expect(stageRank('INITIAL')).toBe(0);
    expect(['initial', 'Consensus', 'HISTOLOGY', 'biopsy'].map(parseStage)).toEqual([
      'INITIAL',
      'CONSENSUS',
      'HISTOLOGY',
      undefined,
    ]);
  });
});

describe('histogram summary', () => {
  const bins = (...pairs: [number, number][]): Bin[] => pairs.map(([value, count]) => ({ value, count }));

  it('takes the middle value of an odd count', () => {
    expect(summarise(bins([3, 1], [1, 1], [2, 1]))).toEqual({ n: 3, min: 1, max: 3, mean: 2, median: 2 });
    expect(summarise(bins([40, 3], [70, 1], [10, 1])).median).toBe(40);
  });

  it('averages the two middle values of an even count', () => {
    expect(summarise(bins([1, 1], [4, 1], [2, 1], [10, 1]))).toEqual({ n: 4, min: 1, max: 10, mean: 4.25, median: 3 });
    expect(summarise(bins([5, 2], [7, 2])).median).toBe(6);
    expect(summarise(bins([5, 2], [7, 1], [1, 1])).median).toBe(5);
  });

  it('returns nulls for no values, ignoring empty bins', () => {
    const none = { n: 0, min: null, max: null, mean: null, median: null };
    expect(summarise([])).toEqual(none);
    expect(summarise(bins([5, 0], [9, 0]))).toEqual(none);
    expect(summarise(bins([5, 0], [9, 2], [1, 0]))).toEqual({ n: 2, min: 9, max: 9, mean: 9, median: 9 });
  });

  it('does not reorder the bins it is given', () => {
    const input = bins([9, 1], [1, 2], [5, 3]);
    summarise(input);
    expect(input.map((b) => b.value)).toEqual([9, 1, 5]);
  });

  it(`agrees with a brute-force computation on random histograms (seed ${TEST_SEED})`, () => {
    const rnd = new Random(TEST_SEED);
    for (let trial = 0; trial < 300; trial++) {
      const hist = Array.from({ length: rnd.int(1, 12) }, () => ({ value: rnd.int(-5, 130), count: rnd.int(0, 6) }));
      const values = hist.flatMap((b) => Array<number>(b.count).fill(b.value)).sort((a, b) => a - b);
      const n = values.length;
      const expected =
        n === 0
          ? { n, min: null, max: null, mean: null, median: null }
          : {
              n,
              min: values[0],
              max: values[n - 1],
              mean: values.reduce((s, v) => s + v, 0) / n,
              median: n % 2 ? values[(n - 1) / 2] : ((values[n / 2 - 1] ?? 0) + (values[n / 2] ?? 0)) / 2,
            };
      expect(summarise(hist), `seed ${TEST_SEED}, trial ${trial}: ${JSON.stringify(hist)}`).toEqual(expected);
    }
  });
});

describe('perceptual hash', () => {
  const grid = (pixel: (x: number, y: number) => number) => {
    const g = new Uint8Array(9 * 8);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 9; x++) g[y * 9 + x] = pixel(x, y);
    return g;
  };

  it('sets a bit, row by row from the most significant, where a pixel is darker than its right neighbour', () => {
    expect(dHash(grid((x) => x * 20))).toBe('ffffffffffffffff');
    expect(dHash(grid((x) => 200 - x * 20))).toBe('0000000000000000');
    expect(dHash(grid(() => 77))).toBe('0000000000000000'); // equal neighbours: not darker
    expect(dHash(grid((x, y) => ((x + y) % 2) * 100))).toBe('aa55aa55aa55aa55');
    expect(dHash(grid((x, y) => (y === 0 ? x : 0)))).toBe('ff00000000000000');
    expect(dHash(grid((x, y) => (y === 7 && x === 8 ? 255 : 0)))).toBe('0000000000000001');
  });

  it('measures the Hamming distance between two hashes', () => {
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('aa55aa55aa55aa55', '55aa55aa55aa55aa')).toBe(64);
    expect(hammingDistance('aa55aa55aa55aa55', 'aa55aa55aa55aa55')).toBe(0);
    expect(hammingDistance('8000000000000000', '0000000000000000')).toBe(1);
    expect(hammingDistance('0000000000000001', '0000000000000000')).toBe(1);
    expect(hammingDistance('f0f0000000000000', '0ff0000000000001')).toBe(9);
  });

  it(`is symmetric and counts differing bits (seed ${TEST_SEED})`, () => {
    const rnd = new Random(TEST_SEED + 1);
    const hex = () => Array.from({ length: 16 }, () => '0123456789abcdef'.charAt(rnd.int(0, 15))).join('');
    for (let i = 0; i < 200; i++) {
      const a = hex();
      const b = hex();
      let bits = 0;
      for (let k = 0; k < 16; k++) {
        let x = Number.parseInt(a.charAt(k), 16) ^ Number.parseInt(b.charAt(k), 16);
        for (; x; x >>= 1) bits += x & 1;
      }
      expect(hammingDistance(a, b), `${a} ${b}`).toBe(bits);
      expect(hammingDistance(b, a)).toBe(bits);
    }
  });
});

describe('information model', () => {
  const MEMBERSHIP = {
    demographic: ['age_at_exam', 'sex', 'fitzpatrick_type'],
    anamnestic: ['sunburn_history', 'personal_ca_history'],
    morphological: ['anatomical_site', 'lesion_diameter_mm', 'dominant_colors', 'elevation', 'border_regularity'],
    dermoscopic: ['dermoscopic_structures'],
    diagnostic: ['clinical_diagnosis', 'histopathology_result', 'verification_stage'],
    service: ['examiner_id', 'image_quality_score'],
  };

  it('has 16 distinct fields in 6 blocks', () => {
    expect(FIELDS).toHaveLength(16);
    expect(new Set(FIELD_NAMES).size).toBe(16);
    expect(FIELD_NAMES).toEqual(FIELDS.map((f) => f.name));
    expect([...BLOCKS]).toEqual(Object.keys(MEMBERSHIP));
  });

  it("puts each field in the paper's block", () => {
    const actual = Object.fromEntries(BLOCKS.map((b) => [b, FIELDS.filter((f) => f.block === b).map((f) => f.name)]));
    expect(actual).toEqual(MEMBERSHIP);
  });

  it('requires the diagnosis', () => {
    expect(FIELDS.find((f) => f.name === 'clinical_diagnosis')?.required).toBe(true);
  });
});

describe('Pseudonymizer', () => {
  const KEY = 'k'.repeat(32);
  const CODE = /^P-[0-9A-HJKMNP-TV-Z]{13}$/; // Crockford base32: no I, L, O or U

  it('gives the same identifier the same code, across instances', () => {
    const a = new Pseudonymizer(KEY);
    const b = new Pseudonymizer(Buffer.from(KEY, 'utf8'));
    expect(a.code('patient', 'MRN-000123')).toBe(a.code('patient', 'MRN-000123'));
    expect(b.code('patient', 'MRN-000123')).toBe(a.code('patient', 'MRN-000123'));
    expect(a.code('lesion', 'MRN-000123', 'L1')).toBe(b.code('lesion', 'MRN-000123', 'L1'));
  });

  it('gives different identifiers different codes', () => {
    const p = new Pseudonymizer(KEY);
    const codes = new Set(Array.from({ length: 500 }, (_, i) => p.code('patient', `MRN-${i}`)));
    expect(codes.size).toBe(500);
    expect(p.code('lesion', 'MRN-1', 'L1')).not.toBe(p.code('lesion', 'MRN-1', 'L2'));
  });

  it('gives different codes under different keys', () => {
    const a = new Pseudonymizer(KEY);
    const b = new Pseudonymizer(`${'k'.repeat(31)}j`);
    expect(a.code('patient', 'MRN-000123')).not.toBe(b.code('patient', 'MRN-000123'));
    expect(a.code('examiner', 'DERM-01')).not.toBe(b.code('examiner', 'DERM-01'));
  });

  it('keeps the kinds apart: the same identifier hashes differently per kind', () => {
    const p = new Pseudonymizer(KEY);
    const body = (code: string) => code.slice(2);
    const patient = p.code('patient', 'X-1');
    const lesion = p.code('lesion', 'X-1');
    const examiner = p.code('examiner', 'X-1');
    expect([patient[0], lesion[0], examiner[0]]).toEqual(['P', 'L', 'E']);
    expect(new Set([body(patient), body(lesion), body(examiner)]).size).toBe(3);
  });

  it('writes codes as a kind letter and 13 Crockford base32 digits', () => {
    const p = new Pseudonymizer(KEY);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const code = p.code('patient', `MRN-${i}`);
      expect(code).toMatch(/^P-[0-9A-Z]{13}$/);
      expect(code).toMatch(CODE);
      for (const ch of code.slice(2)) seen.add(ch);
    }
    expect(p.code('lesion', 'a', 'b')).toMatch(/^L-[0-9A-Z]{13}$/);
    expect(p.code('examiner', 'DERM-01')).toMatch(/^E-[0-9A-Z]{13}$/);
    // all 32 digits turn up: the encoding uses the whole alphabet
    expect(seen.size).toBe(32);
  });

  it('rejects keys shorter than 16 bytes', () => {
    expect(() => new Pseudonymizer('')).toThrow(/16 bytes/);
    expect(() => new Pseudonymizer('k'.repeat(15))).toThrow(/16 bytes/);
    expect(() => new Pseudonymizer(Buffer.alloc(15))).toThrow(/16 bytes/);
    expect(() => new Pseudonymizer('k'.repeat(16))).not.toThrow();
    expect(() => new Pseudonymizer('é'.repeat(8))).not.toThrow(); // 16 bytes in UTF-8
  });
});

describe('malignant classes', () => {
  it('are the classes of malignant status, in the table order', () => {
    expect(MALIGNANT_CLASSES).toEqual(['MELANOMA', 'BASAL_CELL_CARCINOMA', 'SQUAMOUS_CELL_CARCINOMA']);
    expect(MALIGNANT_CLASSES).toEqual(CLASS_CODES.filter((c) => CLASSES[c].status === 'MALIGNANT'));
  });
});

describe('blind review visibility', () => {
  // every combination of the facts (an author has reviewed the image, so author implies co-reviewer)
  const cases: ReviewFacts[] = [];
  for (const decided of [false, true])
    for (const coReviewer of [false, true])
      for (const author of coReviewer ? [false, true] : [false]) cases.push({ author, coReviewer, decided });

  const expected: Record<string, (f: ReviewFacts) => boolean> = {
    ADMIN: () => true,
    REVIEWER: (f) => f.decided || f.author || f.coReviewer,
    ANNOTATOR: (f) => f.decided,
    VIEWER: (f) => f.decided,
    anonymous: (f) => f.decided,
  };

  for (const role of [...ROLES, null]) {
    const name = role ?? 'anonymous';
    it(`${name}: ${reviewVisibility(role)}`, () => {
      const rule = expected[name];
      if (!rule) throw new Error(`no expectation for ${name}`);
      for (const facts of cases) expect(seesReview(role, facts), JSON.stringify(facts)).toBe(rule(facts));
    });
  }

  it('keeps reviews blind before the consensus for everyone but admins and the image’s own reviewers', () => {
    const before = { author: false, coReviewer: false, decided: false };
    expect(ROLES.filter((r) => seesReview(r, before))).toEqual(['ADMIN']);
    expect(ROLES.filter((r) => seesReview(r, { ...before, decided: true }))).toEqual(ROLES);
  });

  it('describes each role as the service filters it', () => {
    expect(Object.fromEntries([...ROLES, null].map((r) => [r ?? 'anonymous', reviewVisibility(r)]))).toEqual({
      VIEWER: 'DECIDED',
      ANNOTATOR: 'DECIDED',
      REVIEWER: 'AUTHOR_OR_CO_REVIEWER',
      ADMIN: 'ALL',
      anonymous: 'DECIDED',
    });
  });
});
