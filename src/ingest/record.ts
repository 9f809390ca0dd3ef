// Validation of one acquisition record: the 16 fields of the information model plus the service
// data (patient and lesion identifiers, acquisition date) as they arrive from a CSV row or the API.
// Strict by type: the API's record is JSON, and a value of the wrong type must be refused with its
// field, never turned into text (an object as patient "[object Object]" merged every such upload
// into one patient) or rolled over (2025-02-30 became 2025-03-02).
import { CLASSES, normaliseDiagnosis } from '../domain/classes.ts';
import type {
  AnatomicalSite,
  BorderRegularity,
  ClinicalStatus,
  Color,
  DermoscopicStructure,
  DiagnosisClass,
  Elevation,
  FitzpatrickType,
  Sex,
  VerificationStage,
} from '../domain/enums.ts';
import { isQualityScore, type QualityScore } from '../domain/quality.ts';
import { type Provenance, RAW_RECORD_KEYS, type RawRecord } from '../domain/raw-record.ts';
import { parseSite, SITES } from '../domain/sites.ts';
import { parseStructure, STRUCTURES, showsMalignancySigns } from '../domain/structures.ts';
import { closest, notAllowed, type Vocabulary } from '../domain/suggest.ts';
import { CLASS_TERM, type DiagnosisTerm, findTerm, statusOf } from '../domain/terms.ts';
import {
  COLORS,
  FITZPATRICK_TYPES,
  parseAge,
  parseBorder,
  parseColor,
  parseElevation,
  parseFitzpatrick,
  parseSex,
  parseStage,
  parseYesNo,
} from '../domain/vocabularies.ts';
import { type FieldIssue, IngestError } from './errors.ts';

export interface ValidRecord {
  patientId: string;
  lesionId: string | undefined;
  /** Missing only for records of public collections that do not publish dates. */
  acquiredAt: Date | undefined;
  ageAtExamRaw: string | undefined;
  ageAtExam: number | undefined;
  sex: Sex | undefined;
  fitzpatrickType: FitzpatrickType | undefined;
  sunburnHistory: boolean | undefined;
  personalCaHistory: boolean | undefined;
  anatomicalSite: AnatomicalSite | undefined;
  lesionDiameterMm: number | undefined;
  colors: Color[];
  elevation: Elevation | undefined;
  borderRegularity: BorderRegularity | undefined;
  structures: DermoscopicStructure[];
  clinicalDiagnosisRaw: string;
  /** One of the 9 classes, or null: the record's term is outside the 9. */
  diagnosisClass: DiagnosisClass | null;
  /** The diagnosis term (a path of domain/terms.ts). */
  diagnosisTerm: string;
  /** The class's status, or the term's outside the 9. */
  clinicalStatus: ClinicalStatus;
  histopathologyResult: string | undefined;
  verificationStage: VerificationStage;
  examinerId: string | undefined;
  /** Missing only for records of public collections, which were not scored under our SOP. */
  imageQualityScore: QualityScore | undefined;
}

/**
 * Bounds on free text, in characters. Identifiers are codes issued by a hospital system, a clinical
 * diagnosis is a phrase of the synonym table, a histopathology result is a report; an age that is
 * not a valid age is kept raw (the paper counts them) but is never longer than an age could be
 * written. Longer values are refused, not cut.
 */
export const TEXT_LIMITS = {
  patient_id: 200,
  lesion_id: 200,
  examiner_id: 200,
  clinical_diagnosis: 200,
  /** a term's path: the longest ISIC path is under 200 characters */
  diagnosis_term: 400,
  histopathology_result: 10_000,
  age_at_exam: 32,
  /** every vocabulary field: sex, phototype, site, colours, elevation, border, structures, stage */
  vocabulary: 200,
} as const;

/**
 * An invalid age that is kept raw (and counted, as the paper counts them) rather than refused: a
 * mistyped age ("4O", "2o1", "-1", "134"), short and with a digit. Longer text is no age at all, and
 * may be an identifier typed into the wrong field: it is refused, never stored.
 */
