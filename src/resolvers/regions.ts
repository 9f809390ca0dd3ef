// Where each dermoscopic structure lies, as a reviewer marks it with their review (polygons in image
// fractions, or a mask), stored with the review and read back under blind review's stricter rule for
// regions (domain/review-visibility.ts seesRegions). A submitted region is checked whole before
// anything is written (domain/regions.ts checkRegions; a mask decoded with sharp), its mask re-encoded
// as a 1-channel 0/255 PNG (so no metadata survives) and stored through the blob store inside the
// review's transaction; a refusal or a failed transaction leaves no row and no blob it created.
import DataLoader from 'dataloader';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { Db } from '../db/client.ts';
import { db } from '../db/current.ts';
import type { DermoscopicStructure } from '../domain/enums.ts';
import { checkRegions, type Polygon, REGION_BOUNDS, rasterise, resizeNearest, union } from '../domain/regions.ts';
import { seesRegions } from '../domain/review-visibility.ts';
import type { Role } from '../domain/roles.ts';
import type { BlobStore, StoredBlob } from '../storage/blob-store.ts';
import { blobStore } from '../storage/open.ts';
import { accepted, badInput } from './errors.ts';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** An uploaded file as the API hands it over (a web File). */
export interface UploadedFile {
  readonly size: number;
  readonly name?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** One region as a reviewer sends it (StructureRegionInput). */
export interface StructureRegionRequest {
  structure: DermoscopicStructure;
  polygons?: readonly (readonly (readonly number[])[])[] | null;
  mask?: UploadedFile | Promise<UploadedFile> | null;
}

/** A review's regions as submitted, and the data folder whose blob store keeps their masks. */
export interface RegionsRequest {
  regions: readonly StructureRegionRequest[];
  dataDir: string;
}

interface PreparedRegion {
  structure: DermoscopicStructure;
  polygons: Polygon[] | null;
  /** the mask re-encoded as a 1-channel 0/255 PNG */
  mask: Buffer | null;
}

/** A review's checked regions, ready to be written in the review's transaction. */
export interface RegionWrite {
  /** Stores the masks' blobs and the regions' rows of the review (inside its transaction). */
  save(tx: Tx, reviewId: number): Promise<void>;
  /** The review's transaction, and after its failure the removal of the blobs `save` created (bytes stored before stay). */
  settle<T>(transaction: Promise<T>): Promise<T>;
}

const NOTHING: RegionWrite = { save: async () => {}, settle: (t) => t };

/** A mask upload as a 1-channel 0/255 PNG (non-zero after greyscale = inside), or BAD_USER_INPUT naming it. */
async function decodeMask(file: UploadedFile, structure: DermoscopicStructure, argument: string): Promise<Buffer> {
  const mb = REGION_BOUNDS.maskBytes / 1024 / 1024;
  if (file.size > REGION_BOUNDS.maskBytes)
    throw badInput(
      `the mask of ${structure} is ${file.size.toLocaleString('en-US')} bytes: at most ${mb} MB`,
      argument,
    );
  const bytes = Buffer.from(await file.arrayBuffer());
  if (bytes.byteLength > REGION_BOUNDS.maskBytes) throw badInput(`the mask of ${structure} is over ${mb} MB`, argument);
  const side = REGION_BOUNDS.maskSide;
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw badInput(`the mask of ${structure} is not a readable PNG`, argument);
  }
  if (meta.format !== 'png')
    throw badInput(`the mask of ${structure} is ${meta.format ?? 'not an image'}: give a PNG`, argument);
  if (!meta.width || !meta.height || meta.width > side || meta.height > side)
    throw badInput(
      `the mask of ${structure} is ${meta.width ?? '?'} × ${meta.height ?? '?'} pixels: at most ${side} × ${side}`,
      argument,
    );
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(bytes, { failOn: 'truncated', limitInputPixels: side * side })
      .removeAlpha()
      .greyscale()
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch {
    throw badInput(`the mask of ${structure} is not a readable PNG`, argument);
  }
  const { data, info } = raw;
  let inside = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i]) {
      data[i] = 255;
      inside++;
    }
  }
  if (inside === 0) throw badInput(`the mask of ${structure} marks no pixel (non-zero = inside)`, argument);
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/**
 * Checks a review's regions against its structures and the bounds, and decodes their masks, before
 * anything is written. A refusal is BAD_USER_INPUT naming the region (`regions.1.mask`) and its
 * structure; it refuses the whole review.
 */
export async function prepareRegions(
  request: RegionsRequest | null | undefined,
  structures: readonly DermoscopicStructure[],
): Promise<RegionWrite> {
  if (!request || request.regions.length === 0) return NOTHING;
  const masks = await Promise.all(request.regions.map((r) => r.mask ?? null));
  const polygons = accepted(
    checkRegions(
      request.regions.map((r, i) => ({ structure: r.structure, polygons: r.polygons ?? null, mask: masks[i] != null })),
      structures,
    ),
  );
  const prepared: PreparedRegion[] = [];
  for (const [i, r] of request.regions.entries()) {
    const file = masks[i];
    prepared.push({
      structure: r.structure,
      polygons: polygons[i] ?? null,
      mask: file ? await decodeMask(file, r.structure, `regions.${i}.mask`) : null,
    });
  }
  const store = blobStore(request.dataDir);
  const created: StoredBlob[] = [];
  return {
    async save(tx, reviewId) {
      const rows = [];
      for (const r of prepared) {
        let maskKey: string | null = null;
        if (r.mask) {
          const blob = await store.put('originals', r.mask, 'png');
          if (blob.created) created.push(blob);
          maskKey = blob.key;
        }
        rows.push({
          reviewId,
          structure: r.structure,
          polygons: r.polygons ? JSON.stringify(r.polygons) : null,
          maskKey,
        });
      }
      await tx.reviewRegion.createMany({ data: rows });
    },
    settle: (transaction) =>
      transaction.catch(async (e: unknown) => {
        await Promise.all(created.map((b) => store.remove(b.key)));
        throw e;
      }),
  };
}

