// evaluate(model, subset, policy, positive, threshold | operatingPoint): one model's predictions
// against the labels of a subset (issue 17 §2). The rows are read set-wise — the subset's image ids
// once (resolveSubset's condition), the model's predictions joined to their image, patient,
// collection and consensus in keyset batches of one raw SELECT, the decided images' reviews in one
// more — never per image. A subset as of a release reads the labels the release froze, and the
// consensus and reviews as they stood when it was made, so that an evaluation on a release gives
// the same JSON byte for byte after the live labels move on.
//
// Every metric and every interval comes from domain/evaluation-bootstrap.ts: one sort, then one
// weighted pass per resample for every metric of the whole subset and of every stratum, the
// resamples drawn by patient.
import { createHash } from 'node:crypto';
import { createGraphQLError } from 'graphql-yoga';
import { db } from '../db/current.ts';
import { Prisma } from '../db/generated/sqlite/client.ts';
import { cohenOfCounts, parseVotes } from '../domain/agreement.ts';
import { CLASSES } from '../domain/classes.ts';
import { ageValue, type ProfileId } from '../domain/deidentify.ts';
import {
  AnatomicalSite,
  type ClinicalStatus,
  type DiagnosisClass,
  FitzpatrickType,
  Sex,
  VerificationStage,
} from '../domain/enums.ts';
import {
  bootstrapEvaluation,
  type GroupMetrics,
  type MetricInterval,
  pairedAurocDifference,
  patientSlots,
  WeightedEvaluation,
} from '../domain/evaluation-bootstrap.ts';
import { calibration, curve, orderByScore, type Scored, thresholdAtSensitivity } from '../domain/evaluation-metrics.ts';
import type {
  BootstrapInfo,
  Estimate,
  EvaluationResult,
  MetricSet,
  RaterAgreement,
  RocPoint,
  Stratum,
  StratumDimension,
} from '../domain/evaluation-result.ts';
import { CLASS_TERM } from '../domain/terms.ts';
import { decide } from '../plugins/evaluate.ts';
import type { ClassMappingPolicy } from '../plugins/types.ts';
import { badInput } from './errors.ts';
import { describeSubset, type EvaluationSubset, evaluationSubsetRequest, subsetJson } from './evaluation-subset.ts';
import { evaluationRunner } from './evaluation-workers.ts';
import type { ImageFilter } from './image-filter.ts';
import { cursorId, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './paging.ts';
import { type RequestScope, resolveSelection, resolveSubset } from './subset.ts';

/** The bounds of an evaluation's input; past any of them is BAD_USER_INPUT naming the argument. */
export const EVALUATION_BOUNDS = {
  /** positive labels: 1 to this many, each 1 to `label` characters */
  positive: 50,
  label: 100,
  resamples: { min: 0, max: 10_000, default: 1000 },
  bins: { min: 2, max: 50, default: 10 },
  minStratumPatients: { min: 1, max: 1_000_000, default: 10 },
  seed: { min: -2_147_483_648, max: 2_147_483_647, default: 0 },
  /** the ROC curve's points at most */
  rocPoints: 201,
} as const;

export const BOOTSTRAP_NOTE =
  'Every interval is a 95 % percentile bootstrap interval resampled by patient: each resample draws patients ' +
  'with replacement and keeps all of a drawn patient’s images, because images of one patient are not independent. ' +
  'Every metric, every stratum and every model compared share the same resamples (a stratum reads the draws of its ' +
  'own patients).';

export interface EvaluationRequest {
  /** the model's row id */
  model: number;
  subset: EvaluationSubset;
  policy?: string | null;
  positive: readonly string[];
  threshold?: number | null;
  operatingPoint?: { sensitivity: number } | null;
  resamples?: number | null;
  seed?: number | null;
  bins?: number | null;
  minStratumPatients?: number | null;
}

/** Who asks: the request's scope and the caller's de-identification profile (a filter is generalised to it). */
export interface EvaluationCaller {
  scope: RequestScope;
  profile: ProfileId;
}

/** The evaluated images, in the order read (image id ascending), for the errors connection. */
export interface EvaluatedRows {
  imageId: Int32Array;
  score: Float64Array;
  positive: Uint8Array;
  label: string[];
  /** the request (checked), for the errors' filter (policy, release) */
  policyId: string;
  releaseId: string | null;
}

export interface Evaluated {
  result: EvaluationResult;
  rows: EvaluatedRows;
  /** the request as checked, with its defaults: what saveEvaluation stores */
  request: CheckedRequest;
}

export interface CheckedRequest {
  model: number;
  subset: Record<string, unknown>;
  policy: string | null;
  positive: string[];
  threshold: number | null;
  operatingPoint: { sensitivity: number } | null;
  resamples: number;
  seed: number;
  bins: number;
  minStratumPatients: number;
}

const notFound = (message: string, argument: string) =>
  createGraphQLError(message, { extensions: { code: 'NOT_FOUND', argument } });

const intIn = (v: number | null | undefined, b: { min: number; max: number; default: number }, argument: string) => {
  const x = v ?? b.default;
  if (!Number.isInteger(x) || x < b.min || x > b.max)
    throw badInput(`${argument} must be a whole number from ${b.min} to ${b.max}, got ${x}`, argument);
  return x;
};

/** The request's bounds and its defaults (see EVALUATION_BOUNDS); the subset is checked when resolved. */
export function checkRequest(req: EvaluationRequest, path = 'input'): CheckedRequest {
  const positive = [...req.positive];
  if (positive.length === 0 || positive.length > EVALUATION_BOUNDS.positive)
    throw badInput(`${path}.positive: 1 to ${EVALUATION_BOUNDS.positive} labels`, `${path}.positive`);
  for (const l of positive)
    if (l.length === 0 || l.length > EVALUATION_BOUNDS.label)
      throw badInput(`${path}.positive: a label is 1 to ${EVALUATION_BOUNDS.label} characters`, `${path}.positive`);
  if (new Set(positive).size !== positive.length)
    throw badInput(`${path}.positive: a label given twice`, `${path}.positive`);
  if (req.threshold != null && req.operatingPoint != null)
    throw badInput(`${path}: give threshold or operatingPoint, not both`, `${path}.operatingPoint`);
  if (req.threshold != null && !(Number.isFinite(req.threshold) && req.threshold >= 0 && req.threshold <= 1))
    throw badInput(`${path}.threshold must be from 0 to 1, got ${req.threshold}`, `${path}.threshold`);
  const sens = req.operatingPoint?.sensitivity;
  if (sens != null && !(Number.isFinite(sens) && sens > 0 && sens <= 1))
    throw badInput(
      `${path}.operatingPoint.sensitivity must be above 0 and at most 1, got ${sens}`,
      `${path}.operatingPoint.sensitivity`,
    );
  if (req.policy != null && (req.policy.length === 0 || req.policy.length > 100))
    throw badInput(`${path}.policy: 1 to 100 characters`, `${path}.policy`);
  return {
    model: req.model,
    subset: subsetJson(req.subset),
    policy: req.policy ?? null,
    positive,
    threshold: req.operatingPoint ? null : (req.threshold ?? 0.5),
    operatingPoint: req.operatingPoint ? { sensitivity: req.operatingPoint.sensitivity } : null,
    resamples: intIn(req.resamples, EVALUATION_BOUNDS.resamples, `${path}.resamples`),
    seed: intIn(req.seed, EVALUATION_BOUNDS.seed, `${path}.seed`),
    bins: intIn(req.bins, EVALUATION_BOUNDS.bins, `${path}.bins`),
    minStratumPatients: intIn(
      req.minStratumPatients,
      EVALUATION_BOUNDS.minStratumPatients,
      `${path}.minStratumPatients`,
    ),
  };
}

// ---------------------------------------------------------------- reading the rows

interface ModelRow {
  id: number;
  name: string;
  version: string;
  policyId: string;
  labels: string;
}

async function modelOf(id: number, argument: string): Promise<ModelRow> {
  const m =
    id >= 1
      ? await db().model.findUnique({
          where: { id },
          select: { id: true, name: true, version: true, policyId: true, labels: true },
        })
      : null;
  if (!m) throw notFound(`no model with this id (see models)`, argument);
  return m;
}

/** One predicted image of the subset as read: its facts, as of the release when there is one. */
export interface PredictedImage {
  imageId: number;
  patientId: number;
  scores: number[];
  diagnosisClass: DiagnosisClass | null;
  diagnosisTerm: string;
  clinicalStatus: ClinicalStatus;
  verificationStage: VerificationStage;
  ageAtExam: number | null;
  anatomicalSite: AnatomicalSite | null;
  sex: Sex | null;
  fitzpatrickType: FitzpatrickType | null;
  collection: string;
  /** the consensus class (null: outside the 9), undefined without a consensus (as of the release) */
  consensus: DiagnosisClass | null | undefined;
  /**
   * The independent reviews' votes (image.review_votes, "reviewer<TAB>CLASS" lines) of an image with a
   * consensus, else null. Reviews come before the consensus and none after it, so an image decided
   * before a release had all of these reviews then.
   */
  votes: string | null;
}

interface RawRow {
  image_id: number | bigint;
  patient_id: number | bigint;
  scores: string;
  diagnosis_class: DiagnosisClass | null;
  diagnosis_term: string;
  clinical_status: ClinicalStatus;
  verification_stage: VerificationStage;
  age_at_exam: number | bigint | null;
  anatomical_site: AnatomicalSite | null;
  sex: Sex | null;
  fitzpatrick_type: FitzpatrickType | null;
  slug: string;
  review_votes: string | null;
  d_id: number | bigint | null;
  d_class: DiagnosisClass | null;
  d_at: unknown;
}

const KEYSET_BATCH = 50_000;
const millis = (v: unknown): number =>
  v instanceof Date ? v.getTime() : typeof v === 'number' || typeof v === 'bigint' ? Number(v) : Date.parse(String(v));

/**
 * The model's predictions with what an evaluation needs of their images, in image id order, in
 * keyset batches of one SELECT: as of a release (its frozen labels; a consensus decided after it
 * counts as none), or live.
 */
export async function readPredictedImages(
  modelId: number,
  release: { id: string; createdAt: number } | null,
  keep: (imageId: number) => boolean,
): Promise<PredictedImage[]> {
  const labels = release
    ? Prisma.sql`ri.diagnosis_class, ri.diagnosis_term, ri.clinical_status, ri.verification_stage`
    : Prisma.sql`i.diagnosis_class, i.diagnosis_term, i.clinical_status, i.verification_stage`;
  const frozen = release
    ? Prisma.sql`JOIN release_image ri ON ri.image_id = i.id AND ri.release_id = ${release.id}`
    : Prisma.empty;
  const out: PredictedImage[] = [];
  let after = 0;
  for (;;) {
    const batch = await db().$queryRaw<RawRow[]>`
      SELECT p.image_id, i.patient_id, p.scores, ${labels}, i.age_at_exam, i.anatomical_site,
        pa.sex, pa.fitzpatrick_type, c.slug, i.review_votes, d.id AS d_id, d.diagnosis_class AS d_class, d.decided_at AS d_at
      FROM prediction p
      JOIN image i ON i.id = p.image_id
      JOIN patient pa ON pa.id = i.patient_id
      JOIN collection c ON c.id = i.collection_id
      ${frozen}
      LEFT JOIN consensus_decision d ON d.image_id = i.id
      WHERE p.model_id = ${modelId} AND p.image_id > ${after}
      ORDER BY p.image_id
      LIMIT ${KEYSET_BATCH}`;
    for (const r of batch) {
      const imageId = Number(r.image_id);
      if (!keep(imageId)) continue;
      const decided = r.d_id !== null && (!release || millis(r.d_at) <= release.createdAt);
      out.push({
        imageId,
        patientId: Number(r.patient_id),
        scores: JSON.parse(r.scores) as number[],
        diagnosisClass: r.diagnosis_class,
        diagnosisTerm: r.diagnosis_term,
        clinicalStatus: r.clinical_status,
        verificationStage: r.verification_stage,
        ageAtExam: r.age_at_exam === null ? null : Number(r.age_at_exam),
        anatomicalSite: r.anatomical_site,
        sex: r.sex,
        fitzpatrickType: r.fitzpatrick_type,
        collection: r.slug,
        consensus: decided ? r.d_class : undefined,
        votes: decided ? r.review_votes : null,
      });
    }
    const last = batch[batch.length - 1];
    if (!last || batch.length < KEYSET_BATCH) return out;
    after = Number(last.image_id);
  }
}

/** The image ids of a subset condition (one column of one SELECT), or null for every image. */
async function subsetIds(where: Prisma.ImageWhereInput): Promise<Set<number> | null> {
  if (Object.keys(where).length === 0) return null;
  const rows = await db().image.findMany({ where, select: { id: true } });
  return new Set(rows.map((r) => r.id));
}

const countAll = () => db().image.count();

// ---------------------------------------------------------------- evaluation

/** A label under the policy for an expert's class (a consensus, a review): read as at the consensus stage. */
function expertLabel(policy: ClassMappingPolicy, cls: DiagnosisClass | null, image: PredictedImage): string | null {
  const d = decide(
    policy,
    cls === null
      ? {
          diagnosisClass: null,
          diagnosisTerm: image.diagnosisTerm,
          clinicalStatus: image.clinicalStatus,
          verificationStage: 'CONSENSUS',
        }
      : {
          diagnosisClass: cls,
          diagnosisTerm: CLASS_TERM[cls],
          clinicalStatus: CLASSES[cls].status,
          verificationStage: 'CONSENSUS',
        },
  );
  return d.kind === 'mapped' ? d.label : null;
}

const estimate = (m: MetricInterval, intervals: boolean): Estimate => ({
  value: m.value,
  lower: intervals ? m.lower : null,
  upper: intervals ? m.upper : null,
});

function metricSet(g: GroupMetrics, patients: number, intervals: boolean): MetricSet {
  const e = (k: keyof GroupMetrics['metrics']) => estimate(g.metrics[k], intervals);
  return {
    images: g.images,
    patients,
    positives: g.positives,
    negatives: g.negatives,
    confusion: { tp: g.tp, fp: g.fp, tn: g.tn, fn: g.fn },
    sensitivity: e('sensitivity'),
    specificity: e('specificity'),
    ppv: e('ppv'),
    npv: e('npv'),
    balancedAccuracy: e('balancedAccuracy'),
    auroc: e('auroc'),
    auprc: e('auprc'),
    ece: e('ece'),
  };
}

/** The ROC curve at every distinct score, thinned evenly to at most 201 points, from (0,0) to (1,1). */
export function rocCurve(
  s: Scored,
  maxPoints: number = EVALUATION_BOUNDS.rocPoints,
  order: Uint32Array = orderByScore(s.score),
): RocPoint[] {
  const { tps, fps, thresholds, positives, negatives } = curve(s, order);
  if (positives === 0 || negatives === 0) return [];
  // (0,0): a threshold just above the highest score, which calls no image positive
  const all: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: (thresholds[0] as number) + 2 ** -40 }];
  for (let k = 0; k < tps.length; k++)
    all.push({
      fpr: (fps[k] as number) / negatives,
      tpr: (tps[k] as number) / positives,
      threshold: thresholds[k] as number,
    });
  if (all.length <= maxPoints) return all;
  const out: RocPoint[] = [];
  for (let j = 0; j < maxPoints; j++) out.push(all[Math.round((j * (all.length - 1)) / (maxPoints - 1))] as RocPoint);
  return out;
}

