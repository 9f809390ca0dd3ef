// Models and their predictions: registering a model (name, version, the policy whose labels it
// scores, notes on its training data) and importing its predictions in batches, the one service
// behind the importPredictions mutation, `dermaset predictions import` and the Python client.
// Each row is checked on its own (domain/predictions.ts) and refused with a code, the good rows are
// stored in one transaction that also raises the model's predictionCount, and a row that repeats
// the stored prediction is `unchanged`: a repeated import writes nothing at all.
import { createGraphQLError } from 'graphql-yoga';
import sharp from 'sharp';
import { db } from '../db/current.ts';
import { type Model, Prisma } from '../db/generated/sqlite/client.ts';
import type { Actor } from '../domain/actor.ts';
import {
  badSaliency,
  checkScores,
  conflictsWithStored,
  duplicateImage,
  type ImageRef,
  isRowRefusal,
  type LabelScore,
  modelLabel,
  PREDICTION_BOUNDS,
  type PredictionRefusalCode,
  type PredictionRowRefusal,
  parseImageRef,
  saliencyBoundsProblem,
  saliencyFormat,
  sameAsStored,
  scoresText,
  shown,
  storedLabels,
  unknownImage,
} from '../domain/predictions.ts';
import type { ClassMappingPolicy } from '../plugins/types.ts';
import { type BlobStore, sha256Of } from '../storage/blob-store.ts';
import { blobStore } from '../storage/open.ts';
import { accepted, badInput } from './errors.ts';
import { checkPageSize, type PageArgs } from './paging.ts';

// ---------------------------------------------------------------- registering a model

export interface RegisterModelRequest {
  name: string;
  version: string;
  /** The policy whose labels the model predicts; default the active one. */
  policy?: string | null;
  trainingNotes?: string | null;
}

const exists = (m: Pick<Model, 'id' | 'name' | 'version' | 'policyId' | 'createdAt'>) =>
  createGraphQLError(
    `model ${m.name}@${m.version} is registered already (under ${m.policyId}, ${m.createdAt.toISOString()}); ` +
      'a model’s predictions never change: register another version',
    { extensions: { code: 'BAD_USER_INPUT', argument: 'input.version', model: m.id } },
  );

/**
 * Registers a model under a policy (the named one, or the active one: `resolvePolicy`), storing the
 * policy's id, version and labels in its order; the caller's token owns it. Refuses, writing nothing
 * (BAD_USER_INPUT): a name, version or notes past their bounds (MODEL_BOUNDS), an unknown policy, a
 * name and version registered already (naming that model).
 */
export async function registerModel(
  actor: Actor,
  req: RegisterModelRequest,
  resolvePolicy: (id?: string | null) => Promise<ClassMappingPolicy>,
): Promise<Model> {
  const label = accepted(modelLabel(req.name, req.version, req.trainingNotes));
  const policy = await resolvePolicy(req.policy ?? null);
  const found = await db().model.findUnique({ where: { name_version: { name: label.name, version: label.version } } });
  if (found) throw exists(found);
  try {
    return await db().model.create({
      data: {
        name: label.name,
        version: label.version,
        policyId: policy.id,
        policyVersion: policy.version,
        labels: JSON.stringify(policy.labels),
        trainingNotes: label.trainingNotes,
        createdBy: actor.code,
        ownerTokenId: actor.tokenId,
      },
    });
  } catch (e) {
    // two callers registering the same name and version at once: the unique index refuses the second
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
      const other = await db().model.findUnique({
        where: { name_version: { name: label.name, version: label.version } },
      });
      if (other) throw exists(other);
    }
    throw e;
  }
}

export const modelById = (id: number, query: object = {}) => db().model.findUnique({ ...query, where: { id } });

export const modelByName = (name: string, version: string, query: object = {}) =>
  db().model.findUnique({ ...query, where: { name_version: { name, version } } });

/** Models in id order (the connection's query: its cursor and page). */
export function listModels(query: object, page: PageArgs) {
  checkPageSize(page);
  return db().model.findMany({ ...query, orderBy: { id: 'asc' } });
}