const MISTYPED_AGE = /^(?=.*\d)[^\s]{1,4}$/;
const MISTYPED_AGE_RULE = 'at most 4 characters with a digit, no spaces';

/** How a value's type is named in a refusal. */
function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a Date';
  if (typeof v === 'number') return Number.isFinite(v) ? 'a number' : String(v);
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

// A refusal names the field and the rule it breaks (and the allowed values of a vocabulary), never
// the value: an identifier typed into the wrong field ("sex: John Smith MRN 998877") would otherwise
// be echoed to the caller, printed by the CLI and stored in the intake log, which annotators read.

/** Whole or decimal numbers as spreadsheets write them ("5.5", "5,5"); no hex, exponents or Infinity. */
const DECIMAL = /^\d+(?:[.,]\d+)?$/;
/** A whole number, also as "4.0". */
const WHOLE = /^\d+(?:\.0+)?$/;

/**
 * ISO 8601 as the CSV format takes it: a calendar date, or a date and time with a time zone (`Z`
 * or ±hh:mm), `T` or a space between them. A time without a zone would depend on the server's.
 */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The instant an ISO 8601 date or date-time names, or why it names none (`2025-02-30` is not 2025-03-02). */
export function parseIsoDate(s: string): Date | string {
  const m = ISO_DATE.exec(s);
  if (!m) return 'is not an ISO 8601 date (YYYY-MM-DD, or a date-time with a time zone)';
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  if (h !== undefined && zone === undefined) return 'has a time but no time zone (add Z or ±hh:mm)';
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, sec].map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  // Date.UTC rolls 2025-02-30 over into March: a real date reads back the same
  const real =
    local.getUTCFullYear() === year &&
    local.getUTCMonth() === month - 1 &&
    local.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59;
  if (!real) return 'is not a calendar date';
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(-2))];
    if (oh > 23 || om > 59) return 'has an invalid time zone offset';
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(local.getTime() - offsetMinutes * 60_000);
}

const lower = (codes: readonly string[]) => codes.map((c) => c.toLowerCase());

/** The record's vocabularies in the CSV notation (the typed input's enums are the same values upper-cased). */
export const VOCABULARIES = {
  yesNo: { values: ['yes', 'no'] },
  sex: { values: ['female', 'male'] },
  fitzpatrickType: { values: FITZPATRICK_TYPES, name: 'Fitzpatrick types (or 1–6)' },
  anatomicalSite: { values: Object.values(SITES).map((s) => s.label) },
  elevation: { values: ['flat', 'palpable', 'nodular'] },
  borderRegularity: { values: ['regular', 'irregular'] },
  colors: { values: lower(COLORS), name: "PH2's colours" },
  structures: {
    values: Object.values(STRUCTURES).map((s) => s.label),
    name: 'the dermoscopic structure vocabulary',
    listed: 'the DermoscopicStructure enum',
  },
  verificationStage: { values: ['initial', 'consensus', 'histology'] },
} as const satisfies Record<string, Vocabulary>;

const KNOWN_KEYS: ReadonlySet<string> = new Set(RAW_RECORD_KEYS);

/** A key is echoed in a refusal only when it is short enough to be a field name. */
const KEY_ECHO_LIMIT = 64;

/**
 * The keys of a JSON record that are not the record's (`anatomicalSite`, `sexe`), each with the
 * snake_case key it probably meant: a key the record does not have would otherwise be ignored, and
 * its value silently lost. Empty when every key is known.
 */
export function unknownKeys(record: Readonly<Record<string, unknown>>): string[] {
  const refusals: string[] = [];
  for (const key of Object.keys(record)) {
    if (KNOWN_KEYS.has(key)) continue;
    const named = key.length <= KEY_ECHO_LIMIT ? `"${key}"` : `a key of ${key.length} characters`;
    const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    const meant = KNOWN_KEYS.has(snake) ? [snake] : closest(key, RAW_RECORD_KEYS);
    refusals.push(
      meant.length > 0
        ? `${named} is not a field of the record (its keys are snake_case); did you mean ${meant.join(' or ')}?`
        : `${named} is not a field of the record; its fields: ${RAW_RECORD_KEYS.join(', ')}`,
    );
  }
  return refusals;
}

