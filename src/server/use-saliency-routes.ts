import type { Plugin } from 'graphql-yoga';
import { saliencyBlobKey } from '../resolvers/models.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { AccessOptions } from './context.ts';
import { pathUnder, useRoute } from './route.ts';
import { contentEtag, serveBlob } from './use-image-routes.ts';

const ROUTE = /^\/models\/(\d{1,10})\/images\/([0-9a-f]{64})\/saliency\.png$/;

/**
 * GET /models/<model row id>/images/<image sha256>/saliency.png: a model's saliency map for an image,
 * the single-channel 8-bit PNG importPredictions stored (ModelPrediction.saliencyUrl gives it signed).
 * Content-addressed, so immutable (strong ETag = the PNG's SHA-256, one-year cache). Access follows
 * the API as the image route's does; no such model, image or map is 404 NOT_FOUND; a map whose blob
 * cannot be read is 404 BLOB_MISSING or 503 BLOB_UNAVAILABLE (blobFault).
 */
export function useSaliencyRoutes(store: BlobStore, tokens: TokenResolver, access: AccessOptions): Plugin {
  return useRoute(
    {
      match: pathUnder('/models/', ROUTE),
      reads: 'saliency maps are read',
      what: 'a saliency map',
      async handle(call) {
        const {
          match: { parts: m },
          json,
        } = call;
        const key = m?.[1] && m[2] ? await saliencyBlobKey(Number(m[1]), m[2]) : null;
        if (!m || !key) return json(404, 'NOT_FOUND', 'no such saliency map');
        return serveBlob(store, call, {
          key,
          etag: contentEtag(key),
          headers: {
            'cache-control': `${access.publicRead ? 'public' : 'private'}, max-age=31536000, immutable`,
            'content-type': 'image/png',
          },
          missing: 'this saliency map is not stored on this server',
          about: `the saliency map of model ${m[1]} for image ${m[2]}`,
        });
      },
    },
    tokens,
    access,
  );
}
