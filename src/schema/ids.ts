import { badInput } from '../resolvers/errors.ts';

const MAX_INT = 2_147_483_647;

/** The row id behind an Image global id; another type's id or a malformed one is BAD_USER_INPUT. */
export function imageIdOf(raw: { typename: string; id: string }, argument = 'image'): number {
  if (raw.typename !== 'Image') throw badInput(`expected an Image id, got a ${raw.typename} id`, argument);
  const id = /^\d{1,10}$/.test(raw.id) ? Number(raw.id) : Number.NaN;
  if (!(id >= 1 && id <= MAX_INT)) throw badInput(`"${raw.id}" is not an Image id`, argument);
  return id;
}
