import { Readable } from 'node:stream';
import type { Plugin } from 'graphql-yoga';
import { registry } from '../plugins/index.ts';
import { exportForReader } from '../resolvers/exports.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import { BlobMissingError, type OpenedBlob } from '../storage/blob-store.ts';
import { blobStore } from '../storage/open.ts';
import type { AccessOptions } from './context.ts';
import { pathUnder, useRoute } from './route.ts';
import { causeOf } from './use-image-routes.ts';

const ROUTE = /^\/exports\/([0-9a-f-]{36})\/(file|manifest\.json)$/;

/**
 * GET /exports/<id>/file and /exports/<id>/manifest.json: a finished export and its manifest, for
 * the token that made it and for admins (the API's access rules first: a token, or public read).
 * Someone else's export is 404 NOT_FOUND, as an unknown id is. 409 while it is still running. The
 * file is read from the blob store (storage/open.ts), so with an object store any instance serves
 * an export another made. A finished export whose file is gone from the store is 404
 * EXPORT_FILE_MISSING (503 EXPORT_STORE_UNAVAILABLE when the store does not answer), logged with
 * its name under a request id; the caller gets no path. Every
 * refusal is JSON `{code, message}`; methods other than GET and HEAD are 405 with `Allow`.
 */
export function useExportRoutes(tokens: TokenResolver, access: AccessOptions): Plugin {
  return useRoute(
    {
      match: pathUnder('/exports/', ROUTE),
      reads: 'exports are read',
      what: 'an export',
      async handle({ request, match: { parts: m }, identity, role, fetchAPI, json, fault }) {
        const reader = { tokenId: identity?.tokenId ?? null, role };
        // any failure to read the row is the unknown id's answer, as before the route helper
        const row = m?.[1] ? await exportForReader(m[1], reader).catch(() => null) : null;
        if (!m || !row) return json(404, 'NOT_FOUND', 'no such export of yours');
        if (row.status !== 'DONE' || !row.fileKey)
          return json(409, `EXPORT_${row.status}`, row.error ?? 'the export is not finished');
        if (m[2] === 'manifest.json') {
          return new fetchAPI.Response(row.manifest, { headers: { 'content-type': 'application/json' } });
        }
        const exporter = registry.exporter(row.format);
        const name = `${row.id}.${exporter?.extension ?? row.fileKey.split('.').pop() ?? 'bin'}`;
        // open first, then stream: a file missing now is answered here, not half-way through a
        // response whose status is already sent
        let file: OpenedBlob;
        try {
          file = await blobStore(access.dataDir).openExport(name);
        } catch (e) {
          const missing = e instanceof BlobMissingError;
          return fault(
            missing ? 404 : 503,
            missing ? 'EXPORT_FILE_MISSING' : 'EXPORT_STORE_UNAVAILABLE',
            missing
              ? 'the file of this export is not stored on this server'
              : 'the export store is unavailable; try again later',
            `the file of export ${row.id} (${name}) cannot be read: ${causeOf(e)}`,
          );
        }
        const size = file.size;
        const headers = {
          'content-type': exporter?.mediaType ?? 'application/octet-stream',
          'content-length': String(size),
          'content-disposition': `attachment; filename="dermaset-${row.format}-${row.id.slice(0, 8)}.${exporter?.extension ?? 'bin'}"`,
          etag: `"${row.sha256}"`,
          'cache-control': 'private, max-age=31536000, immutable',
        };
        if (request.method === 'HEAD') {
          file.stream.destroy();
          return new fetchAPI.Response(null, { headers });
        }
        return new fetchAPI.Response(Readable.toWeb(file.stream) as ReadableStream<Uint8Array>, {
          headers,
        });
      },
    },
    tokens,
    access,
  );
}
