import type { Plugin } from 'graphql-yoga';
import { seesRegions } from '../domain/review-visibility.ts';
import type { AcquisitionPipeline } from '../ingest/pipeline.ts';
import { regionMask } from '../resolvers/regions.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { type AccessOptions, tokenSource } from './context.ts';
import { pathUnder, useRoute } from './route.ts';
import { serveBlob } from './use-image-routes.ts';

const ROUTE = /^\/regions\/(\d{1,10})\/mask\.png$/;

/**
 * GET /regions/<id>/mask.png: a structure region's mask (StructureRegion.maskUrl signs this path), a
 * 1-channel PNG with 255 inside. Blind review's rule for regions holds here as in the API
 * (domain/review-visibility.ts seesRegions): before the image's consensus only the review's author
 * and admins get it; anyone else gets 404 NOT_FOUND, as for an unknown region or one drawn as
 * polygons, so the answer does not tell that a hidden region exists. The frame (server/route.ts)
 * admits a bearer token, a signed URL, the session cookie, or anonymous callers under public read.
 */
export function useRegionRoutes(
  store: BlobStore,
  tokens: TokenResolver,
  access: AccessOptions,
  pipeline: () => AcquisitionPipeline,
): Plugin {
  return useRoute(
    {
      match: pathUnder('/regions/', ROUTE),
      reads: 'region masks are read',
      what: 'a region mask',
      async handle(call) {
        const {
          match: { parts: m },
          role,
          identity,
          json,
        } = call;
        const region = m?.[1] ? await regionMask(Number(m[1])) : null;
        const author = () =>
          role === 'REVIEWER' &&
          pipeline().deps.pseudonyms.code('examiner', tokenSource(identity?.tokenId)) === region?.reviewerCode;
        if (!region?.maskKey || !seesRegions(role, { author: author(), decided: region.decided }))
          return json(404, 'NOT_FOUND', 'no such region mask');
        return serveBlob(store, call, {
          key: region.maskKey,
          etag: null,
          // the bytes never change, but who may read them does (at the consensus)
          headers: { 'content-type': 'image/png', 'cache-control': 'private, no-cache' },
          missing: 'this mask is not stored on this server',
          about: `the mask of region ${m?.[1]}`,
        });
      },
    },
    tokens,
    access,
  );
}
