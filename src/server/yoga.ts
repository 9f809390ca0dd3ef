import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createFetch } from '@whatwg-node/fetch';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from '../config.ts';
import { db } from '../db/current.ts';
import { schema } from '../schema/index.ts';
import { BlobStore } from '../storage/blob-store.ts';
import { type Context, contextFactory } from './context.ts';
import { useDatasheetRoutes } from './use-datasheet-routes.ts';
import { useExportRoutes } from './use-export-routes.ts';
import { useHealth } from './use-health.ts';
import { useImageRoutes } from './use-image-routes.ts';
import { useIntrospection } from './use-introspection.ts';
import { type Readiness, useReadiness } from './use-readiness.ts';
import { useSplitRoutes } from './use-split-routes.ts';
import { corsFor, useWebSecurity } from './use-web-security.ts';

export type DermasetYoga = YogaServerInstance<Record<string, never>, Context>;

/**
 * Limits tuned to the queries the three client groups send (examples/queries, checked in
 * test/api-access.test.ts). graphql-armor multiplies the cost of a connection by a literal
 * `first`/`last` (a variable counts as 1): the gallery page costs 360 with `$first` and 72,044 with
 * a literal `first: 200`, the notebook fetch 27,831, the admin check 6,293; a patients page nested
 * with images (200 × 200) costs 1.7 million and is refused. Depth: the gallery is 6 deep, a patient
 * page down to its images' reviews 9. The limits leave 2× headroom on cost and one level on depth.
 */
export const LIMITS = {
  maxDepth: 10,
  maxCost: 150_000,
  maxAliases: 15,
  maxTokens: 3_000,
  maxDirectives: 20,
} as const;

const alwaysReady = (): Readiness => ({ state: 'ready' });

/**
 * The HTTP application: GraphQL at /graphql (GraphiQL in a browser), image bytes, /health. While
 * `readiness` says the server is not ready (seeding the demo cohort), only /health and /livez answer.
 */
export function createDermasetYoga(
  config: Pick<Config, 'api' | 'dataDir' | 'pseudonymKey' | 'ingest'>,
  readiness: () => Readiness = alwaysReady,
): DermasetYoga {
  const { api } = config;
  const access = { publicRead: api.publicRead, publicUrl: api.publicUrl, dataDir: config.dataDir };
  const context = contextFactory(access, config);
  const armor = new EnvelopArmor({
    maxDepth: { n: LIMITS.maxDepth, ignoreIntrospection: true },
    costLimit: { maxCost: LIMITS.maxCost, ignoreIntrospection: true },
    maxAliases: { n: LIMITS.maxAliases },
    maxTokens: { n: LIMITS.maxTokens },
    maxDirectives: { n: LIMITS.maxDirectives },
    blockFieldSuggestion: { enabled: !api.introspection },
  });
  // One upload limit: the multipart parser stops reading a file at DERMASET_MAX_BYTES (413
  // REQUEST_ENTITY_TOO_LARGE), the same bound the pipeline checks; one file and a few small fields.
  const fetchAPI = createFetch({
    formDataLimits: {
      fileSize: config.ingest.maxBytes,
      files: 1,
      fields: 8,
      fieldSize: api.maxRequestBytes,
      parts: 9,
    },
  });
  return createYoga<Record<string, never>, Context>({
    schema,
    fetchAPI,
    cors: corsFor(api),
    graphqlEndpoint: '/graphql',
    graphiql: api.introspection,
    // GraphiQL served from the package itself, not a CDN: it works on closed networks
    renderGraphiQL,
    // yoga's own check (process alive) moves to /livez; /health also checks the database
    healthCheckEndpoint: '/livez',
    landingPage: false,
    // unexpected errors are masked; expected ones carry extensions.code
    maskedErrors: { isDev: !api.production },
    context: (initial) => context.create(initial),
    plugins: [
      useWebSecurity(api, config.ingest.maxBytes),
      useHealth(db, readiness),
      useReadiness(readiness),
      useImageRoutes(new BlobStore(`${config.dataDir}/blobs`), context.tokens, access),
      useExportRoutes(context.tokens, access),
      useDatasheetRoutes(context.tokens, access),
      useSplitRoutes(context.tokens, access),
      useIntrospection(api.introspection),
      ...armor.protect().plugins,
    ],
  });
}
