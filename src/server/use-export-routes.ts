import { randomUUID } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Plugin } from 'graphql-yoga';
import { registry } from '../plugins/index.ts';
import { exportForReader, exportPath } from '../resolvers/exports.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import { type AccessOptions, identify, refuseRoute } from './context.ts';
import { refuseWrite } from './read-only.ts';

const ROUTE = /^\/exports\/([0-9a-f-]{36})\/(file|manifest\.json)$/;

/**
 * GET /exports/<id>/file and /exports/<id>/manifest.json: a finished export and its manifest, for
 * the token that made it and for admins (the API's access rules first: a token, or public read).
 * Someone else's export is 404 NOT_FOUND, as an unknown id is. 409 while it is still running. A
 * finished export whose file is gone from this instance (deleted, or never copied here) is 404
 * EXPORT_FILE_MISSING, logged with its path under a request id; the caller gets no path. Every
 * refusal is JSON `{code, message}`; methods other than GET and HEAD are 405 with `Allow`.
 */
export function useExportRoutes(tokens: TokenResolver, access: AccessOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith('/exports/')) return;
      const json = (status: number, code: string, message: string, extra: Record<string, string> = {}) =>
        endResponse(fetchAPI.Response.json({ code, message, ...extra }, { status }));
      const wrongMethod = refuseWrite(request, fetchAPI, 'exports are read');
      if (wrongMethod) return endResponse(wrongMethod);
      const refusal = await refuseRoute(request, tokens, access, 'an export');
      if (refusal) return json(refusal.status, refusal.code, refusal.message);
      const m = ROUTE.exec(url.pathname);
      const { identity, role } = await identify(request, tokens, access);
      const reader = { tokenId: identity?.tokenId ?? null, role };
      const row = m?.[1] ? await exportForReader(m[1], reader).catch(() => null) : null;
      if (!m || !row) return json(404, 'NOT_FOUND', 'no such export of yours');
      if (row.status !== 'DONE' || !row.fileKey)
        return json(409, `EXPORT_${row.status}`, row.error ?? 'the export is not finished');
      if (m[2] === 'manifest.json') {
        return endResponse(new fetchAPI.Response(row.manifest, { headers: { 'content-type': 'application/json' } }));
      }
      const exporter = registry.exporter(row.format);
      const path = exportPath(access.dataDir, row.id, exporter?.extension ?? row.fileKey.split('.').pop() ?? 'bin');
      // open first, then stream from the open file: a file missing now is answered here, not
      // half-way through a response whose status is already sent
      let file: FileHandle | undefined;
      let size: number;
      try {
        file = await open(path, 'r');
        size = (await file.stat()).size;
      } catch (e) {
        await file?.close();
        const requestId = request.headers.get('x-request-id')?.slice(0, 128) || randomUUID();
        const errno = (e as { code?: unknown }).code;
        console.error(
          `dermaset: request ${requestId}: the file of export ${row.id} (${path}) cannot be read: ${typeof errno === 'string' ? errno : (e as Error).name}`,
        );
        return json(404, 'EXPORT_FILE_MISSING', 'the file of this export is not stored on this server', {
          requestId,
        });
      }
      const headers = {
        'content-type': exporter?.mediaType ?? 'application/octet-stream',
        'content-length': String(size),
        'content-disposition': `attachment; filename="dermaset-${row.format}-${row.id.slice(0, 8)}.${exporter?.extension ?? 'bin'}"`,
        etag: `"${row.sha256}"`,
        'cache-control': 'private, max-age=31536000, immutable',
      };
      if (request.method === 'HEAD') {
        await file.close();
        return endResponse(new fetchAPI.Response(null, { headers }));
      }
      endResponse(
        new fetchAPI.Response(Readable.toWeb(file.createReadStream()) as ReadableStream<Uint8Array>, { headers }),
      );
    },
  };
}
