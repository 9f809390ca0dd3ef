import { PassThrough, Readable } from 'node:stream';
import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { profileStamp } from '../domain/deidentify.ts';
import { writeCsv } from '../plugins/exporters/csv-rows.ts';
import { resolveProfile } from '../resolvers/exports.ts';
import { MANIFEST_COLUMNS, manifestRows } from '../resolvers/splits.ts';
import { requestScope } from '../resolvers/subset.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import { type AccessOptions, identify, refuseRoute } from './context.ts';
import { refuseWrite } from './read-only.ts';

const ROUTE = /^\/splits\/([0-9a-f-]{36})\/manifest\.csv$/;
const PARTS = ['TRAIN', 'VALIDATION', 'TEST'] as const;

/**
 * GET /splits/<id>/manifest.csv[?part=TRAIN|VALIDATION|TEST][&fold=f][&profile=…]: a stored split's
 * manifest as CSV, streamed — one line per image with its part, its label under the split's policy,
 * patient and lesion codes, class, stage, URLs, and its age and acquisition date under the
 * de-identification profile (default safe-harbor; limited: admins only, 403 otherwise), which the
 * X-Dermaset-Deidentification header and the file name stamp — for `pandas.read_csv`. The API's
 * access rules apply. Refusals are JSON `{code, message}`; methods other than GET and HEAD are 405
 * with `Allow`.
 */
export function useSplitRoutes(tokens: TokenResolver, access: AccessOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith('/splits/')) return;
      const json = (status: number, code: string, message: string) =>
        endResponse(fetchAPI.Response.json({ code, message }, { status }));
      const wrongMethod = refuseWrite(request, fetchAPI, 'split manifests are read');
      if (wrongMethod) return endResponse(wrongMethod);
      const refusal = await refuseRoute(request, tokens, access, 'a split manifest');
      if (refusal) return json(refusal.status, refusal.code, refusal.message);
      const m = ROUTE.exec(url.pathname);
      if (!m?.[1]) return json(404, 'NOT_FOUND', 'no such split');
      const part = url.searchParams.get('part')?.toUpperCase() ?? null;
      const foldText = url.searchParams.get('fold');
      const fold = foldText === null ? null : Number(foldText);
      if (part !== null && !PARTS.includes(part as (typeof PARTS)[number]))
        return json(400, 'BAD_USER_INPUT', `part must be one of ${PARTS.join(', ')}`);
      if (fold !== null && !Number.isInteger(fold)) return json(400, 'BAD_USER_INPUT', 'fold must be an integer');
      let rows: Awaited<ReturnType<typeof manifestRows>>;
      let profile: ReturnType<typeof resolveProfile>;
      try {
        const { role } = await identify(request, tokens, access);
        profile = resolveProfile(url.searchParams.get('profile'), role);
        rows = await manifestRows(
          requestScope(),
          m[1],
          { part: part as (typeof PARTS)[number] | null, fold },
          access.publicUrl ?? url.origin,
          profile,
        );
      } catch (e) {
        const code = (e as GraphQLError).extensions?.code;
        if (code === 'BAD_USER_INPUT') return json(400, code, (e as Error).message);
        if (code === 'FORBIDDEN') return json(403, code, (e as Error).message);
        throw e;
      }
      if (!rows) return json(404, 'NOT_FOUND', 'no such split');
      const body = new PassThrough();
      writeCsv(body, MANIFEST_COLUMNS, rows).then(
        () => body.end(),
        (e: Error) => body.destroy(e),
      );
      endResponse(
        new fetchAPI.Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
          headers: {
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': `attachment; filename="dermaset-split-${m[1].slice(0, 8)}-${profile}.csv"`,
            'x-dermaset-deidentification': profileStamp(profile),
            // labels follow corrections: revalidate rather than cache
            'cache-control': 'private, no-cache',
          },
        }),
      );
    },
  };
}
