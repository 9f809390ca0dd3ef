// The result of evaluating one model on one subset: the contract between the service that
// computes it (resolvers/evaluation.ts), the GraphQL types that show it (schema/evaluation.ts), the
// report that renders it (resolvers/evaluation-report.ts) and the saved evaluation (JSON in the
// evaluation table). Plain data only: every number is computed from the predictions and the labels.
import type { AnatomicalSite, FitzpatrickType, Sex, VerificationStage } from './enums.ts';

/** A point estimate with its 95 % percentile bootstrap interval, resampled by patient. */
export interface Estimate {
  /** null when undefined on the data (e.g. sensitivity without positives) */
  value: number | null;
  /** null when no interval: bootstrap off, the stratum too small, or too few defined resamples */
  lower: number | null;
  upper: number | null;
}

export interface ConfusionCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** The metrics of one set of images: the whole subset or one stratum. */
export interface MetricSet {
  images: number;
  patients: number;
  positives: number;
  negatives: number;
  confusion: ConfusionCounts;
  sensitivity: Estimate;
  specificity: Estimate;
  ppv: Estimate;
  npv: Estimate;
  balancedAccuracy: Estimate;
  auroc: Estimate;
  auprc: Estimate;
  ece: Estimate;
}

export interface ReliabilityRow {
  /** the bin's score range [lower, upper) (the last bin includes 1) */
  lower: number;
  upper: number;
  count: number;
  /** mean score of the bin's images; null for an empty bin */
  meanScore: number | null;
  /** share of positives among the bin's images; null for an empty bin */
  positiveRate: number | null;
}

export interface RocPoint {
  fpr: number;
  tpr: number;
  /** the score threshold at which this point is reached (score ≥ threshold is positive) */
  threshold: number;
}

export type StratumDimension =
  | 'VERIFICATION_STAGE'
  | 'FITZPATRICK_TYPE'
  | 'SEX'
  | 'AGE_BAND'
  | 'ANATOMICAL_SITE'
  | 'COLLECTION';

export interface Stratum extends MetricSet {
  dimension: StratumDimension;
  /**
   * The stratum's value: the enum name (VerificationStage, FitzpatrickType, Sex, AnatomicalSite),
   * the age band ("40-44", "85+"), the collection slug; null for the images without the value.
   */
  value: VerificationStage | FitzpatrickType | Sex | AnatomicalSite | string | null;
  /** too few patients, positives or negatives for an interval: its intervals are null */
  tooSmall: boolean;
}

/** The model's call at the threshold against one rater's label, both as positive / negative. */
export interface RaterAgreement {
  /** REVIEWER: one specialist's independent reviews; CONSENSUS: the consensus label; HISTOLOGY: the histology-mapped label */
  kind: 'REVIEWER' | 'CONSENSUS' | 'HISTOLOGY';
  /** the reviewer's staff code (shown to reviewers and admins only); null for CONSENSUS, HISTOLOGY */
  rater: string | null;
  /** images both labelled */
  images: number;
  kappa: number | null;
  /** share of those images where the model's call equals the rater's */
  agreement: number | null;
}

/** Does the model disagree where the experts disagree? The images with independent reviews, split by the experts' agreement. */
export interface ExpertDisagreement {
  /** all reviewers gave the same positive/negative call */
  unanimous: { images: number; modelAgreesWithConsensus: number | null; kappa: number | null };
  /** the reviewers were split */
  split: { images: number; modelAgreesWithConsensus: number | null; kappa: number | null };
}

export interface BootstrapInfo {
  /** always PATIENT: each resample draws patients with replacement and keeps all of a drawn patient's images */
  unit: 'PATIENT';
  resamples: number;
  seed: number;
  level: number;
  /** the sentence every output carries, saying how intervals were made */
  note: string;
}

export interface EvaluationInputResolved {
  model: { id: number; name: string; version: string };
  /** how the subset was named, in words (e.g. "release r_… (dermaset 1.0.0)", "split s_… part test") */
  subset: string;
  /** the subset as asked, JSON-able (filter, split and part, collection, release) */
  subsetInput: Record<string, unknown>;
  policy: { id: string; version: string };
  positive: string[];
  /** the threshold used (asked, or found for the operating point on the whole subset) */
  threshold: number;
  /** the sensitivity asked for, when the threshold came from an operating point */
  operatingPoint: { sensitivity: number } | null;
  bins: number;
  /** strata with fewer patients than this (or without positives or negatives) get no interval */
  minStratumPatients: number;
}

export interface EvaluationResult {
  input: EvaluationInputResolved;
  bootstrap: BootstrapInfo;
  /** images of the subset without a prediction of the model (not evaluated) */
  missingPredictions: number;
  /** images the policy excludes or leaves unmapped (not evaluated) */
  unlabelled: number;
  overall: MetricSet;
  reliability: ReliabilityRow[];
  /** the ROC curve, at most 201 points, from (0,0) to (1,1) */
  roc: RocPoint[];
  strata: Stratum[];
  raters: RaterAgreement[];
  expertDisagreement: ExpertDisagreement;
}
