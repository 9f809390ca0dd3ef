import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { createGraphQLError } from 'graphql-yoga';
import { db } from './db/current.ts';
import type PrismaTypes from './db/generated/pothos-types.ts';
import { getDatamodel } from './db/generated/pothos-types.ts';
import { roleAtLeast } from './domain/roles.ts';
import { MAX_PAGE_SIZE } from './resolvers/paging.ts';
import { decodeGlobalId } from './schema/ids.ts';
import { nodeQueryOptions, nodesQueryOptions } from './schema/node.ts';
import type { Context } from './server/context.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSONObject: { Input: Record<string, unknown>; Output: unknown };
    /** Any JSON value (a facet value: an enum name, a Boolean or an Int). */
    JSON: { Input: unknown; Output: unknown };
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
    nodeQueryOptions,
    nodesQueryOptions,
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
