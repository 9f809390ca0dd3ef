import { type FileHandle, open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Plugin } from 'graphql-yoga';
import { imageBlob } from '../resolvers/images.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { AccessOptions } from './context.ts';
import { pathUnder, useRoute } from './route.ts';

const ROUTE = /^\/images\/([0-9a-f]{64})\/(original|thumbnail)$/;
const MIME: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** Why a stored image's bytes cannot be served: the one file is gone, or the whole store is. */
export type BlobFault = { status: 404; code: 'BLOB_MISSING' } | { status: 503; code: 'BLOB_UNAVAILABLE' };

const errnoOf = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * A file the database names could not be opened: 404 BLOB_MISSING when the blob folder is there
 * and only this file is not (lost, or never copied to this instance), 503 BLOB_UNAVAILABLE when the
 * folder itself cannot be read (unmounted, not a folder, no permission, an I/O error): that is the
 * instance's fault and passes, the missing file does not.
 */
export async function blobFault(store: BlobStore, error: unknown): Promise<BlobFault> {
  if (errnoOf(error) === 'ENOENT') {
    const root = await stat(store.root).catch(() => null);
    if (root?.isDirectory()) return { status: 404, code: 'BLOB_MISSING' };
  }
  return { status: 503, code: 'BLOB_UNAVAILABLE' };
}

/**
 * GET /images/<sha256>/<original|thumbnail>: the bytes of an image, content-addressed and therefore
 * immutable (strong ETag = the blob's SHA-256, one-year cache). Access follows the API: a viewer
 * token, or public read. Unknown images are 404 NOT_FOUND. An image whose row exists but whose file
 * cannot be read is 404 BLOB_MISSING or 503 BLOB_UNAVAILABLE (see blobFault), answered as JSON
 * `{code, message, requestId}` without a path; the path and the cause go to the server's log under
 * the same request id (the caller's `x-request-id`, else a new one).
 */
export function useImageRoutes(store: BlobStore, tokens: TokenResolver, access: AccessOptions): Plugin {
  return useRoute(
    {
      match: pathUnder('/images/', ROUTE),
      reads: 'image bytes are read',
      what: 'image bytes',
      async handle({ request, match: { parts: m }, fetchAPI, json, fault }) {
        const image = m?.[1] ? await imageBlob(m[1]) : null;
        if (!m || !image) return json(404, 'NOT_FOUND', 'no such image');
        const variant = m[2] === 'thumbnail' ? 'thumbnail' : 'original';
        const key = variant === 'thumbnail' ? image.thumbnailKey : image.storageKey;
        const etag = `"${key.split('/').pop()?.split('.')[0]}"`;
        const headers = {
          etag,
          'cache-control': `${access.publicRead ? 'public' : 'private'}, max-age=31536000, immutable`,
          'content-type': variant === 'thumbnail' ? 'image/webp' : (MIME[image.format] ?? 'application/octet-stream'),
          'x-content-type-options': 'nosniff',
        };
        if (
          request.headers
            .get('if-none-match')
            ?.split(/\s*,\s*/)
            .includes(etag)
        ) {
          return new fetchAPI.Response(null, { status: 304, headers });
        }
        // open first, then stream from the open file: a file missing now is answered here, not
        // half-way through a response whose status is already sent
        let file: FileHandle | undefined;
        let size: number;
        try {
          file = await open(store.path(key), 'r');
          size = (await file.stat()).size;
        } catch (e) {
          await file?.close();
          const { status, code } = await blobFault(store, e);
          return fault(
            status,
            code,
            code === 'BLOB_MISSING'
              ? `the ${variant} of this image is not stored on this server`
              : 'the image store is unavailable; try again later',
            `the ${variant} of image ${m[1]} (blob ${key}) cannot be read, ${code}: ${errnoOf(e) ?? (e as Error).name}`,
          );
        }
        const sized = { ...headers, 'content-length': String(size) };
        if (request.method === 'HEAD') {
          await file.close();
          return new fetchAPI.Response(null, { status: 200, headers: sized });
        }
        const body = Readable.toWeb(file.createReadStream()) as ReadableStream<Uint8Array>;
        return new fetchAPI.Response(body, { status: 200, headers: sized });
      },
    },
    tokens,
    access,
  );
}
