import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { type Provider, providerOf } from './db/provider.ts';
import type { StorageConfig } from './storage/open.ts';

/** Worker threads of large evaluations by default: the cores, at most 4 (DERMASET_EVALUATION_THREADS). */
export const DEFAULT_EVALUATION_THREADS = Math.min(4, availableParallelism());

/** A whole number within bounds, refused with the value it got (`PORT=abc` is one readable line). */
const wholeNumber = (min: number, max: number, def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return def;
      const n = /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
      if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
      const bounds = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
      ctx.addIssue({ code: 'custom', message: `must be a whole number ${bounds}, got "${v}"` });
      return z.NEVER;
    });
const intFrom = (def: number) => wholeNumber(1, Number.MAX_SAFE_INTEGER, def);
const text = z
  .string()
  .transform((s) => s.trim())
  .transform((s) => (s === '' ? undefined : s))
  .optional();

/** A web origin as browsers send it in the Origin header: scheme, host and optional port. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:]+\](?::\d{1,5})?$/;

/** Semantic Versioning 2.0.0 (MAJOR.MINOR.PATCH, optional pre-release and build), as Croissant recommends. */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** What the published dataset says about itself (Croissant, datasheet). */
const DatasetEnv = z.object({
  DERMASET_LICENSE: text,
  DERMASET_CREATOR: text,
  DERMASET_DATASET_VERSION: z
    .string()
    .regex(SEMVER, 'DERMASET_DATASET_VERSION must be a semantic version such as 1.0.0')
    .optional(),
});

const flag = z.enum(['true', 'false']).optional();

/** How the server is run: storage backend, metrics, logs, shutdown (README, "Scaling and operations"). */
const OperationsEnv = z.object({
  DERMASET_STORAGE: z.enum(['local', 's3']).default('local'),
  DERMASET_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'DERMASET_S3_BUCKET must be a bucket name (3-63 of a-z 0-9 . -)')
    .optional(),
  DERMASET_S3_PREFIX: z
    .string()
    .regex(
      /^([A-Za-z0-9._-]{1,64}\/){0,8}$/,
      'DERMASET_S3_PREFIX must be empty or folder names ending in "/" (A-Z a-z 0-9 . _ -), e.g. dermaset/',
    )
    .default(''),
  DERMASET_S3_ENDPOINT: z.url().optional(),
  DERMASET_S3_REGION: text,
  DERMASET_S3_FORCE_PATH_STYLE: flag,
  AWS_REGION: text,
  DERMASET_METRICS_TOKEN: z.string().min(16, 'DERMASET_METRICS_TOKEN must be at least 16 characters').optional(),
  DERMASET_SHUTDOWN_TIMEOUT: wholeNumber(0, 3600, 30),
  DERMASET_METRICS_REFRESH: wholeNumber(0, 3600, 15),
  DERMASET_EVALUATION_THREADS: wholeNumber(0, 64, DEFAULT_EVALUATION_THREADS),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const EnvSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: wholeNumber(0, 65535, 4000),
  DERMASET_PSEUDONYM_KEY: z.string().min(16, 'DERMASET_PSEUDONYM_KEY must be at least 16 characters').optional(),
  DERMASET_MIN_SIDE: intFrom(450),
  DERMASET_MAX_PIXELS: intFrom(50_000_000),
  DERMASET_MAX_BYTES: intFrom(64 * 1024 * 1024),
  DERMASET_FORMATS: z.string().default('jpeg,png,webp'),
  DERMASET_NEAR_DUPLICATE_DISTANCE: wholeNumber(0, 64, 4),
  DERMASET_SEED_DEMO: z.enum(['true', 'false']).default('true'),
  DERMASET_DEMO_SIZE: z
    .string()
    .regex(/^\d{2,4}x\d{2,4}$/, 'must be WIDTHxHEIGHT in pixels, e.g. 96x72')
    .optional(),
  DERMASET_PUBLIC_READ: z.enum(['true', 'false']).default('false'),
  DERMASET_INTROSPECTION: z.enum(['true', 'false']).optional(),
  DERMASET_PUBLIC_URL: z.url().optional(),
  DERMASET_MODE: z.enum(['production', 'development']).optional(),
  DERMASET_CORS_ORIGINS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const origins = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const origin of origins) {
        if (!ORIGIN.test(origin)) {
          ctx.addIssue({
            code: 'custom',
            message: `each origin must be scheme://host[:port] with no path (e.g. https://app.example.org), got "${origin}"`,
          });
          return z.NEVER;
        }
      }
      return origins;
    }),
  DERMASET_MAX_REQUEST_BYTES: intFrom(1024 * 1024),
  DERMASET_RESPONSE_CACHE_ENTRIES: wholeNumber(0, 100_000, 200),
  DERMASET_URL_SIGNING_KEY: z
    .string()
    .min(32, 'DERMASET_URL_SIGNING_KEY must be at least 32 characters (generate one with `openssl rand -hex 32`)')
    .max(512, 'DERMASET_URL_SIGNING_KEY must be at most 512 characters')
    .optional(),
  DERMASET_SESSION_HOURS: wholeNumber(1, 168, 12),
  ...OperationsEnv.shape,
  ...DatasetEnv.shape,
  NODE_ENV: z.string().optional(),
});

