// Validation of one acquisition record: the 16 fields of the information model plus the service
// data (patient and lesion identifiers, acquisition date) as they arrive from a CSV row or the API.
import { normaliseDiagnosis } from '../domain/classes.ts';
import type {
  AnatomicalSite,
  BorderRegularity,
  Color,
  DermoscopicStructure,
  DiagnosisClass,
  Elevation,
  FitzpatrickType,
  Sex,
  VerificationStage,
} from '../domain/enums.ts';
import { isQualityScore, type QualityScore } from '../domain/quality.ts';
import { parseSite } from '../domain/sites.ts';
import { parseStructure, showsMalignancySigns } from '../domain/structures.ts';
import {
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

type Scalar = string | number | boolean | null | undefined;

/** A record as given: every value may be a string (CSV) or already typed (API, demo). */
export interface RawRecord {
  patient_id?: Scalar;
  lesion_id?: Scalar;
  acquisition_date?: Scalar | Date;
  age_at_exam?: Scalar;
  sex?: Scalar;
  fitzpatrick_type?: Scalar;
  sunburn_history?: Scalar;
  personal_ca_history?: Scalar;
  anatomical_site?: Scalar;
  lesion_diameter_mm?: Scalar;
  dominant_colors?: Scalar | readonly string[];
  elevation?: Scalar;
  border_regularity?: Scalar;
  dermoscopic_structures?: Scalar | readonly string[];
  clinical_diagnosis?: Scalar;
  histopathology_result?: Scalar;
  verification_stage?: Scalar;
  examiner_id?: Scalar;
  image_quality_score?: Scalar;
}

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
  diagnosisClass: DiagnosisClass;
  histopathologyResult: string | undefined;
  verificationStage: VerificationStage;
  examinerId: string | undefined;
  /** Missing only for records of public collections, which were not scored under our SOP. */
  imageQualityScore: QualityScore | undefined;
}

const text = (v: unknown): string | undefined => {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v.toISOString();
  const s = String(v).trim();
  return s === '' ? undefined : s;
};

const list = (v: unknown): string[] => {
  if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter(Boolean);
  const s = text(v);
  return s
    ? s
        .split(/[;|]/)
        .map((x) => x.trim())
        .filter(Boolean)
    : [];
};

/** Dates the collection can plausibly have: not before dermoscopy on smartphones, not in the future. */
const EARLIEST = Date.UTC(2000, 0, 1);

/**
 * `sop`: our own acquisitions, which must carry an acquisition date and an SOP quality score.
 * `public`: records of public collections (HAM10000, ISIC…), which publish neither.
 */
export type Provenance = 'sop' | 'public';

export function validateRecord(raw: RawRecord, now = new Date(), provenance: Provenance = 'sop'): ValidRecord {
  const issues: FieldIssue[] = [];
  const bad = (field: string, message: string) => issues.push({ field, message });

  function vocab<T>(field: keyof RawRecord, parse: (s: string) => T | undefined, allowed: string): T | undefined {
    const s = text(raw[field]);
    if (s === undefined) return undefined;
    const v = parse(s);
    if (v === undefined) bad(field, `"${s}" is not one of: ${allowed}`);
    return v;
  }

  const patientId = text(raw.patient_id);
  if (!patientId) bad('patient_id', 'is required');
  else if (patientId.length > 200) bad('patient_id', 'is longer than 200 characters');

  const lesionId = text(raw.lesion_id);
  if (lesionId && lesionId.length > 200) bad('lesion_id', 'is longer than 200 characters');

  let acquiredAt: Date | undefined;
  const dateText = text(raw.acquisition_date);
  if (!dateText) {
    if (provenance === 'sop') bad('acquisition_date', 'is required');
  } else {
    acquiredAt = /^\d{4}-\d{2}-\d{2}$/.test(dateText) ? new Date(`${dateText}T00:00:00Z`) : new Date(dateText);
    if (Number.isNaN(acquiredAt.getTime())) bad('acquisition_date', `"${dateText}" is not an ISO 8601 date`);
    else if (acquiredAt.getTime() < EARLIEST || acquiredAt.getTime() > now.getTime() + 86_400_000) {
      bad('acquisition_date', `${dateText} is outside 2000-01-01 … today`);
    }
  }

  // an invalid age is kept raw and left out of age statistics, not rejected
  const ageAtExamRaw = text(raw.age_at_exam);
  const ageAtExam = ageAtExamRaw === undefined ? undefined : parseAge(ageAtExamRaw);

  const sex = vocab('sex', parseSex, 'female, male');
  const fitzpatrickType = vocab('fitzpatrick_type', parseFitzpatrick, 'I–VI');
  const sunburnHistory = vocab('sunburn_history', parseYesNo, 'yes, no');
  const personalCaHistory = vocab('personal_ca_history', parseYesNo, 'yes, no');
  const anatomicalSite = vocab('anatomical_site', parseSite, 'see the anatomical site vocabulary');
  const elevation = vocab('elevation', parseElevation, 'flat, palpable, nodular');
  const borderRegularity = vocab('border_regularity', parseBorder, 'regular, irregular');

  let lesionDiameterMm: number | undefined;
  const diameter = text(raw.lesion_diameter_mm);
  if (diameter !== undefined) {
    const n = Number(diameter.replace(',', '.'));
    if (!Number.isFinite(n) || n <= 0 || n > 300)
      bad('lesion_diameter_mm', `"${diameter}" is not a diameter in mm (0–300)`);
    else lesionDiameterMm = n;
  }

  const colors: Color[] = [];
  for (const c of list(raw.dominant_colors)) {
    const v = parseColor(c);
    if (!v)
      bad(
        'dominant_colors',
        `"${c}" is not one of PH2's colours: white, red, light_brown, dark_brown, blue_gray, black`,
      );
    else if (!colors.includes(v)) colors.push(v);
  }
  const structures: DermoscopicStructure[] = [];
  for (const s of list(raw.dermoscopic_structures)) {
    const v = parseStructure(s);
    if (!v) bad('dermoscopic_structures', `"${s}" is not in the dermoscopic structure vocabulary`);
    else if (!structures.includes(v)) structures.push(v);
  }

  const clinicalDiagnosisRaw = text(raw.clinical_diagnosis) ?? '';
  const malignancySigns = showsMalignancySigns(borderRegularity, structures);
  const diagnosis = normaliseDiagnosis(clinicalDiagnosisRaw, malignancySigns);
  if (!diagnosis.ok) bad('clinical_diagnosis', diagnosis.reason);

  const histopathologyResult = text(raw.histopathology_result);
  const verificationStage = vocab('verification_stage', parseStage, 'initial, consensus, histology') ?? 'INITIAL';
  if (verificationStage === 'HISTOLOGY' && !histopathologyResult) {
    bad('histopathology_result', 'is required when verification_stage is histology');
  }

  const examinerId = text(raw.examiner_id);
  const scoreText = text(raw.image_quality_score);
  const score = scoreText === undefined ? Number.NaN : Number(scoreText);
  if (scoreText === undefined) {
    if (provenance === 'sop') bad('image_quality_score', 'is required');
  } else if (!isQualityScore(score)) bad('image_quality_score', `"${scoreText}" is not an integer score 1–5`);

  if (issues.length > 0 || !patientId || !diagnosis.ok) {
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
    clinicalDiagnosisRaw,
    diagnosisClass: diagnosis.diagnosisClass,
    histopathologyResult,
    verificationStage,
    examinerId,
    imageQualityScore: isQualityScore(score) ? score : undefined,
  };
}
