// stats(filter, policy): the description of any subset under any policy, from SQL aggregates: a
// dozen statements, none twice, each a GROUP BY or a count. Agreement is grouped by the votes each
// image keeps (image.review_votes), not read review by review; images per patient and first ages are
// a nested GROUP BY for the whole dataset (a GROUP BY per patient for a filtered subset).

import { db } from '../db/current.ts';
import { currentVersions, versionKey } from '../db/data-version.ts';
import { type Agreement, agreementOfVotes } from '../domain/agreement.ts';
import { CLASS_CODES, CLASSES, type ClinicalStatus, type Origin } from '../domain/classes.ts';
import { ageNumber, DEFAULT_PROFILE, type ProfileId } from '../domain/deidentify.ts';
import type { DiagnosisClass, IntakeOutcome, VerificationStage } from '../domain/enums.ts';
import { type Bin, type Summary, summarise } from '../domain/histogram.ts';
import { FIELDS } from '../domain/information-model.ts';
import { QUALITY_VERDICTS, type QualityVerdict } from '../domain/quality.ts';
import { CLINICAL_STATUSES, STAGES } from '../domain/vocabularies.ts';
import { decide } from '../plugins/evaluate.ts';
import type { ClassMappingPolicy } from '../plugins/types.ts';
import { computeFacets, type Distribution, toDistribution } from './facets.ts';
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
  distributions: Distribution[];
  /** Per patient with images in the subset: sex, Fitzpatrick type and the anamnestic facts. */
  patientDistributions: Distribution[];
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
 *
 * Computed once per request and subset (a request asking stats and the datasheet of one subset
 * shares it), and kept across requests by the data versions: an answer is reused while the records,
 * reviews and settings are what they were when it was computed (src/db/data-version.ts).
 */
export function computeStats(subset: Subset, opts: { profile?: ProfileId } = {}): Promise<Stats> {
  const ageProfile: ProfileId = (opts.profile ?? DEFAULT_PROFILE) === 'limited' ? 'limited' : 'safe-harbor';
  let bySubset = perRequest.get(subset);
  if (!bySubset) {
    bySubset = new Map();
    perRequest.set(subset, bySubset);
  }
  let p = bySubset.get(ageProfile);
  if (!p) {
    p = cachedStats(subset, ageProfile);
    bySubset.set(ageProfile, p);
  }
  return p;
}

/** One computation per resolved subset (a request's subsets are memoised on its scope) and profile. */
const perRequest = new WeakMap<Subset, Map<ProfileId, Promise<Stats>>>();

/** Stats by subset, profile and data versions, most recently used last. */
const kept = new Map<string, Stats>();
const KEPT_STATS = 16;

/** Forgets the kept stats (bench/stats measures a cold call with it). */
export const clearStatsCache = () => kept.clear();

const subsetKey = (subset: Subset, profile: ProfileId) =>
  JSON.stringify([
    subset.asked,
    subset.split ? [subset.split.selection, subset.split.parts] : null,
    subset.release?.id ?? null,
    subset.policy.id,
    subset.policy.version,
    profile,
  ]);

async function cachedStats(subset: Subset, profile: ProfileId): Promise<Stats> {
  const before = versionKey(await currentVersions());
  const key = `${before} ${subsetKey(subset, profile)}`;
  const hit = kept.get(key);
  if (hit) {
    kept.delete(key);
    kept.set(key, hit);
    return hit;
  }
  const stats = await statsOf(subset, profile);
  // kept only when nothing was written meanwhile: the answer is then the data of `before`
  if (versionKey(await currentVersions()) === before) {
    kept.set(key, stats);
    if (kept.size > KEPT_STATS) kept.delete(kept.keys().next().value as string);
  }
  return stats;
}

/** A subset of every image: no filter, split or release (its groupings can be written as plain SQL). */
const isWhole = (subset: Subset) => !subset.release && !subset.split && Object.keys(subset.where).length === 0;

