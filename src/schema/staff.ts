import { createGraphQLError } from 'graphql-yoga';
import { reviewVisibility } from '../domain/review-visibility.ts';
import { roleAtLeast } from '../domain/roles.ts';
import { visibleReviewsWhere } from '../resolvers/workflow.ts';
import { actorOf, type Context } from '../server/context.ts';

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
 * The filter on an image's reviews that blind review (domain/review-visibility.ts) allows the
 * caller, or undefined for none (admins). The staff code is worked out only when the rule needs it.
 */
export const visibleReviews = (ctx: Context) =>
  visibleReviewsWhere(reviewVisibility(ctx.role), () => actorOf(ctx).code);

/** The description of a history's actor field: who acted, by staff code (policy and datasheet histories). */
export const ADMIN_CODE_DESCRIPTION =
  'The staff code of the admin (the keyed hash the verification trail uses); changes made before ' +
  'codes were recorded keep their "token:<id> <name>" text';
