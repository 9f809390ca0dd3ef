// Where a dermoscopic structure lies in an image, as a reviewer marks it (polygons in image fractions,
// or a mask), and how a model's saliency map is held against it: rasterisation onto a W×H grid,
// nearest-neighbour resizing of masks, IoU, the pointing game, the saliency energy inside a region and
// the IoU of the top-k % saliency pixels. Pure: bitmaps are Uint8Arrays in row-major order, 1 inside
// and 0 outside; a saliency map is one 8-bit value per pixel. The checks of a caller's regions return
// a Refusal (domain/refusal.ts), never throw.
import type { DermoscopicStructure } from './enums.ts';
import { type Refusal, refusal } from './refusal.ts';

/** The bounds of one review's regions (README, "Expert structure regions and saliency"). */
export const REGION_BOUNDS = {
  /** regions in one review */
  regions: 30,
  /** polygons in one region */
  polygons: 20,
  /** points in one polygon */
  minPoints: 3,
  maxPoints: 500,
  /** a mask's file size, in bytes */
  maskBytes: 5 * 1024 * 1024,
  /** a mask's decoded width and height, each */
  maskSide: 4096,
} as const;

/** A polygon: its corners [x, y] in fractions of the image's width and height (0–1), y downwards. */
export type Polygon = readonly (readonly [number, number])[];

/** One region as a reviewer sends it, before its mask (if any) is decoded. */
export interface RegionShape {
  structure: DermoscopicStructure;
  polygons?: readonly (readonly (readonly number[])[])[] | null;
  /** whether a mask file was given */
  mask: boolean;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** Twice the signed area of a polygon (the shoelace sum). */
function doubleArea(p: Polygon): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const [x0, y0] = p[i] as readonly [number, number];
    const [x1, y1] = p[(i + 1) % p.length] as readonly [number, number];
    s += x0 * y1 - x1 * y0;
  }
  return s;
}

/**
 * Checks a review's regions against its structures and the bounds: at most 30 regions, each of a
 * structure among the review's and each structure once, exactly one of polygons or a mask; 1–20
 * polygons of 3–1,000 points, each point two finite numbers in [0, 1], each polygon enclosing some
 * area. Returns the polygons as typed values, or the first Refusal, naming the argument at fault
 * (`regions.2.polygons.0.5`) and the structure.
 */
export function checkRegions(
  regions: readonly RegionShape[],
  structures: readonly DermoscopicStructure[],
): Refusal | (Polygon[] | null)[] {
  if (regions.length > REGION_BOUNDS.regions)
    return refusal(`a review marks at most ${REGION_BOUNDS.regions} regions; ${regions.length} given`, 'regions');
  const listed = new Set(structures);
  const seen = new Set<DermoscopicStructure>();
  const out: (Polygon[] | null)[] = [];
  for (const [r, region] of regions.entries()) {
    const at = `regions.${r}`;
    const name = region.structure;
    if (!listed.has(name))
      return refusal(
        `the region of ${name} marks a structure the review does not list: mark only the review's structures`,
        `${at}.structure`,
      );
    if (seen.has(name))
      return refusal(`${name} has two regions: give one region per structure (it may hold several polygons)`, at);
    seen.add(name);
    const polygons = region.polygons;
    if ((polygons == null) === !region.mask)
      return refusal(`the region of ${name}: give exactly one of polygons or mask`, at);
    if (polygons == null) {
      out.push(null);
      continue;
    }
    if (polygons.length < 1 || polygons.length > REGION_BOUNDS.polygons)
      return refusal(
        `the region of ${name} has ${plural(polygons.length, 'polygon')}: 1 to ${REGION_BOUNDS.polygons}`,
        `${at}.polygons`,
      );
    const typed: Polygon[] = [];
    for (const [p, polygon] of polygons.entries()) {
      const path = `${at}.polygons.${p}`;
      if (polygon.length < REGION_BOUNDS.minPoints || polygon.length > REGION_BOUNDS.maxPoints)
        return refusal(
          `polygon ${p} of ${name} has ${plural(polygon.length, 'point')}: ${REGION_BOUNDS.minPoints} to ${REGION_BOUNDS.maxPoints.toLocaleString('en-US')}`,
          path,
        );
      for (const [k, point] of polygon.entries()) {
        const ok =
          point.length === 2 && point.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1);
        if (!ok)
          return refusal(
            `point ${k} of polygon ${p} of ${name} is ${JSON.stringify(point)}: a point is [x, y], each a fraction of the image's side in [0, 1]`,
            `${path}.${k}`,
          );
      }
      const shape = polygon as unknown as Polygon;
      if (doubleArea(shape) === 0) return refusal(`polygon ${p} of ${name} encloses no area`, path);
      typed.push(shape);
    }
    out.push(typed);
  }
  return out;
}

/**
 * Rasterises polygons onto a width × height grid: a pixel is inside when its centre
 * ((i + ½)/W, (j + ½)/H) is inside a polygon by the **even-odd rule** (a point on a left or top edge
 * counts as inside, on a right or bottom edge as outside, so two polygons sharing an edge share no
 * pixel). The region is the union of its polygons: a polygon that overlaps another adds to it, never
 * cuts a hole (a hole is drawn as a self-crossing ring within one polygon).
 */
