import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import type { QualityMeasures } from '../domain/quality.ts';
import type { ClassMappingPolicy } from '../plugins/types.ts';
import { badInput } from './errors.ts';
import {
  checkFilterBounds,
  type ImageFilter,
  imageWhere,
  type SplitSelection,
  selectParts,
  splitKey,
  splitSelections,
  usesLabel,
} from './image-filter.ts';
import { checkPageSize, type PageArgs } from './paging.ts';
import { resolvePolicy } from './policies.ts';

type Query = { include?: Prisma.ImageInclude; select?: Prisma.ImageSelect };

/** A page of images in id order (the connection adds cursor, take and skip). */
export interface ImageQueryArgs {
  filter?: ImageFilter | null;
  /** The policy label filters and labels are read under (default: the active policy). */
  policy?: string | null;
}

/** A split selection checked against its split: the part names it covers, the split's policy and manifest hash. */
export interface ResolvedSplit {
  names: string[];
  policyId: string;
  manifestHash: string;
}

/**
 * Reads the split a selection names and checks the selection against its parts (selectParts: a part
 * it does not have is BAD_USER_INPUT); null when there is no such split. The one place a selection
 * is resolved: filters, exports and the manifest route all come here.
 */
export async function resolveSplitSelection(sel: SplitSelection): Promise<ResolvedSplit | null> {
  const split = await db().split.findUnique({
    where: { id: sel.id },
    select: { parts: true, policyId: true, manifestHash: true },
  });
  if (!split) return null;
  const names = selectParts(JSON.parse(split.parts) as string[], sel.part, sel.fold);
  return { names, policyId: split.policyId, manifestHash: split.manifestHash };
}

/**
 * The split selections of a filter, resolved (an unknown split is BAD_USER_INPUT), and the policy its
 * labels are read under: its own; else, when the filter selects a split at the top level, the split's
 * (so a split part's statistics count the labels it was stratified by); else the active one (undefined).
 */
async function resolveFilter(args: ImageQueryArgs) {
  // before anything walks the filter recursively (the GraphQL API checks it earlier too: use-input-bounds)
  checkFilterBounds(args.filter);
  const parts = new Map<string, string[]>();
  let topPolicyId: string | undefined;
  for (const sel of splitSelections(args.filter)) {
    const key = splitKey(sel);
    if (parts.has(key)) continue;
    const resolved = await resolveSplitSelection(sel);
    if (!resolved) throw badInput(`no split ${sel.id}`, 'filter.split');
    parts.set(key, resolved.names);
    if (sel === args.filter?.split) topPolicyId = resolved.policyId;
  }
  return { parts, policyId: args.policy ?? topPolicyId };
}

/** The where clause of a filter, resolving the policy only when a label filter needs it. */
export async function whereOf(args: ImageQueryArgs): Promise<Prisma.ImageWhereInput> {
  const { parts, policyId } = await resolveFilter(args);
  const policy = usesLabel(args.filter) || policyId ? await resolvePolicy(policyId) : undefined;
  return imageWhere(args.filter, policy, parts);
}

/** The where clause of a filter and the policy its labels are read under (see resolveFilter). */
export async function whereAndPolicy(
  args: ImageQueryArgs,
): Promise<{ where: Prisma.ImageWhereInput; policy: ClassMappingPolicy }> {
  const { parts, policyId } = await resolveFilter(args);
  const policy = await resolvePolicy(policyId);
  return { where: imageWhere(args.filter, policy, parts), policy };
}

export async function listImages(query: Query & Prisma.ImageFindManyArgs, args: PageArgs & ImageQueryArgs) {
  checkPageSize(args);
  return db().image.findMany({ ...query, where: await whereOf(args), orderBy: { id: 'asc' } });
}

export const countImages = async (args: ImageQueryArgs) => db().image.count({ where: await whereOf(args) });

export const imageBySha256 = (query: Query, sha256: string) =>
  db().image.findUnique({ ...query, where: { sha256: sha256.toLowerCase() } });

/** The blob behind an image URL: the original or its thumbnail, found by the image's SHA-256. */
export const imageBlob = (sha256: string) =>
  db().image.findUnique({ where: { sha256 }, select: { storageKey: true, thumbnailKey: true, format: true } });

/** The stored technical quality measures of an image. */
export const qualityOf = (id: number): Promise<QualityMeasures> =>
  db().image.findUniqueOrThrow({
    where: { id },
    select: { sharpness: true, clippedShare: true, glareShare: true, meanLuminance: true, highlightShare: true },
  });
