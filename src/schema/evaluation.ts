// Evaluating a model (issue 17 §2): evaluation(input), saveEvaluation / savedEvaluation,
// modelComparison; the result mirrors domain/evaluation-result.ts, with the errors connection (the
// largest losses first) and the report (resolvers/evaluation-report.ts) on it.
import { builder } from '../builder.ts';
import { readProfile } from '../domain/deidentify.ts';
import type {
  BootstrapInfo,
  ConfusionCounts,
  Estimate,
  EvaluationInputResolved,
  EvaluationResult,
  ExpertDisagreement,
  MetricSet,
  RaterAgreement,
  ReliabilityRow,
  RocPoint,
  Stratum,
} from '../domain/evaluation-result.ts';
import { badInput } from '../resolvers/errors.ts';
import {
  BOOTSTRAP_NOTE,
  type ComparisonRequest,
  compareModels,
  EVALUATION_BOUNDS,
  type EvaluatedRows,
  type EvaluationCaller,
  type EvaluationError,
  type EvaluationRequest,
  evaluate,
  evaluationErrors,
  type ModelComparison,
  requestOfSaved,
  type SavedEvaluation,
  savedEvaluation,
  saveEvaluation,
} from '../resolvers/evaluation.ts';
import { renderEvaluationReport, resultForReader } from '../resolvers/evaluation-report.ts';
import type { EvaluationSubset } from '../resolvers/evaluation-subset.ts';
import type { ImageFilter as ImageFilterShape } from '../resolvers/image-filter.ts';
import { actorOf, type Context } from '../server/context.ts';
import { EvaluationSubsetInput } from './evaluation-subset.ts';
import { type GlobalId, parseGlobalId, rowIdOf } from './ids.ts';
import { ImageFilter, ImageRef } from './image.ts';
import { requireToken } from './staff.ts';

const caller = (ctx: Context): EvaluationCaller => ({ scope: ctx, profile: readProfile(ctx.role) });

/** The rows behind a result shown (for its errors connection): kept, or read again for a saved one. */
const ROWS = new WeakMap<EvaluationResult, () => Promise<EvaluatedRows>>();

/** The result as the caller may read it (reviewer codes for reviewers and admins), its rows remembered. */
function shown(ctx: Context, result: EvaluationResult, rows: () => Promise<EvaluatedRows>): EvaluationResult {
  const out = resultForReader(result, ctx.role ?? 'VIEWER');
  ROWS.set(out, rows);
  return out;
}

/** A saved evaluation's global id: base64 of `SavedEvaluation:<key>` (every ID of this API is a global id). */
const savedGlobalId = (key: string) => Buffer.from(`SavedEvaluation:${key}`).toString('base64');

const modelIdOf = (g: GlobalId, argument: string): number => {
  if (g.typename !== 'Model') throw badInput(`${argument}: expected a Model id, got a ${g.typename} id`, argument);
  const id = rowIdOf(String(g.id));
  if (id === null) throw badInput(`${argument}: "${String(g.id).slice(0, 40)}" is not a Model id`, argument);
  return id;
};

// ---------------------------------------------------------------- inputs

const OperatingPointInput = builder.inputType('OperatingPointInput', {
  description: 'The threshold is the highest score at which the sensitivity on the whole subset is at least this.',
  fields: (t) => ({ sensitivity: t.float({ required: true, description: 'Above 0, at most 1' }) }),
});

interface EvaluationInputShape {
  model: GlobalId;
  subset: EvaluationSubset;
  policy?: string | null;
  positive: string[];
  threshold?: number | null;
  operatingPoint?: { sensitivity: number } | null;
  resamples?: number | null;
  seed?: number | null;
  bins?: number | null;
  minStratumPatients?: number | null;
}

