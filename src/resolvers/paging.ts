import { AGE_TOP_CODE } from '../domain/deidentify.ts';
import { badInput } from './errors.ts';

/** The largest page of any connection or list (builder.ts gives it to plugin-prisma too). */
export const MAX_PAGE_SIZE = 200;

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

const MAX_ID = 2_147_483_647;

/**
 * The record id a cursor of this API holds, or null when the text is not such a cursor. Every
 * connection pages by id, and plugin-prisma writes the cursor as the base64 of `GPC:N:<id>`.
 */
export function cursorId(cursor: string): number | null {
  if (cursor.length > 64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(cursor)) return null;
  const match = /^GPC:N:(\d{1,10})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  const id = match ? Number(match[1]) : Number.NaN;
  return id >= 0 && id <= MAX_ID ? id : null;
}

/**
 * The paging arguments of a connection: a page of 0–200 items (a larger one is refused, never
 * silently cut), forward (`first`/`after`) or backward (`last`/`before`) but not both at once, and
 * cursors that this API gave out. Anything else is BAD_USER_INPUT naming the argument.
 */
export function checkPageArgs(args: PageArgs): void {
  for (const key of ['first', 'last'] as const) {
    const n = args[key];
    if (n != null && (n < 0 || n > MAX_PAGE_SIZE)) {
      throw badInput(`${key} must be between 0 and ${MAX_PAGE_SIZE}, got ${n}`, key);
    }
  }
  if (args.first != null && args.last != null) {
    throw badInput(
      'first and last cannot be given together: page forward with first/after or back with last/before',
      'last',
    );
  }
  for (const key of ['after', 'before'] as const) {
    const cursor = args[key];
    if (cursor != null && !isCursor(cursor)) {
      throw badInput(
        `${key} is not a cursor of this API: pass an edge's cursor or pageInfo's endCursor/startCursor`,
        key,
      );
    }
  }
}

/** The paging arguments checked in a resolver (the server checks them for every connection first: use-input-bounds). */
export const checkPageSize = checkPageArgs;

/** A list's `limit`: 0–200 (the page bound), else BAD_USER_INPUT. */
export function checkLimit(limit: number | null | undefined, fallback: number): number {
  const n = limit ?? fallback;
  if (n < 0 || n > MAX_PAGE_SIZE) throw badInput(`limit must be between 0 and ${MAX_PAGE_SIZE}, got ${n}`, 'limit');
  return n;
}

// ---------------------------------------------------------------- sorted connections
//
// A sorted connection pages by keyset: its order is (sort value, id), the id breaking ties, and a
// cursor holds the order it was made under, the row's value and its id. The next page starts
// strictly after that (value, id) pair, whatever happened to the row since: a row inserted, changed
// or deleted elsewhere moves in or out of later pages but never makes one skip or repeat another row.
// NULL sorts last in both directions, on both databases (Prisma's `nulls: 'last'`).

export type Direction = 'ASC' | 'DESC';

/** A bucket of coarse values: [from, to), `to` null for a bucket without an upper bound (90+). */
export interface Coarsening {
  /** The value a coarse reader sees (the first instant of the year, an age top-coded at 90). */
  bucket(v: number): number;
  /** The exact values a bucket holds: from ≤ v < to (to null: no upper bound). */
  span(bucket: number): [number, number | null];
}

/** A sort key: the column of the table (null: the id itself) and how its values are numbers. */
export interface SortKey {
  /** The order's enum value (ACQUIRED_AT). */
  field: string;
  /** The Prisma field; null for the id. */
  column: string | null;
  /** Dates travel as milliseconds since 1970 and are compared as dates. */
  type: 'int' | 'date';
  /** Whether the column may be NULL (Prisma places NULLs only of such columns). */
  nullable: boolean;
  /** How readers who see coarse values (viewers) see this key; undefined: they see it exactly. */
  coarse?: Coarsening;
}

/** An order as a connection applies it: the key, the direction, and whether values are coarse. */
export interface SortOrder {
  key: SortKey;
  direction: Direction;
  /** Sort by the coarse value then the id (viewers, on keys they read coarsely). */
  coarse: boolean;
}