const DIMENSIONS: readonly StratumDimension[] = [
  'VERIFICATION_STAGE',
  'FITZPATRICK_TYPE',
  'SEX',
  'AGE_BAND',
  'ANATOMICAL_SITE',
  'COLLECTION',
];
const ENUM_ORDER: Partial<Record<StratumDimension, readonly string[]>> = {
  VERIFICATION_STAGE: Object.values(VerificationStage),
  FITZPATRICK_TYPE: Object.values(FitzpatrickType),
  SEX: Object.values(Sex),
  ANATOMICAL_SITE: Object.values(AnatomicalSite),
};

function stratumValue(d: StratumDimension, r: PredictedImage): string | null {
  switch (d) {
    case 'VERIFICATION_STAGE':
      return r.verificationStage;
    case 'FITZPATRICK_TYPE':
      return r.fitzpatrickType;
    case 'SEX':
      return r.sex;
    case 'AGE_BAND': {
      const a = ageValue(r.ageAtExam, 'research');
      return a === null ? null : String(a);
    }
    case 'ANATOMICAL_SITE':
      return r.anatomicalSite;
    case 'COLLECTION':
      return r.collection;
  }
}

/** Values of a dimension in a fixed order: the enum's, ages by their lower bound, slugs by code points; null last. */
function sortValues(d: StratumDimension, values: (string | null)[]): (string | null)[] {
  const order = ENUM_ORDER[d];
  const key = (v: string) => (order ? order.indexOf(v) : d === 'AGE_BAND' ? Number.parseInt(v, 10) : 0);
  return values.sort((a, b) => {
    if (a === null) return b === null ? 0 : 1;
    if (b === null) return -1;
    return key(a) - key(b) || (a < b ? -1 : a > b ? 1 : 0);
  });
}

