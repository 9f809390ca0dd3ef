import { createGraphQLError } from 'graphql-yoga';
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { type ImageFilter, imageWhere, selectParts, splitKey, splitSelections, usesLabel } from './image-filter.ts';
import { checkPageSize, type PageArgs } from './paging.ts';
import { resolvePolicy } from './policies.ts';

type Query = { include?: Prisma.ImageInclude; select?: Prisma.ImageSelect };

/** A page of images in id order (the connection adds cursor, take and skip). */
export interface ImageQueryArgs {
  filter?: ImageFilter | null;
  /** The policy label filters and labels are read under (default: the active policy). */
  policy?: string | null;
}

/**
 * The policy a query reads labels under: its own; else, when its filter selects a stored split at the
 * top level, the split's (so a split part's statistics count the labels it was stratified by); else
 * the active one (undefined).
 */
export async function policyIdOf(args: ImageQueryArgs): Promise<string | null | undefined> {
  if (args.policy || !args.filter?.split) return args.policy;
  const split = await db().split.findUnique({ where: { id: args.filter.split.id }, select: { policyId: true } });
  return split?.policyId;
}

/** The part names of every split selection in a filter; an unknown split or part is BAD_USER_INPUT. */
async function splitPartsOf(filter: ImageFilter | null | undefined) {
  const selections = splitSelections(filter);
  const parts = new Map<string, string[]>();
  if (selections.length === 0) return parts;
  const splits = await db().split.findMany({
    where: { id: { in: [...new Set(selections.map((s) => s.id))] } },
    select: { id: true, parts: true },
  });
  const byId = new Map(splits.map((s) => [s.id, JSON.parse(s.parts) as string[]]));
  for (const s of selections) {
    const names = byId.get(s.id);
    if (!names)
      throw createGraphQLError(`no split ${s.id}`, {
        extensions: { code: 'BAD_USER_INPUT', argument: 'filter.split' },
      });
    parts.set(splitKey(s), selectParts(names, s.part, s.fold));
  }
  return parts;
}

/** The where clause of a filter, resolving the policy only when a label filter needs it. */
export async function whereOf(args: ImageQueryArgs): Promise<Prisma.ImageWhereInput> {
  const policyId = await policyIdOf(args);
  const policy = usesLabel(args.filter) || policyId ? await resolvePolicy(policyId) : undefined;
  return imageWhere(args.filter, policy, await splitPartsOf(args.filter));
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