const B = EVALUATION_BOUNDS;
const EvaluationInput = builder.inputRef<EvaluationInputShape>('EvaluationInput').implement({
  description:
    'One model on one subset. The score of an image is the sum of the model’s scores over the positive labels; its ' +
    'truth, whether its label under the policy is one of them. Images the policy excludes or leaves unmapped, and ' +
    `images without a prediction, are counted and left out. Bounds (else BAD_USER_INPUT): 1–${B.positive} positive ` +
    `labels of 1–${B.label} characters, each a label of the policy and of the model, at least one label left ` +
    `negative; threshold in [0, 1] or operatingPoint, not both; resamples ${B.resamples.min}–${B.resamples.max}; ` +
    `bins ${B.bins.min}–${B.bins.max}; minStratumPatients ${B.minStratumPatients.min}–` +
    `${B.minStratumPatients.max.toLocaleString('en-US')}; seed a 32-bit integer. An unknown model is NOT_FOUND.`,
  fields: (t) => ({
    model: t.globalID({ required: true }),
    subset: t.field({ type: EvaluationSubsetInput, required: true }),
    policy: t.string({ description: 'A policy id (default: the model’s policy)' }),
    positive: t.stringList({ required: true, description: 'The labels that count as positive' }),
    threshold: t.float({ description: 'Score ≥ threshold is called positive (default 0.5)' }),
    operatingPoint: t.field({ type: OperatingPointInput }),
    resamples: t.int({
      defaultValue: B.resamples.default,
      description: 'Patient bootstrap resamples; 0 = no intervals',
    }),
    seed: t.int({
      defaultValue: B.seed.default,
      description: 'The bootstrap’s seed: the same seed, the same intervals',
    }),
    bins: t.int({ defaultValue: B.bins.default, description: 'Equal-width calibration bins over [0, 1]' }),
    minStratumPatients: t.int({
      defaultValue: B.minStratumPatients.default,
      description: 'A stratum with fewer patients (or without positives or negatives) gets no interval',
    }),
  }),
});

const requestOf = (input: EvaluationInputShape): EvaluationRequest => ({
  ...input,
  model: modelIdOf(input.model, 'input.model'),
});

interface ComparisonInputShape {
  models: GlobalId[];
  subset: EvaluationSubset;
  policy?: string | null;
  positive: string[];
  resamples?: number | null;
  seed?: number | null;
}

const ModelComparisonInput = builder.inputRef<ComparisonInputShape>('ModelComparisonInput').implement({
  description:
    'Two models on the same subset: the images both scored. Bounds as EvaluationInput’s; models must be exactly two ' +
    'different Model ids.',
  fields: (t) => ({
    models: t.globalIDList({ required: true }),
    subset: t.field({ type: EvaluationSubsetInput, required: true }),
    policy: t.string(),
    positive: t.stringList({ required: true }),
    resamples: t.int({ defaultValue: B.resamples.default }),
    seed: t.int({ defaultValue: B.seed.default }),
  }),
});

// ---------------------------------------------------------------- result types

export const EstimateRef = builder.objectRef<Estimate>('Estimate').implement({
  description: 'A value with its 95 % percentile bootstrap interval, resampled by patient (see BootstrapInfo).',
  fields: (t) => ({
    value: t.exposeFloat('value', { nullable: true, description: 'Null when undefined on the data' }),
    lower: t.exposeFloat('lower', {
      nullable: true,
      description: 'Null without an interval: resamples 0, a stratum too small, or too few defined resamples',
    }),
    upper: t.exposeFloat('upper', { nullable: true }),
  }),
});

const ConfusionRef = builder.objectRef<ConfusionCounts>('ConfusionCounts').implement({
  description: 'Images by truth and by the model’s call at the threshold (score ≥ threshold is positive).',
  fields: (t) => ({ tp: t.exposeInt('tp'), fp: t.exposeInt('fp'), tn: t.exposeInt('tn'), fn: t.exposeInt('fn') }),
});