/** One row's place in an order: its value (as the order sees it: coarse or exact; null: none) and id. */
export interface SortPlace {
  v: number | null;
  id: number;
}

const CURSOR_MAX = 128;
const SORT_CURSOR = /^DSO:([A-Z][A-Z_]{0,31}):([AD]):([cx]):(~|-?\d{1,16}):(\d{1,10})$/;

interface SortCursor {
  field: string;
  direction: Direction;
  coarse: boolean;
  place: SortPlace;
}

function decodeSortCursor(cursor: string): SortCursor | null {
  if (cursor.length > CURSOR_MAX || !/^[A-Za-z0-9+/]+={0,2}$/.test(cursor)) return null;
  const m = SORT_CURSOR.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!m) return null;
  const [, field, dir, coarse, value, id] = m as unknown as [string, string, string, string, string, string];
  const n = Number(id);
  if (n > MAX_ID || (value !== '~' && !Number.isSafeInteger(Number(value)))) return null;
  return {
    field,
    direction: dir === 'A' ? 'ASC' : 'DESC',
    coarse: coarse === 'c',
    place: { v: value === '~' ? null : Number(value), id: n },
  };
}

/** Whether a text is a cursor this API gives out: an id cursor or a sorted connection's. */
export const isCursor = (cursor: string): boolean => cursorId(cursor) !== null || decodeSortCursor(cursor) !== null;

/** The default order of every connection (id ascending) keeps plugin-prisma's id cursors. */
const isIdAsc = (o: SortOrder) => o.key.column === null && o.direction === 'ASC';

/** The cursor of a row in an order. */
export function sortCursor(order: SortOrder, place: SortPlace): string {
  if (isIdAsc(order)) return Buffer.from(`GPC:N:${place.id}`).toString('base64');
  const text = `DSO:${order.key.field}:${order.direction === 'ASC' ? 'A' : 'D'}:${order.coarse ? 'c' : 'x'}:${place.v ?? '~'}:${place.id}`;
  return Buffer.from(text).toString('base64');
}

/** The place a cursor names in this order, or BAD_USER_INPUT when it was made under another order. */
export function cursorPlace(order: SortOrder, cursor: string, argument: string): SortPlace {
  if (isIdAsc(order)) {
    const id = cursorId(cursor);
    if (id !== null) return { v: id, id };
  } else {
    const c = decodeSortCursor(cursor);
    if (c && c.field === order.key.field && c.direction === order.direction && c.coarse === order.coarse) {
      // the id order's value is the id
      return order.key.column === null ? { v: c.place.id, id: c.place.id } : c.place;
    }
  }
  throw badInput(
    `${argument} is a cursor of another order: a cursor pages only the order it was given out under (orderBy ${order.key.field} ${order.direction})`,
    argument,
  );
}

/** A row's place: its value as the order sees it (coarse for coarse orders). */
export function placeOf(order: SortOrder, exact: number | null, id: number): SortPlace {
  if (order.key.column === null) return { v: id, id };
  return { v: exact === null ? null : order.coarse && order.key.coarse ? order.key.coarse.bucket(exact) : exact, id };
}

/** The forward order of two places: value (NULL last), then id, both in the order's direction. */
export function comparePlaces(order: SortOrder, a: SortPlace, b: SortPlace): number {
  const sign = order.direction === 'ASC' ? 1 : -1;
  if (a.v !== b.v) {
    if (a.v === null) return 1;
    if (b.v === null) return -1;
    return (a.v < b.v ? -1 : 1) * sign;
  }
  return (a.id - b.id) * sign;
}

type Where = Record<string, unknown>;
const NONE: Where = { id: { in: [] } };

const asValue = (key: SortKey, v: number) => (key.type === 'date' ? new Date(v) : v);

/** The exact values a place's value stands for: one value, or a coarse bucket's span. */
function spanOf(order: SortOrder, v: number): [number, number | null, boolean] {
  if (order.coarse && order.key.coarse) {
    const [from, to] = order.key.coarse.span(v);
    return [from, to, false];
  }
  return [v, v, true];
}

/**
 * The rows strictly after (`after`) or strictly before (`!after`) a place in the order's forward
 * direction, as a Prisma condition on the sort column and the id.
 */
