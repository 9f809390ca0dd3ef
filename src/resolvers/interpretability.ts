// A model's saliency maps held against where the experts marked each dermoscopic structure. For
// every image of the subset with a saliency map of the model and a consensus decision, the expert
// region of a structure is the union of the regions the image's (decided) reviews marked for it,
// rasterised at the saliency map's resolution (polygons by pixel centre, masks resized by nearest
// neighbour). Per structure, and per true label under the policy (and for all images together):
// the pointing game, the saliency energy share inside the region and the IoU of the top-k % saliency
// pixels with it, each a mean over images with a 95 % percentile bootstrap interval resampled by
// patient (domain/evaluation-metrics.ts patientBootstrap, seeded: the same input gives the same
// numbers).
import { createGraphQLError } from 'graphql-yoga';
import { db } from '../db/current.ts';
import { DermoscopicStructure } from '../domain/enums.ts';
import { patientBootstrap, type Scored } from '../domain/evaluation-metrics.ts';
import type { Estimate } from '../domain/evaluation-result.ts';
import { area, energyShare, pointingGame, topKIoU } from '../domain/regions.ts';
import { decide, POLICY_INPUT_SELECT } from '../plugins/evaluate.ts';
import { blobStore } from '../storage/open.ts';
import { badInput } from './errors.ts';
import { maskReader, readGrey, unionBitmap } from './regions.ts';
import { asOf, frozenInclude } from './releases.ts';
import type { Subset } from './subset.ts';

/** The bootstrap of every interpretability interval: resamples, seed and level (fixed, so answers repeat). */
export const INTERPRETABILITY_BOOTSTRAP = { resamples: 1000, seed: 0, level: 0.95 } as const;

/** topK's bounds: a share of the map's pixels, above 0 and at most 1. */
export const TOP_K_BOUNDS = { min: 0.001, max: 1 } as const;

export interface SaliencyMetricRow {
  structure: DermoscopicStructure;
  /** the images' true label under the policy; null: every image (whatever its label) */
  label: string | null;
  images: number;
  pointingGame: Estimate;
  energyShare: Estimate;
  topKIoU: Estimate;
}

const ORDER = Object.values(DermoscopicStructure) as DermoscopicStructure[];

interface Values {
  patient: number[];
  pointing: number[];
  energy: number[];
  top: number[];
}

const mean = (s: Scored): number | null => {
  if (s.score.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < s.score.length; i++) sum += s.score[i] as number;
  return sum / s.score.length;
};

function estimate(values: number[], patient: number[]): Estimate {
  const s: Scored = {
    score: Float64Array.from(values),
    positive: new Uint8Array(values.length),
    patient: Int32Array.from(patient),
  };
  const { resamples, seed, level } = INTERPRETABILITY_BOOTSTRAP;
  const r = patientBootstrap(s, mean, { resamples, seed, level });
  return { value: r.estimate, lower: r.lower, upper: r.upper };
}

/** The model an interpretability read is about (its id and policy), or NOT_FOUND. */
export async function interpretedModel(id: number | null): Promise<{ id: number; policyId: string }> {
  const model =
    id === null ? null : await db().model.findUnique({ where: { id }, select: { id: true, policyId: true } });
  if (!model)
    throw createGraphQLError('no model has this id', { extensions: { code: 'NOT_FOUND', argument: 'input.model' } });
  return model;
}

/**
 * The saliency metrics of a model on a subset (its policy giving the true labels). Refusals
 * (BAD_USER_INPUT): topK outside [0.001, 1]. Images without a saliency map, without a consensus, or
 * whose map is all zero are left out; so, per structure, are images where no decided review marked
 * it (or its region covers no pixel of the map's grid).
 */
export async function interpretability(
  modelId: number,
  subset: Subset,
  topK: number,
  dataDir: string,
): Promise<SaliencyMetricRow[]> {
  if (!(topK >= TOP_K_BOUNDS.min && topK <= TOP_K_BOUNDS.max))
    throw badInput(`topK is a share of the map's pixels: ${TOP_K_BOUNDS.min} to ${TOP_K_BOUNDS.max}`, 'input.topK');
  const images = await db().image.findMany({
    where: {
      AND: [
        subset.where,
        { consensus: { isNot: null } },
        { predictions: { some: { modelId, saliencyKey: { not: null } } } },
        // only images some reviewer marked regions on: the read is bounded by what experts drew,
        // not by the subset's size
        { reviews: { some: { regions: { some: {} } } } },
      ],
    },
    select: {
      id: true,
      patientId: true,
      ...POLICY_INPUT_SELECT,
      ...frozenInclude(subset.release),
      predictions: { where: { modelId }, select: { saliencyKey: true } },
      reviews: { select: { regions: { select: { structure: true, polygons: true, maskKey: true } } } },
    },
    orderBy: { id: 'asc' },
  });
  const store = blobStore(dataDir);
  // per structure, per label ('' = all)
  const table = new Map<DermoscopicStructure, Map<string, Values>>();
  const add = (s: DermoscopicStructure, label: string, patient: number, p: number, e: number, t: number) => {
    const byLabel = table.get(s) ?? new Map<string, Values>();
    table.set(s, byLabel);
    const v = byLabel.get(label) ?? { patient: [], pointing: [], energy: [], top: [] };
    byLabel.set(label, v);
    v.patient.push(patient);
    v.pointing.push(p);
    v.energy.push(e);
    v.top.push(t);
  };
  for (const image of images) {
    const regions = image.reviews.flatMap((r) => r.regions);
    const key = image.predictions[0]?.saliencyKey;
    if (regions.length === 0 || !key) continue;
    const decision = decide(subset.policy, asOf(image));
    const label = decision.kind === 'mapped' ? decision.label : null;
    const map = await readGrey(store, key);
    const masks = maskReader(store);
    for (const s of ORDER) {
      const marked = regions.filter((r) => r.structure === s);
      if (marked.length === 0) continue;
      const region = await unionBitmap(marked, map.width, map.height, masks);
      if (area(region) === 0) continue;
      const p = pointingGame(map.data, region);
      const e = energyShare(map.data, region);
      const t = topKIoU(map.data, region, topK);
      if (p === null || e === null || t === null) continue; // a map without saliency
      add(s, '', image.patientId, p, e, t);
      if (label !== null) add(s, label, image.patientId, p, e, t);
    }
  }
  const labels = ['', ...subset.policy.labels];
  const out: SaliencyMetricRow[] = [];
  for (const s of ORDER) {
    const byLabel = table.get(s);
    if (!byLabel) continue;
    for (const label of labels) {
      const v = byLabel.get(label);
      if (!v) continue;
      out.push({
        structure: s,
        label: label === '' ? null : label,
        images: v.patient.length,
        pointingGame: estimate(v.pointing, v.patient),
        energyShare: estimate(v.energy, v.patient),
        topKIoU: estimate(v.top, v.patient),
      });
    }
  }
  return out;
}