/** Dates the collection can plausibly have: not before dermoscopy on smartphones, not in the future. */
const EARLIEST = Date.UTC(2000, 0, 1);

export function validateRecord(record: RawRecord, now = new Date(), provenance: Provenance = 'sop'): ValidRecord {
  // the declared types are what TypeScript callers send; JSON from the API is cast to them
  const raw = record as Readonly<Record<keyof RawRecord, unknown>>;
  const issues: FieldIssue[] = [];
  const bad = (field: keyof RawRecord, message: string) => {
    issues.push({ field, message });
    return undefined;
  };
  const refused = (field: keyof RawRecord) => issues.some((i) => i.field === field);

  /** Trimmed text, undefined when missing or empty; anything else than text is refused. */
  function text(field: keyof RawRecord, max: number, v: unknown = raw[field]): string | undefined {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'string') return bad(field, `must be text, got ${kindOf(v)}`);
    const s = v.trim();
    if (s.length > max) return bad(field, `is longer than ${max} characters`);
    return s === '' ? undefined : s;
  }

  /** Text, or a finite number written as text (the same value the CSV would hold). */
  function textOrNumber(field: keyof RawRecord, max: number): string | undefined {
    const v = raw[field];
    if (typeof v !== 'number') return text(field, max, v);
    return Number.isFinite(v) ? String(v) : bad(field, `must be a finite number, got ${v}`);
  }

  /**
   * A value of a closed vocabulary; a look-up that finds no entry is refused with the closest
   * allowed values (edit distance) and the list, never the value given.
   */
  function vocab<T extends string | boolean>(
    field: keyof RawRecord,
    parse: (s: string) => T | undefined,
    allowed: Vocabulary,
    s: string | undefined,
  ): T | undefined {
    if (s === undefined) return undefined;
    const v = parse(s);
    if (typeof v !== 'string' && typeof v !== 'boolean') return bad(field, notAllowed(s, allowed));
    return v;
  }

  const word = <T extends string | boolean>(
    field: keyof RawRecord,
    parse: (s: string) => T | undefined,
    allowed: Vocabulary,
  ) => vocab(field, parse, allowed, text(field, TEXT_LIMITS.vocabulary));

  /** Several values of a vocabulary: text separated by ";" or "|", or a list of texts. */
  function several<T extends string>(
    field: keyof RawRecord,
    parse: (s: string) => T | undefined,
    allowed: Vocabulary,
  ): T[] {
    const v = raw[field];
    let items: string[];
    if (Array.isArray(v)) {
      if (!v.every((x): x is string => typeof x === 'string')) {
        bad(field, `must be a list of texts, got ${kindOf(v.find((x) => typeof x !== 'string'))} in the list`);
        return [];
      }
      items = v.map((x) => x.trim()).filter(Boolean);
    } else {
      items = (text(field, TEXT_LIMITS.vocabulary * 10) ?? '')
        .split(/[;|]/)
        .map((x) => x.trim())
        .filter(Boolean);
    }
    const out: T[] = [];
    for (const item of items) {
      const parsed = vocab(field, parse, allowed, item);
      if (parsed !== undefined && !out.includes(parsed)) out.push(parsed);
    }
    return out;
  }

  /** yes / no as text, or a JSON boolean. */
  function yesNo(field: 'sunburn_history' | 'personal_ca_history'): boolean | undefined {
    const v = raw[field];
    if (typeof v === 'boolean') return v;
    if (v !== null && v !== undefined && typeof v !== 'string') {
      return bad(field, `must be yes / no or true / false, got ${kindOf(v)}`);
    }
    return word(field, parseYesNo, VOCABULARIES.yesNo);
  }

  const patientId = text('patient_id', TEXT_LIMITS.patient_id);
  if (!patientId && !refused('patient_id')) bad('patient_id', 'is required');

  const lesionId = text('lesion_id', TEXT_LIMITS.lesion_id);

  let acquiredAt: Date | undefined;
  const date = raw.acquisition_date;
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) bad('acquisition_date', 'is not a valid date');
    else acquiredAt = date;
  } else {
    const dateText = text('acquisition_date', 40);
    if (dateText) {
      const parsed = parseIsoDate(dateText);
      if (typeof parsed === 'string') bad('acquisition_date', parsed);
      else acquiredAt = parsed;
    } else if (provenance === 'sop' && !refused('acquisition_date')) {
      bad('acquisition_date', 'is required');
    }
  }
  if (acquiredAt && (acquiredAt.getTime() < EARLIEST || acquiredAt.getTime() > now.getTime() + 86_400_000)) {
    bad('acquisition_date', 'is outside 2000-01-01 … today');
    acquiredAt = undefined;
  }

  // an age that is not a valid age is kept raw and left out of age statistics, not rejected;
  // a value that is no age at all (a list, an object, NaN, a paragraph) is refused
  let ageAtExamRaw = textOrNumber('age_at_exam', TEXT_LIMITS.age_at_exam);
  const ageAtExam = ageAtExamRaw === undefined ? undefined : parseAge(ageAtExamRaw);
  if (ageAtExamRaw !== undefined && ageAtExam === undefined && !MISTYPED_AGE.test(ageAtExamRaw)) {
    // kept raw only when it is a mistyped age: anything else (a name, a record number) is refused
    bad(
      'age_at_exam',
      `is not an age: a whole number of years 0–120, or a mistyped one (${MISTYPED_AGE_RULE}) kept raw`,
    );
    ageAtExamRaw = undefined;
  }

  const sex = word('sex', parseSex, VOCABULARIES.sex);
  const fitzpatrickType = vocab(
    'fitzpatrick_type',
    parseFitzpatrick,
    VOCABULARIES.fitzpatrickType,
    textOrNumber('fitzpatrick_type', TEXT_LIMITS.vocabulary),
  );
  const sunburnHistory = yesNo('sunburn_history');
  const personalCaHistory = yesNo('personal_ca_history');
  const anatomicalSite = word('anatomical_site', parseSite, VOCABULARIES.anatomicalSite);
  const elevation = word('elevation', parseElevation, VOCABULARIES.elevation);
  const borderRegularity = word('border_regularity', parseBorder, VOCABULARIES.borderRegularity);

  let lesionDiameterMm: number | undefined;
  const diameter = textOrNumber('lesion_diameter_mm', 40);
  if (diameter !== undefined) {
    const given = raw.lesion_diameter_mm;
    const n =
      typeof given === 'number' ? given : DECIMAL.test(diameter) ? Number(diameter.replace(',', '.')) : Number.NaN;
    if (n > 0 && n <= 300) lesionDiameterMm = n;
    else bad('lesion_diameter_mm', 'is not a diameter in mm (a number above 0, at most 300)');
  }

  const colors = several('dominant_colors', parseColor, VOCABULARIES.colors);
  const structures = several('dermoscopic_structures', parseStructure, VOCABULARIES.structures);

  const clinicalDiagnosisRaw = text('clinical_diagnosis', TEXT_LIMITS.clinical_diagnosis);
  const termText = text('diagnosis_term', TEXT_LIMITS.diagnosis_term);
  const givenTerm = termText === undefined ? undefined : findTerm(termText);
  if (termText !== undefined && !givenTerm) {
    bad(
      'diagnosis_term',
      'is not a term of the diagnosis vocabulary (a path of the ISIC diagnosis hierarchy such as ' +
        '"Benign:Benign epidermal proliferations:Solar lentigo", or a term\'s name)',
    );
  }
  const malignancySigns = showsMalignancySigns(borderRegularity, structures);
  const diagnosis =
    refused('clinical_diagnosis') || refused('diagnosis_term')
      ? undefined
      : diagnosisOf(clinicalDiagnosisRaw, givenTerm, malignancySigns);
  if (diagnosis && !diagnosis.ok) bad(diagnosis.field, diagnosis.reason);

  const histopathologyResult = text('histopathology_result', TEXT_LIMITS.histopathology_result);
  const verificationStage = word('verification_stage', parseStage, VOCABULARIES.verificationStage) ?? 'INITIAL';
  if (verificationStage === 'HISTOLOGY' && !histopathologyResult && !refused('histopathology_result')) {
    bad('histopathology_result', 'is required when verification_stage is histology');
  }

  const examinerId = text('examiner_id', TEXT_LIMITS.examiner_id);

  let imageQualityScore: QualityScore | undefined;
  const scoreText = textOrNumber('image_quality_score', 40);
  if (scoreText === undefined) {
    if (provenance === 'sop' && !refused('image_quality_score')) bad('image_quality_score', 'is required');
  } else {
    const given = raw.image_quality_score;
    const score = typeof given === 'number' ? given : WHOLE.test(scoreText) ? Number(scoreText) : Number.NaN;
    if (isQualityScore(score)) imageQualityScore = score;
    else bad('image_quality_score', 'is not an integer score 1–5');
  }

  if (issues.length > 0 || !patientId || !diagnosis?.ok) {
    throw new IngestError('INVALID_RECORD', issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
  }
  return {
    patientId,
    lesionId,
    acquiredAt,
    ageAtExamRaw,
    ageAtExam,
    sex,
    fitzpatrickType,
    sunburnHistory,
    personalCaHistory,
    anatomicalSite,
    lesionDiameterMm,
    colors,
    elevation,
    borderRegularity,
    structures,
    clinicalDiagnosisRaw: clinicalDiagnosisRaw ?? givenTerm?.name ?? '',
    diagnosisClass: diagnosis.diagnosisClass,
    diagnosisTerm: diagnosis.term,
    clinicalStatus: statusOf(diagnosis.diagnosisClass, diagnosis.term),
    histopathologyResult,
    verificationStage,
    examinerId,
    imageQualityScore,
  };
}