const metricFields = <T extends MetricSet>(
  t: PothosSchemaTypes.ObjectFieldBuilder<
    typeof builder extends PothosSchemaTypes.SchemaBuilder<infer S> ? S : never,
    T
  >,
) => ({
  images: t.int({ resolve: (m) => m.images }),
  patients: t.int({ resolve: (m) => m.patients }),
  positives: t.int({ resolve: (m) => m.positives }),
  negatives: t.int({ resolve: (m) => m.negatives }),
  confusion: t.field({ type: ConfusionRef, resolve: (m) => m.confusion }),
  sensitivity: t.field({ type: EstimateRef, resolve: (m) => m.sensitivity, description: 'TP / (TP + FN)' }),
  specificity: t.field({ type: EstimateRef, resolve: (m) => m.specificity, description: 'TN / (TN + FP)' }),
  ppv: t.field({ type: EstimateRef, resolve: (m) => m.ppv, description: 'Positive predictive value, TP / (TP + FP)' }),
  npv: t.field({ type: EstimateRef, resolve: (m) => m.npv, description: 'Negative predictive value, TN / (TN + FN)' }),
  balancedAccuracy: t.field({ type: EstimateRef, resolve: (m) => m.balancedAccuracy }),
  auroc: t.field({
    type: EstimateRef,
    resolve: (m) => m.auroc,
    description: 'Area under the ROC curve (ties count half)',
  }),
  auprc: t.field({
    type: EstimateRef,
    resolve: (m) => m.auprc,
    description: 'Area under the precision-recall curve as average precision (scikit-learn’s)',
  }),
  ece: t.field({
    type: EstimateRef,
    resolve: (m) => m.ece,
    description: 'Expected calibration error over the equal-width bins: Σ (n_b / N) |positive rate − mean score|',
  }),
});

const MetricSetRef = builder.objectRef<MetricSet>('EvaluationMetrics').implement({
  description: 'The metrics of a set of images (the subset, or a stratum) at the threshold.',
  fields: (t) => metricFields(t),
});

const StratumDimensionEnum = builder.enumType('StratumDimension', {
  values: {
    VERIFICATION_STAGE: {
      description:
        'The verification stage; HISTOLOGY alone is the reference standard (histopathology), the others are clinical labels',
    },
    FITZPATRICK_TYPE: { description: 'The patient’s Fitzpatrick type' },
    SEX: { description: 'The patient’s sex' },
    AGE_BAND: { description: 'Age at the exam in 5-year bands ("40-44"), 90+ top-coded' },
    ANATOMICAL_SITE: { description: 'The anatomical site' },
    COLLECTION: { description: 'The collection (its slug)' },
  } as const,
});

const StratumRef = builder.objectRef<Stratum>('EvaluationStratum').implement({
  description: 'The metrics of one stratum, at the subset’s threshold, from the same patient resamples.',
  fields: (t) => ({
    dimension: t.field({ type: StratumDimensionEnum, resolve: (s) => s.dimension }),
    value: t.exposeString('value', {
      nullable: true,
      description: 'The enum name, the age band, or the collection slug; null: the images without the value',
    }),
    tooSmall: t.exposeBoolean('tooSmall', {
      description: 'Fewer patients than minStratumPatients, or no positive or no negative: no intervals',
    }),
    ...metricFields(t),
  }),
});

const ReliabilityRowRef = builder.objectRef<ReliabilityRow>('ReliabilityRow').implement({
  description: 'One calibration bin: scores in [lower, upper) (the last includes 1).',
  fields: (t) => ({
    lower: t.exposeFloat('lower'),
    upper: t.exposeFloat('upper'),
    count: t.exposeInt('count'),
    meanScore: t.exposeFloat('meanScore', { nullable: true }),
    positiveRate: t.exposeFloat('positiveRate', { nullable: true }),
  }),
});

const RocPointRef = builder.objectRef<RocPoint>('RocPoint').implement({
  fields: (t) => ({
    fpr: t.exposeFloat('fpr'),
    tpr: t.exposeFloat('tpr'),
    threshold: t.exposeFloat('threshold', { description: 'Score ≥ threshold is called positive at this point' }),
  }),
});

