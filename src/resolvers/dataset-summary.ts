// The dataset's headline numbers (the paper's Table 4, Table 5 and section 3), computed with SQL
// aggregates over the records: GROUP BY results are small histograms, never the rows themselves.
// Ages and the collection period go through a de-identification profile (the caller's read profile):
// safe-harbor top-codes ages at 90 and gives the period in years; counts and shares never change.
import type { Db } from '../db/client.ts';
import { db as currentDb } from '../db/current.ts';
import { CLASS_CODES, CLASSES, type ClinicalStatus, type Origin } from '../domain/classes.ts';
import { ageNumber, DEFAULT_PROFILE, dateTimeValue, type ProfileId } from '../domain/deidentify.ts';
import type { DiagnosisClass, IntakeOutcome, Sex, VerificationStage } from '../domain/enums.ts';
import { type Bin, type Summary, summarise } from '../domain/histogram.ts';
import { FIELDS } from '../domain/information-model.ts';

export interface ClassRow {
  diagnosisClass: DiagnosisClass;
  count: number;
  share: number;
  origin: Origin;
  status: ClinicalStatus;
}

export interface DatasetSummary {
  intake: {
    attempts: number;
    sopRejected: number;
    invalidRejected: number;
    /** Records that passed the SOP gate (accepted + exact duplicates). */
    records: number;
    duplicates: number;
    duplicateShare: number;
    uniqueImages: number;
  };
  images: number;
  patients: number;
  imagesPerPatient: Summary & { singleImagePatients: number };
  age: Summary & { patientsWithValidAge: number };
  sex: { sex: Sex | null; count: number; share: number }[];
  classes: ClassRow[];
  diagnosticCategories: number;
  informationModelFields: number;
  origins: { origin: Origin; count: number; share: number }[];
  statuses: { status: ClinicalStatus; count: number; share: number }[];
  stages: { stage: VerificationStage; count: number }[];
  malignant: { count: number; histologyVerified: number; histologyShare: number };
  collection: { from: Date | null; to: Date | null };
  nearDuplicatePairs: number;
}

const SEX_ORDER: (Sex | null)[] = ['FEMALE', 'MALE', null];
const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

/**
 * The headline numbers. `profile` (default safe-harbor): the age figures are computed over ages as
 * the profile gives them as numbers (top-coded at 90 under safe-harbor: max 90 means "90 or older";
 * research's 5-year bins are coarser than a summary needs, so research top-codes as safe-harbor
 * does), and the collection period is reduced as the profile reduces dates (safe-harbor: the first
 * instant of the first and of the last year). Exact under limited.
 */
