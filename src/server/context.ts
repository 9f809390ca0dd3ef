import { createGraphQLError, type YogaInitialContext } from 'graphql-yoga';
import { db } from '../db/current.ts';
import type { Actor } from '../domain/actor.ts';
import { type Role, roleAtLeast } from '../domain/roles.ts';
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
}

export const unauthenticated = (message: string) =>
  createGraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/** Reads `Authorization: Bearer <token>`; a token that is unknown or revoked is refused. */
export async function identify(
  request: Request,
  tokens: TokenResolver,
  access: AccessOptions,
): Promise<{ identity: Identity | null; role: Role | null }> {
  const header = request.headers.get('authorization');
  if (!header) return { identity: null, role: access.publicRead ? 'VIEWER' : null };
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!m?.[1]) throw unauthenticated('the Authorization header must be "Bearer <token>"');
  const identity = await tokens.resolve(m[1]);
  if (!identity) throw unauthenticated('the bearer token is unknown or revoked');
  return { identity, role: identity.role };
}

export function contextFactory(access: AccessOptions, config: PipelineConfig) {
  const tokens = new TokenResolver(db);
  let shared: AcquisitionPipeline | undefined;
  // one pipeline per server: its near-duplicate index and its serial commit queue are shared
  const pipeline = () => {
    shared ??= createPipeline(config, db());
    return shared;
  };
  return {
    tokens,
    async create(initial: YogaInitialContext): Promise<Context> {
      const { identity, role } = await identify(initial.request, tokens, access);
      const origin = access.publicUrl ?? new URL(initial.request.url).origin;
      const ctx: Context = {
        ...initial,
        ...requestScope(),
        requestId: crypto.randomUUID(),
        identity,
        role,
        origin,
        dataDir: access.dataDir,
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
