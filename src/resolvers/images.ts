import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { type ImageFilter, imageWhere, usesLabel } from './image-filter.ts';
import { checkPageSize, type PageArgs } from './paging.ts';
import { resolvePolicy } from './policies.ts';

type Query = { include?: Prisma.ImageInclude; select?: Prisma.ImageSelect };

/** A page of images in id order (the connection adds cursor, take and skip). */
export interface ImageQueryArgs {
  filter?: ImageFilter | null;
  /** The policy label filters and labels are read under (default: the active policy). */
  policy?: string | null;
}

/** The where clause of a filter, resolving the policy only when a label filter needs it. */
export async function whereOf(args: ImageQueryArgs): Promise<Prisma.ImageWhereInput> {
  const policy = usesLabel(args.filter) || args.policy ? await resolvePolicy(args.policy) : undefined;
  return imageWhere(args.filter, policy);
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
