// Models and their predictions over the API: registerModel (any signed-in token, which owns the
// model), importPredictions (the owner or an admin, in batches of at most 1,000 rows with per-row
// refusals), models and model(name, version), a model's predictions a page at a time.
import { builder } from '../builder.ts';
import {
  MODEL_BOUNDS,
  PREDICTION_BOUNDS,
  PREDICTION_REFUSAL_CODES,
  PREDICTION_REFUSAL_MEANINGS,
  storedScores,
} from '../domain/predictions.ts';
import { badInput } from '../resolvers/errors.ts';
import {
  countModels,
  importPredictions,
  labelsOf,
  listModels,
  modelById,
  modelByName,
  modelPredictions,
  type PredictionImportReport,
  type PredictionRefusal,
  registerModel,
} from '../resolvers/models.ts';
import { actorOf } from '../server/context.ts';
import { rowIdOf } from './ids.ts';
import { PolicyRef } from './policy.ts';
import { requireToken } from './staff.ts';

/** The path of a prediction's saliency map (served by the saliency route). */
export const saliencyPath = (modelId: number, imageSha256: string) =>
  `/models/${modelId}/images/${imageSha256}/saliency.png`;

interface LabelScoreValue {
  label: string;
  score: number;
}

const LabelScoreRef = builder.objectRef<LabelScoreValue>('LabelScore').implement({
  description: 'A model’s score for one label: a probability in [0, 1].',
  fields: (t) => ({
    label: t.exposeString('label'),
    score: t.exposeFloat('score'),
  }),
});

builder.prismaObject('Prediction', {
  name: 'ModelPrediction',
  authScopes: { viewer: true },
  description:
    'One model’s output for one image: a score per label (in the model’s label order) and, optionally, a saliency map.',
  fields: (t) => ({
    image: t.relation('image'),
    scores: t.field({
      type: [LabelScoreRef],
      select: { scores: true, model: { select: { labels: true } } },
      resolve: (p) => {
        const labels = labelsOf(p.model);
        return storedScores(p.scores).map((score, i) => ({ label: labels[i] ?? String(i), score }));
      },
    }),
    saliencyUrl: t.string({
      nullable: true,
      description:
        'The saliency map, a single-channel 8-bit PNG (any size; scaled to the image), as a URL signed for the ' +
        'caller and expiring after expiresIn seconds (60 s – 7 days, default 1 h); null without a saliency map',
      args: { expiresIn: t.arg.int() },
      select: { saliencyKey: true, modelId: true, image: { select: { sha256: true } } },
      resolve: (p, args, ctx) =>
        p.saliencyKey ? ctx.signedUrl(saliencyPath(p.modelId, p.image.sha256), args.expiresIn) : null,
    }),
  }),
});