const RaterKindEnum = builder.enumType('RaterKind', {
  values: {
    REVIEWER: { description: 'One specialist’s independent reviews (of images with a consensus)' },
    CONSENSUS: { description: 'The consensus label' },
    HISTOLOGY: { description: 'The label of the histology-verified images (the reference standard)' },
  } as const,
});

const RaterAgreementRef = builder.objectRef<RaterAgreement>('RaterAgreement').implement({
  description:
    'Cohen’s κ of the model’s call at the threshold against one rater’s call (their label under the policy, positive ' +
    'or not).',
  fields: (t) => ({
    kind: t.field({ type: RaterKindEnum, resolve: (r) => r.kind }),
    rater: t.exposeString('rater', {
      nullable: true,
      description: 'The reviewer’s staff code, for reviewers and admins; null otherwise and for CONSENSUS, HISTOLOGY',
    }),
    images: t.exposeInt('images'),
    kappa: t.exposeFloat('kappa', { nullable: true }),
    agreement: t.exposeFloat('agreement', { nullable: true, description: 'Share of images with the same call' }),
  }),
});

type DisagreementSide = ExpertDisagreement['unanimous'];
const DisagreementSideRef = builder.objectRef<DisagreementSide>('ExpertAgreementSide').implement({
  fields: (t) => ({
    images: t.exposeInt('images'),
    modelAgreesWithConsensus: t.exposeFloat('modelAgreesWithConsensus', { nullable: true }),
    kappa: t.exposeFloat('kappa', { nullable: true }),
  }),
});

const ExpertDisagreementRef = builder.objectRef<ExpertDisagreement>('ExpertDisagreement').implement({
  description:
    'Does the model disagree where the experts disagree? The images with two or more independent reviews and a ' +
    'consensus, split by whether the reviewers’ calls were unanimous.',
  fields: (t) => ({
    unanimous: t.field({ type: DisagreementSideRef, resolve: (d) => d.unanimous }),
    split: t.field({ type: DisagreementSideRef, resolve: (d) => d.split }),
  }),
});

const BootstrapInfoRef = builder.objectRef<BootstrapInfo>('BootstrapInfo').implement({
  description: BOOTSTRAP_NOTE,
  fields: (t) => ({
    unit: t.exposeString('unit', { description: 'PATIENT' }),
    resamples: t.exposeInt('resamples'),
    seed: t.exposeInt('seed'),
    level: t.exposeFloat('level'),
    note: t.exposeString('note'),
  }),
});

const EvaluatedModelRef = builder.objectRef<EvaluationInputResolved['model']>('EvaluatedModel').implement({
  fields: (t) => ({ name: t.exposeString('name'), version: t.exposeString('version') }),
});

const EvaluationInputResolvedRef = builder.objectRef<EvaluationInputResolved>('EvaluationInputResolved').implement({
  description: 'What was evaluated, as resolved.',
  fields: (t) => ({
    model: t.field({ type: EvaluatedModelRef, resolve: (i) => i.model }),
    subset: t.exposeString('subset', { description: 'The subset in words' }),
    subsetInput: t.field({ type: 'JSONObject', resolve: (i) => i.subsetInput }),
    policy: t.string({ resolve: (i) => i.policy.id }),
    policyVersion: t.string({ resolve: (i) => i.policy.version }),
    positive: t.exposeStringList('positive'),
    threshold: t.exposeFloat('threshold', { description: 'Asked, or found for the operating point' }),
    operatingPointSensitivity: t.float({ nullable: true, resolve: (i) => i.operatingPoint?.sensitivity ?? null }),
    bins: t.exposeInt('bins'),
    minStratumPatients: t.exposeInt('minStratumPatients'),
  }),
});