export interface IngestLimits {
  /** The shorter image side must be at least this many pixels (SOP minimum resolution). */
  minSide: number;
  /** Decompression-bomb guard: width × height above this is refused before decoding. */
  maxPixels: number;
  maxBytes: number;
  /** Accepted container formats as sharp names them. */
  formats: readonly string[];
  /** Perceptual-hash Hamming distance at or under which two images are near duplicates. */
  nearDuplicateDistance: number;
}

export interface Config {
  databaseUrl: string;
  dataDir: string;
  host: string;
  port: number;
  /** The key of the keyed hash that turns source identifiers into stable codes; undefined = per-installation key file. */
  pseudonymKey: string | undefined;
  ingest: IngestLimits;
  seedDemo: boolean;
  /** The size the demo cohort's images are drawn at; undefined = the cohort plan's (600×450). */
  demoSize: { width: number; height: number } | undefined;
  api: ApiOptions;
  dataset: DatasetConfig;
  /** Where blobs and finished exports are stored (DERMASET_STORAGE and DERMASET_S3_*). */
  storage: StorageConfig;
  operations: OperationsConfig;
}

/** Metrics, logs and shutdown. */
export interface OperationsConfig {
  /** A bearer token for GET /metrics; unset: /metrics answers loopback connections only. */
  metricsToken: string | undefined;
  /** Seconds between reads of the stage, queue and intake figures /metrics reports (0: at every scrape). */
  metricsRefreshS: number;
  /** Seconds a SIGTERM waits for requests and running exports before it gives up on them. */
  shutdownTimeoutS: number;
  /** Worker threads for the bootstrap of large evaluations (0: in the request's thread); default the cores, at most 4. */
  evaluationThreads: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** The dataset's own description where configured; unset values fall back to the datasheet's answers. */
export interface DatasetConfig {
  /** The licence (an SPDX id, a URL or a sentence); unset = the datasheet's distribution.license answer. */
  license: string | undefined;
  /** Who is credited as the dataset's creator; unset = the datasheet's distribution.creator answer. */
  creator: string | undefined;
  /** The dataset's version (semver); unset = derived from the image set (see resolvers/dataset.ts). */
  version: string | undefined;
}

export interface ApiOptions {
  /** Anonymous callers read as viewers (off by default: without a token nothing is visible). */
  publicRead: boolean;
  /** Schema introspection (and GraphiQL); on by default outside production. */
  introspection: boolean;
  /**
   * Production mode, the default: unexpected errors are masked as "Unexpected error." with no stack
   * or path; expected failures keep their codes. DERMASET_MODE=development (or NODE_ENV=development)
   * turns it off and allows loopback origins for CORS.
   */
  production: boolean;
  /**
   * Origins (scheme://host[:port]) whose web pages may call the API with credentials (CORS). Unset:
   * none in production, loopback origins (localhost, 127.0.0.1, [::1], any port) in development.
   */
  corsOrigins: readonly string[] | 'loopback';
  /** A request body (JSON, or the GraphQL part of an upload) larger than this is refused with 413. */
  maxRequestBytes: number;
  /** The origin image URLs are given under, when behind a proxy. */
  publicUrl: string | undefined;
  /** Answers the response cache keeps (server/use-response-cache.ts); 0 turns it off. */
  responseCacheEntries: number;
  /**
   * The secret of signed URLs and session cookies (at least 32 characters); undefined: a random one
   * created once and kept in the database, shared by every instance on it.
   */
  urlSigningKey: string | undefined;
  /** Seconds a sign-in (POST /session) lasts: DERMASET_SESSION_HOURS, 1 to 168, default 12. */
  sessionLifetimeS: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

/** Reads configuration from the environment (documented in the README). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(issues(parsed.error));
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const databaseUrl = e.DATABASE_URL ?? `file:${resolve(dataDir, 'dermaset.db')}`;
  let provider: Provider;
  try {
    provider = providerOf(databaseUrl);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  // Instances sharing a PostgreSQL database must code identifiers with one key: a key file generated
  // per DATA_DIR would give the same patient a different code on each instance.
  if (provider === 'postgresql' && !e.DERMASET_PSEUDONYM_KEY) {
    throw new ConfigError(
      `DERMASET_PSEUDONYM_KEY: required on PostgreSQL, the same on every instance sharing the database (generate one with \`openssl rand -hex 32\`; to keep this instance's codes, use the contents of ${join(dataDir, 'pseudonym.key')}); the blob folder DATA_DIR/blobs must be shared by the instances too, or the blobs kept in an object store (DERMASET_STORAGE=s3)`,
    );
  }
  return {
    databaseUrl,
    dataDir,
    host: e.HOST,
    port: e.PORT,
    pseudonymKey: e.DERMASET_PSEUDONYM_KEY,
    ingest: {
      minSide: e.DERMASET_MIN_SIDE,
      maxPixels: e.DERMASET_MAX_PIXELS,
      maxBytes: e.DERMASET_MAX_BYTES,
      formats: e.DERMASET_FORMATS.split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
      nearDuplicateDistance: e.DERMASET_NEAR_DUPLICATE_DISTANCE,
    },
    seedDemo: e.DERMASET_SEED_DEMO === 'true',
    demoSize: e.DERMASET_DEMO_SIZE ? sizeOf(e.DERMASET_DEMO_SIZE) : undefined,
    api: apiOf(e),
    dataset: datasetOf(e),
    storage: storageOf(e),
    operations: {
      metricsToken: e.DERMASET_METRICS_TOKEN,
      metricsRefreshS: e.DERMASET_METRICS_REFRESH,
      shutdownTimeoutS: e.DERMASET_SHUTDOWN_TIMEOUT,
      evaluationThreads: e.DERMASET_EVALUATION_THREADS,
      logLevel: e.LOG_LEVEL,
    },
  };
}

function storageOf(e: z.infer<typeof OperationsEnv>): StorageConfig {
  if (e.DERMASET_STORAGE === 'local') return { backend: 'local' };
  if (!e.DERMASET_S3_BUCKET) throw new ConfigError('DERMASET_S3_BUCKET: required with DERMASET_STORAGE=s3');
  return {
    backend: 's3',
    bucket: e.DERMASET_S3_BUCKET,
    prefix: e.DERMASET_S3_PREFIX,
    endpoint: e.DERMASET_S3_ENDPOINT,
    region: e.DERMASET_S3_REGION ?? e.AWS_REGION ?? 'us-east-1',
    // S3-compatible servers (MinIO) want path-style URLs; AWS itself virtual-hosted ones
    forcePathStyle: e.DERMASET_S3_FORCE_PATH_STYLE
      ? e.DERMASET_S3_FORCE_PATH_STYLE === 'true'
      : e.DERMASET_S3_ENDPOINT !== undefined,
  };
}

function apiOf(e: z.infer<typeof EnvSchema>): ApiOptions {
  const mode = e.DERMASET_MODE ?? (e.NODE_ENV === 'development' ? 'development' : 'production');
  return {
    publicRead: e.DERMASET_PUBLIC_READ === 'true',
    // the schema is published (schema.graphql): hiding it protects nothing, so GraphiQL stays on
    // unless switched off, or NODE_ENV=production asks for the conventional locked-down default
    introspection: e.DERMASET_INTROSPECTION ? e.DERMASET_INTROSPECTION === 'true' : e.NODE_ENV !== 'production',
    production: mode === 'production',
    corsOrigins: e.DERMASET_CORS_ORIGINS ?? (mode === 'development' ? 'loopback' : []),
    maxRequestBytes: e.DERMASET_MAX_REQUEST_BYTES,
    publicUrl: e.DERMASET_PUBLIC_URL?.replace(/\/$/, ''),
    responseCacheEntries: e.DERMASET_RESPONSE_CACHE_ENTRIES,
    urlSigningKey: e.DERMASET_URL_SIGNING_KEY,
    sessionLifetimeS: e.DERMASET_SESSION_HOURS * 3600,
  };
}

function sizeOf(wxh: string): { width: number; height: number } {
  const [width, height] = wxh.split('x').map(Number) as [number, number];
  return { width, height };
}

function datasetOf(e: z.infer<typeof DatasetEnv>): DatasetConfig {
  return { license: e.DERMASET_LICENSE, creator: e.DERMASET_CREATOR, version: e.DERMASET_DATASET_VERSION };
}

/**
 * The dataset's configured description from the process environment, for the documents built where
 * no Config is at hand (GraphQL resolvers, the export runner, `dermaset datasheet`): the same
 * variables and checks as loadConfig, which already refused bad values at start-up.
 */
export function datasetConfig(env: NodeJS.ProcessEnv = process.env): DatasetConfig {
  const parsed = DatasetEnv.safeParse(env);
  if (!parsed.success) throw new ConfigError(issues(parsed.error));
  return datasetOf(parsed.data);
}