export const countModels = () => db().model.count();

/**
 * A model's predictions in image id order. The connection pages by the image id (its cursor the
 * `imageId` of the last row), which within one model is the prediction's key.
 */
export function modelPredictions(query: { cursor?: unknown }, modelId: number, page: PageArgs) {
  checkPageSize(page);
  const { cursor, ...rest } = query;
  const imageId = (cursor as { imageId?: unknown } | undefined)?.imageId;
  return db().prediction.findMany({
    ...rest,
    ...(typeof imageId === 'number' ? { cursor: { modelId_imageId: { modelId, imageId } } } : {}),
    where: { modelId },
    orderBy: { imageId: 'asc' },
  });
}

/**
 * The blob key of a model's saliency map for an image (by the image's SHA-256), or null when the
 * model has no prediction with a map for it: the saliency route's one read.
 */
export async function saliencyBlobKey(modelId: number, imageSha256: string): Promise<string | null> {
  const p = await db().prediction.findFirst({
    where: { modelId, image: { sha256: imageSha256 } },
    select: { saliencyKey: true },
  });
  return p?.saliencyKey ?? null;
}

/** A model's labels in its order (stored with the model when it was registered). */
export const labelsOf = (model: { labels: string }): string[] => storedLabels(model.labels);

// ---------------------------------------------------------------- importing predictions

/** A saliency map as given: a File of a multipart request, or a file the CLI read. */
export interface SaliencyFile {
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface PredictionRow {
  /** An Image global id, or a SHA-256 as 64 hex digits. */
  image: string;
  scores: readonly LabelScore[];
  saliency?: SaliencyFile | null;
}

export interface PredictionRefusal {
  /** The row's 0-based place in the batch. */
  row: number;
  /** The image as the row named it (cut to 100 characters), or null when it named none. */
  image: string | null;
  code: PredictionRefusalCode;
  message: string;
}

export interface PredictionImportReport {
  received: number;
  stored: number;
  unchanged: number;
  refused: number;
  refusals: PredictionRefusal[];
}

/** The blob kind saliency maps are stored under (content-addressed PNGs beside the originals). */
export const SALIENCY_KIND = 'originals';

const notFound = (what: string, argument: string) =>
  createGraphQLError(what, { extensions: { code: 'NOT_FOUND', argument } });

/**
 * The model a caller imports into: it exists (else NOT_FOUND) and the caller owns it or is an admin
 * (else FORBIDDEN).
 */
export async function modelToImportInto(actor: Actor, modelId: number): Promise<Model> {
  const model = modelId >= 1 ? await modelById(modelId) : null;
  if (!model) throw notFound('no such model', 'model');
  if (!actor.admin && (actor.tokenId === null || model.ownerTokenId !== actor.tokenId))
    throw createGraphQLError(
      `only the owner of ${model.name}@${model.version} (the token that registered it) or an admin imports its predictions`,
      { extensions: { code: 'FORBIDDEN' } },
    );
  return model;
}

/** A saliency map decoded and stored as it is kept: one channel, 8 bits, PNG, no metadata. */
async function saliencyPng(bytes: Uint8Array): Promise<Buffer | PredictionRowRefusal> {
  if (!saliencyFormat(bytes)) return badSaliency('the saliency map is neither a PNG nor a JPEG');
  try {
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    const problem = saliencyBoundsProblem({ width: meta.width, height: meta.height });
    if (problem) return badSaliency(problem);
    const side = PREDICTION_BOUNDS.saliencySide;
    const { data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: side * side })
      .removeAlpha()
      .toColourspace('b-w')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    // the raw grey pixels encoded anew: nothing of the file (metadata, palette, depth) is kept
    return await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
      .toColourspace('b-w')
      .png({ compressionLevel: 9 })
      .toBuffer();
  } catch (e) {
    return badSaliency(`the saliency map does not decode: ${shown((e as Error).message.split('\n')[0] ?? '', 120)}`);
  }
}