export function beyondPlace(order: SortOrder, place: SortPlace, after: boolean): Where {
  const up = (order.direction === 'ASC') === after;
  const idBeyond = { id: up ? { gt: place.id } : { lt: place.id } };
  const column = order.key.column;
  if (column === null) return idBeyond;
  if (place.v === null) {
    // NULL is last: after it come only NULLs with a later id; before it, every value and the earlier NULLs
    return after
      ? { [column]: null, ...idBeyond }
      : { OR: [{ [column]: { not: null } }, { [column]: null, ...idBeyond }] };
  }
  const [from, to, exact] = spanOf(order, place.v);
  const key = order.key;
  const same: Where = exact
    ? { [column]: asValue(key, from) }
    : { [column]: to === null ? { gte: asValue(key, from) } : { gte: asValue(key, from), lt: asValue(key, to) } };
  // the values beyond the place's (its bucket's) in the direction of travel
  let beyond: Where;
  if (up)
    beyond = exact
      ? { [column]: { gt: asValue(key, from) } }
      : to === null
        ? NONE
        : { [column]: { gte: asValue(key, to) } };
  else beyond = { [column]: { lt: asValue(key, from) } };
  const parts: Where[] = [beyond, { AND: [same, idBeyond] }];
  if (after && order.key.nullable) parts.push({ [column]: null });
  return { OR: parts };
}

/** Prisma's orderBy for an order, forward or backward (backward: every part reversed, NULL first). */
export function orderByOf(order: SortOrder, backward: boolean): Where[] {
  const asc = (order.direction === 'ASC') !== backward;
  const sort = asc ? ('asc' as const) : ('desc' as const);
  if (order.key.column === null) return [{ id: sort }];
  const value = order.key.nullable ? { sort, nulls: backward ? 'first' : 'last' } : sort;
  return [{ [order.key.column]: value }, { id: sort }];
}

/** What a page asks for: its size, its direction of travel and where it starts. */
export interface PagePlan {
  size: number;
  backward: boolean;
  /** The place the page starts beyond (after, or before when backward), or null: from the start (end). */
  from: SortPlace | null;
}

/** The default page size of a connection (builder.ts gives plugin-prisma the same). */
export const DEFAULT_PAGE_SIZE = 20;

/** A page's plan from its arguments (checked: see checkPageArgs), the cursor read under the order. */
export function pagePlan(order: SortOrder, args: PageArgs): PagePlan {
  checkPageArgs(args);
  if (args.after != null && args.before != null) {
    throw badInput('after and before cannot be given together: page forward from after or back from before', 'before');
  }
  if (args.before != null && args.first != null) {
    throw badInput('first pages forward from after: page back from before with last', 'before');
  }
  if (args.after != null && args.last != null) {
    throw badInput('last pages back from before: page forward from after with first', 'after');
  }
  const backward = args.last != null || args.before != null;
  const cursor = backward ? args.before : args.after;
  return {
    size: (backward ? args.last : args.first) ?? DEFAULT_PAGE_SIZE,
    backward,
    from: cursor != null ? cursorPlace(order, cursor, backward ? 'before' : 'after') : null,
  };
}

/** A Relay connection of rows in their order: edges with their cursors, and pageInfo. */
export interface SortedConnection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * The connection of a page: `places` are the rows found in the direction of travel (up to size + 1:
 * one more tells there is more), `load` reads the rows of the page's ids (any order).
 */