// ---------------------------------------------------------------- reading

/** One stored region as the API shows it. */
export interface StructureRegionRow {
  id: number;
  structure: DermoscopicStructure;
  polygons: number[][][] | null;
  maskKey: string | null;
}

interface ReviewRegions {
  reviewerCode: string;
  decided: boolean;
  regions: StructureRegionRow[];
}

/** Who reads regions: their role, and their staff code when the rule needs it. */
export interface RegionReader {
  role: Role | null;
  code(): string;
}

const loaders = new WeakMap<object, DataLoader<number, ReviewRegions | null>>();

async function loadRegions(ids: readonly number[]): Promise<(ReviewRegions | null)[]> {
  const rows = await db().reviewRegion.findMany({
    where: { reviewId: { in: [...ids] } },
    select: {
      id: true,
      reviewId: true,
      structure: true,
      polygons: true,
      maskKey: true,
      review: { select: { reviewerCode: true, image: { select: { consensus: { select: { id: true } } } } } },
    },
    orderBy: { id: 'asc' },
  });
  const by = new Map<number, ReviewRegions>();
  for (const r of rows) {
    let entry = by.get(r.reviewId);
    if (!entry) {
      entry = { reviewerCode: r.review.reviewerCode, decided: r.review.image.consensus !== null, regions: [] };
      by.set(r.reviewId, entry);
    }
    entry.regions.push({
      id: r.id,
      structure: r.structure,
      polygons: r.polygons ? (JSON.parse(r.polygons) as number[][][]) : null,
      maskKey: r.maskKey,
    });
  }
  return ids.map((id) => by.get(id) ?? null);
}

/**
 * The regions of a review the reader may see (seesRegions: before the consensus its author and
 * admins only), in the order they were stored. One statement per batch of reviews (per request, a
 * DataLoader keyed by the request's context).
 */
export async function regionsOfReview(key: object, reader: RegionReader, reviewId: number) {
  let loader = loaders.get(key);
  if (!loader) {
    loader = new DataLoader(loadRegions, { maxBatchSize: 500 });
    loaders.set(key, loader);
  }
  const found = await loader.load(reviewId);
  if (!found) return [];
  const author = reader.role === 'REVIEWER' && reader.code() === found.reviewerCode;
  return seesRegions(reader.role, { author, decided: found.decided }) ? found.regions : [];
}

/** The signed path of a region's mask (GET /regions/<id>/mask.png). */
export const maskPath = (regionId: number) => `/regions/${regionId}/mask.png`;

// ---------------------------------------------------------------- bitmaps

/** A stored blob's single-channel pixels (a mask or a saliency map), decoded with sharp. */
export async function readGrey(
  store: BlobStore,
  key: string,
): Promise<{ data: Uint8Array; width: number; height: number }> {
  const opened = await store.open(key);
  const chunks: Buffer[] = [];
  for await (const c of opened.stream) chunks.push(c as Buffer);
  const { data, info } = await sharp(Buffer.concat(chunks), { limitInputPixels: false })
    .removeAlpha()
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

/** A stored region (polygons, or a mask key) on a width × height grid: masks resized by nearest neighbour. */
export async function regionBitmap(
  region: { polygons: string | null; maskKey: string | null },
  width: number,
  height: number,
  masks: (key: string) => Promise<{ data: Uint8Array; width: number; height: number }>,
): Promise<Uint8Array> {
  if (region.polygons) return rasterise(JSON.parse(region.polygons) as Polygon[], width, height);
  if (!region.maskKey) return new Uint8Array(width * height);
  const m = await masks(region.maskKey);
  return resizeNearest(m.data, m.width, m.height, width, height);
}

/** Several stored regions united on one grid. */
export async function unionBitmap(
  regions: readonly { polygons: string | null; maskKey: string | null }[],
  width: number,
  height: number,
  masks: (key: string) => Promise<{ data: Uint8Array; width: number; height: number }>,
): Promise<Uint8Array> {
  const bitmaps = await Promise.all(regions.map((r) => regionBitmap(r, width, height, masks)));
  return bitmaps.length === 1 ? (bitmaps[0] as Uint8Array) : union(bitmaps, width * height);
}

/** A memo of decoded masks for one request (a mask is read once however many pairs use it). */
export function maskReader(store: BlobStore) {
  const seen = new Map<string, Promise<{ data: Uint8Array; width: number; height: number }>>();
  return (key: string) => {
    let p = seen.get(key);
    if (!p) {
      p = readGrey(store, key);
      seen.set(key, p);
    }
    return p;
  };
}

/** A region's mask as the mask route needs it: its blob key, its review's author and whether the image is decided. */
export async function regionMask(
  id: number,
): Promise<{ maskKey: string | null; reviewerCode: string; decided: boolean } | null> {
  const row = await db().reviewRegion.findUnique({
    where: { id },
    select: {
      maskKey: true,
      review: { select: { reviewerCode: true, image: { select: { consensus: { select: { id: true } } } } } },
    },
  });
  return row
    ? { maskKey: row.maskKey, reviewerCode: row.review.reviewerCode, decided: row.review.image.consensus !== null }
    : null;
}
