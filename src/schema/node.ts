// Relay's node(id:) and nodes(ids:) root fields, which the relay plugin adds (builder.ts passes it
// these options): the ids checked by resolveNodeIds, each record loaded by its type's own loader.
import { brandWithType } from '@pothos/core';
import type { GraphQLResolveInfo } from 'graphql';
import type { Context } from '../server/context.ts';
import { type GlobalId, resolveNodeIds } from './ids.ts';

type Loader = (id: string, ctx: Context, info: GraphQLResolveInfo) => Promise<unknown>;

/**
 * One node by its type's own loader (plugin-prisma's findUniqueOrThrow, with the selection of the
 * request), null when there is no such row: Relay's answer, where Pothos would fail the whole list.
 */
async function loadNode(typename: string, id: string, ctx: Context, info: GraphQLResolveInfo): Promise<unknown> {
  // the built type keeps the options it was declared with (Pothos puts them in its extensions)
  const options = info.schema.getType(typename)?.extensions.pothosOptions as { loadWithoutCache?: Loader } | undefined;
  if (!options?.loadWithoutCache) throw new Error(`${typename} has no loader`);
  try {
    const record = await options.loadWithoutCache(id, ctx, info);
    // the Node interface resolves the type of a loaded record by this brand (as Pothos brands it)
    brandWithType(record, typename as never);
    return record;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'P2025') return null;
    throw e;
  }
}

// ids reach the resolvers as sent (the default parses `Image:12abc` as 12): resolveNodeIds checks them
const asSent = { extensions: { relayGlobalIDAlwaysParse: false } };

export const nodeQueryOptions = {
  description:
    'An Image, Patient, Lesion, IntakeRecord or Model by its global id; null when there is no such record. An id that is ' +
    'not a global id, or one of a type that is not a Node (a Split, an Export), is BAD_USER_INPUT.',
  args: { id: asSent },
  resolve: async (_root: unknown, args: { id: GlobalId }, ctx: Context, info: GraphQLResolveInfo) =>
    (await resolveNodeIds([args.id], 'id', info, (t, id) => loadNode(t, id, ctx, info)))[0] ?? null,
};

export const nodesQueryOptions = {
  description:
    'Up to 100 nodes by global id, in order; null in the place of an id with no record. An id that is not a ' +
    'global id, or one of a type that is not a Node, is BAD_USER_INPUT (naming its place: ids.3).',
  args: { ids: asSent },
  resolve: (_root: unknown, args: { ids: readonly GlobalId[] }, ctx: Context, info: GraphQLResolveInfo) =>
    resolveNodeIds(args.ids, 'ids', info, (t, id) => loadNode(t, id, ctx, info)),
};
