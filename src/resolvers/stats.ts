// stats(filter, policy): the description of any subset under any policy, from SQL aggregates
// (counts and GROUP BYs; per-patient and per-review groups are the finest grain read).
import { db } from '../db/current.ts';
import { type Agreement, agreementOf } from '../domain/agreement.ts';
import { CLASS_CODES, CLASSES, type ClinicalStatus, type Origin } from '../domain/classes.ts';
import { ageNumber, DEFAULT_PROFILE, type ProfileId } from '../domain/deidentify.ts';
import type { DiagnosisClass, IntakeOutcome, VerificationStage } from '../domain/enums.ts';
import { type Bin, type Summary, summarise } from '../domain/histogram.ts';
import { FIELDS } from '../domain/information-model.ts';
import { QUALITY_VERDICTS, type QualityVerdict } from '../domain/quality.ts';
import { CLINICAL_STATUSES, STAGES } from '../domain/vocabularies.ts';
import { decide } from '../plugins/evaluate.ts';
import type { ClassMappingPolicy } from '../plugins/types.ts';
import { computeFacets, type FieldFacet } from './facets.ts';
import { labelGroups } from './releases.ts';
import { asOfRelease, type Subset } from './subset.ts';

type Where = Subset['where'];

export interface CountShare {
  key: string;
  count: number;
  share: number;
}