builder.prismaNode('Model', {
  id: { field: 'id' },
  authScopes: { viewer: true },
  description:
    'A registered model: a name and version, the policy whose labels it scores, notes on its training data, and its ' +
    'predictions. Predictions never change: new outputs are a new version.',
  fields: (t) => ({
    name: t.exposeString('name'),
    version: t.exposeString('version'),
    policy: t.field({
      type: PolicyRef,
      description: 'The policy whose labels the model scores (as registered: its id; the labels are the model’s own)',
      select: { policyId: true },
      resolve: (m, _args, ctx) => ctx.policy(m.policyId),
    }),
    labels: t.stringList({
      description: 'The labels the model scores, in the policy’s order when it was registered',
      select: { labels: true },
      resolve: (m) => labelsOf(m),
    }),
    trainingNotes: t.exposeString('trainingNotes', { nullable: true }),
    predictionCount: t.exposeInt('predictionCount', { description: 'Predictions stored' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    predictions: t.prismaConnection(
      {
        type: 'Prediction',
        // pages by the image id: within one model it is the prediction's key, and its cursor is an id
        // cursor like every other connection's (the compound key's would not be); modelPredictions
        // turns it into the compound cursor Prisma needs
        cursor: 'imageId' as 'modelId_imageId',
        description: 'The model’s predictions in image order (at most 200 a page)',
        totalCount: (m) => m.predictionCount,
        resolve: (query, m, args) => modelPredictions(query, m.id, args),
      },
      { name: 'ModelPredictionConnection' },
      { name: 'ModelPredictionEdge' },
    ),
  }),
});

const RegisterModelInput = builder.inputType('RegisterModelInput', {
  fields: (t) => ({
    name: t.string({
      required: true,
      description: `1–${MODEL_BOUNDS.name} characters without control characters`,
    }),
    version: t.string({
      required: true,
      description: `1–${MODEL_BOUNDS.version} characters without control characters or @; a name and version are registered once`,
    }),
    policy: t.string({ description: 'The policy whose labels the model scores (its id); default the active one' }),
    trainingNotes: t.string({
      description: `What the model was trained on, how and by whom: at most ${MODEL_BOUNDS.trainingNotes.toLocaleString('en-US')} characters`,
    }),
  }),
});

const LabelScoreInput = builder.inputType('LabelScoreInput', {
  fields: (t) => ({
    label: t.string({ required: true, description: 'A label of the model (any case)' }),
    score: t.float({ required: true, description: 'A probability in [0, 1]' }),
  }),
});

const PredictionInput = builder.inputType('PredictionInput', {
  description: 'One image’s prediction: every label of the model scored, the scores summing to 1 ± 0.01.',
  fields: (t) => ({
    image: t.string({
      required: true,
      description: 'The image: its global id (Image.id) or its SHA-256 as 64 hex digits',
    }),
    scores: t.field({ type: [LabelScoreInput], required: true }),
    saliency: t.field({
      type: 'File',
      description: `A saliency map: a PNG or JPEG of at most 5 MB and ${PREDICTION_BOUNDS.saliencySide}×${PREDICTION_BOUNDS.saliencySide} pixels, stored as a single-channel 8-bit PNG without metadata`,
    }),
  }),
});

const PredictionRefusalCodeEnum = builder.enumType('PredictionRefusalCode', {
  description: 'Why a row of importPredictions was refused.',
  values: Object.fromEntries(
    PREDICTION_REFUSAL_CODES.map((code) => [code, { description: PREDICTION_REFUSAL_MEANINGS[code] }]),
  ),
});

const PredictionRefusalRef = builder.objectRef<PredictionRefusal>('PredictionRefusal').implement({
  description: 'A refused row: nothing of it was stored.',
  fields: (t) => ({
    row: t.exposeInt('row', { description: 'The row’s 0-based place in the batch' }),
    image: t.exposeString('image', { nullable: true, description: 'The image as the row named it' }),
    code: t.field({ type: PredictionRefusalCodeEnum, resolve: (r) => r.code }),
    message: t.exposeString('message'),
  }),
});

const PredictionImportReportRef = builder.objectRef<PredictionImportReport>('PredictionImportReport').implement({
  description: 'What became of a batch: received = stored + unchanged + refused.',
  fields: (t) => ({
    received: t.exposeInt('received'),
    stored: t.exposeInt('stored', { description: 'New predictions stored' }),
    unchanged: t.exposeInt('unchanged', { description: 'Rows equal to the stored prediction: nothing written' }),
    refused: t.exposeInt('refused'),
    refusals: t.field({ type: [PredictionRefusalRef], resolve: (r) => r.refusals }),
  }),
});

builder.queryFields((t) => ({
  models: t.prismaConnection(
    {
      type: 'Model',
      cursor: 'id',
      authScopes: { viewer: true },
      description: 'Registered models in the order they were registered (at most 200 a page).',
      totalCount: () => countModels(),
      resolve: (query, _root, args) => listModels(query, args),
    },
    { name: 'ModelConnection' },
    { name: 'ModelEdge' },
  ),
  model: t.prismaField({
    type: 'Model',
    nullable: true,
    authScopes: { viewer: true },
    description: 'A model by its name and version; null when none is registered so.',
    args: { name: t.arg.string({ required: true }), version: t.arg.string({ required: true }) },
    resolve: (query, _root, args) => modelByName(args.name, args.version, query),
  }),
}));

builder.mutationFields((t) => ({
  registerModel: t.prismaField({
    type: 'Model',
    authScopes: { viewer: true },
    description:
      'Registers a model under a policy (default the active one), whose labels it scores in the policy’s order; any ' +
      'signed-in token may (UNAUTHENTICATED without one) and owns it. Refuses, writing nothing (BAD_USER_INPUT): a ' +
      `name over ${MODEL_BOUNDS.name} or a version over ${MODEL_BOUNDS.version} characters, either empty or holding ` +
      `a control character, a version holding @, notes over ${MODEL_BOUNDS.trainingNotes.toLocaleString('en-US')} ` +
      'characters, an unknown policy, a name and version registered already (the message names that model).',
    args: { input: t.arg({ type: RegisterModelInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      requireToken(ctx, 'registerModel');
      const model = await registerModel(actorOf(ctx), input, (id) => ctx.policy(id));
      return (await modelById(model.id, query)) ?? model;
    },
  }),
  importPredictions: t.field({
    type: PredictionImportReportRef,
    authScopes: { viewer: true },
    description:
      `Stores a batch of at most ${PREDICTION_BOUNDS.batch.toLocaleString('en-US')} predictions of a model (more is ` +
      'BAD_USER_INPUT, nothing stored); only its owner (the token that registered it) or an admin may (FORBIDDEN), an ' +
      'unknown model is NOT_FOUND. Each row is checked on its own: a refused row (see PredictionRefusalCode) changes ' +
      'nothing and leaves no file behind, the good rows are stored together. A row equal to the stored prediction ' +
      'is counted unchanged and nothing is written: importing the same rows again is a no-op. A different stored ' +
      'prediction is never replaced (CONFLICTS_WITH_STORED): register a new version.',
    args: {
      model: t.arg.globalID({ required: true }),
      predictions: t.arg({ type: [PredictionInput], required: true }),
    },
    resolve: (_root, args, ctx) => {
      requireToken(ctx, 'importPredictions');
      if (args.model.typename !== 'Model')
        throw badInput(`expected a Model id, got a ${args.model.typename} id`, 'model');
      const id = rowIdOf(String(args.model.id));
      if (id === null) throw badInput(`"${String(args.model.id).slice(0, 40)}" is not a Model id`, 'model');
      return importPredictions({ dataDir: ctx.dataDir }, actorOf(ctx), id, args.predictions);
    },
  }),
}));