/** Distinct patients per group, in one pass over the images ordered by patient. */
function patientsPerGroup(slot: Int32Array, patients: number, groups: readonly Int32Array[], count: number): number[] {
  const byPatient = new Int32Array(slot.length);
  const start = new Int32Array(patients + 1);
  for (const s of slot) start[s + 1] = (start[s + 1] as number) + 1;
  for (let k = 1; k <= patients; k++) start[k] = (start[k] as number) + (start[k - 1] as number);
  const fill = start.slice(0, patients);
  for (let i = 0; i < slot.length; i++) {
    const s = slot[i] as number;
    byPatient[fill[s] as number] = i;
    fill[s] = (fill[s] as number) + 1;
  }
  const seen = new Int32Array(count).fill(-1);
  const n = new Array<number>(count).fill(0);
  n[0] = patients;
  for (let k = 0; k < byPatient.length; k++) {
    const i = byPatient[k] as number;
    const s = slot[i] as number;
    for (const g of groups) {
      const q = g[i] as number;
      if (q >= 0 && seen[q] !== s) {
        seen[q] = s;
        n[q] = (n[q] as number) + 1;
      }
    }
  }
  return n;
}

/** The labelled, predicted images of a request's subset, with their score on the positive labels. */
interface Prepared {
  model: ModelRow;
  policy: ClassMappingPolicy;
  release: { id: string; name: string; version: string; createdAt: number } | null;
  subsetImages: number;
  missingPredictions: number;
  unlabelled: number;
  images: PredictedImage[];
  labels: string[];
  scored: Scored;
  positive: Set<string>;
}

