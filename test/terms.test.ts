// The diagnosis vocabulary beyond the 9 classes: the ISIC hierarchy kept verbatim, each term's
// status, origin and class; records that name a term; every policy total over every term; and the
// label condition (labelWhere) agreeing with the policies' decisions for every class, term and stage.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLASS_CODES, CLASSES } from '../src/domain/classes.ts';
import type { DiagnosisClass, VerificationStage } from '../src/domain/enums.ts';
import { ISIC_DIAGNOSIS_PATHS } from '../src/domain/isic-diagnosis.ts';
import type { RawRecord } from '../src/domain/raw-record.ts';
import {
  CLASS_TERM,
  findTerm,
  PAPILLOMA_TERM,
  relabelled,
  TERM_PATHS,
  TERMS,
  termByPath,
  termsUnder,
  UNKNOWN_TERM,
  verdictTerm,
} from '../src/domain/terms.ts';
import { STAGES } from '../src/domain/vocabularies.ts';
import { IngestError } from '../src/ingest/errors.ts';
import { validateRecord } from '../src/ingest/record.ts';
import { decide } from '../src/plugins/evaluate.ts';
import { registry } from '../src/plugins/index.ts';
import { labelWhere } from '../src/resolvers/image-filter.ts';
import { record } from './helpers/images.ts';

const fixture = readFileSync(
  new URL('./fixtures/public-metadata/isic_diagnosis_hierarchical_values.txt', import.meta.url),
  'utf8',
)
  .split(/\r?\n/)
  .filter((l) => l !== '');

const AK = 'Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis';
const SOLAR_LENTIGO = 'Benign:Benign epidermal proliferations:Solar lentigo';
const LPLK = 'Benign:Benign epidermal proliferations:Lichen planus like keratosis';
const LENTIGO_NOS = 'Benign:Flat melanotic pigmentations - not melanocytic nevus:Lentigo NOS';
const CALM = 'Benign:Flat melanotic pigmentations - not melanocytic nevus:Cafe au lait macule or patch';
const MERKEL = 'Malignant:Merkel cell proliferation:Merkel cell carcinoma';
const SPITZ = 'Benign:Benign melanocytic proliferations:Nevus:Nevus, Spitz';
const CLARK = 'Benign:Benign melanocytic proliferations:Nevus:Nevus, Atypical, Dysplastic, or Clark:Nevus, Clark';
const BOWEN =
  'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma in situ:Squamous cell carcinoma in situ, Bowens disease';
const MIS_LM =
  'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma in situ:Melanoma in situ, Lentigo maligna type';
const ATYPICAL_SPITZ = 'Indeterminate:Indeterminate melanocytic proliferations:Atypical Spitz tumor';
const PYOGENIC = 'Benign:Benign soft tissue proliferations - Vascular:Pyogenic granuloma';

