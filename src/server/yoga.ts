import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { db } from '../db/current.ts';
import { schema } from '../schema/index.ts';
import { type Context, createContext } from './context.ts';
import { useHealth } from './use-health.ts';

export type DermasetYoga = YogaServerInstance<Record<string, never>, Context>;

/** The HTTP application: GraphQL at /graphql (GraphiQL in the browser) and /health. */
export function createDermasetYoga(opts: { graphiql?: boolean } = {}): DermasetYoga {
  return createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: opts.graphiql ?? true,
    // GraphiQL served from the package itself, not a CDN: it works on closed networks
    renderGraphiQL,
    // yoga's own check (process alive) moves to /livez; /health also checks the database
    healthCheckEndpoint: '/livez',
    landingPage: false,
    context: createContext,
    plugins: [useHealth(db)],
  });
}
