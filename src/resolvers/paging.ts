import { MAX_PAGE_SIZE } from '../builder.ts';
import { badInput } from './errors.ts';

export interface PageArgs {
  first?: number | null;
  last?: number | null;
}

/** A page larger than the cap is refused with a typed error, never silently cut. */
export function checkPageSize(args: PageArgs): void {
  for (const key of ['first', 'last'] as const) {
    const n = args[key];
    if (n != null && (n < 0 || n > MAX_PAGE_SIZE)) {
      throw badInput(`${key} must be between 0 and ${MAX_PAGE_SIZE}, got ${n}`, key);
    }
  }
}
