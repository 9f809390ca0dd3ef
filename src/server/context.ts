import { createGraphQLError, type YogaInitialContext } from 'graphql-yoga';
import { db } from '../db/current.ts';
import type { Actor } from '../domain/actor.ts';
import { isRefusal } from '../domain/refusal.ts';
import { type Role, roleAtLeast } from '../domain/roles.ts';
import { expiryOf, readSession, signPath, urlLifetime } from '../domain/signed-url.ts';
import { type AcquisitionPipeline, createPipeline, type PipelineConfig } from '../ingest/pipeline.ts';
import { type ImagePartLoaders, imagePartLoaders } from '../resolvers/image-parts.ts';
import { type RequestScope, requestScope } from '../resolvers/subset.ts';
import { type Identity, TokenResolver } from '../resolvers/tokens.ts';

/**
 * Per-request context: the caller's identity (never the database client), and the request scope
 * (resolvers/subset.ts): the policy, split and subset reads the request made, each made once.
 */
export interface Context extends YogaInitialContext, RequestScope {
  requestId: string;
  identity: Identity | null;
  /** The caller's effective role: their token's, or viewer for anonymous callers under public read. */
  role: Role | null;
  /** The origin under which image URLs are given out. */
  origin: string;
  /** Where blobs and exports live. */
  dataDir: string;
  /**
   * `path` (`/images/<sha>/thumbnail`, `/exports/<id>/file`) as an absolute URL for this caller: signed
   * with their token and expiring after `expiresIn` seconds (URL_LIFETIME: 60 s to 7 days, default 1 h;
   * out of bounds BAD_USER_INPUT); the plain URL for an anonymous caller under public read.
   */
  signedUrl(path: string, expiresIn?: number | null): string;
  /** The acquisition pipeline of this server (created on first use). */
  pipeline(): AcquisitionPipeline;
  /** An image card's parts, reviews and near duplicates, loaded a page at a time. */
  parts: ImagePartLoaders;
}

export interface AccessOptions {
  dataDir: string;
  /** Anonymous callers may read as viewers. */
  publicRead: boolean;
  /** Overrides the origin of image URLs (behind a proxy). */
  publicUrl?: string | undefined;
  /** Seconds a session cookie lasts (DERMASET_SESSION_HOURS; default 12 h). */
  sessionLifetimeS?: number;
}

/** The session cookie's name; its lifetime is DERMASET_SESSION_HOURS (1 to 168, default 12). */
export const SESSION_COOKIE = 'dermaset_session';
export const DEFAULT_SESSION_S = 12 * 3600;

/** The value of one cookie in a Cookie header, or null. */
export function cookieOf(request: Request, name: string): string | null {
  const header = request.headers.get('cookie');
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The session a request's cookie names (token id, expiry), if its value is ours and not expired. */
export async function sessionOf(request: Request, tokens: TokenResolver) {
  const value = cookieOf(request, SESSION_COOKIE);
  return value ? readSession(await tokens.keys(), value, Date.now()) : null;
}

/** How a caller was identified: the Authorization header, the session cookie, or neither. */
export type Credential = 'bearer' | 'session' | 'none';

export interface Caller {
  identity: Identity | null;
  role: Role | null;
  credential: Credential;
}

/** identify()'s answer per request: the response cache, the context and a route ask once. */
const identified = new WeakMap<Request, Promise<Caller>>();

export const unauthenticated = (message: string) =>
  createGraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/**
 * The caller: `Authorization: Bearer <token>` (a token that is unknown or revoked is refused), else
 * the session cookie (POST /session), its token read from the table now, so a revoked token's
 * session stops at once; a cookie that is not ours, expired or of a revoked token counts as no
 * cookie (anonymous: a viewer under public read, else nobody). Asked once per request.
 */
export function identify(request: Request, tokens: TokenResolver, access: AccessOptions): Promise<Caller> {
  let caller = identified.get(request);
  if (!caller) {
    caller = identifyNow(request, tokens, access);
    identified.set(request, caller);
  }
  return caller;
}

async function identifyNow(request: Request, tokens: TokenResolver, access: AccessOptions): Promise<Caller> {
  const header = request.headers.get('authorization');
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!m?.[1]) throw unauthenticated('the Authorization header must be "Bearer <token>"');
    const identity = await tokens.resolve(m[1]);
    if (!identity) throw unauthenticated('the bearer token is unknown or revoked');
    return { identity, role: identity.role, credential: 'bearer' };
  }
  const session = await sessionOf(request, tokens);
  const identity = session ? await tokens.resolveId(session.tokenId) : null;
  if (identity) return { identity, role: identity.role, credential: 'session' };
  return { identity: null, role: access.publicRead ? 'VIEWER' : null, credential: 'none' };
}

/** The signed-URL maker of a caller (Context.signedUrl). */
export function urlSigner(
  origin: string,
  identity: Identity | null,
  keys: Awaited<ReturnType<TokenResolver['keys']>>,
): (path: string, expiresIn?: number | null) => string {
  return (path, expiresIn) => {
    const lifetime = urlLifetime(expiresIn);
    if (isRefusal(lifetime))
      throw createGraphQLError(lifetime.refused, {
        extensions: { code: 'BAD_USER_INPUT', argument: lifetime.argument },
      });
    if (!identity) return `${origin}${path}`;
    return `${origin}${signPath(keys, path, identity.tokenId, expiryOf(Date.now(), lifetime))}`;
  };
}

export function contextFactory(access: AccessOptions & { urlSigningKey?: string | undefined }, config: PipelineConfig) {
  const tokens = new TokenResolver(db, undefined, access.urlSigningKey);
  // the signing key is read (or, on a new database, created) at start, not inside the first
  // request: creating it writes the setting table, which raises the data versions once
  tokens.keys().catch(() => undefined);
  let shared: AcquisitionPipeline | undefined;
  // one pipeline per server: its near-duplicate index and its serial commit queue are shared
  const pipeline = () => {
    shared ??= createPipeline(config, db());
    return shared;
  };
  return {
    tokens,
    pipeline,
    async create(initial: YogaInitialContext): Promise<Context> {
      const { identity, role } = await identify(initial.request, tokens, access);
      const origin = access.publicUrl ?? new URL(initial.request.url).origin;
      const signedUrl = urlSigner(origin, identity, await tokens.keys());
      const ctx: Context = {
        ...initial,
        ...requestScope(),
        requestId: crypto.randomUUID(),
        identity,
        role,
        origin,
        dataDir: access.dataDir,
        signedUrl,
        pipeline,
        parts: imagePartLoaders({ role, code: () => actorOf(ctx).code }),
      };
      return ctx;
    },
  };
}

const actors = new WeakMap<Context, Actor>();

export type { Actor };

/** The caller as the one who acts: the one place a request's who-did-it is spelled. */
export function actorOf(ctx: Context): Actor {
  let actor = actors.get(ctx);
  if (!actor) {
    const tokenId = ctx.identity?.tokenId ?? null;
    const source = tokenSource(tokenId);
    actor = {
      source,
      code: ctx.pipeline().deps.pseudonyms.code('examiner', source),
      tokenId,
      role: ctx.role,
      admin: roleAtLeast(ctx.role, 'ADMIN'),
    };
    actors.set(ctx, actor);
  }
  return actor;
}

/** A token's stored form (`token:<id>`, or `token:public`): an examiner code is the keyed hash of it. */
export const tokenSource = (tokenId: number | null | undefined) => `token:${tokenId ?? 'public'}`;
