// The response cache: a query answered before is answered again from memory, as long as the data
// it read is unchanged. Its key holds the document, the variables, the caller (token and role: blind
// review and de-identification depend on who asks), the origin (image URLs are absolute) and the
// data versions (src/db/data-version.ts), which the database raises in the transaction of every
// write. A write on any instance changes the versions, so no instance serves a stale answer; there
// is no time-to-live to tune and no invalidation to forget. Mutations are never cached, nor answers
// with errors, nor the fields that read what the versions do not cover (exports' progress).
import { createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import type { Plugin } from 'graphql-yoga';
import { requestVersions, versionKey } from '../db/data-version.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import type { AccessOptions } from './context.ts';

export interface ResponseCacheOptions {
  /** Answers kept (least recently used first out); 0 turns the cache off. */
  entries: number;
}

/** Root fields whose answers read rows the data versions do not cover. */
const UNCACHED = ['Query.export', 'Query.exports'];

export function useDermasetResponseCache(
  tokens: TokenResolver,
  access: AccessOptions,
  options: ResponseCacheOptions,
): Plugin {
  if (options.entries <= 0) return {};
  // whether this request may be answered from the cache, decided with its session
  const cacheable = new WeakMap<Request, boolean>();
  return useResponseCache({
    cache: createInMemoryCache({ max: options.entries }),
    // the caller as the context will identify it; an unknown, revoked or malformed token is not
    // cached here (the context refuses it as usual)
    session: async (request) => {
      const header = request.headers.get('authorization');
      let who: string;
      if (!header) {
        if (!access.publicRead) return refuse(cacheable, request);
        who = 'public';
      } else {
        const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
        const identity = m?.[1] ? await tokens.resolve(m[1]) : null;
        if (!identity) return refuse(cacheable, request);
        who = `token:${identity.tokenId}:${identity.role}`;
      }
      const origin = access.publicUrl ?? new URL(request.url).origin;
      cacheable.set(request, true);
      return `${who}|${origin}|${versionKey(await requestVersions(request))}`;
    },
    // only after the session said yes (onParams); never for a bare If-None-Match (it skips the token check)
    enabled: (request) => cacheable.get(request) === true,
    invalidateViaMutation: false,
    ttlPerSchemaCoordinate: Object.fromEntries(UNCACHED.map((c) => [c, 0])),
  }) as Plugin;
}

function refuse(cacheable: WeakMap<Request, boolean>, request: Request): null {
  cacheable.set(request, false);
  return null;
}
