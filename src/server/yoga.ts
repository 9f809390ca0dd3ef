import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createFetch } from '@whatwg-node/fetch';
import { GraphQLError, type ValidationContext } from 'graphql';
import { createGraphQLError, createYoga, type MaskError, maskError, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from '../config.ts';
import { db } from '../db/current.ts';
import { PREDICTION_BOUNDS } from '../domain/predictions.ts';
import { schema } from '../schema/index.ts';
import { storeFor } from '../storage/open.ts';
import { type Context, contextFactory } from './context.ts';
import { useRequestLog, yogaLogger } from './logger.ts';
import { useAppRoutes } from './use-app-routes.ts';
import { useDatasheetRoutes } from './use-datasheet-routes.ts';
import { useDbErrors } from './use-db-errors.ts';
import { useEvaluationRoutes } from './use-evaluation-routes.ts';
import { useExportRoutes } from './use-export-routes.ts';
import { useHealth, useReadyz } from './use-health.ts';
import { useImageRoutes } from './use-image-routes.ts';
import { useInputBounds } from './use-input-bounds.ts';
import { useIntrospection } from './use-introspection.ts';
import { useMetrics } from './use-metrics.ts';
import { useQueryCost } from './use-query-cost.ts';
import { type Readiness, useReadiness } from './use-readiness.ts';
import { useRegionRoutes } from './use-region-routes.ts';
import { useDermasetResponseCache } from './use-response-cache.ts';
import { useSaliencyRoutes } from './use-saliency-routes.ts';
import { useSessionRoutes } from './use-session-routes.ts';
import { useSplitRoutes } from './use-split-routes.ts';
import { corsFor, useWebSecurity } from './use-web-security.ts';

export type DermasetYoga = YogaServerInstance<Record<string, never>, Context>;

/**
 * Limits tuned to the queries the three client groups send (examples/queries, checked in
 * test/api-access.test.ts and test/limits.test.ts). The cost (use-query-cost) multiplies a
 * connection's cost by its page size, written in or passed as a variable: the gallery page with
 * `first: 200` costs 72,044, the notebook fetch 27,831, the admin check 6,293; a patients page nested
 * with images (200 × 200) costs 1.7 million and is refused. Depth: the gallery is 6 deep, a patient
 * page down to its images' reviews 9. The limits leave 2× headroom on cost and one level on depth.
 * The input bounds (use-input-bounds) hold lists and nesting inside arguments, literal or variable;
 * an ImageFilter has its own (FILTER_BOUNDS in resolvers/image-filter.ts: 8 levels, 200 conditions).
 */
/** Files one multipart request may carry: a review's 30 region masks and two to spare. */
export const MAX_UPLOAD_FILES = 32;

export const LIMITS = {
  maxDepth: 10,
  maxCost: 150_000,
  maxAliases: 15,
  maxTokens: 3_000,
  maxDirectives: 20,
  /** Values in any list argument or input field, unless the argument has its own bound below. */
  maxListLength: 500,
  /** Ids in one `nodes(ids:)`. */
  maxNodeIds: 100,
  /** Entries in one `auditSplit(assignments:)` (a split of 10,000 images; the request-size limit bounds it too). */
  maxAuditEntries: 10_000,
  /** Levels of nesting in a variable's JSON, checked before graphql-js coerces it (its coercion recurses). */
  maxVariableDepth: 64,
} as const;

/** The extensions.code of each query-limit refusal (README, "Errors and limits"). */
export const LIMIT_CODES = {
  depth: 'QUERY_TOO_DEEP',
  cost: 'QUERY_TOO_COMPLEX',
  aliases: 'TOO_MANY_ALIASES',
  tokens: 'TOO_MANY_TOKENS',
  directives: 'TOO_MANY_DIRECTIVES',
} as const;

/**
 * graphql-armor's refusal as a typed error: its message without the "Syntax Error:" prefix (the
 * document is valid GraphQL), a code and the limit. A validation rule reports it beside any other
 * validation error (400); the token limit, which stops the parser, throws it.
 */
function typedRejection(code: string, limit: number) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const typed = createGraphQLError(error.message.replace(/^Syntax Error: /, ''), {
          extensions: { code, limit },
        });
        if (context) context.reportError(typed);
        else throw typed;
      },
    ],
  };
}

