import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { MALIGNANT_CLASSES } from '../domain/classes.ts';
import { type FacetColumns, NO_AGE, pageIds } from '../domain/facet-columns.ts';
import type { QualityMeasures } from '../domain/quality.ts';
import { MIN_CONSENSUS_REVIEWS } from '../domain/verification.ts';
import { type IndexedMatch, indexedMatch } from './facet-index.ts';
import {
  BY_YEAR,
  checkPageSize,
  comparePlaces,
  type Direction,
  type PageArgs,
  type PagePlan,
  pagePlan,
  placeOf,
  type SortedConnection,
  type SortKey,
  type SortOrder,
  type SortPlace,
  sortedConnection,
  sortValue,
  sqlPlaces,
  TOP_CODED_AGE,
} from './paging.ts';
import type { Selection } from './subset.ts';

/** An image row as the schema's Image type takes it. */
type ImageRow = Prisma.ImageGetPayload<Record<string, never>>;
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

// ---------------------------------------------------------------- sorted pages

/** The orders of the images connection: the key, and the facet index column that holds it (if any). */
export const IMAGE_ORDER_KEYS = {
  ID: { field: 'ID', column: null, type: 'int', nullable: false },
  ACQUIRED_AT: { field: 'ACQUIRED_AT', column: 'acquiredAt', type: 'date', nullable: true, coarse: BY_YEAR },
  CREATED_AT: { field: 'CREATED_AT', column: 'createdAt', type: 'date', nullable: false, coarse: BY_YEAR },
  AGE_AT_EXAM: { field: 'AGE_AT_EXAM', column: 'ageAtExam', type: 'int', nullable: true, coarse: TOP_CODED_AGE },
  IMAGE_QUALITY_SCORE: { field: 'IMAGE_QUALITY_SCORE', column: 'imageQualityScore', type: 'int', nullable: true },
} as const satisfies Record<string, SortKey>;
export type ImageOrderField = keyof typeof IMAGE_ORDER_KEYS;

/** An images order as asked: a field and a direction (default: id, ascending). */
export interface OrderInput<F extends string> {
  field: F;
  direction?: Direction | null;
}

/**
 * An order as a caller with these read rights applies it: `coarse` callers (viewers, who read years
 * and top-coded ages) sort a key they read coarsely by the value they read, then by id, so that the
 * order tells them nothing finer than the values do.
 */
export function sortOrder<F extends string>(
  keys: Record<F, SortKey>,
  input: OrderInput<F> | null | undefined,
  coarse: boolean,
  fallback: F,
): SortOrder {
  const key = keys[input?.field ?? fallback];
  return { key, direction: input?.direction ?? 'ASC', coarse: coarse && key.coarse !== undefined };
}

/** A row's exact value of a key from the facet index columns, or undefined when the index lacks the key. */
function indexedValue(c: FacetColumns, field: string): ((i: number) => number | null) | undefined {
  switch (field) {
    case 'ID':
      return (i) => c.ids[i] as number;
    case 'ACQUIRED_AT':
      return (i) => {
        const ms = c.acquired[i] as number;
        return Number.isNaN(ms) ? null : ms;
      };
    case 'AGE_AT_EXAM':
      return (i) => {
        const a = c.age[i] as number;
        return a === NO_AGE ? null : a;
      };
    case 'IMAGE_QUALITY_SCORE':
      return (i) => c.scores[c.score[i] as number] ?? null;
    default:
      return undefined;
  }
}

/**
 * A page's places from the facet index: the first size + 1 matching rows beyond the cursor in the
 * order, kept in a sorted window while one pass reads the columns. Undefined when the index lacks
 * the key (CREATED_AT): SQL answers.
 */
