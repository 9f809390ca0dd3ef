import type { Context } from '../server/context.ts';

/** The caller's de-identified staff code: a keyed hash of their token, like every examiner code. */
export const staffCode = (ctx: Context): string =>
  ctx.pipeline().deps.pseudonyms.code('examiner', `token:${ctx.identity?.tokenId ?? 'none'}`);