/** What became of one row while the batch is checked. */
type RowState =
  | { kind: 'refused'; refusal: PredictionRowRefusal }
  | { kind: 'checked'; ref: ImageRef; scores: number[] }
  | { kind: 'resolved'; imageId: number; scores: number[] };

/**
 * Imports a batch of at most PREDICTION_BOUNDS.batch rows into a model (see modelToImportInto for
 * who may). Each row is refused on its own with a code: UNKNOWN_IMAGE, DUPLICATE_IMAGE (an image an
 * earlier row of the batch named), UNKNOWN_LABEL, MISSING_LABEL, NOT_A_PROBABILITY,
 * CONFLICTS_WITH_STORED (another prediction is stored: they are immutable), BAD_SALIENCY. A refused
 * row changes nothing and leaves no blob; a row equal to the stored prediction is `unchanged`; the
 * new rows are stored in one transaction with the model's predictionCount (raising the data version
 * once), their saliency maps stored first and removed again if that transaction fails. The images
 * are looked up in one query and the stored predictions in another, whatever the batch's size.
 */
export async function importPredictions(
  where: BlobStore | { dataDir: string },
  actor: Actor,
  modelId: number,
  rows: readonly PredictionRow[],
): Promise<PredictionImportReport> {
  if (rows.length > PREDICTION_BOUNDS.batch)
    throw badInput(
      `predictions has ${rows.length} rows: at most ${PREDICTION_BOUNDS.batch.toLocaleString('en-US')} a batch`,
      'predictions',
    );
  const model = await modelToImportInto(actor, modelId);
  // a request names its data folder (the store the server opened for it); the CLI its configured store
  const store = 'dataDir' in where ? blobStore(where.dataDir) : where;
  const labels = labelsOf(model);

  const states: RowState[] = rows.map((row) => {
    const ref = parseImageRef(row.image);
    if (isRowRefusal(ref)) return { kind: 'refused', refusal: ref };
    const scores = checkScores(labels, row.scores);
    if (isRowRefusal(scores)) return { kind: 'refused', refusal: scores };
    return { kind: 'checked', ref, scores };
  });

  // the images, by row id or SHA-256, in one query
  const ids = new Set<number>();
  const shas = new Set<string>();
  for (const s of states) {
    if (s.kind !== 'checked') continue;
    if (s.ref.kind === 'id') ids.add(s.ref.id);
    else shas.add(s.ref.sha256);
  }
  const or: Prisma.ImageWhereInput[] = [];
  if (ids.size > 0) or.push({ id: { in: [...ids] } });
  if (shas.size > 0) or.push({ sha256: { in: [...shas] } });
  const images = or.length ? await db().image.findMany({ where: { OR: or }, select: { id: true, sha256: true } }) : [];
  const byId = new Set(images.map((i) => i.id));
  const bySha = new Map(images.map((i) => [i.sha256, i.id]));

  const firstRow = new Map<number, number>();
  states.forEach((s, i) => {
    if (s.kind !== 'checked') return;
    const imageId = s.ref.kind === 'id' ? (byId.has(s.ref.id) ? s.ref.id : undefined) : bySha.get(s.ref.sha256);
    if (imageId === undefined) {
      states[i] = {
        kind: 'refused',
        refusal: unknownImage(
          s.ref.kind === 'id' ? 'no image has this id' : `no stored image has the SHA-256 ${s.ref.sha256}`,
        ),
      };
      return;
    }
    const first = firstRow.get(imageId);
    if (first !== undefined) {
      states[i] = { kind: 'refused', refusal: duplicateImage(`row ${first} of the batch names the same image`) };
      return;
    }
    firstRow.set(imageId, i);
    states[i] = { kind: 'resolved', imageId, scores: s.scores };
  });

  // the stored predictions of those images, in one query
  const stored = new Map(
    firstRow.size
      ? (
          await db().prediction.findMany({
            where: { modelId: model.id, imageId: { in: [...firstRow.keys()] } },
            select: { imageId: true, scores: true, saliencySha256: true },
          })
        ).map((p) => [p.imageId, p])
      : [],
  );

  const report: PredictionImportReport = {
    received: rows.length,
    stored: 0,
    unchanged: 0,
    refused: 0,
    refusals: [],
  };
  const refuse = (i: number, r: PredictionRowRefusal) => {
    const image = rows[i]?.image;
    report.refusals.push({
      row: i,
      image: typeof image === 'string' && image !== '' ? shown(image, 100) : null,
      code: r.code,
      message: r.message,
    });
  };

  const fresh: { row: number; imageId: number; scores: number[]; png: Buffer | null; sha256: string | null }[] = [];
  for (let i = 0; i < states.length; i++) {
    const s = states[i] as RowState;
    if (s.kind === 'refused') {
      refuse(i, s.refusal);
      continue;
    }
    if (s.kind !== 'resolved') continue;
    const file = rows[i]?.saliency ?? null;
    let bytes: Uint8Array | null = null;
    if (file) {
      const problem = saliencyBoundsProblem({ bytes: file.size });
      if (problem) {
        refuse(i, badSaliency(problem));
        continue;
      }
      bytes = new Uint8Array(await file.arrayBuffer());
      // a file that grew past the bound between its size and its reading
      const late = saliencyBoundsProblem({ bytes: bytes.length });
      if (late) {
        refuse(i, badSaliency(late));
        continue;
      }
    }
    const saliencySha256 = bytes ? sha256Of(bytes) : null;
    const before = stored.get(s.imageId);
    if (before) {
      if (sameAsStored(before, { scores: s.scores, saliencySha256 })) report.unchanged++;
      else
        refuse(
          i,
          conflictsWithStored(
            'the model holds another prediction for this image (predictions never change: register a new version)',
          ),
        );
      continue;
    }
    let png: Buffer | null = null;
    if (bytes) {
      const decoded = await saliencyPng(bytes);
      if (isRowRefusal(decoded)) {
        refuse(i, decoded);
        continue;
      }
      png = decoded;
    }
    fresh.push({ row: i, imageId: s.imageId, scores: s.scores, png, sha256: saliencySha256 });
  }
  report.refusals.sort((a, b) => a.row - b.row);
  report.refused = report.refusals.length;
  if (fresh.length === 0) return report;

  // the saliency maps first (content-addressed), the rows after; a failed transaction takes back
  // the blobs it alone had written
  const created: string[] = [];
  const keys = new Map<number, string>();
  try {
    for (const f of fresh) {
      if (!f.png) continue;
      const blob = await store.put(SALIENCY_KIND, f.png, 'png');
      if (blob.created) created.push(blob.key);
      keys.set(f.row, blob.key);
    }
    await db().$transaction(async (tx) => {
      await tx.prediction.createMany({
        data: fresh.map((f) => ({
          modelId: model.id,
          imageId: f.imageId,
          scores: scoresText(f.scores),
          saliencyKey: keys.get(f.row) ?? null,
          saliencySha256: f.sha256,
        })),
      });
      await tx.model.update({ where: { id: model.id }, data: { predictionCount: { increment: fresh.length } } });
    });
  } catch (e) {
    // a blob this import wrote, unless a row committed meanwhile (an import of the same map by
    // another model or at the same time) refers to it
    const kept = new Set(
      created.length
        ? (
            await db()
              .prediction.findMany({ where: { saliencyKey: { in: created } }, select: { saliencyKey: true } })
              .catch(() => created.map((saliencyKey) => ({ saliencyKey })))
          ).map((p) => p.saliencyKey)
        : [],
    );
    await Promise.allSettled(created.filter((key) => !kept.has(key)).map((key) => store.remove(key)));
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002')
      throw createGraphQLError(
        'another import stored predictions for some of these images at the same time; import the batch again',
        { extensions: { code: 'CONFLICT' } },
      );
    throw e;
  }
  report.stored = fresh.length;
  return report;
}