/** A database refusing a query for its size: SQLite's 64 tables in a join or its bound parameters (Prisma's P2029). */
const TOO_LARGE_FOR_DATABASE =
  /at most \d+ tables in a join|too many SQL variables|Expression tree is too large|stack depth limit exceeded/i;

function tooLargeForDatabase(error: unknown): boolean {
  for (
    let e: unknown = error, i = 0;
    e instanceof Error && i < 5;
    e = (e as { originalError?: unknown }).originalError, i++
  ) {
    if ((e as { code?: unknown }).code === 'P2029' || TOO_LARGE_FOR_DATABASE.test(e.message)) return true;
  }
  return false;
}

/**
 * yoga's masking, except for a query the database refuses for its size: the filter bounds keep
 * requests under the databases' limits, and this answers BAD_USER_INPUT, not an internal error, if
 * one still gets there (a filter of many labels, each a few (class, stage) conditions).
 */
const maskDatabaseLimits: MaskError = (error, message, isDev) => {
  if (!tooLargeForDatabase(error)) return maskError(error, message, isDev);
  const located = error instanceof GraphQLError ? error : undefined;
  return createGraphQLError(
    'The request asks more of the database than one query can hold: use fewer conditions in the filter',
    { nodes: located?.nodes, path: located?.path, extensions: { code: 'BAD_USER_INPUT', argument: 'filter' } },
  );
};

const alwaysReady = (): Readiness => ({ state: 'ready' });

/**
 * What GraphiQL opens on (instead of yoga's welcome text): a gallery page with the filter sidebar's
 * counts, thumbnails as signed URLs an `<img>` loads, and a header template for the caller's token.
 * test/signed-url.test.ts checks it against the schema.
 */
export const GRAPHIQL_EXAMPLE = `# dermaset: a gallery page and the counts beside its filters.
# Put your token in the Headers tab below (dermaset token create --name me --role VIEWER),
# or sign in at POST /session and drop the header. Schema: the Docs button, top left.
query GalleryWithFacets($filter: ImageFilter) {
  images(first: 12, filter: $filter) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        thumbnail: url(variant: THUMBNAIL)
        diagnostic {
          diagnosisClass {
            code
            name
          }
          verificationStage
        }
      }
    }
  }
  facets(filter: $filter) {
    total
    fields {
      field
      values {
        value
        count
      }
    }
  }
}
`;

/** GraphiQL's header template: the bearer header with a placeholder for the caller's token. */
export const GRAPHIQL_HEADERS = JSON.stringify({ Authorization: 'Bearer <your token>' }, null, 2);

/**
 * The HTTP application: GraphQL at /graphql (GraphiQL in a browser), image bytes, /health. While
 * `readiness` says the server is not ready (seeding the demo cohort), only /health and /livez answer.
 */
