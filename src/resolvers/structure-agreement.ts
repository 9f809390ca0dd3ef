// Agreement between reviewers on dermoscopic structures: per structure, over the images of a subset
// with at least two independent reviews, Fleiss' kappa of the reviewers' presence calls
// (domain/regions.ts presenceKappa, Fleiss' kappa allowing 2 or 3 reviewers per image) and the mean
// IoU of the regions of every pair of reviewers who both marked where the structure lies. Reviews
// are blind until the consensus, so a non-admin's answer rests on decided images only.
import { db } from '../db/current.ts';
import { DermoscopicStructure } from '../domain/enums.ts';
import { iou, presenceKappa } from '../domain/regions.ts';
import type { Role } from '../domain/roles.ts';
import { blobStore } from '../storage/open.ts';
import { maskReader, regionBitmap } from './regions.ts';
import type { Selection } from './subset.ts';

export interface StructureAgreementRow {
  structure: DermoscopicStructure;
  /** images with at least two reviews the answer rests on (the same for every structure) */
  images: number;
  /** Fleiss' kappa of presence; null when undefined (every call the same, or no image) */
  kappa: number | null;
  /** mean pairwise IoU of the regions of reviewers who both marked the structure; null without a pair */
  iou: number | null;
  iouPairs: number;
}

/** The longer side of the grid on which two reviewers' regions are compared (the image's aspect kept). */
export const AGREEMENT_GRID = 512;

/** The grid for an image of width × height: its aspect, the longer side AGREEMENT_GRID pixels. */
export function gridOf(width: number, height: number): { width: number; height: number } {
  const scale = AGREEMENT_GRID / Math.max(width, height, 1);
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

const ORDER = Object.values(DermoscopicStructure) as DermoscopicStructure[];

/**
 * Per structure of the vocabulary (in its order): presence kappa and region IoU over the selection's
 * images with ≥ 2 reviews; for every role but admins only images with a consensus decision.
 */
export async function structureAgreement(
  selection: Selection,
  role: Role | null,
  dataDir: string,
): Promise<StructureAgreementRow[]> {
  const images = await db().image.findMany({
    where: {
      AND: [
        selection.where,
        { reviewCount: { gte: 2 } },
        ...(role === 'ADMIN' ? [] : [{ consensus: { isNot: null } }]),
      ],
    },
    select: {
      id: true,
      width: true,
      height: true,
      reviews: {
        select: {
          reviewerCode: true,
          structures: { select: { structure: true } },
          regions: { select: { structure: true, polygons: true, maskKey: true } },
        },
        orderBy: { reviewerCode: 'asc' },
      },
    },
    orderBy: { id: 'asc' },
  });
  const store = blobStore(dataDir);
  const presence = new Map<DermoscopicStructure, { raters: number; present: number }[]>(ORDER.map((s) => [s, []]));
  const pairs = new Map<DermoscopicStructure, { sum: number; n: number }>(ORDER.map((s) => [s, { sum: 0, n: 0 }]));
  let counted = 0;
  for (const image of images) {
    if (image.reviews.length < 2) continue;
    counted++;
    const grid = gridOf(image.width, image.height);
    const masks = maskReader(store); // per image: its decoded masks are dropped with it
    for (const s of ORDER) {
      const present = image.reviews.filter((r) => r.structures.some((x) => x.structure === s)).length;
      presence.get(s)?.push({ raters: image.reviews.length, present });
      const marked = image.reviews.flatMap((r) => r.regions.filter((x) => x.structure === s));
      if (marked.length < 2) continue;
      const bitmaps = await Promise.all(marked.map((r) => regionBitmap(r, grid.width, grid.height, masks)));
      const tally = pairs.get(s) as { sum: number; n: number };
      for (let a = 0; a < bitmaps.length; a++)
        for (let b = a + 1; b < bitmaps.length; b++) {
          tally.sum += iou(bitmaps[a] as Uint8Array, bitmaps[b] as Uint8Array) ?? 0;
          tally.n++;
        }
    }
  }
  return ORDER.map((structure) => {
    const t = pairs.get(structure) as { sum: number; n: number };
    return {
      structure,
      images: counted,
      kappa: presenceKappa(presence.get(structure) ?? []),
      iou: t.n === 0 ? null : t.sum / t.n,
      iouPairs: t.n,
    };
  });
}