async function prepare(caller: EvaluationCaller, req: CheckedRequest, raw: EvaluationRequest, path: string) {
  const model = await modelOf(req.model, `${path}.model`);
  const modelLabels = JSON.parse(model.labels) as string[];
  const subsetReq = evaluationSubsetRequest(raw.subset, caller.profile, `${path}.subset`);
  const subset = await resolveSubset(caller.scope, { ...subsetReq, policy: req.policy ?? model.policyId });
  const policy = subset.policy;
  for (const l of req.positive) {
    if (!policy.labels.includes(l))
      throw badInput(
        `${path}.positive: "${l}" is no label of policy ${policy.id} (${policy.labels.join(', ')})`,
        `${path}.positive`,
      );
    if (!modelLabels.includes(l))
      throw badInput(
        `${path}.positive: model ${model.name} ${model.version} scores no label "${l}" (${modelLabels.join(', ')})`,
        `${path}.positive`,
      );
  }
  if (policy.labels.every((l) => req.positive.includes(l)))
    throw badInput(`${path}.positive: at least one label of ${policy.id} must stay negative`, `${path}.positive`);
  const release = subset.release
    ? await db()
        .release.findUnique({ where: { id: subset.release.id }, select: { createdAt: true } })
        .then((r) => ({
          ...(subset.release as { id: string; name: string; version: string }),
          createdAt: millis(r?.createdAt),
        }))
    : null;
  const ids = await subsetIds(subset.where);
  const subsetImages = ids ? ids.size : await countAll();
  const all = await readPredictedImages(model.id, release, ids ? (id) => ids.has(id) : () => true);
  const index = req.positive.map((l) => modelLabels.indexOf(l));
  const images: PredictedImage[] = [];
  const labels: string[] = [];
  const score: number[] = [];
  const positive: number[] = [];
  let unlabelled = 0;
  // a policy decides on four columns that take few distinct values: each combination decided once
  const decided = new Map<string, ReturnType<typeof decide>>();
  for (const r of all) {
    const key = `${r.diagnosisClass}|${r.diagnosisTerm}|${r.clinicalStatus}|${r.verificationStage}`;
    let d = decided.get(key);
    if (!d) {
      d = decide(policy, r);
      decided.set(key, d);
    }
    if (d.kind !== 'mapped') {
      unlabelled++;
      continue;
    }
    let s = 0;
    for (const j of index) s += r.scores[j] ?? 0;
    images.push(r);
    labels.push(d.label);
    score.push(Math.min(1, Math.max(0, s)));
    positive.push(req.positive.includes(d.label) ? 1 : 0);
  }
  const scored: Scored = {
    score: Float64Array.from(score),
    positive: Uint8Array.from(positive),
    patient: Int32Array.from(images, (r) => r.patientId),
  };
  return {
    model,
    policy,
    release,
    subsetImages,
    missingPredictions: subsetImages - all.length,
    unlabelled,
    images,
    labels,
    scored,
    positive: new Set(req.positive),
  } satisfies Prepared;
}

