import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { ApiOptions } from '../../src/config.ts';
import { useDatabase } from '../../src/db/current.ts';
import { ROLES, type Role } from '../../src/domain/roles.ts';
import { createToken, TokenResolver } from '../../src/resolvers/tokens.ts';
import { createDermasetYoga, type DermasetYoga } from '../../src/server/yoga.ts';
import type { TestEnv } from './database.ts';
import { execute, type GraphQLResponse } from './graphql.ts';

export interface Api {
  yoga: DermasetYoga;
  tokens: Record<Role, string>;
  headers(role: Role | null): Record<string, string>;
  /** Runs a typed document as the given role (null = anonymous). */
  as<TData, TVars>(
    role: Role | null,
    doc: TypedDocumentNode<TData, TVars>,
    vars?: TVars,
  ): Promise<GraphQLResponse<TData>>;
}

/** A yoga instance over the test database, with one real token per role. */
export async function createApi(env: TestEnv, api: Partial<ApiOptions> = {}): Promise<Api> {
  useDatabase(env.db);
  const yoga = createDermasetYoga({ ...env.config, api: { ...env.config.api, ...api } });
  // as a server's start does: the URL-signing key is read, or created once, before the first request
  // (creating it writes the setting table; a snapshot taken before a request must already hold it)
  const signingKey = api.urlSigningKey ?? env.config.api.urlSigningKey;
  await new TokenResolver(() => env.db, undefined, signingKey).keys();
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) tokens[role] = (await createToken(`test ${role.toLowerCase()}`, role)).token;
  const headers = (role: Role | null): Record<string, string> =>
    role ? { authorization: `Bearer ${tokens[role]}` } : {};
  return { yoga, tokens, headers, as: (role, doc, vars) => execute(yoga, doc, vars, headers(role)) };
}