export async function sortedConnection<T extends { id: number }>(
  order: SortOrder,
  plan: PagePlan,
  places: SortPlace[],
  load: (ids: number[]) => Promise<T[]>,
): Promise<SortedConnection<T>> {
  const more = places.length > plan.size;
  const page = places.slice(0, plan.size);
  if (plan.backward) page.reverse();
  const rows = page.length > 0 ? await load(page.map((p) => p.id)) : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const edges = page.flatMap((p) => {
    const node = byId.get(p.id);
    // a row deleted between finding its place and reading it is left out, never a hole
    return node ? [{ cursor: sortCursor(order, p), node }] : [];
  });
  return {
    edges,
    pageInfo: {
      hasNextPage: plan.backward ? plan.from !== null : more,
      hasPreviousPage: plan.backward ? more : plan.from !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** Rows' places with their exact values, sorted in the order (coarse: by bucket, then id). */
export function sortPlaces(order: SortOrder, plan: PagePlan, rows: { id: number; v: number | null }[]): SortPlace[] {
  const places = rows.map((r) => placeOf(order, r.v, r.id));
  const sign = plan.backward ? -1 : 1;
  return places.sort((a, b) => sign * comparePlaces(order, a, b));
}

/**
 * The places of a page read in SQL: `find(where, orderBy, take)` returns rows (id and the exact sort
 * value) of the connection's condition. Exact orders: one statement. Coarse orders (viewers) sort by
 * the bucket then the id, which SQL cannot index: the first size + 1 rows in exact order hold every
 * row of the buckets before the last one they reach, and a second statement reads that last bucket
 * in id order. Two statements, whatever the page.
 */
export async function sqlPlaces(
  order: SortOrder,
  plan: PagePlan,
  where: Where,
  find: (where: Where, orderBy: Where[], take: number) => Promise<{ id: number; v: number | null }[]>,
): Promise<SortPlace[]> {
  const take = plan.size + 1;
  if (plan.size === 0) return [];
  const scoped = plan.from ? { AND: [where, beyondPlace(order, plan.from, !plan.backward)] } : where;
  const rows = await find(scoped, orderByOf(order, plan.backward), take);
  const column = order.key.column;
  if (!(order.coarse && order.key.coarse) || column === null || rows.length < take) {
    return sortPlaces(order, plan, rows);
  }
  const places = sortPlaces(order, plan, rows);
  const last = placeOf(order, (rows.at(-1) as { v: number | null }).v, 0).v;
  if (last === null) return places;
  const before = places.filter((p) => p.v !== last);
  const [from, to] = order.key.coarse.span(last);
  const key = order.key;
  const inBucket = {
    [column]: to === null ? { gte: asValue(key, from) } : { gte: asValue(key, from), lt: asValue(key, to) },
  };
  const idSort = (order.direction === 'ASC') !== plan.backward ? 'asc' : 'desc';
  const rest = await find({ AND: [scoped, inBucket] }, [{ id: idSort }], take - before.length);
  return [...before, ...sortPlaces(order, plan, rest)];
}

/** Dates as safe-harbor shows them: the year (its first instant, UTC). */
export const BY_YEAR: Coarsening = {
  bucket: (ms) => Date.UTC(new Date(ms).getUTCFullYear(), 0, 1),
  span: (from) => [from, Date.UTC(new Date(from).getUTCFullYear() + 1, 0, 1)],
};

/** Ages as safe-harbor shows them: exact below 90, one value (90) from 90 on. */
export const TOP_CODED_AGE: Coarsening = {
  bucket: (age) => Math.min(age, AGE_TOP_CODE),
  span: (age) => (age >= AGE_TOP_CODE ? [AGE_TOP_CODE, null] : [age, age + 1]),
};

/** A row's sort value as a number (dates as milliseconds), or null. */
export function sortValue(row: Record<string, unknown>, column: string | null): number | null {
  const v = column === null ? null : row[column];
  return v instanceof Date ? v.getTime() : typeof v === 'number' ? v : null;
}

/**
 * A sorted connection read in SQL: `find` reads the rows (id and sort column) of a condition in an
 * order, `load` the page's rows with the request's selection.
 */
export async function keysetConnection<T extends { id: number }>(
  order: SortOrder,
  page: PageArgs,
  where: Where,
  find: (args: { where: Where; orderBy: Where[]; take: number; select: Record<string, true> }) => Promise<unknown[]>,
  load: (ids: number[]) => Promise<T[]>,
): Promise<SortedConnection<T>> {
  const plan = pagePlan(order, page);
  const column = order.key.column;
  const select: Record<string, true> = column ? { id: true, [column]: true } : { id: true };
  const places = await sqlPlaces(order, plan, where, async (w, orderBy, take) => {
    const rows = (await find({ where: w, orderBy, take, select })) as Record<string, unknown>[];
    return rows.map((r) => ({ id: r.id as number, v: sortValue(r, column) }));
  });
  return sortedConnection(order, plan, places, load);
}
