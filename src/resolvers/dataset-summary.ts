// The dataset's headline numbers (the paper's Table 4, Table 5 and section 3): a view of stats over
// the whole dataset, so the two never compute the same figure twice. Ages and the collection period
// go through a de-identification profile (the caller's read profile): safe-harbor top-codes ages at
// 90 and gives the period in years; counts and shares never change.
import type { ClinicalStatus, Origin } from '../domain/classes.ts';
import { dateTimeValue, type ProfileId } from '../domain/deidentify.ts';
import type { DiagnosisClass, Sex, VerificationStage } from '../domain/enums.ts';
import type { Summary } from '../domain/histogram.ts';
import { FIELDS } from '../domain/information-model.ts';
import type { Stats } from './stats.ts';

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
  /** The 9 classes (Table 4). */
  classes: ClassRow[];
  /** Images outside the 9 classes (their terms have no place among them): beside the classes, not in them. */
  outsideNine: number;
  diagnosticCategories: number;
  informationModelFields: number;
  /** Images per origin, the class's or (outside the 9) the term's; images whose term states none are in no row. */
  origins: { origin: Origin; count: number; share: number }[];
  /** Images per clinical status, every one of the five. */
  statuses: { status: ClinicalStatus; count: number; share: number }[];
  stages: { stage: VerificationStage; count: number }[];
  malignant: { count: number; histologyVerified: number; histologyShare: number };
  collection: { from: Date | null; to: Date | null };
  nearDuplicatePairs: number;
}

const SEX_ORDER: (Sex | null)[] = ['FEMALE', 'MALE', null];
const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
const ORIGINS: Origin[] = ['MELANOCYTIC', 'NON_MELANOCYTIC'];

/**
 * The headline numbers, read off the stats of the whole dataset computed under the same `profile`
 * (the age figures: ages top-coded at 90 under any profile but limited). The collection period is
 * reduced as the profile reduces dates (safe-harbor: the first instant of the first and of the last
 * year); exact under limited.
 */
export function summaryOf(stats: Stats, profile: ProfileId): DatasetSummary {
  const { images, patients, classes } = stats;
  const originFacet = stats.distributions.find((f) => f.field === 'origin');
  const sexFacet = stats.patientDistributions.find((f) => f.field === 'sex');
  const sex = [
    ...(sexFacet?.values ?? []).map((v) => ({ sex: v.value as Sex, count: v.count })),
    ...(sexFacet && sexFacet.missing > 0 ? [{ sex: null, count: sexFacet.missing }] : []),
  ]
    .map((r) => ({ ...r, share: share(r.count, patients) }))
    // most frequent first; ties in a fixed order (female, male, unknown) on both databases
    .sort((a, b) => b.count - a.count || SEX_ORDER.indexOf(a.sex) - SEX_ORDER.indexOf(b.sex));
  const { accepted, duplicates } = stats.intake;
  const records = accepted + duplicates;
  return {
    intake: {
      attempts: stats.intake.attempts,
      sopRejected: stats.intake.sopRejected,
      invalidRejected: stats.intake.invalidRejected,
      records,
      duplicates,
      duplicateShare: share(duplicates, records),
      uniqueImages: accepted,
    },
    images,
    patients,
    imagesPerPatient: stats.imagesPerPatient,
    age: stats.age,
    sex,
    classes,
    outsideNine: stats.outsideNine,
    diagnosticCategories: classes.filter((r) => r.count > 0).length,
    informationModelFields: FIELDS.length,
    origins: ORIGINS.map((origin) => {
      const count = originFacet?.values.find((v) => v.value === origin)?.count ?? 0;
      return { origin, count, share: share(count, images) };
    }),
    statuses: stats.statuses,
    stages: stats.stages,
    malignant: stats.malignant,
    collection: {
      from: dateTimeValue(stats.collection.from, profile),
      to: dateTimeValue(stats.collection.to, profile),
    },
    nearDuplicatePairs: stats.nearDuplicatePairs,
  };
}
