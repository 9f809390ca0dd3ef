// What is measured with the experts' structure regions (schema/regions.ts): reviewers' agreement on
// structures (presence kappa and region IoU), and a model's saliency maps against the regions.
import { builder } from '../builder.ts';
import { readProfile } from '../domain/deidentify.ts';
import { badInput } from '../resolvers/errors.ts';
import { type EvaluationSubset, evaluationSubsetRequest } from '../resolvers/evaluation-subset.ts';
import {
  INTERPRETABILITY_BOOTSTRAP,
  interpretability,
  interpretedModel,
  type SaliencyMetricRow,
  TOP_K_BOUNDS,
} from '../resolvers/interpretability.ts';
import { AGREEMENT_GRID, type StructureAgreementRow, structureAgreement } from '../resolvers/structure-agreement.ts';
import { resolveSelection, resolveSubset } from '../resolvers/subset.ts';
import { EstimateRef } from './evaluation.ts';
import { EvaluationSubsetInput } from './evaluation-subset.ts';
import { rowIdOf } from './ids.ts';
import { DermoscopicStructureEnum } from './vocabulary.ts';

const n = (x: number) => x.toLocaleString('en-US');

const StructureAgreementRef = builder.objectRef<StructureAgreementRow>('StructureAgreement').implement({
  description: 'Reviewers’ agreement on one dermoscopic structure, over images with at least two reviews.',
  fields: (t) => ({
    structure: t.field({ type: DermoscopicStructureEnum, resolve: (r) => r.structure }),
    images: t.exposeInt('images', { description: 'Images with at least two independent reviews' }),
    kappa: t.exposeFloat('kappa', {
      nullable: true,
      description:
        'Fleiss’ kappa of the reviewers’ presence calls (the structure listed or not), 2 or 3 reviewers an image; ' +
        'null when every call is the same',
    }),
    iou: t.exposeFloat('iou', {
      nullable: true,
      description:
        `Mean IoU of the regions of every pair of reviewers who both marked where it lies (on a grid of the image’s ` +
        `aspect, ${AGREEMENT_GRID} pixels on the longer side); null without such a pair`,
    }),
    iouPairs: t.exposeInt('iouPairs', { description: 'Reviewer pairs the IoU is the mean of' }),
  }),
});

const SaliencyMetricRef = builder.objectRef<SaliencyMetricRow>('SaliencyMetric').implement({
  description:
    'A model’s saliency maps against the experts’ regions of one structure, for images of one true label (or all). ' +
    `Each value is a mean over images with a 95 % percentile bootstrap interval resampled by patient ` +
    `(${n(INTERPRETABILITY_BOOTSTRAP.resamples)} resamples, seed ${INTERPRETABILITY_BOOTSTRAP.seed}).`,
  fields: (t) => ({
    structure: t.field({ type: DermoscopicStructureEnum, resolve: (r) => r.structure }),
    label: t.exposeString('label', {
      nullable: true,
      description: 'The images’ true label under the policy; null: all images, whatever their label',
    }),
    images: t.exposeInt('images'),
    pointingGame: t.field({
      type: EstimateRef,
      description: 'Share of images whose saliency maximum (ties: the first in row-major order) is inside the region',
      resolve: (r) => r.pointingGame,
    }),
    energyShare: t.field({
      type: EstimateRef,
      description: 'Mean share of the saliency mass inside the region',
      resolve: (r) => r.energyShare,
    }),
    topKIoU: t.field({
      type: EstimateRef,
      description: 'Mean IoU of the top k·100 % saliency pixels with the region',
      resolve: (r) => r.topKIoU,
    }),
  }),
});

interface InterpretabilityRequest {
  model: { typename: string; id: string };
  subset: EvaluationSubset;
  policy?: string | null;
  topK?: number | null;
}

const InterpretabilityInput = builder.inputRef<InterpretabilityRequest>('InterpretabilityInput').implement({
  description: 'A model’s saliency maps on a subset, against the experts’ structure regions.',
  fields: (t) => ({
    model: t.globalID({ required: true }),
    subset: t.field({ type: EvaluationSubsetInput, required: true }),
    policy: t.string({ description: 'The policy giving the true labels (default: the model’s)' }),
    topK: t.float({
      defaultValue: 0.1,
      description: `The share of a map’s pixels topKIoU takes (${TOP_K_BOUNDS.min} to ${TOP_K_BOUNDS.max}; default 0.1)`,
    }),
  }),
});

builder.queryFields((t) => ({
  structureAgreement: t.field({
    type: [StructureAgreementRef],
    authScopes: { viewer: true },
    description:
      'Per dermoscopic structure, reviewers’ agreement over the subset’s images with at least two independent ' +
      'reviews (default: all images): kappa on presence and IoU of regions. Visible as reviews are after the ' +
      'consensus: for every role but admins, decided images only.',
    args: { subset: t.arg({ type: EvaluationSubsetInput }) },
    resolve: async (_root, args, ctx) => {
      const req = args.subset ? evaluationSubsetRequest(args.subset, readProfile(ctx.role)) : {};
      return structureAgreement(await resolveSelection(ctx, req), ctx.role, ctx.dataDir);
    },
  }),
  interpretability: t.field({
    type: [SaliencyMetricRef],
    authScopes: { viewer: true },
    description:
      'A model’s saliency maps on a subset against the experts’ structure regions: for images with a saliency map ' +
      'and a consensus, the union of the reviews’ regions per structure at the map’s resolution (masks resized by ' +
      'nearest neighbour); per structure and per true label (and all), the pointing game, the energy share and the ' +
      'top-k IoU. Refused: an unknown model (NOT_FOUND), a bad subset or policy, topK out of bounds (BAD_USER_INPUT).',
    args: { input: t.arg({ type: InterpretabilityInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      if (input.model.typename !== 'Model')
        throw badInput(`expected a Model id, got a ${input.model.typename} id`, 'input.model');
      const model = await interpretedModel(rowIdOf(String(input.model.id)));
      const subset = await resolveSubset(ctx, {
        ...evaluationSubsetRequest(input.subset, readProfile(ctx.role), 'input.subset'),
        policy: input.policy ?? model.policyId,
      });
      return interpretability(model.id, subset, input.topK ?? 0.1, ctx.dataDir);
    },
  }),
}));