/**
 * The evaluation of a request. Refusals: BAD_USER_INPUT for a bound (checkRequest), a subset that
 * is not exactly one kind or names no split, part, collection or release, an unknown policy, a
 * positive label the policy or the model lacks, no label left negative, an operating point on a
 * subset without a positive image; NOT_FOUND for an unknown model.
 */
export async function evaluate(caller: EvaluationCaller, raw: EvaluationRequest, path = 'input'): Promise<Evaluated> {
  const req = checkRequest(raw, path);
  const p = await prepare(caller, req, raw, path);
  const { scored, images } = p;
  let threshold = req.threshold ?? 0.5;
  if (req.operatingPoint) {
    const t = thresholdAtSensitivity(scored, req.operatingPoint.sensitivity);
    if (t === null)
      throw badInput(
        `${path}.operatingPoint: the subset has no positive image with a prediction to find a sensitivity on`,
        `${path}.operatingPoint`,
      );
    threshold = t;
  }
  // strata: one group id per image per dimension (group 0 is the whole subset)
  const strata: { dimension: StratumDimension; value: string | null }[] = [];
  const groups: Int32Array[] = [];
  for (const d of DIMENSIONS) {
    // ids in the order values are met, then renumbered in the dimension's order
    const seen = new Map<string | null, number>();
    const met = new Int32Array(images.length);
    for (let i = 0; i < images.length; i++) {
      const v = stratumValue(d, images[i] as PredictedImage);
      let k = seen.get(v);
      if (k === undefined) {
        k = seen.size;
        seen.set(v, k);
      }
      met[i] = k;
    }
    const distinct = sortValues(d, [...seen.keys()]);
    const renumber = new Int32Array(distinct.length);
    distinct.forEach((v, k) => {
      renumber[seen.get(v) as number] = strata.length + 1 + k;
    });
    for (const v of distinct) strata.push({ dimension: d, value: v });
    for (let i = 0; i < met.length; i++) met[i] = renumber[met[i] as number] as number;
    groups.push(met);
  }
  const groupCount = strata.length + 1;
  const slots = patientSlots(scored.patient);
  const ev = WeightedEvaluation.of(scored, slots, { threshold, bins: req.bins, groups, groupCount });
  const patients = patientsPerGroup(slots.slot, slots.patients, groups, groupCount);
  // a stratum too small for an interval is not resampled
  const metrics = await bootstrapEvaluation(
    ev,
    {
      resamples: req.resamples,
      seed: req.seed,
      intervals: (q, c) => (patients[q] as number) >= req.minStratumPatients && c.positives > 0 && c.negatives > 0,
    },
    evaluationRunner({ resamples: req.resamples }),
  );
  const intervals = req.resamples > 0;
  const overall = metricSet(metrics[0] as GroupMetrics, slots.patients, intervals);
  const strataOut: Stratum[] = strata.map((s, k) => {
    const g = metrics[k + 1] as GroupMetrics;
    const n = patients[k + 1] as number;
    const tooSmall = n < req.minStratumPatients || g.positives === 0 || g.negatives === 0;
    return { dimension: s.dimension, value: s.value, ...metricSet(g, n, intervals && !tooSmall), tooSmall };
  });
  const cal = calibration(scored, req.bins);
  const { raters, expertDisagreement } = agreement(p, threshold);
  const bootstrap: BootstrapInfo = {
    unit: 'PATIENT',
    resamples: req.resamples,
    seed: req.seed,
    level: 0.95,
    note: BOOTSTRAP_NOTE,
  };
  const subsetInput = req.subset;
  const result: EvaluationResult = {
    input: {
      model: { id: p.model.id, name: p.model.name, version: p.model.version },
      subset: p.release
        ? `${describeSubset(raw.subset)} (${p.release.name} ${p.release.version})`
        : describeSubset(raw.subset),
      subsetInput,
      policy: { id: p.policy.id, version: p.policy.version },
      positive: req.positive,
      threshold,
      operatingPoint: req.operatingPoint,
      bins: req.bins,
      minStratumPatients: req.minStratumPatients,
    },
    bootstrap,
    missingPredictions: p.missingPredictions,
    unlabelled: p.unlabelled,
    overall,
    reliability: cal.table.map((b) => ({
      lower: b.lower,
      upper: b.upper,
      count: b.n,
      meanScore: b.meanScore,
      positiveRate: b.observed,
    })),
    roc: rocCurve(scored, EVALUATION_BOUNDS.rocPoints, ev.order),
    strata: strataOut,
    raters,
    expertDisagreement,
  };
  return {
    result,
    request: { ...req, policy: p.policy.id },
    rows: {
      imageId: Int32Array.from(images, (r) => r.imageId),
      score: scored.score,
      positive: scored.positive,
      label: p.labels,
      policyId: p.policy.id,
      releaseId: p.release?.id ?? null,
    },
  };
}