export function rasterise(polygons: readonly Polygon[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const xs: number[] = [];
  for (const polygon of polygons) {
    const n = polygon.length;
    for (let j = 0; j < height; j++) {
      const yc = (j + 0.5) / height;
      xs.length = 0;
      for (let e = 0; e < n; e++) {
        const [x0, y0] = polygon[e] as readonly [number, number];
        const [x1, y1] = polygon[(e + 1) % n] as readonly [number, number];
        // half-open in y: an edge counts for yc in [min y, max y), so a vertex is crossed once
        if (y0 <= yc ? y1 > yc : y1 <= yc) xs.push(x0 + ((yc - y0) * (x1 - x0)) / (y1 - y0));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        // pixels whose centre xc lies in [xs[k], xs[k+1])
        const from = Math.max(0, Math.ceil((xs[k] as number) * width - 0.5));
        const to = Math.min(width, Math.ceil((xs[k + 1] as number) * width - 0.5));
        out.fill(1, j * width + from, j * width + Math.max(from, to));
      }
    }
  }
  return out;
}

/**
 * A bitmap (non-zero = inside) of w × h resized to width × height by nearest neighbour: the target
 * pixel takes the source pixel under its centre, floor((i + ½)·w/W). The answer is 0/1.
 */
export function resizeNearest(mask: Uint8Array, w: number, h: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const cols = new Int32Array(width);
  for (let i = 0; i < width; i++) cols[i] = Math.min(w - 1, Math.floor(((i + 0.5) * w) / width));
  for (let j = 0; j < height; j++) {
    const sy = Math.min(h - 1, Math.floor(((j + 0.5) * h) / height));
    for (let i = 0; i < width; i++) out[j * width + i] = mask[sy * w + (cols[i] as number)] ? 1 : 0;
  }
  return out;
}

/** The union of bitmaps of one size (pixel-wise or). */
export function union(masks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (const m of masks) for (let i = 0; i < size; i++) if (m[i]) out[i] = 1;
  return out;
}

/** Pixels inside. */
export function area(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}

/** Intersection over union of two bitmaps of one size; null when both are empty. */
export function iou(a: Uint8Array, b: Uint8Array): number | null {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) both++;
    if (x || y) either++;
  }
  return either === 0 ? null : both / either;
}

/**
 * The pointing game: 1 when the saliency maximum lies inside the region, else 0; of several pixels
 * at the maximum, the first in row-major order counts. Null for a map without saliency (all zero).
 */
export function pointingGame(saliency: Uint8Array, region: Uint8Array): number | null {
  let best = -1;
  let at = -1;
  for (let i = 0; i < saliency.length; i++) {
    const v = saliency[i] as number;
    if (v > best) {
      best = v;
      at = i;
    }
  }
  if (best <= 0) return null;
  return region[at] ? 1 : 0;
}

/** The share of the saliency mass inside the region: Σ inside / Σ all. Null for a map without saliency. */
export function energyShare(saliency: Uint8Array, region: Uint8Array): number | null {
  let inside = 0;
  let total = 0;
  for (let i = 0; i < saliency.length; i++) {
    const v = saliency[i] as number;
    total += v;
    if (region[i]) inside += v;
  }
  return total === 0 ? null : inside / total;
}

/**
 * The top k·100 % pixels of a saliency map: n = max(1, round(k · pixels)) pixels, by saliency
 * descending; pixels of equal saliency at the cut are taken in row-major order. Null for a map
 * without saliency.
 */
export function topK(saliency: Uint8Array, k: number): Uint8Array | null {
  const n = Math.min(saliency.length, Math.max(1, Math.round(k * saliency.length)));
  const histogram = new Float64Array(256);
  for (let i = 0; i < saliency.length; i++)
    histogram[saliency[i] as number] = (histogram[saliency[i] as number] as number) + 1;
  if (histogram[0] === saliency.length) return null;
  // the level at the cut: all pixels above it are in, and the first `rest` pixels at it
  let above = 0;
  let level = 255;
  while (level > 0 && above + (histogram[level] as number) < n) {
    above += histogram[level] as number;
    level--;
  }
  let rest = n - above;
  const out = new Uint8Array(saliency.length);
  for (let i = 0; i < saliency.length; i++) {
    const v = saliency[i] as number;
    if (v > level) out[i] = 1;
    else if (v === level && rest > 0) {
      out[i] = 1;
      rest--;
    }
  }
  return out;
}

/** IoU of the top k·100 % saliency pixels (topK) with the region; null for a map without saliency. */
export function topKIoU(saliency: Uint8Array, region: Uint8Array, k: number): number | null {
  const top = topK(saliency, k);
  return top ? iou(top, region) : null;
}

/**
 * Fleiss' kappa of presence calls (present / absent), allowing a different number of raters per
 * item: per item i with n_i ≥ 2 raters of which y_i call it present,
 * P_i = (y_i(y_i − 1) + (n_i − y_i)(n_i − y_i − 1)) / (n_i(n_i − 1)), P̄ their mean, p = Σy / Σn and
 * P_e = p² + (1 − p)²; κ = (P̄ − P_e) / (1 − P_e). With the same count of raters for every item it is
 * exactly domain/agreement.ts fleissKappa over the two categories. Null without items or when every
 * call is the same (P_e = 1).
 */
export function presenceKappa(items: readonly { raters: number; present: number }[]): number | null {
  const used = items.filter((x) => x.raters >= 2);
  if (used.length === 0) return null;
  let sumP = 0;
  let yes = 0;
  let calls = 0;
  for (const { raters: n, present: y } of used) {
    sumP += (y * (y - 1) + (n - y) * (n - y - 1)) / (n * (n - 1));
    yes += y;
    calls += n;
  }
  const p = yes / calls;
  const pe = p * p + (1 - p) * (1 - p);
  if (pe === 1) return null;
  return (sumP / used.length - pe) / (1 - pe);
}