export function createDermasetYoga(
  config: Pick<Config, 'api' | 'dataDir' | 'pseudonymKey' | 'ingest'> &
    Partial<Pick<Config, 'storage' | 'operations' | 'databaseUrl'>>,
  readiness: () => Readiness = alwaysReady,
): DermasetYoga {
  const { api } = config;
  const access = {
    publicRead: api.publicRead,
    publicUrl: api.publicUrl,
    dataDir: config.dataDir,
    urlSigningKey: api.urlSigningKey,
    sessionLifetimeS: api.sessionLifetimeS,
  };
  const context = contextFactory(access, config);
  // the blob store: the local folder, or the object store DERMASET_STORAGE names (storage/open.ts)
  const store = storeFor(config);
  const armor = new EnvelopArmor({
    maxDepth: { n: LIMITS.maxDepth, ignoreIntrospection: true, ...typedRejection(LIMIT_CODES.depth, LIMITS.maxDepth) },
    // armor's cost limit counts literal page sizes only: use-query-cost counts variables too
    costLimit: { enabled: false },
    maxAliases: { n: LIMITS.maxAliases, ...typedRejection(LIMIT_CODES.aliases, LIMITS.maxAliases) },
    maxTokens: { n: LIMITS.maxTokens, ...typedRejection(LIMIT_CODES.tokens, LIMITS.maxTokens) },
    maxDirectives: { n: LIMITS.maxDirectives, ...typedRejection(LIMIT_CODES.directives, LIMITS.maxDirectives) },
    blockFieldSuggestion: { enabled: !api.introspection },
  });
  // One upload limit: the multipart parser stops reading a file at DERMASET_MAX_BYTES (413
  // REQUEST_ENTITY_TOO_LARGE), the same bound the pipeline checks; at most MAX_UPLOAD_FILES files (a
  // review's masks, a batch of saliency maps) and a few small fields, the whole body bounded by
  // useWebSecurity (one file's bound plus the request bound).
  const fetchAPI = createFetch({
    formDataLimits: {
      fileSize: config.ingest.maxBytes,
      files: MAX_UPLOAD_FILES,
      fields: 8,
      fieldSize: api.maxRequestBytes,
      parts: MAX_UPLOAD_FILES + 8,
    },
  });
  return createYoga<Record<string, never>, Context>({
    schema,
    fetchAPI,
    cors: corsFor(api),
    graphqlEndpoint: '/graphql',
    graphiql: api.introspection && {
      title: 'dermaset GraphiQL',
      defaultQuery: GRAPHIQL_EXAMPLE,
      headers: GRAPHIQL_HEADERS,
      // a signed-in browser (the session cookie) needs no header at all
      credentials: 'same-origin',
    },
    // GraphiQL served from the package itself, not a CDN: it works on closed networks
    renderGraphiQL,
    // yoga's own check (process alive) moves to /livez; /health also checks the database
    healthCheckEndpoint: '/livez',
    landingPage: false,
    // unexpected errors are masked; expected ones carry extensions.code
    maskedErrors: { isDev: !api.production, maskError: maskDatabaseLimits },
    context: (initial) => context.create(initial),
    // yoga's own warnings and errors into the JSON log (server/logger.ts)
    logging: yogaLogger(),
    plugins: [
      // operations: a request id on every response and log line, GET /metrics, GET /readyz
      useRequestLog(),
      ...useMetrics(db, {
        token: config.operations?.metricsToken,
        refreshMs: (config.operations?.metricsRefreshS ?? 15) * 1000,
      }),
      useReadyz(db, readiness, { store, databaseUrl: config.databaseUrl }),
      useWebSecurity(api, config.ingest.maxBytes),
      useHealth(db, readiness, { blobs: store }),
      useReadiness(readiness),
      useSessionRoutes(context.tokens, access, context.pipeline),
      useImageRoutes(store, context.tokens, access),
      useExportRoutes(context.tokens, access),
      useDatasheetRoutes(context.tokens, access, { maxVariableDepth: LIMITS.maxVariableDepth }),
      useSplitRoutes(context.tokens, access),
      useEvaluationRoutes(context.tokens, access),
      useRegionRoutes(store, context.tokens, access, context.pipeline),
      useSaliencyRoutes(store, context.tokens, access),
      // the web console at /app (app/dist, built at npm install)
      useAppRoutes(),
      useIntrospection(api.introspection),
      ...armor.protect().plugins,
      // in this order: a page past 200 or a list past its bound is refused as such before it is costed
      useInputBounds({
        maxVariableDepth: LIMITS.maxVariableDepth,
        maxListLength: LIMITS.maxListLength,
        listBounds: {
          'Query.nodes(ids:)': LIMITS.maxNodeIds,
          'Query.auditSplit(assignments:)': LIMITS.maxAuditEntries,
          'Mutation.importPredictions(predictions:)': PREDICTION_BOUNDS.batch,
        },
      }),
      useQueryCost(LIMITS.maxCost),
      // a lost write race or a database busy past its wait is CONFLICT / SERVICE_UNAVAILABLE, typed
      useDbErrors(),
      // answers of unchanged data from memory, keyed by the caller and the data versions
      useDermasetResponseCache(context.tokens, access, { entries: api.responseCacheEntries }),
    ],
  });
}
