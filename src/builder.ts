import SchemaBuilder, { brandWithType } from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { GraphQLResolveInfo } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { createGraphQLError } from 'graphql-yoga';
import { db } from './db/current.ts';
import type PrismaTypes from './db/generated/pothos-types.ts';
import { getDatamodel } from './db/generated/pothos-types.ts';
import { roleAtLeast } from './domain/roles.ts';
import { decodeGlobalId, resolveNodeIds } from './schema/ids.ts';
import type { Context } from './server/context.ts';

export const MAX_PAGE_SIZE = 200;

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSONObject: { Input: Record<string, unknown>; Output: unknown };
    File: { Input: File; Output: never };
  };
  AuthScopes: { viewer: boolean; annotator: boolean; reviewer: boolean; admin: boolean };
  DefaultEdgesNullability: false;
}>({
  // scope-auth first: Pothos applies plugin hooks in reverse order
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({
      viewer: roleAtLeast(ctx.role, 'VIEWER'),
      annotator: roleAtLeast(ctx.role, 'ANNOTATOR'),
      reviewer: roleAtLeast(ctx.role, 'REVIEWER'),
      admin: roleAtLeast(ctx.role, 'ADMIN'),
    }),
    unauthorizedError: (_parent, ctx, info) =>
      ctx.role === null
        ? createGraphQLError(`${info.parentType.name}.${info.fieldName} needs a bearer token`, {
            extensions: { code: 'UNAUTHENTICATED' },
          })
        : createGraphQLError(`${info.parentType.name}.${info.fieldName} is not available to the ${ctx.role} role`, {
            extensions: { code: 'FORBIDDEN' },
          }),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    nodesOnConnection: false,
    decodeGlobalID: decodeGlobalId,
    // ids reach the resolvers as sent (the default parses `Image:12abc` as 12): resolveNodeIds checks them
    nodeQueryOptions: {
      description:
        'An Image, Patient, Lesion or IntakeRecord by its global id; null when there is no such record. An id that is ' +
        'not a global id, or one of a type that is not a Node (a Split, an Export), is BAD_USER_INPUT.',
      args: { id: { extensions: { relayGlobalIDAlwaysParse: false } } },
      resolve: async (_root, args, ctx, info) =>
        (await resolveNodeIds([args.id], 'id', info, (t, id) => loadNode(t, id, ctx, info)))[0] ?? null,
    },
    nodesQueryOptions: {
      description:
        'Up to 100 nodes by global id, in order; null in the place of an id with no record. An id that is not a ' +
        'global id, or one of a type that is not a Node, is BAD_USER_INPUT (naming its place: ids.3).',
      args: { ids: { extensions: { relayGlobalIDAlwaysParse: false } } },
      resolve: (_root, args, ctx, info) => resolveNodeIds(args.ids, 'ids', info, (t, id) => loadNode(t, id, ctx, info)),
    },
  },
  prisma: {
    client: () => db(),
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    maxConnectionSize: MAX_PAGE_SIZE,
    defaultConnectionSize: 20,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'error',
  },
});

/**
 * One node by its type's own loader (plugin-prisma's findUniqueOrThrow, with the selection of the
 * request), null when there is no such row: Relay's answer, where Pothos would fail the whole list.
 */
async function loadNode(typename: string, id: string, ctx: Context, info: GraphQLResolveInfo): Promise<unknown> {
  const options = builder.configStore.getTypeConfig(typename, 'Object').pothosOptions as {
    loadWithoutCache?: (id: string, ctx: Context, info: GraphQLResolveInfo) => Promise<unknown>;
  };
  if (!options.loadWithoutCache) throw new Error(`${typename} has no loader`);
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

builder.addScalarType('DateTime', DateTimeResolver);
builder.queryType({});