export interface Stats {
  policy: ClassMappingPolicy;
  images: number;
  patients: number;
  /** The 9 classes (the paper's Table 4); images outside the 9 are counted in `outsideNine`, not here. */
  classes: { diagnosisClass: DiagnosisClass; count: number; share: number; origin: Origin; status: ClinicalStatus }[];
  /** Images whose term has no place among the 9 classes. */
  outsideNine: number;
  /** Images per diagnosis term (domain/terms.ts), most frequent first, with the term's class (null: outside the 9). */
  terms: {
    term: string;
    diagnosisClass: DiagnosisClass | null;
    status: ClinicalStatus;
    count: number;
    share: number;
  }[];
  /** Images per clinical status (the class's, or the term's outside the 9), in CLINICAL_STATUSES order. */
  statuses: { status: ClinicalStatus; count: number; share: number }[];
  /** Images per collection (by slug), most frequent first: the facet's one GROUP BY. */
  collections: { slug: string; count: number; share: number }[];
  labels: CountShare[];
  excluded: number;
  unmapped: number;
  intake: {
    sopRejected: number;
    records: number;
    duplicates: number;
    duplicateShare: number;
    uniqueImages: number;
    /** The collection as a whole (rejections left no image): every intake, and those refused as invalid. */
    attempts: number;
    invalidRejected: number;
    /** The collection as a whole: intakes stored as a new image. */
    accepted: number;
  };
  /** Images per verification stage, in the stages' order. */
  stages: { stage: VerificationStage; count: number }[];
  imagesPerPatient: Summary & { singleImagePatients: number; bins: Bin[] };
  age: Summary & { patientsWithValidAge: number; bins: Bin[] };
  /** Per image: every categorical field, with present / missing (the facets). */
  distributions: FieldFacet[];
  /** Per patient with images in the subset: sex, Fitzpatrick type and the anamnestic facts. */
  patientDistributions: FieldFacet[];
  malignant: { count: number; histologyVerified: number; histologyShare: number };
  completeness: { field: string; present: number; missing: number }[];
  nearDuplicatePairs: number;
  /** Images per verdict of the technical quality advice (an image with two defects counts under both). */
  qualityVerdicts: { verdict: QualityVerdict; count: number; share: number }[];
  agreement: Agreement;
  collection: { from: Date | null; to: Date | null };
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

/**
 * `profile`: the age figures (min, median, mean, max, histogram) are computed over ages top-coded at
 * 90 under any profile but limited, so no figure singles out a patient of 90 or over (the default,
 * safe-harbor, is what viewers and the datasheet get; annotators and above read limited).
 */
export async function computeStats(subset: Subset, opts: { profile?: ProfileId } = {}): Promise<Stats> {
  const ageProfile: ProfileId = (opts.profile ?? DEFAULT_PROFILE) === 'limited' ? 'limited' : 'safe-harbor';
  const client = db();
  const { where, policy } = subset;
  const [classStage, perPatient, ages, facets, dupCount, outcomes, nearPairs, reviews, present] = await Promise.all([
    // as of a release: the classes, terms, statuses and stages it froze
    labelGroups(subset),
    client.image.groupBy({ by: ['patientId'], where, _count: { _all: true } }),
    client.image.groupBy({
      by: ['patientId'],
      where: { AND: [where, { ageAtExam: { not: null } }] },
      _min: { ageAtExam: true },
    }),
    computeFacets(subset),
    // exact duplicates of the images in the subset
    client.intakeRecord.count({ where: { outcome: 'DUPLICATE', duplicateOf: where } }),
    // SOP rejections left no image: they belong to the collection as a whole
    client.intakeRecord.groupBy({ by: ['outcome'], _count: { _all: true } }),
    client.nearDuplicate.count({ where: { image: where, twin: where } }),
    client.expertReview.groupBy({
      by: ['imageId', 'reviewerCode', 'diagnosisClass'],
      where: { image: where },
      _count: { _all: true },
    }),
    presentCounts(where, subset.release),
  ]);
  const period = await client.image.aggregate({ where, _min: { acquiredAt: true }, _max: { acquiredAt: true } });
  const patientDistributions = await patientFacets(where);

  const images = classStage.reduce((s, r) => s + r._count._all, 0);
  const outcome = (o: IntakeOutcome) => outcomes.find((r) => r.outcome === o)?._count._all ?? 0;
  const byStage = new Map<VerificationStage, number>();
  const byClass = new Map<DiagnosisClass, number>();
  const labels = new Map<string, number>();
  let excluded = 0;
  let unmapped = 0;
  let malignant = 0;
  let malignantHisto = 0;
  let outsideNine = 0;
  const byTerm = new Map<string, { diagnosisClass: DiagnosisClass | null; status: ClinicalStatus; count: number }>();
  const byStatus = new Map<ClinicalStatus, number>();
  for (const r of classStage) {
    const n = r._count._all;
    if (r.diagnosisClass) byClass.set(r.diagnosisClass, (byClass.get(r.diagnosisClass) ?? 0) + n);
    else outsideNine += n;
    const t = byTerm.get(r.diagnosisTerm) ?? { diagnosisClass: r.diagnosisClass, status: r.clinicalStatus, count: 0 };
    t.count += n;
    byTerm.set(r.diagnosisTerm, t);
    byStatus.set(r.clinicalStatus, (byStatus.get(r.clinicalStatus) ?? 0) + n);
    byStage.set(r.verificationStage, (byStage.get(r.verificationStage) ?? 0) + n);
    const d = decide(policy, r);
    if (d.kind === 'mapped') labels.set(d.label, (labels.get(d.label) ?? 0) + n);
    else if (d.kind === 'excluded') excluded += n;
    else unmapped += n;
    if (r.clinicalStatus === 'MALIGNANT') {
      malignant += n;
      if (r.verificationStage === 'HISTOLOGY') malignantHisto += n;
    }
  }
  const perPatientBins = new Map<number, number>();
  for (const p of perPatient) perPatientBins.set(p._count._all, (perPatientBins.get(p._count._all) ?? 0) + 1);
  const ageBins = new Map<number, number>();
  for (const a of ages) {
    const age = ageNumber(a._min.ageAtExam, ageProfile);
    if (age !== null) ageBins.set(age, (ageBins.get(age) ?? 0) + 1);
  }
  const toBins = (m: Map<number, number>): Bin[] => [...m].map(([value, count]) => ({ value, count }));
  const ageSummary = summarise(toBins(ageBins));
  const records = images + dupCount;
  const verdicts = facets.fields.find((f) => f.field === 'quality_verdict')?.values ?? [];
  const verdictCount = (v: QualityVerdict) => verdicts.find((x) => x.value === v)?.count ?? 0;

  return {
    policy,
    images,
    patients: perPatient.length,
    classes: CLASS_CODES.map((c) => ({
      diagnosisClass: c,
      count: byClass.get(c) ?? 0,
      share: share(byClass.get(c) ?? 0, images),
      origin: CLASSES[c].origin,
      status: CLASSES[c].status,
    })).sort(
      (a, b) => b.count - a.count || CLASS_CODES.indexOf(a.diagnosisClass) - CLASS_CODES.indexOf(b.diagnosisClass),
    ),
    outsideNine,
    terms: [...byTerm]
      .map(([term, t]) => ({ term, ...t, share: share(t.count, images) }))
      .sort((a, b) => b.count - a.count || a.term.localeCompare(b.term)),
    statuses: CLINICAL_STATUSES.map((status) => ({
      status,
      count: byStatus.get(status) ?? 0,
      share: share(byStatus.get(status) ?? 0, images),
    })),
    collections: (facets.fields.find((f) => f.field === 'collection')?.values ?? []).map((v) => ({
      slug: v.value,
      count: v.count,
      share: share(v.count, images),
    })),
    labels: policy.labels.map((key) => ({
      key,
      count: labels.get(key) ?? 0,
      share: share(labels.get(key) ?? 0, images),
    })),
    excluded,
    unmapped,
    intake: {
      sopRejected: outcome('REJECTED_QUALITY'),
      records,
      duplicates: dupCount,
      duplicateShare: share(dupCount, records),
      uniqueImages: images,
      attempts: outcomes.reduce((n, r) => n + r._count._all, 0),
      invalidRejected: outcome('REJECTED_INVALID'),
      accepted: outcome('ACCEPTED'),
    },
    stages: STAGES.map((stage) => ({ stage, count: byStage.get(stage) ?? 0 })),
    imagesPerPatient: {
      ...summarise(toBins(perPatientBins)),
      singleImagePatients: perPatientBins.get(1) ?? 0,
      bins: toBins(perPatientBins).sort((a, b) => a.value - b.value),
    },
    age: { ...ageSummary, patientsWithValidAge: ageSummary.n, bins: toBins(ageBins).sort((a, b) => a.value - b.value) },
    distributions: facets.fields,
    patientDistributions,
    malignant: {
      count: malignant,
      histologyVerified: malignantHisto,
      histologyShare: share(malignantHisto, malignant),
    },
    completeness: FIELDS.map((f) => ({
      field: f.name,
      present: present[f.name] ?? 0,
      missing: images - (present[f.name] ?? 0),
    })),
    nearDuplicatePairs: nearPairs,
    qualityVerdicts: QUALITY_VERDICTS.map((verdict) => ({
      verdict,
      count: verdictCount(verdict),
      share: share(verdictCount(verdict), images),
    })),
    collection: { from: period._min.acquiredAt, to: period._max.acquiredAt },
    agreement: agreementOf(
      reviews.map((r) => ({ imageId: r.imageId, reviewer: r.reviewerCode, cls: r.diagnosisClass })),
    ),
  };
}

async function patientFacets(where: Where): Promise<FieldFacet[]> {
  const patientWhere = { images: { some: where } };
  const fields = [
    ['sex', 'sex'],
    ['fitzpatrick_type', 'fitzpatrickType'],
    ['sunburn_history', 'sunburnHistory'],
    ['personal_ca_history', 'personalCaHistory'],
  ] as const;
  return Promise.all(
    fields.map(async ([field, key]) => {
      const rows = await db().patient.groupBy({ by: [key], where: patientWhere, _count: { _all: true } });
      const total = rows.reduce((n, r) => n + r._count._all, 0);
      const missing = rows.filter((r) => r[key] === null).reduce((n, r) => n + r._count._all, 0);
      const values = rows
        .filter((r) => r[key] !== null)
        .map((r) => ({ value: String(r[key]), count: r._count._all }))
        .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
      return { field, present: total - missing, missing, values };
    }),
  );
}

/** Images with each of the 16 fields present (multi-valued fields: at least one value). */
async function presentCounts(where: Where, release: Subset['release']): Promise<Record<string, number>> {
  const c = db().image;
  const has = (w: Where) => c.count({ where: { AND: [where, release ? asOfRelease(w, release.id) : w] } });
  const [
    age,
    sex,
    fitz,
    sunburn,
    ca,
    site,
    diameter,
    colors,
    elevation,
    border,
    structures,
    histo,
    examiner,
    score,
    all,
  ] = await Promise.all([
    has({ ageAtExam: { not: null } }),
    has({ patient: { sex: { not: null } } }),
    has({ patient: { fitzpatrickType: { not: null } } }),
    has({ patient: { sunburnHistory: { not: null } } }),
    has({ patient: { personalCaHistory: { not: null } } }),
    has({ anatomicalSite: { not: null } }),
    has({ lesionDiameterMm: { not: null } }),
    has({ colors: { some: {} } }),
    has({ elevation: { not: null } }),
    has({ borderRegularity: { not: null } }),
    has(
      release
        ? { releaseImages: { some: { releaseId: release.id, structures: { not: '' } } } }
        : { structures: { some: {} } },
    ),
    has({ histopathologyResult: { not: null } }),
    has({ examinerCode: { not: null } }),
    has({ imageQualityScore: { not: null } }),
    c.count({ where }),
  ]);
  return {
    age_at_exam: age,
    sex,
    fitzpatrick_type: fitz,
    sunburn_history: sunburn,
    personal_ca_history: ca,
    anatomical_site: site,
    lesion_diameter_mm: diameter,
    dominant_colors: colors,
    elevation,
    border_regularity: border,
    dermoscopic_structures: structures,
    clinical_diagnosis: all,
    histopathology_result: histo,
    verification_stage: all,
    examiner_id: examiner,
    image_quality_score: score,
  };
}
