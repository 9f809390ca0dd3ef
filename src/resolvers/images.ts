import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { pageIds } from '../domain/facet-columns.ts';
import type { QualityMeasures } from '../domain/quality.ts';
import { indexedMatch } from './facet-index.ts';
import { checkPageSize, type PageArgs } from './paging.ts';
import type { Selection } from './subset.ts';

type Query = { include?: Prisma.ImageInclude; select?: Prisma.ImageSelect };

/**
 * A page of images in id order (the connection adds cursor, take and skip) of a resolved subset. When
 * the facet index can answer for the selection, it names the ids the page reads (the first or last
 * skip + |take| matching ids from the cursor on), and the page is one read of those rows by id:
 * the same rows, without a scan of a filter no index drives.
 */
export async function listImages(query: Query & Prisma.ImageFindManyArgs, selection: Selection, page: PageArgs) {
  checkPageSize(page);
  const { take, skip, cursor } = query;
  const indexed = typeof take === 'number' ? await indexedMatch(selection) : null;
  if (indexed && typeof take === 'number') {
    const from = cursor?.id ?? null;
    if (cursor === undefined || (typeof from === 'number' && Object.keys(cursor).length === 1)) {
      const ids = pageIds(indexed.columns, indexed.match, from, skip ?? 0, take);
      return db().image.findMany({ ...query, where: { id: { in: ids } }, orderBy: { id: 'asc' } });
    }
  }
  return listImagesSql(query, selection);
}

/** The page read in SQL under the selection's condition. */
export const listImagesSql = (query: Query & Prisma.ImageFindManyArgs, selection: Selection) =>
  db().image.findMany({ ...query, where: selection.where, orderBy: { id: 'asc' } });

/** How many images a selection holds: the facet index's count when it can answer, else COUNT in SQL. */
export async function countImages(selection: Selection): Promise<number> {
  const indexed = await indexedMatch(selection);
  return indexed ? indexed.total : countImagesSql(selection);
}

export const countImagesSql = (selection: Selection) => db().image.count({ where: selection.where });

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
