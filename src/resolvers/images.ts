import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { type ImageFilter, imageWhere } from './image-filter.ts';
import { checkPageSize, type PageArgs } from './paging.ts';

type Query = { include?: Prisma.ImageInclude; select?: Prisma.ImageSelect };

/** A page of images in id order (the connection adds cursor, take and skip). */
export function listImages(query: Query & Prisma.ImageFindManyArgs, args: PageArgs & { filter?: ImageFilter | null }) {
  checkPageSize(args);
  return db().image.findMany({ ...query, where: imageWhere(args.filter), orderBy: { id: 'asc' } });
}

export const countImages = (filter?: ImageFilter | null) => db().image.count({ where: imageWhere(filter) });

export const imageBySha256 = (query: Query, sha256: string) =>
  db().image.findUnique({ ...query, where: { sha256: sha256.toLowerCase() } });

/** The blob behind an image URL: the original or its thumbnail, found by the image's SHA-256. */
export const imageBlob = (sha256: string) =>
  db().image.findUnique({ where: { sha256 }, select: { storageKey: true, thumbnailKey: true, format: true } });
