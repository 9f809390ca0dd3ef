import { createGraphQLError } from 'graphql-yoga';
import { roleAtLeast } from '../domain/roles.ts';
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

/** A part of a mutation that is for admins only (the rest of it being open to a lower role). */
export function requireAdmin(ctx: Context, what: string): void {
  if (!roleAtLeast(ctx.role, 'ADMIN'))
    throw createGraphQLError(`${what} is for admins, not for the ${ctx.role ?? 'anonymous'} role`, {
      extensions: { code: 'FORBIDDEN' },
    });
}

/**
 * Blind review, for every role: until an image's consensus, its independent reviews (class and
 * structures) are seen by their author and by admins only, so no opinion sways the next one. A
 * reviewer whose own review of the image is in also sees the others (theirs can no longer change,
 * and the three reviewers decide the consensus together). After the consensus everyone reading the
 * image sees them. Viewers and annotators author no reviews: they see them after the consensus.
 * Returns the filter on an image's reviews, or undefined for no filter (admins).
 */
export function visibleReviews(ctx: Context) {
  if (roleAtLeast(ctx.role, 'ADMIN')) return undefined;
  const decided = { image: { consensus: { isNot: null } } };
  if (ctx.role !== 'REVIEWER') return decided;
  const me = staffCode(ctx);
  return { OR: [{ reviewerCode: me }, decided, { image: { reviews: { some: { reviewerCode: me } } } }] };
}

/** The description of a history's actor field: who acted, by staff code (policy and datasheet histories). */
export const ADMIN_CODE_DESCRIPTION =
  'The staff code of the admin (the keyed hash the verification trail uses); changes made before ' +
  'codes were recorded keep their "token:<id> <name>" text';