async function statsOf(subset: Subset, ageProfile: ProfileId): Promise<Stats> {
  const client = db();
  const { where, policy, release } = subset;
  const whole = isWhole(subset);
  const [classStage, facets, shape, patientDistributions, columns, votes, dupCount, outcomes, nearPairs, histo] =
    await Promise.all([
      // as of a release: the classes, terms, statuses and stages it froze
      labelGroups(subset),
      computeFacets(subset),
      patientShape(where, whole),
      patientFacets(where),
      // the fields present per image, and the collection period, in one pass
      client.image.aggregate({
        where,
        _count: {
          ageAtExam: true,
          anatomicalSite: true,
          lesionDiameterMm: true,
          elevation: true,
          borderRegularity: true,
          histopathologyResult: true,
          examinerCode: true,
          imageQualityScore: true,
        },
        _min: { acquiredAt: true },
        _max: { acquiredAt: true },
      }),
      // agreement: images grouped by their kept votes (image.review_votes), not every review read
      client.image.groupBy({
        by: ['reviewVotes'],
        where: whole ? { reviewVotes: { not: null } } : { AND: [where, { reviewVotes: { not: null } }] },
        _count: { _all: true },
      }),
      // exact duplicates of the images in the subset
      client.intakeRecord.count({ where: { outcome: 'DUPLICATE', duplicateOf: where } }),
      // SOP rejections left no image: they belong to the collection as a whole
      client.intakeRecord.groupBy({ by: ['outcome'], _count: { _all: true } }),
      client.nearDuplicate.count({ where: { image: where, twin: where } }),
      // as of a release: the histopathology result it froze
      release
        ? client.image.count({
            where: { AND: [where, asOfRelease({ histopathologyResult: { not: null } }, release.id)] },
          })
        : null,
    ]);

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
  const ageBins = new Map<number, number>();
  let patients = 0;
  for (const g of shape) {
    patients += g.patients;
    perPatientBins.set(g.images, (perPatientBins.get(g.images) ?? 0) + g.patients);
    const age = ageNumber(g.firstAge, ageProfile);
    if (age !== null) ageBins.set(age, (ageBins.get(age) ?? 0) + g.patients);
  }
  const toBins = (m: Map<number, number>): Bin[] => [...m].map(([value, count]) => ({ value, count }));
  const ageSummary = summarise(toBins(ageBins));
  const records = images + dupCount;
  const distributions = facets.fields.map(toDistribution);
  const facet = (field: string) => distributions.find((f) => f.field === field);
  const verdicts = facet('quality_verdict')?.values ?? [];
  const verdictCount = (v: QualityVerdict) => verdicts.find((x) => x.value === v)?.count ?? 0;
  const c = columns._count;
  // images with each of the 16 fields present (multi-valued fields: at least one value); the
  // patient's fields, colours and structures are the facets' present counts
  const present: Record<string, number> = {
    age_at_exam: c.ageAtExam,
    sex: facet('sex')?.present ?? 0,
    fitzpatrick_type: facet('fitzpatrick_type')?.present ?? 0,
    sunburn_history: facet('sunburn_history')?.present ?? 0,
    personal_ca_history: facet('personal_ca_history')?.present ?? 0,
    anatomical_site: c.anatomicalSite,
    lesion_diameter_mm: c.lesionDiameterMm,
    dominant_colors: facet('dominant_colors')?.present ?? 0,
    elevation: c.elevation,
    border_regularity: c.borderRegularity,
    dermoscopic_structures: facet('dermoscopic_structures')?.present ?? 0,
    clinical_diagnosis: facets.total,
    histopathology_result: histo ?? c.histopathologyResult,
    verification_stage: facets.total,
    examiner_id: c.examinerCode,
    image_quality_score: c.imageQualityScore,
  };

  return {
    policy,
    images,
    patients,
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
    collections: (facet('collection')?.values ?? []).map((v) => ({
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
    distributions,
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
    collection: { from: columns._min.acquiredAt, to: columns._max.acquiredAt },
    agreement: agreementOfVotes(votes.map((g) => ({ votes: g.reviewVotes ?? '', count: g._count._all }))),
  };
}

/** Patients grouped by how many images of the subset they have and the first (smallest) age among them. */
interface PatientShape {
  images: number;
  firstAge: number | null;
  patients: number;
}

/**
 * The subset's patients by (images, first age): for the whole dataset one nested GROUP BY in SQL
 * (read off the (patient_id, age_at_exam) index, a few hundred rows back); for a filtered subset one
 * GROUP BY patient (a row per patient of the subset), folded here.
 */
async function patientShape(where: Where, whole: boolean): Promise<PatientShape[]> {
  if (whole) {
    const rows = await db().$queryRawUnsafe<{ n: number | bigint; a: number | bigint | null; p: number | bigint }[]>(
      'SELECT n, a, COUNT(*) AS p FROM (SELECT COUNT(*) AS n, MIN(age_at_exam) AS a FROM image GROUP BY patient_id) AS per_patient GROUP BY n, a',
    );
    return rows.map((r) => ({
      images: Number(r.n),
      firstAge: r.a === null ? null : Number(r.a),
      patients: Number(r.p),
    }));
  }
  const rows = await db().image.groupBy({
    by: ['patientId'],
    where,
    _count: { _all: true },
    _min: { ageAtExam: true },
  });
  const shapes = new Map<string, PatientShape>();
  for (const r of rows) {
    const key = `${r._count._all} ${r._min.ageAtExam}`;
    const s = shapes.get(key) ?? { images: r._count._all, firstAge: r._min.ageAtExam, patients: 0 };
    s.patients++;
    shapes.set(key, s);
  }
  return [...shapes.values()];
}

/** Per patient with images in the subset: sex, Fitzpatrick type and the anamnestic facts, in one GROUP BY. */
async function patientFacets(where: Where): Promise<Distribution[]> {
  const fields = [
    ['sex', 'sex'],
    ['fitzpatrick_type', 'fitzpatrickType'],
    ['sunburn_history', 'sunburnHistory'],
    ['personal_ca_history', 'personalCaHistory'],
  ] as const;
  const rows = await db().patient.groupBy({
    by: fields.map(([, key]) => key),
    where: { images: { some: where } },
    _count: { _all: true },
  });
  return fields.map(([field, key]) => {
    const counts = new Map<string | null, number>();
    for (const r of rows) {
      const v = r[key] === null ? null : String(r[key]);
      counts.set(v, (counts.get(v) ?? 0) + r._count._all);
    }
    const total = rows.reduce((n, r) => n + r._count._all, 0);
    const missing = counts.get(null) ?? 0;
    const values = [...counts]
      .filter((e): e is [string, number] => e[0] !== null)
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    return { field, present: total - missing, missing, values };
  });
}