describe('the vocabulary', () => {
  it('holds the ISIC hierarchy verbatim (typos included), in its order, then our two extensions', () => {
    expect(ISIC_DIAGNOSIS_PATHS).toEqual(fixture);
    expect(ISIC_DIAGNOSIS_PATHS).toHaveLength(418);
    expect(TERM_PATHS).toEqual([...fixture, UNKNOWN_TERM, PAPILLOMA_TERM]);
    expect(new Set(TERM_PATHS).size).toBe(TERM_PATHS.length);
    expect(TERMS.filter((t) => t.source === 'dermaset').map((t) => t.path)).toEqual([UNKNOWN_TERM, PAPILLOMA_TERM]);
  });

  it('is a hierarchy: every term below a root has its parent in the vocabulary, with its levels', () => {
    for (const t of TERMS) {
      expect(t.levels.join(':')).toBe(t.path);
      expect(t.name).toBe(t.levels[t.levels.length - 1]);
      if (t.levels.length > 1) expect(TERM_PATHS).toContain(t.levels.slice(0, -1).join(':'));
    }
    expect(termsUnder('Malignant:Malignant melanocytic proliferations (Melanoma)').length).toBe(
      fixture.filter((p) => p.startsWith('Malignant:Malignant melanocytic proliferations (Melanoma)')).length,
    );
  });

  it('gives each class its own term, which lies under that class', () => {
    for (const c of CLASS_CODES) expect(termByPath(CLASS_TERM[c]).diagnosisClass).toBe(c);
    expect(CLASS_TERM.MELANOMA).toBe(CLASSES.MELANOMA.isicPath);
  });

  it.each([
    // path, class, status, origin
    [SPITZ, 'NEVUS', 'BENIGN', 'MELANOCYTIC'],
    [CLARK, 'DYSPLASTIC_NEVUS', 'BORDERLINE', 'MELANOCYTIC'],
    [MIS_LM, 'MELANOMA', 'MALIGNANT', 'MELANOCYTIC'],
    [BOWEN, 'SQUAMOUS_CELL_CARCINOMA', 'MALIGNANT', 'NON_MELANOCYTIC'],
    [PYOGENIC, null, 'BENIGN', 'NON_MELANOCYTIC'],
    [AK, null, 'PREMALIGNANT', 'NON_MELANOCYTIC'],
    [`${AK}:Actinic keratosis, Bowenoid`, null, 'PREMALIGNANT', 'NON_MELANOCYTIC'],
    [ATYPICAL_SPITZ, null, 'BORDERLINE', 'MELANOCYTIC'],
    [SOLAR_LENTIGO, null, 'BENIGN', 'NON_MELANOCYTIC'],
    [LPLK, null, 'BENIGN', 'NON_MELANOCYTIC'],
    [LENTIGO_NOS, null, 'BENIGN', 'NON_MELANOCYTIC'],
    [CALM, null, 'BENIGN', 'NON_MELANOCYTIC'],
    [MERKEL, null, 'MALIGNANT', 'NON_MELANOCYTIC'],
    ['Malignant:Collision - At least one malignant proliferation', null, 'MALIGNANT', null],
    ['Benign', null, 'BENIGN', null],
    ['Indeterminate', null, 'BORDERLINE', null],
    [UNKNOWN_TERM, null, 'UNKNOWN', null],
    [PAPILLOMA_TERM, 'PAPILLOMA', 'BENIGN', 'NON_MELANOCYTIC'],
  ])('%s: class %s, %s, %s', (path, diagnosisClass, status, origin) => {
    expect(termByPath(path)).toMatchObject({ diagnosisClass, status, origin });
  });

  it('finds a term by its path, its unique name, or a clinical phrase, accents and case aside', () => {
    expect(findTerm(SOLAR_LENTIGO)?.path).toBe(SOLAR_LENTIGO);
    expect(findTerm('solar lentigo')?.path).toBe(SOLAR_LENTIGO);
    expect(findTerm('Actinic keratosis')?.path).toBe(AK);
    expect(findTerm('café-au-lait macule')?.path).toBe(CALM);
    expect(findTerm('lichenoid keratosis')?.path).toBe(LPLK);
    expect(findTerm('Merkel cell carcinoma')?.path).toBe(MERKEL);
    expect(findTerm('unknown')?.path).toBe(UNKNOWN_TERM);
    expect(findTerm('blue nevus')?.diagnosisClass).toBe('NEVUS');
    expect(findTerm('a lesion nobody has named')).toBeUndefined();
  });

  it('reads a benign/malignant verdict as a root of the hierarchy', () => {
    expect(verdictTerm('benign')).toBe('Benign');
    expect(verdictTerm('Malignant')).toBe('Malignant');
    expect(verdictTerm('indeterminate/benign')).toBe('Indeterminate');
    expect(verdictTerm('')).toBe(UNKNOWN_TERM);
    expect(verdictTerm(undefined)).toBe(UNKNOWN_TERM);
  });

  it('keeps a term that lies under the new class when relabelled, else takes the class’s own', () => {
    expect(relabelled(SPITZ, 'NEVUS')).toEqual({
      diagnosisClass: 'NEVUS',
      diagnosisTerm: SPITZ,
      clinicalStatus: 'BENIGN',
    });
    expect(relabelled(SPITZ, 'MELANOMA')).toEqual({
      diagnosisClass: 'MELANOMA',
      diagnosisTerm: CLASS_TERM.MELANOMA,
      clinicalStatus: 'MALIGNANT',
    });
    expect(relabelled(AK, 'SQUAMOUS_CELL_CARCINOMA').diagnosisTerm).toBe(CLASS_TERM.SQUAMOUS_CELL_CARCINOMA);
  });
});

