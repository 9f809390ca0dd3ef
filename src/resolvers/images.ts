import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import type { QualityMeasures } from '../domain/quality.ts';
import { checkPageSize, type PageArgs } from './paging.ts';
import type { Selection } from './subset.ts';

type Query = { include?: Prisma.ImageInclude; select?: Prisma.ImageSelect };

/** A page of images in id order (the connection adds cursor, take and skip) of a resolved subset. */
export function listImages(query: Query & Prisma.ImageFindManyArgs, selection: Selection, page: PageArgs) {
  checkPageSize(page);
  return db().image.findMany({ ...query, where: selection.where, orderBy: { id: 'asc' } });
}

export const countImages = (selection: Selection) => db().image.count({ where: selection.where });

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