type Diagnosis =
  | { ok: true; diagnosisClass: DiagnosisClass | null; term: string }
  | { ok: false; field: 'clinical_diagnosis' | 'diagnosis_term'; reason: string };

/**
 * The class and term of a record. A clinical diagnosis of the 9 classes (or a synonym) gives the
 * class; its term is the given one, or the one the text names, or the class's own. Text that names
 * no class but a term of the vocabulary ("solar lentigo", "actinic keratosis"), or a given term with
 * no class, is a record outside the 9: stored with its term, its class empty. A given term of
 * another class than the text's is refused: one of the two is wrong.
 */
function diagnosisOf(raw: string | undefined, given: DiagnosisTerm | undefined, malignancySigns: boolean): Diagnosis {
  const normalised = normaliseDiagnosis(raw ?? '', malignancySigns);
  if (normalised.ok) {
    const c = normalised.diagnosisClass;
    if (given?.diagnosisClass && given.diagnosisClass !== c) {
      return {
        ok: false,
        field: 'diagnosis_term',
        reason: `is a term of ${CLASSES[given.diagnosisClass].label}, while clinical_diagnosis says ${CLASSES[c].label}`,
      };
    }
    const named = raw === undefined ? undefined : findTerm(raw);
    const term = given ?? (named?.diagnosisClass === c ? named : undefined);
    return { ok: true, diagnosisClass: c, term: term?.path ?? CLASS_TERM[c] };
  }
  const quoted = normalised.reason.startsWith('clinical_diagnosis "');
  // the nevus-like formation with signs of malignancy is refused whatever the term says
  if (raw !== undefined && raw.trim() !== '' && !quoted) {
    return { ok: false, field: 'clinical_diagnosis', reason: normalised.reason };
  }
  const term = given ?? (raw === undefined ? undefined : findTerm(raw));
  if (term) return { ok: true, diagnosisClass: term.diagnosisClass, term: term.path };
  return {
    ok: false,
    field: 'clinical_diagnosis',
    reason: quoted
      ? 'is not one of the 9 classes, a known synonym or a term of the diagnosis vocabulary'
      : normalised.reason,
  };
}
