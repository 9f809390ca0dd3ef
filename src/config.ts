import { resolve } from 'node:path';
import { z } from 'zod';

const intFrom = (def: number) => z.coerce.number().int().positive().default(def);

const EnvSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DERMASET_PSEUDONYM_KEY: z.string().min(16, 'DERMASET_PSEUDONYM_KEY must be at least 16 characters').optional(),
  DERMASET_MIN_SIDE: intFrom(450),
  DERMASET_MAX_PIXELS: intFrom(50_000_000),
  DERMASET_MAX_BYTES: intFrom(64 * 1024 * 1024),
  DERMASET_FORMATS: z.string().default('jpeg,png,webp'),
  DERMASET_NEAR_DUPLICATE_DISTANCE: z.coerce.number().int().min(0).max(64).default(4),
  DERMASET_SEED_DEMO: z.enum(['true', 'false']).default('true'),
  DERMASET_PUBLIC_READ: z.enum(['true', 'false']).default('false'),
  DERMASET_INTROSPECTION: z.enum(['true', 'false']).optional(),
  DERMASET_PUBLIC_URL: z.url().optional(),
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
  api: ApiOptions;
}

export interface ApiOptions {
  /** Anonymous callers read as viewers (off by default: without a token nothing is visible). */
  publicRead: boolean;
  /** Schema introspection (and GraphiQL); on by default outside production. */
  introspection: boolean;
  /** Mask unexpected errors as "Unexpected error." (production); expected failures keep their codes. */
  production: boolean;
  /** The origin image URLs are given under, when behind a proxy. */
  publicUrl: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads configuration from the environment (documented in the README). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  return {
    databaseUrl: e.DATABASE_URL ?? `file:${resolve(dataDir, 'dermaset.db')}`,
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
    api: {
      publicRead: e.DERMASET_PUBLIC_READ === 'true',
      introspection: e.DERMASET_INTROSPECTION ? e.DERMASET_INTROSPECTION === 'true' : e.NODE_ENV !== 'production',
      production: e.NODE_ENV === 'production',
      publicUrl: e.DERMASET_PUBLIC_URL?.replace(/\/$/, ''),
    },
  };
}