describe('records that name a term', () => {
  const NOW = new Date('2026-06-01T12:00:00Z');
  const valid = (over: Record<string, unknown>) => validateRecord(record(over) as RawRecord, NOW);
  const refusal = (over: Record<string, unknown>) => {
    try {
      valid(over);
    } catch (e) {
      if (e instanceof IngestError) return e.issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      throw e;
    }
    return 'accepted';
  };

  it('a class of the 9 gets its own term, or a finer term its text names', () => {
    expect(valid({ clinical_diagnosis: 'melanoma' })).toMatchObject({
      diagnosisClass: 'MELANOMA',
      diagnosisTerm: CLASS_TERM.MELANOMA,
      clinicalStatus: 'MALIGNANT',
    });
    expect(valid({ clinical_diagnosis: 'blue nevus' })).toMatchObject({
      diagnosisClass: 'NEVUS',
      diagnosisTerm: 'Benign:Benign melanocytic proliferations:Nevus:Blue nevus',
    });
    expect(valid({ clinical_diagnosis: 'melanoma', diagnosis_term: MIS_LM })).toMatchObject({
      diagnosisClass: 'MELANOMA',
      diagnosisTerm: MIS_LM,
    });
  });

  it('a term outside the 9 is a record without a class, with the term’s status', () => {
    expect(valid({ clinical_diagnosis: 'solar lentigo' })).toMatchObject({
      diagnosisClass: null,
      diagnosisTerm: SOLAR_LENTIGO,
      clinicalStatus: 'BENIGN',
    });
    expect(valid({ clinical_diagnosis: 'actinic keratosis' })).toMatchObject({
      diagnosisClass: null,
      clinicalStatus: 'PREMALIGNANT',
    });
    expect(valid({ clinical_diagnosis: '', diagnosis_term: 'Benign' })).toMatchObject({
      diagnosisClass: null,
      diagnosisTerm: 'Benign',
      clinicalStatus: 'BENIGN',
      clinicalDiagnosisRaw: 'Benign',
    });
  });

  it('refuses a term outside the vocabulary, a term of another class than the text, and text naming nothing', () => {
    expect(refusal({ diagnosis_term: 'Benign:Something invented' })).toMatch(
      /^diagnosis_term: is not a term of the diagnosis vocabulary/,
    );
    expect(refusal({ clinical_diagnosis: 'nevus', diagnosis_term: MIS_LM })).toBe(
      'diagnosis_term: is a term of melanoma, while clinical_diagnosis says nevus',
    );
    expect(refusal({ clinical_diagnosis: 'a lesion nobody has named' })).toBe(
      'clinical_diagnosis: is not one of the 9 classes, a known synonym or a term of the diagnosis vocabulary',
    );
    expect(refusal({ diagnosis_term: 'x'.repeat(401) })).toMatch(/^diagnosis_term: .*400/);
  });
});