const EvaluationErrorRef = builder.objectRef<EvaluationError>('EvaluationError').implement({
  description: 'An evaluated image with its binary cross-entropy loss.',
  fields: (t) => ({
    image: t.field({
      type: ImageRef,
      resolve: async (e, _args, ctx) => {
        const image = await ctx.parts.images.load(e.imageId);
        if (!image) throw new Error(`evaluated image ${e.imageId} has no row`);
        return image;
      },
    }),
    score: t.exposeFloat('score', { description: 'The sum of the scores over the positive labels' }),
    positive: t.exposeBoolean('positive', { description: 'Its label is positive' }),
    label: t.exposeString('label', { description: 'Its label under the policy' }),
    loss: t.exposeFloat('loss', { description: '−log(score) if positive, −log(1 − score) if not (clipped at 1e-15)' }),
  }),
});

export const ReportFormatEnum = builder.enumType('ReportFormat', { values: ['MARKDOWN', 'HTML'] as const });

const EvaluationResultRef = builder.objectRef<EvaluationResult>('EvaluationResult').implement({
  description:
    'One model on one subset: the confusion matrix and metrics at the threshold, AUROC, AUPRC, calibration, the ' +
    'same per stratum, agreement with the raters. ' +
    BOOTSTRAP_NOTE,
  fields: (t) => ({
    input: t.field({ type: EvaluationInputResolvedRef, resolve: (r) => r.input }),
    bootstrap: t.field({ type: BootstrapInfoRef, resolve: (r) => r.bootstrap }),
    missingPredictions: t.exposeInt('missingPredictions', {
      description: 'Images of the subset without a prediction of the model (not evaluated)',
    }),
    unlabelled: t.exposeInt('unlabelled', {
      description: 'Predicted images the policy excludes or leaves unmapped (not evaluated)',
    }),
    overall: t.field({ type: MetricSetRef, resolve: (r) => r.overall }),
    reliability: t.field({ type: [ReliabilityRowRef], resolve: (r) => r.reliability }),
    roc: t.field({ type: [RocPointRef], resolve: (r) => r.roc, description: 'At most 201 points, (0,0) to (1,1)' }),
    strata: t.field({ type: [StratumRef], resolve: (r) => r.strata }),
    raters: t.field({ type: [RaterAgreementRef], resolve: (r) => r.raters }),
    expertDisagreement: t.field({ type: ExpertDisagreementRef, resolve: (r) => r.expertDisagreement }),
    report: t.string({
      args: { format: t.arg({ type: ReportFormatEnum, defaultValue: 'MARKDOWN' }) },
      description: 'The evaluation report (Markdown, or a self-contained HTML page)',
      resolve: (r, args) => renderEvaluationReport(r, args.format ?? 'MARKDOWN'),
    }),
    errors: t.connection(
      {
        type: EvaluationErrorRef,
        description:
          'The evaluated images, largest loss first (ties by image), optionally those an ImageFilter also selects ' +
          '(read under the evaluation’s policy and release); at most 200 a page.',
        args: { filter: t.arg({ type: ImageFilter }) },
        resolve: async (r, args, ctx) => {
          if (args.last != null || args.before != null)
            throw badInput('errors pages forward only: first and after', args.last != null ? 'last' : 'before');
          const rows = ROWS.get(r);
          if (!rows) throw new Error('an evaluation result without its rows');
          return evaluationErrors(caller(ctx), await rows(), {
            first: args.first,
            after: args.after,
            filter: (args.filter ?? null) as ImageFilterShape | null,
          });
        },
      },
      {
        name: 'EvaluationErrorConnection',
        fields: (c) => ({
          totalCount: c.int({ resolve: (x) => (x as unknown as { totalCount: number }).totalCount }),
        }),
      },
      { name: 'EvaluationErrorEdge' },
    ),
  }),
});

