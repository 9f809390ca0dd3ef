import { createGraphQLError } from 'graphql-yoga';
import type { Context } from '../server/context.ts';

/** The caller's de-identified staff code: a keyed hash of their token, like every examiner code. */
export const staffCode = (ctx: Context): string =>
  ctx.pipeline().deps.pseudonyms.code('examiner', `token:${ctx.identity?.tokenId ?? 'none'}`);

/**
 * Writes that store a result (splits, exports) need a token even when public read lets anonymous
 * callers read as viewers: anonymous traffic must not fill the database.
 */
export function requireToken(ctx: Context, field: string): void {
  if (!ctx.identity)
    throw createGraphQLError(`${field} stores its result and needs a bearer token, even with public read`, {
      extensions: { code: 'UNAUTHENTICATED' },
    });
}