/** Paired calls of the model and one rater, counted (Cohen's κ from its counts). */
class Pairs {
  images = 0;
  agree = 0;
  readonly model = new Map<string, number>();
  readonly rater = new Map<string, number>();
  add(m: string, r: string) {
    this.images++;
    if (m === r) this.agree++;
    this.model.set(m, (this.model.get(m) ?? 0) + 1);
    this.rater.set(r, (this.rater.get(r) ?? 0) + 1);
  }
  row(kind: RaterAgreement['kind'], rater: string | null): RaterAgreement {
    return {
      kind,
      rater,
      images: this.images,
      kappa: cohenOfCounts(this.images, this.agree, this.model, this.rater).kappa,
      agreement: this.images ? this.agree / this.images : null,
    };
  }
}

/** κ of the model's call at the threshold against each reviewer, the consensus and histology; the experts' split. */
function agreement(p: Prepared, threshold: number) {
  // an expert's call per class (and, outside the 9, per term and status): decided once
  const calls = new Map<string, 'P' | 'N' | null>();
  const expertCall = (cls: DiagnosisClass | null, image: PredictedImage) => {
    const key = cls ?? `${image.diagnosisTerm}\t${image.clinicalStatus}`;
    let c = calls.get(key);
    if (c === undefined) {
      const label = expertLabel(p.policy, cls, image);
      c = label === null ? null : p.positive.has(label) ? 'P' : 'N';
      calls.set(key, c);
    }
    return c;
  };
  const byReviewer = new Map<string, Pairs>();
  const consensus = new Pairs();
  const histology = new Pairs();
  const unanimous = new Pairs();
  const split = new Pairs();
  for (let i = 0; i < p.images.length; i++) {
    const r = p.images[i] as PredictedImage;
    const m = (p.scored.score[i] as number) >= threshold ? 'P' : 'N';
    if (r.verificationStage === 'HISTOLOGY') histology.add(m, p.scored.positive[i] ? 'P' : 'N');
    if (r.consensus === undefined) continue;
    const consensusCall = expertCall(r.consensus, r);
    if (consensusCall !== null) consensus.add(m, consensusCall);
    if (!r.votes) continue;
    const votes: ('P' | 'N')[] = [];
    for (const v of parseVotes(r.votes)) {
      const c = expertCall(v.cls, r);
      if (c === null) continue;
      votes.push(c);
      let pairs = byReviewer.get(v.reviewer);
      if (!pairs) {
        pairs = new Pairs();
        byReviewer.set(v.reviewer, pairs);
      }
      pairs.add(m, c);
    }
    if (votes.length >= 2 && consensusCall !== null)
      (votes.every((c) => c === votes[0]) ? unanimous : split).add(m, consensusCall);
  }
  const raters: RaterAgreement[] = [
    ...[...byReviewer.keys()].sort().map((code) => (byReviewer.get(code) as Pairs).row('REVIEWER', code)),
    consensus.row('CONSENSUS', null),
    histology.row('HISTOLOGY', null),
  ];
  const side = (x: Pairs) => {
    const r = x.row('CONSENSUS', null);
    return { images: r.images, modelAgreesWithConsensus: r.agreement, kappa: r.kappa };
  };
  return { raters, expertDisagreement: { unanimous: side(unanimous), split: side(split) } };
}

