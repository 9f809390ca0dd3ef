import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Plugin } from 'graphql-yoga';
import { imageBlob } from '../resolvers/images.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { type AccessOptions, refuseRoute } from './context.ts';

const ROUTE = /^\/images\/([0-9a-f]{64})\/(original|thumbnail)$/;
const MIME: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/**
 * GET /images/<sha256>/<original|thumbnail>: the bytes of an image, content-addressed and therefore
 * immutable (strong ETag = the blob's SHA-256, one-year cache). Access follows the API: a viewer
 * token, or public read. Unknown images are 404.
 */
export function useImageRoutes(store: BlobStore, tokens: TokenResolver, access: AccessOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith('/images/')) return;
      const json = (status: number, code: string, message: string) =>
        endResponse(fetchAPI.Response.json({ error: message, code }, { status }));
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
      }
      const refusal = await refuseRoute(request, tokens, access, 'image bytes');
      if (refusal) return json(refusal.status, refusal.code, refusal.message);
      const m = ROUTE.exec(url.pathname);
      const image = m?.[1] ? await imageBlob(m[1]) : null;
      if (!m || !image) return json(404, 'NOT_FOUND', 'no such image');
      const key = m[2] === 'thumbnail' ? image.thumbnailKey : image.storageKey;
      const etag = `"${key.split('/').pop()?.split('.')[0]}"`;
      const headers = {
        etag,
        'cache-control': `${access.publicRead ? 'public' : 'private'}, max-age=31536000, immutable`,
        'content-type': m[2] === 'thumbnail' ? 'image/webp' : (MIME[image.format] ?? 'application/octet-stream'),
        'x-content-type-options': 'nosniff',
      };
      if (
        request.headers
          .get('if-none-match')
          ?.split(/\s*,\s*/)
          .includes(etag)
      ) {
        return endResponse(new fetchAPI.Response(null, { status: 304, headers }));
      }
      const path = store.path(key);
      const size = (await stat(path)).size;
      const body = request.method === 'HEAD' ? null : (Readable.toWeb(store.read(key)) as ReadableStream<Uint8Array>);
      endResponse(
        new fetchAPI.Response(body, { status: 200, headers: { ...headers, 'content-length': String(size) } }),
      );
    },
  };
}
