// Global ids: the base64 of `Type:id` (Relay), decoded once for every ID argument. Every Node type
// here (Image, Patient, Lesion, IntakeRecord) is a row with an integer id.
import { type GraphQLResolveInfo, isAbstractType } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { badInput } from '../resolvers/errors.ts';

const MAX_INT = 2_147_483_647;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const TYPENAME = /^[A-Z_a-z]\w*$/;

export interface GlobalId {
  typename: string;
  id: string;
}

/** The parts of a global id, or null when the text is not one (not base64 of `Type:id`). */
export function parseGlobalId(globalId: string): GlobalId | null {
  if (globalId.length === 0 || globalId.length > 200 || !BASE64.test(globalId)) return null;
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const typename = decoded.slice(0, colon);
  const id = decoded.slice(colon + 1);
  return colon > 0 && id.length > 0 && TYPENAME.test(typename) ? { typename, id } : null;
}

export const NOT_A_GLOBAL_ID = 'is not a global id (the base64 of Type:id that the API gives out in an `id` field)';

/**
 * The relay plugin's decoder: a malformed id is BAD_USER_INPUT, never Pothos's untyped "Invalid
 * global ID". The server names the argument before this runs (use-input-bounds checks every ID).
 */
export function decodeGlobalId(globalId: string): GlobalId {
  const parsed = parseGlobalId(globalId);
  if (!parsed) throw createGraphQLError(`The id ${NOT_A_GLOBAL_ID}`, { extensions: { code: 'BAD_USER_INPUT' } });
  return parsed;
}

/** The row id of a global id's `id` part: digits only, else null; an id past the integer range is 0 (no row). */
export function rowIdOf(raw: string): number | null {
  if (!/^\d{1,20}$/.test(raw)) return null;
  const id = Number(raw);
  return id <= MAX_INT ? id : 0;
}

/** The row id behind an Image global id; another type's id or a malformed one is BAD_USER_INPUT. */
export function imageIdOf(raw: { typename: string; id: string }, argument = 'image'): number {
  if (raw.typename !== 'Image') throw badInput(`expected an Image id, got a ${raw.typename} id`, argument);
  const id = /^\d{1,10}$/.test(raw.id) ? Number(raw.id) : Number.NaN;
  if (!(id >= 1 && id <= MAX_INT)) throw badInput(`"${raw.id}" is not an Image id`, argument);
  return id;
}

/** A Node type's loader: the record, or null when no row has this id. */
export type NodeLoader = (typename: string, id: string) => Promise<unknown>;

/**
 * `node(id:)` / `nodes(ids:)`: an id of a type that is not a Node (a Split, an Export) or whose `id`
 * part is not a row id is BAD_USER_INPUT naming the argument; a well-formed id with no record is
 * null in its place (Relay), and the other entries still load.
 */
export function resolveNodeIds(
  ids: readonly GlobalId[],
  argument: 'id' | 'ids',
  info: GraphQLResolveInfo,
  load: NodeLoader,
): Promise<unknown[]> {
  const nodeInterface = info.schema.getType('Node');
  const nodeTypes = isAbstractType(nodeInterface) ? info.schema.getPossibleTypes(nodeInterface).map((t) => t.name) : [];
  const rows = ids.map((g, i) => {
    const at = argument === 'ids' ? `ids.${i}` : 'id';
    if (!nodeTypes.includes(g.typename)) {
      throw badInput(
        `${at}: ${g.typename} is not a Node type; ${argument === 'ids' ? 'nodes(ids:)' : 'node(id:)'} takes ids of ${[...nodeTypes].sort().join(', ')}`,
        at,
      );
    }
    const row = rowIdOf(g.id);
    if (row === null)
      throw badInput(`${at}: "${g.id.slice(0, 40)}" is not the id of a ${g.typename} (a whole number)`, at);
    return row;
  });
  return Promise.all(ids.map((g, i) => ((rows[i] ?? 0) >= 1 ? load(g.typename, String(rows[i])) : null)));
}