const ModelComparisonRef = builder.objectRef<ModelComparison>('ModelComparison').implement({
  description:
    'Two models on the images of the subset both scored: AUROC of each and the paired difference B − A, every ' +
    'resample drawing the same patients for both.',
  fields: (t) => ({
    images: t.exposeInt('images'),
    patients: t.exposeInt('patients'),
    aurocA: t.field({ type: EstimateRef, resolve: (c) => c.aurocA }),
    aurocB: t.field({ type: EstimateRef, resolve: (c) => c.aurocB }),
    difference: t.field({ type: EstimateRef, resolve: (c) => c.difference, description: 'aurocB − aurocA' }),
    bootstrap: t.field({ type: BootstrapInfoRef, resolve: (c) => c.bootstrap }),
  }),
});

interface ShownSaved {
  saved: SavedEvaluation;
  result: EvaluationResult;
}

const SavedEvaluationRef = builder.objectRef<ShownSaved>('SavedEvaluation').implement({
  description:
    'An evaluation stored with its input and result; its id is a hash of both, so saving the same evaluation again ' +
    'gives the same one.',
  fields: (t) => ({
    id: t.id({
      description: 'A global id (SavedEvaluation:<key>); the key alone names the report route, /evaluations/<key>.html',
      resolve: (s) => savedGlobalId(s.saved.id),
    }),
    result: t.field({ type: EvaluationResultRef, resolve: (s) => s.result }),
    reportUrl: t.string({
      args: { expiresIn: t.arg.int({ description: 'Seconds (60 s to 7 days, default 1 h)' }) },
      description: 'The HTML report, /evaluations/<id>.html, as a URL signed for the caller',
      resolve: (s, args, ctx) => ctx.signedUrl(`/evaluations/${s.saved.id}.html`, args.expiresIn),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (s) => s.saved.createdAt }),
  }),
});

const showSaved = (ctx: Context, saved: SavedEvaluation): ShownSaved => ({
  saved,
  result: shown(ctx, saved.result, async () => (await evaluate(caller(ctx), requestOfSaved(saved))).rows),
});

builder.queryFields((t) => ({
  evaluation: t.field({
    type: EvaluationResultRef,
    authScopes: { viewer: true },
    description:
      'Evaluates a model’s stored predictions on a subset (see EvaluationInput for the bounds and refusals).',
    args: { input: t.arg({ type: EvaluationInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const e = await evaluate(caller(ctx), requestOf(input));
      return shown(ctx, e.result, async () => e.rows);
    },
  }),
  savedEvaluation: t.field({
    type: SavedEvaluationRef,
    nullable: true,
    authScopes: { viewer: true },
    description: 'A saved evaluation by its id; null when none has it.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const g = parseGlobalId(String(args.id));
      if (g?.typename !== 'SavedEvaluation')
        throw badInput('id: expected a SavedEvaluation id (as saveEvaluation gives it)', 'id');
      const saved = await savedEvaluation(g.id);
      return saved ? showSaved(ctx, saved) : null;
    },
  }),
  modelComparison: t.field({
    type: ModelComparisonRef,
    authScopes: { viewer: true },
    args: { input: t.arg({ type: ModelComparisonInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      if (input.models.length !== 2)
        throw badInput(`input.models: exactly 2 models, got ${input.models.length}`, 'input.models');
      const req: ComparisonRequest = {
        ...input,
        models: input.models.map((g, i) => modelIdOf(g, `input.models.${i}`)),
      };
      return compareModels(caller(ctx), req);
    },
  }),
}));

builder.mutationFields((t) => ({
  saveEvaluation: t.field({
    type: SavedEvaluationRef,
    authScopes: { viewer: true },
    description:
      'Evaluates (as evaluation does) and stores the input and result; the same evaluation saved again is the same ' +
      'row (its id is a hash of both). Needs a bearer token (UNAUTHENTICATED); refusals as evaluation’s, nothing stored.',
    args: { input: t.arg({ type: EvaluationInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      requireToken(ctx, 'saveEvaluation');
      const e = await evaluate(caller(ctx), requestOf(input));
      const saved = await saveEvaluation(e, actorOf(ctx).code);
      return { saved, result: shown(ctx, saved.result, async () => e.rows) };
    },
  }),
}));