export async function datasetSummary(
  db: Db = currentDb(),
  opts: { profile?: ProfileId } = {},
): Promise<DatasetSummary> {
  const profile = opts.profile ?? DEFAULT_PROFILE;
  const ageProfile: ProfileId = profile === 'limited' ? 'limited' : 'safe-harbor';
  const [intakeRows, classStageRows, perPatientRows, ageRows, sexRows, periodRows, nearRows, patientRows] =
    await Promise.all([
      db.$queryRawUnsafe<{ outcome: string; n: unknown }[]>(
        'SELECT CAST(outcome AS TEXT) AS outcome, COUNT(*) AS n FROM intake_record GROUP BY outcome',
      ),
      db.$queryRawUnsafe<{ cls: string; stage: string; n: unknown }[]>(
        `SELECT CAST(diagnosis_class AS TEXT) AS cls, CAST(verification_stage AS TEXT) AS stage, COUNT(*) AS n
         FROM image GROUP BY diagnosis_class, verification_stage`,
      ),
      db.$queryRawUnsafe<{ k: unknown; n: unknown }[]>(
        'SELECT k, COUNT(*) AS n FROM (SELECT COUNT(*) AS k FROM image GROUP BY patient_id) per_patient GROUP BY k',
      ),
      // a patient's age is their age at the first examination with a valid age
      db.$queryRawUnsafe<{ age: unknown; n: unknown }[]>(
        `SELECT age, COUNT(*) AS n FROM (
           SELECT MIN(age_at_exam) AS age FROM image WHERE age_at_exam IS NOT NULL GROUP BY patient_id
         ) ages GROUP BY age`,
      ),
      db.$queryRawUnsafe<{ sex: string | null; n: unknown }[]>(
        `SELECT CAST(p.sex AS TEXT) AS sex, COUNT(*) AS n FROM patient p
         WHERE EXISTS (SELECT 1 FROM image i WHERE i.patient_id = p.id) GROUP BY p.sex`,
      ),
      db.image.aggregate({ _min: { acquiredAt: true }, _max: { acquiredAt: true } }),
      db.nearDuplicate.count(),
      db.$queryRawUnsafe<{ n: unknown }[]>('SELECT COUNT(DISTINCT patient_id) AS n FROM image'),
    ]);

  const outcome = (o: IntakeOutcome) => num(intakeRows.find((r) => r.outcome === o)?.n);
  const accepted = outcome('ACCEPTED');
  const duplicates = outcome('DUPLICATE');
  const records = accepted + duplicates;

  const byClass = new Map<DiagnosisClass, number>();
  const byStage = new Map<VerificationStage, number>();
  let malignant = 0;
  let malignantHisto = 0;
  let images = 0;
  for (const r of classStageRows) {
    const n = num(r.n);
    const cls = r.cls as DiagnosisClass;
    const stage = r.stage as VerificationStage;
    images += n;
    byClass.set(cls, (byClass.get(cls) ?? 0) + n);
    byStage.set(stage, (byStage.get(stage) ?? 0) + n);
    if (CLASSES[cls].status === 'MALIGNANT') {
      malignant += n;
      if (stage === 'HISTOLOGY') malignantHisto += n;
    }
  }
  const classes = CLASS_CODES.map((c) => ({ diagnosisClass: c, count: byClass.get(c) ?? 0 }))
    .map((r) => ({
      ...r,
      share: share(r.count, images),
      origin: CLASSES[r.diagnosisClass].origin,
      status: CLASSES[r.diagnosisClass].status,
    }))
    .sort((a, b) => b.count - a.count || CLASS_CODES.indexOf(a.diagnosisClass) - CLASS_CODES.indexOf(b.diagnosisClass));
  const groupBy = <K extends string>(key: (r: ClassRow) => K, keys: K[]) =>
    keys.map((k) => {
      const count = classes.filter((r) => key(r) === k).reduce((s, r) => s + r.count, 0);
      return { key: k, count, share: share(count, images) };
    });

  const perPatient: Bin[] = perPatientRows.map((r) => ({ value: num(r.k), count: num(r.n) }));
  const ageBins = new Map<number, number>();
  for (const r of ageRows) {
    const age = ageNumber(num(r.age), ageProfile);
    if (age !== null) ageBins.set(age, (ageBins.get(age) ?? 0) + num(r.n));
  }
  const ages: Bin[] = [...ageBins].map(([value, count]) => ({ value, count }));
  const patients = num(patientRows[0]?.n);
  const ageSummary = summarise(ages);

  return {
    intake: {
      attempts: intakeRows.reduce((s, r) => s + num(r.n), 0),
      sopRejected: outcome('REJECTED_QUALITY'),
      invalidRejected: outcome('REJECTED_INVALID'),
      records,
      duplicates,
      duplicateShare: share(duplicates, records),
      uniqueImages: accepted,
    },
    images,
    patients,
    imagesPerPatient: {
      ...summarise(perPatient),
      singleImagePatients: perPatient.find((b) => b.value === 1)?.count ?? 0,
    },
    age: { ...ageSummary, patientsWithValidAge: ageSummary.n },
    sex: sexRows
      .map((r) => ({ sex: (r.sex as Sex | null) ?? null, count: num(r.n) }))
      .map((r) => ({ ...r, share: share(r.count, patients) }))
      // most frequent first; ties in a fixed order (female, male, unknown) on both databases
      .sort((a, b) => b.count - a.count || SEX_ORDER.indexOf(a.sex) - SEX_ORDER.indexOf(b.sex)),
    classes,
    diagnosticCategories: classes.filter((r) => r.count > 0).length,
    informationModelFields: FIELDS.length,
    origins: groupBy((r) => r.origin, ['MELANOCYTIC', 'NON_MELANOCYTIC'] as Origin[]).map(({ key, ...r }) => ({
      origin: key,
      ...r,
    })),
    statuses: groupBy((r) => r.status, ['BENIGN', 'BORDERLINE', 'MALIGNANT'] as ClinicalStatus[]).map(
      ({ key, ...r }) => ({ status: key, ...r }),
    ),
    stages: (['INITIAL', 'CONSENSUS', 'HISTOLOGY'] as VerificationStage[]).map((stage) => ({
      stage,
      count: byStage.get(stage) ?? 0,
    })),
    malignant: {
      count: malignant,
      histologyVerified: malignantHisto,
      histologyShare: share(malignantHisto, malignant),
    },
    collection: {
      from: dateTimeValue(periodRows._min.acquiredAt, profile),
      to: dateTimeValue(periodRows._max.acquiredAt, profile),
    },
    nearDuplicatePairs: nearRows,
  };
}