describe('every policy decides every record, of the 9 or outside them', () => {
  const policies = [...registry.policies.values()];
  const status = (c: DiagnosisClass | null, term: string) => (c ? CLASSES[c].status : termByPath(term).status);

  it('maps or leaves out with a reason every class × term × stage, never throwing', () => {
    let cases = 0;
    for (const policy of policies) {
      for (const diagnosisClass of [...CLASS_CODES, null]) {
        for (const diagnosisTerm of TERM_PATHS) {
          for (const verificationStage of STAGES) {
            const d = decide(policy, {
              diagnosisClass,
              diagnosisTerm,
              clinicalStatus: status(diagnosisClass, diagnosisTerm),
              verificationStage,
            });
            if (d.kind === 'mapped') expect(policy.labels).toContain(d.label);
            else expect(d.reason.length).toBeGreaterThan(10);
            cases++;
          }
        }
      }
    }
    expect(cases).toBe(policies.length * (CLASS_CODES.length + 1) * TERM_PATHS.length * STAGES.length);
  });

  const label = (policyId: string, diagnosisClass: DiagnosisClass | null, diagnosisTerm: string) => {
    const policy = registry.policy(policyId);
    if (!policy) throw new Error(policyId);
    const d = decide(policy, {
      diagnosisClass,
      diagnosisTerm,
      clinicalStatus: status(diagnosisClass, diagnosisTerm),
      verificationStage: 'CONSENSUS',
    });
    return d.kind === 'mapped' ? d.label : d.kind;
  };

  it.each([
    ['nine-class', null, SOLAR_LENTIGO, 'unmapped'],
    ['nine-class', 'NEVUS', SPITZ, 'nevus'],
    ['screening-binary', null, AK, 'benign'],
    ['strict-binary', null, AK, 'malignant'],
    ['screening-binary', null, 'Benign', 'benign'],
    ['screening-binary', null, MERKEL, 'malignant'],
    ['screening-binary', null, UNKNOWN_TERM, 'unmapped'],
    ['strict-binary', null, ATYPICAL_SPITZ, 'malignant'],
    ['three-tier', null, ATYPICAL_SPITZ, 'borderline'],
    ['three-tier', null, AK, 'unmapped'],
    ['ham10000', null, AK, 'akiec'],
    ['ham10000', 'SQUAMOUS_CELL_CARCINOMA', BOWEN, 'akiec'],
    ['ham10000', 'SQUAMOUS_CELL_CARCINOMA', CLASS_TERM.SQUAMOUS_CELL_CARCINOMA, 'unmapped'],
    ['ham10000', null, SOLAR_LENTIGO, 'bkl'],
    ['ham10000', null, PYOGENIC, 'vasc'],
    ['ham10000', null, MERKEL, 'unmapped'],
    ['isic2019', null, LPLK, 'BKL'],
    ['isic2019', null, AK, 'AK'],
    ['isic2019', null, MERKEL, 'UNK'],
    ['isic2019', 'PAPILLOMA', PAPILLOMA_TERM, 'UNK'],
  ] as const)('%s: %s / %s → %s', (policyId, diagnosisClass, term, expected) => {
    expect(label(policyId, diagnosisClass, term)).toBe(expected);
  });

  /** Whether a labelWhere condition holds for a row: the shapes labelWhere writes, read independently. */
  function holds(where: unknown, row: Record<string, unknown>): boolean {
    const w = where as Record<string, unknown>;
    if (Array.isArray(w.OR)) return w.OR.some((x) => holds(x, row));
    return Object.entries(w).every(([k, v]) => {
      if (v !== null && typeof v === 'object') {
        // the conditions of one column hold together: equals, in, notIn and `not: null` (a known value)
        const c = v as { equals?: unknown; in?: unknown[]; notIn?: unknown[]; not?: unknown };
        if ('not' in c && c.not === null && row[k] === null) return false;
        if ('equals' in c && row[k] !== c.equals) return false;
        if (c.in && !c.in.includes(row[k])) return false;
        if (c.notIn?.includes(row[k])) return false;
        return 'equals' in c || 'in' in c || 'notIn' in c || 'not' in c;
      }
      return row[k] === v;
    });
  }

  it('labelWhere selects exactly the class × term × stage rows each label is decided for', () => {
    // and stays small: a binary policy's condition outside the 9 is one on the status, not a term list
    const screening = registry.policy('screening-binary');
    if (!screening) throw new Error('screening-binary');
    expect(JSON.stringify(labelWhere(screening, ['benign'])).length).toBeLessThan(2_000);
    for (const policy of policies) {
      for (const l of policy.labels) {
        const where = labelWhere(policy, [l]);
        for (const diagnosisClass of [...CLASS_CODES, null]) {
          for (const diagnosisTerm of TERM_PATHS) {
            for (const verificationStage of STAGES as VerificationStage[]) {
              const row = {
                diagnosisClass,
                diagnosisTerm,
                clinicalStatus: status(diagnosisClass, diagnosisTerm),
                verificationStage,
                id: 1,
              };
              const d = decide(policy, row);
              const expected = d.kind === 'mapped' && d.label === l;
              if (holds(where, row) !== expected) {
                throw new Error(`${policy.id} ${l}: ${diagnosisClass} ${diagnosisTerm} ${verificationStage}`);
              }
            }
          }
        }
      }
    }
  });
});
