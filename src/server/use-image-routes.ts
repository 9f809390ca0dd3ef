import { Readable } from 'node:stream';
import type { Plugin } from 'graphql-yoga';
import { imageBlob } from '../resolvers/images.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import { BlobMissingError, type BlobStore, type OpenedBlob } from '../storage/blob-store.ts';
import type { AccessOptions } from './context.ts';
import { holdsVersion, pathUnder, type RouteCall, useRoute } from './route.ts';

const ROUTE = /^\/images\/([0-9a-f]{64})\/(original|thumbnail)$/;
const MIME: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** Why a stored image's bytes cannot be served: the one blob is gone, or the whole store is. */
export type BlobFault = { status: 404; code: 'BLOB_MISSING' } | { status: 503; code: 'BLOB_UNAVAILABLE' };

/** A short cause for the log: the store's word for a missing blob, an errno or an SDK error's name, never a message. */
export const causeOf = (e: unknown): string => {
  if (e instanceof BlobMissingError) return e.reason;
  const o = e as { code?: unknown; name?: unknown } | null;
  return typeof o?.code === 'string' ? o.code : typeof o?.name === 'string' ? o.name : 'error';
};

/**
 * A blob the database names could not be opened: 404 BLOB_MISSING when the store answers and only
 * this blob is not there (lost, or never copied to this store), 503 BLOB_UNAVAILABLE when the store
 * itself cannot be read (a folder unmounted or unreadable, an object store out of reach): that is
 * the instance's fault and passes, the missing blob does not.
 */
export function blobFault(error: unknown): BlobFault {
  return error instanceof BlobMissingError
    ? { status: 404, code: 'BLOB_MISSING' }
    : { status: 503, code: 'BLOB_UNAVAILABLE' };
}

/** The strong ETag of a content-addressed blob: its key's file name without the extension (the SHA-256). */
export const contentEtag = (key: string) => `"${key.split('/').pop()?.split('.')[0]}"`;

/** One blob as a route's answer: what it is, how it is cached, what a caller reads when it is gone. */
export interface BlobAnswer {
  key: string;
  /** a strong ETag (`If-None-Match` then gets 304), or null for none */
  etag: string | null;
  /** content-type and cache-control (nosniff, the ETag and the length are added) */
  headers: Record<string, string>;
  /** the caller's message when this blob is missing */
  missing: string;
  /** for the log: which blob of what ("the thumbnail of image …") */
  about: string;
}

/**
 * A stored blob answered: 304 when the caller holds its ETag, else opened first and then streamed
 * (a blob missing now is answered 404 BLOB_MISSING or 503 BLOB_UNAVAILABLE here, not half-way through
 * a response whose status is already sent); HEAD gets the headers only.
 */
export async function serveBlob(
  store: BlobStore,
  { request, fetchAPI, fault }: Pick<RouteCall<unknown>, 'request' | 'fetchAPI' | 'fault'>,
  a: BlobAnswer,
): Promise<Response> {
  const headers: Record<string, string> = { ...a.headers, 'x-content-type-options': 'nosniff' };
  if (a.etag) headers.etag = a.etag;
  if (a.etag && holdsVersion(request, a.etag)) return new fetchAPI.Response(null, { status: 304, headers });
  let blob: OpenedBlob;
  try {
    blob = await store.open(a.key);
  } catch (e) {
    const { status, code } = blobFault(e);
    return fault(
      status,
      code,
      code === 'BLOB_MISSING' ? a.missing : 'the image store is unavailable; try again later',
      `${a.about} (blob ${a.key}) cannot be read, ${code}: ${causeOf(e)}`,
    );
  }
  const sized = { ...headers, 'content-length': String(blob.size) };
  if (request.method === 'HEAD') {
    blob.stream.destroy();
    return new fetchAPI.Response(null, { status: 200, headers: sized });
  }
  return new fetchAPI.Response(Readable.toWeb(blob.stream) as ReadableStream<Uint8Array>, {
    status: 200,
    headers: sized,
  });
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
      async handle(call) {
        const {
          match: { parts: m },
          json,
        } = call;
        const image = m?.[1] ? await imageBlob(m[1]) : null;
        if (!m || !image) return json(404, 'NOT_FOUND', 'no such image');
        const variant = m[2] === 'thumbnail' ? 'thumbnail' : 'original';
        const key = variant === 'thumbnail' ? image.thumbnailKey : image.storageKey;
        return serveBlob(store, call, {
          key,
          etag: contentEtag(key),
          headers: {
            'cache-control': `${access.publicRead ? 'public' : 'private'}, max-age=31536000, immutable`,
            'content-type': variant === 'thumbnail' ? 'image/webp' : (MIME[image.format] ?? 'application/octet-stream'),
          },
          missing: `the ${variant} of this image is not stored on this server`,
          about: `the ${variant} of image ${m[1]}`,
        });
      },
    },
    tokens,
    access,
  );
}
