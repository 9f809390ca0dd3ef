import { PassThrough, Readable } from 'node:stream';
import type { Plugin } from 'graphql-yoga';
import { profileStamp } from '../domain/deidentify.ts';
import { writeCsv } from '../plugins/exporters/csv-rows.ts';
import { resolveProfile } from '../resolvers/exports.ts';
import { MANIFEST_COLUMNS, manifestRows } from '../resolvers/splits.ts';
import { requestScope } from '../resolvers/subset.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import type { AccessOptions } from './context.ts';
import { pathUnder, useRoute } from './route.ts';

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
  return useRoute(
    {
      match: pathUnder('/splits/', ROUTE),
      reads: 'split manifests are read',
      what: 'a split manifest',
      async handle({ url, match: { parts: m }, role, fetchAPI, json }) {
        if (!m?.[1]) return json(404, 'NOT_FOUND', 'no such split');
        const part = url.searchParams.get('part')?.toUpperCase() ?? null;
        const foldText = url.searchParams.get('fold');
        const fold = foldText === null ? null : Number(foldText);
        if (part !== null && !PARTS.includes(part as (typeof PARTS)[number]))
          return json(400, 'BAD_USER_INPUT', `part must be one of ${PARTS.join(', ')}`);
        if (fold !== null && !Number.isInteger(fold)) return json(400, 'BAD_USER_INPUT', 'fold must be an integer');
        // a bad or forbidden profile is a typed error, which the route helper answers 400 / 403
        const profile = resolveProfile(url.searchParams.get('profile'), role);
        const rows = await manifestRows(
          requestScope(),
          m[1],
          { part: part as (typeof PARTS)[number] | null, fold },
          access.publicUrl ?? url.origin,
          profile,
        );
        if (!rows) return json(404, 'NOT_FOUND', 'no such split');
        const body = new PassThrough();
        writeCsv(body, MANIFEST_COLUMNS, rows).then(
          () => body.end(),
          (e: Error) => body.destroy(e),
        );
        return new fetchAPI.Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
          headers: {
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': `attachment; filename="dermaset-split-${m[1].slice(0, 8)}-${profile}.csv"`,
            'x-dermaset-deidentification': profileStamp(profile),
            // labels follow corrections: revalidate rather than cache
            'cache-control': 'private, no-cache',
          },
        });
      },
    },
    tokens,
    access,
  );
}
