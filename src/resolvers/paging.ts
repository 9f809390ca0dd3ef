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
    if (cursor != null && cursorId(cursor) === null) {
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
