// Dates as the caller may read them. The acquisition date is the quasi-identifier; the workflow's
// timestamps (an annotation's, a review's, a consensus's, a report's, a label change's) fall days
// after the visit, so a viewer who read them exactly would learn the month and day that
// Image.acquiredAt hides. Every such field goes through shownTime.
import { dateTimeValue, readProfile } from '../domain/deidentify.ts';
import type { Context } from '../server/context.ts';

/**
 * A date-time at the granularity the caller reads acquisition dates at: the first instant (UTC) of
 * its year for viewers and anonymous readers (safe-harbor), exact for annotators and above.
 */
export function shownTime(at: Date, ctx: Context): Date;
export function shownTime(at: Date | null, ctx: Context): Date | null;
export function shownTime(at: Date | null, ctx: Context): Date | null {
  return at === null ? null : (dateTimeValue(at, readProfile(ctx.role)) ?? at);
}

/** What the schema says about a workflow timestamp. */
export const WORKFLOW_TIME_NOTE =
  'Viewers read the year only (safe-harbor, as Image.acquiredAt, which it would otherwise date): the first ' +
  'instant of the year, UTC; annotators and above read the exact time';