function indexedPlaces(order: SortOrder, plan: PagePlan, m: IndexedMatch): SortPlace[] | undefined {
  const value = indexedValue(m.columns, order.key.field);
  if (!value) return undefined;
  const take = plan.size + 1;
  if (plan.size === 0) return [];
  const sign = plan.backward ? -1 : 1;
  const cmp = (a: SortPlace, b: SortPlace) => sign * comparePlaces(order, a, b);
  const window: SortPlace[] = [];
  const { columns: c, match } = m;
  for (let i = 0; i < c.n; i++) {
    if (match[i] !== 1) continue;
    const p = placeOf(order, value(i), c.ids[i] as number);
    if (plan.from && cmp(p, plan.from) <= 0) continue;
    const worst = window[window.length - 1];
    if (window.length === take && worst && cmp(p, worst) >= 0) continue;
    let lo = 0;
    let hi = window.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(window[mid] as SortPlace, p) < 0) lo = mid + 1;
      else hi = mid;
    }
    window.splice(lo, 0, p);
    if (window.length > take) window.pop();
  }
  return window;
}

/** The places of a page read in SQL under the selection's condition. */
export function imagePlacesSql(order: SortOrder, plan: PagePlan, where: Prisma.ImageWhereInput) {
  const column = order.key.column;
  return sqlPlaces(order, plan, where as Record<string, unknown>, async (w, orderBy, take) => {
    const rows = await db().image.findMany({
      where: w as Prisma.ImageWhereInput,
      orderBy: orderBy as Prisma.ImageOrderByWithRelationInput[],
      take,
      select: { id: true, ...(column ? { [column]: true } : {}) },
    });
    return rows.map((r) => ({ id: r.id, v: sortValue(r, column) }));
  });
}

/**
 * A page of images of a resolved selection in an order (keyset cursors: see paging.ts). The facet
 * index finds the page's ids when it can answer for the selection and holds the key; otherwise SQL
 * does (an index on each key: prisma/schema.prisma). The page's rows are then one read by id.
 */
export async function imagesConnection(
  query: Query,
  selection: Selection,
  order: SortOrder,
  page: PageArgs,
): Promise<SortedConnection<ImageRow>> {
  const plan = pagePlan(order, page);
  const indexed = plan.size > 0 ? await indexedMatch(selection) : null;
  const places =
    (indexed ? indexedPlaces(order, plan, indexed) : undefined) ?? (await imagePlacesSql(order, plan, selection.where));
  // the page's rows are matched to their places by id: a select-mode query reads it too
  const read = query.select ? { select: { ...query.select, id: true } } : query;
  return sortedConnection(
    order,
    plan,
    places,
    // the rows carry the columns and relations the request's selection asked for (plugin-prisma reads those)
    (ids) => db().image.findMany({ ...read, where: { id: { in: ids } } }) as Promise<ImageRow[]>,
  );
}

// ---------------------------------------------------------------- the work queues

/** The three work queues of the verification workflow: the images each holds. */
export const QUEUES = {
  /** Waiting for this reviewer's independent review: no consensus yet, not reviewed by them. */
  review: (reviewerCode: string): Prisma.ImageWhereInput => ({
    consensus: null,
    reviews: { none: { reviewerCode } },
  }),
  /** Enough independent reviews and no consensus yet. */
  consensus: (): Prisma.ImageWhereInput => ({ consensus: null, reviewCount: { gte: MIN_CONSENSUS_REVIEWS } }),
  /** Malignant by consensus but without histology: not yet verified malignant. */
  histology: (): Prisma.ImageWhereInput => ({
    diagnosisClass: { in: [...MALIGNANT_CLASSES] },
    consensus: { isNot: null },
    histopathology: null,
  }),
} as const;

/** A queue's order: oldest first (the order images were stored in, the default) or newest first. */
export type QueueOrder = 'OLDEST_FIRST' | 'NEWEST_FIRST';

/** A page of a queue (the connection adds cursor, take and skip; its cursors are ids in either order). */
export function listQueue(
  query: Query & Prisma.ImageFindManyArgs,
  where: Prisma.ImageWhereInput,
  order: QueueOrder | null | undefined,
  page: PageArgs,
) {
  checkPageSize(page);
  return db().image.findMany({ ...query, where, orderBy: { id: order === 'NEWEST_FIRST' ? 'desc' : 'asc' } });
}

/** How many images a queue holds: one COUNT under the same condition. */
export const countQueue = (where: Prisma.ImageWhereInput) => db().image.count({ where });