// ---------------------------------------------------------------- errors

export interface EvaluationError {
  imageId: number;
  score: number;
  positive: boolean;
  label: string;
  /** binary cross-entropy of the score against the truth (scores clipped to [1e-15, 1 − 1e-15]) */
  loss: number;
}

const EPS = 1e-15;
export const lossOf = (score: number, positive: boolean) => {
  const s = Math.min(1 - EPS, Math.max(EPS, score));
  return positive ? -Math.log(s) : -Math.log(1 - s);
};

/** The offset a cursor of this connection holds (plugin-prisma's `GPC:N:<n>` form: the server checks cursors so). */
const offsetCursor = (n: number) => Buffer.from(`GPC:N:${n}`).toString('base64');

/**
 * A page of the evaluated images, largest loss first (ties by image id), optionally only those an
 * ImageFilter also selects (read as of the evaluation's release, under its policy): offset paging,
 * at most 200 a page (default 20), with the filtered total.
 */
export async function evaluationErrors(
  caller: EvaluationCaller,
  rows: EvaluatedRows,
  args: { first?: number | null; after?: string | null; filter?: ImageFilter | null },
) {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE)
    throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}, got ${first}`, 'first');
  const start = args.after == null ? 0 : cursorId(args.after);
  if (start === null) throw badInput('after is not a cursor of this connection', 'after');
  let keep: Set<number> | null = null;
  if (args.filter) {
    const sel = await resolveSelection(caller.scope, {
      filter: args.filter,
      policy: rows.policyId,
      release: rows.releaseId,
    });
    keep = (await subsetIds(sel.where)) ?? null;
  }
  const order: number[] = [];
  const loss = new Float64Array(rows.imageId.length);
  for (let i = 0; i < rows.imageId.length; i++) {
    loss[i] = lossOf(rows.score[i] as number, rows.positive[i] === 1);
    if (!keep || keep.has(rows.imageId[i] as number)) order.push(i);
  }
  order.sort(
    (a, b) => (loss[b] as number) - (loss[a] as number) || (rows.imageId[a] as number) - (rows.imageId[b] as number),
  );
  const from = start === 0 && args.after == null ? 0 : start + 1;
  const page = order.slice(from, from + first);
  const edges = page.map((i, k) => ({
    cursor: offsetCursor(from + k),
    node: {
      imageId: rows.imageId[i] as number,
      score: rows.score[i] as number,
      positive: rows.positive[i] === 1,
      label: rows.label[i] as string,
      loss: loss[i] as number,
    } satisfies EvaluationError,
  }));
  return {
    edges,
    totalCount: order.length,
    pageInfo: {
      hasNextPage: from + first < order.length,
      hasPreviousPage: from > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

// ---------------------------------------------------------------- saved evaluations

/** The id of an evaluation: "ev_" and 40 hex digits of the SHA-256 of its canonical input and result. */
export function evaluationId(request: CheckedRequest, result: EvaluationResult): string {
  const hash = createHash('sha256').update(canonicalJson({ request, result })).digest('hex');
  return `ev_${hash.slice(0, 40)}`;
}

/** JSON with object keys sorted at every depth: the same value, the same text. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, (x as Record<string, unknown>)[k]]),
        )
      : x,
  );
}

export interface SavedEvaluation {
  id: string;
  modelId: number;
  request: CheckedRequest;
  result: EvaluationResult;
  createdAt: Date;
}

/** Saves an evaluation (its input and result): the same evaluation saved twice is the one row. */
export async function saveEvaluation(e: Evaluated, createdBy: string): Promise<SavedEvaluation> {
  const id = evaluationId(e.request, e.result);
  const found = await savedEvaluation(id);
  if (found) return found;
  try {
    await db().evaluation.create({
      data: {
        id,
        modelId: e.request.model,
        input: canonicalJson(e.request),
        result: JSON.stringify(e.result),
        createdBy,
      },
    });
  } catch (err) {
    // saved meanwhile by another request: the same row
    const again = await savedEvaluation(id);
    if (again) return again;
    throw err;
  }
  return (await savedEvaluation(id)) as SavedEvaluation;
}

export async function savedEvaluation(id: string): Promise<SavedEvaluation | null> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
  const row = await db().evaluation.findUnique({ where: { id } });
  if (!row) return null;
  return {
    id: row.id,
    modelId: row.modelId,
    request: JSON.parse(row.input) as CheckedRequest,
    result: JSON.parse(row.result) as EvaluationResult,
    createdAt: row.createdAt,
  };
}

/** A saved evaluation's request as evaluate takes it (for its errors connection). */
export const requestOfSaved = (s: SavedEvaluation): EvaluationRequest => ({
  ...s.request,
  subset: s.request.subset as EvaluationSubset,
  resamples: 0,
});

// ---------------------------------------------------------------- comparing two models

export interface ComparisonRequest {
  models: readonly number[];
  subset: EvaluationSubset;
  policy?: string | null;
  positive: readonly string[];
  resamples?: number | null;
  seed?: number | null;
}

export interface ModelComparison {
  images: number;
  patients: number;
  aurocA: Estimate;
  aurocB: Estimate;
  difference: Estimate;
  bootstrap: BootstrapInfo;
}

/**
 * Two models on the same images (those of the subset both scored and the policy labels): AUROC of
 * each and the paired difference B − A, every resample drawing the same patients for both.
 */
export async function compareModels(caller: EvaluationCaller, req: ComparisonRequest): Promise<ModelComparison> {
  if (req.models.length !== 2 || req.models[0] === req.models[1])
    throw badInput('input.models: exactly 2 different models', 'input.models');
  const base = {
    subset: req.subset,
    policy: req.policy,
    positive: req.positive,
    resamples: req.resamples,
    seed: req.seed,
  };
  const pair = req.models.map((model) => {
    const raw = { ...base, model } as EvaluationRequest;
    return { raw, checked: checkRequest(raw, 'input') };
  });
  const ra = pair[0] as { raw: EvaluationRequest; checked: CheckedRequest };
  const rb = pair[1] as { raw: EvaluationRequest; checked: CheckedRequest };
  const a = await prepare(caller, ra.checked, ra.raw, 'input');
  const b = await prepare(caller, rb.checked, rb.raw, 'input');
  const inB = new Map(b.images.map((r, i) => [r.imageId, i]));
  const ia: number[] = [];
  const ib: number[] = [];
  a.images.forEach((r, i) => {
    const j = inB.get(r.imageId);
    if (j !== undefined) {
      ia.push(i);
      ib.push(j);
    }
  });
  const pick = (p: Prepared, idx: number[]): Scored => ({
    score: Float64Array.from(idx, (i) => p.scored.score[i] as number),
    positive: Uint8Array.from(idx, (i) => p.scored.positive[i] as number),
    patient: Int32Array.from(idx, (i) => p.scored.patient[i] as number),
  });
  const sa = pick(a, ia);
  const sb = pick(b, ib);
  const { resamples, seed } = ra.checked;
  const d = await pairedAurocDifference(sa, sb, { resamples, seed }, evaluationRunner({ resamples }));
  const e = (m: MetricInterval): Estimate => ({ value: m.value, lower: m.lower, upper: m.upper });
  return {
    images: sa.score.length,
    patients: new Set(sa.patient).size,
    aurocA: e(d.a),
    aurocB: e(d.b),
    difference: e(d.difference),
    bootstrap: { unit: 'PATIENT', resamples, seed, level: 0.95, note: BOOTSTRAP_NOTE },
  };
}
