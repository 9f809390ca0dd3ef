import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { coerceInputValue, type GraphQLInputType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { type CroissantRequest, METADATA_PATH, metadataRun, writeMetadata } from '../resolvers/croissant.ts';
import { computeDatasheet } from '../resolvers/datasheet.ts';
import { checkFilterBounds, type ImageFilter, type SplitSelection } from '../resolvers/image-filter.ts';
import { requestScope, resolveSubset } from '../resolvers/subset.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import { schema } from '../schema/index.ts';
import { type AccessOptions, identify, refuseRoute } from './context.ts';
import { refuseWrite } from './read-only.ts';
import { tooDeepVariable } from './use-input-bounds.ts';

/** A refusal of the caller's request, answered 400. */
class BadRequest extends Error {}

/** A query parameter read as the GraphQL input type of the same name, with the API's own checks. */
function coerce<T>(typeName: string, value: unknown, what: string): T {
  const type = schema.getType(typeName) as GraphQLInputType;
  const problems: string[] = [];
  const coerced = coerceInputValue(value, type, (path, _invalid, error) => {
    problems.push(`${[what, ...path].join('.')}: ${error.message}`);
  });
  if (problems.length > 0) throw new BadRequest(problems.join('; '));
  return coerced as T;
}

/**
 * The bounds of a filter read from a URL, held before graphql-js coerces it (its coercion recurses
 * through AND, OR and NOT): the JSON nests at most `maxVariableDepth` levels, as a GraphQL variable
 * does, and the filter keeps FILTER_BOUNDS (checkFilterBounds walks with its own stack).
 */
function boundedFilter(json: unknown, maxVariableDepth: number): void {
  if (tooDeepVariable({ filter: json }, maxVariableDepth) !== null)
    throw new BadRequest(`filter nests more than ${maxVariableDepth} levels deep`);
  // the raw JSON's shape is not checked yet: a value of the wrong type is left to the coercion
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    try {
      checkFilterBounds(json as ImageFilter);
    } catch (e) {
      if ((e as { extensions?: { code?: string } }).extensions?.code === 'BAD_USER_INPUT') throw e;
    }
  }
}

/**
 * The subset a metadata.jsonl URL names (see metadataUrl): policy, profile, filter as JSON, split,
 * part, fold.
 */
function subsetOf(params: URLSearchParams, maxVariableDepth: number): CroissantRequest {
  const filterText = params.get('filter');
  let filter: ImageFilter | null = null;
  if (filterText !== null) {
    let json: unknown;
    try {
      json = JSON.parse(filterText);
    } catch {
      throw new BadRequest('filter must be an ImageFilter as JSON');
    }
    boundedFilter(json, maxVariableDepth);
    filter = coerce<ImageFilter>('ImageFilter', json, 'filter');
  }
  const splitId = params.get('split');
  const fold = params.get('fold');
  const split =
    splitId === null
      ? null
      : coerce<SplitSelection>(
          'SplitSelection',
          { id: splitId, part: params.get('part'), fold: fold === null ? null : Number(fold) },
          'split',
        );
  return { filter, policy: params.get('policy'), split, profile: params.get('profile') };
}

/** What the datasheet routes hold a request to: the API's bound on a variable's nesting (LIMITS). */
export interface DatasheetRouteBounds {
  maxVariableDepth: number;
}

/**
 * The dataset's documents: GET /datasheet.html and /datasheet.md (?policy=<id>), the datasheet of
 * the whole dataset; GET /croissant/metadata.jsonl?policy=…[&profile=…][&filter=…][&split=…&part=…
 * &fold=…], the metadata file a Croissant document lists (its contentUrl), streamed, byte for byte
 * the file whose sha256 the document gives, its records under the de-identification profile the
 * URL names (default safe-harbor; limited for admins only, 403 FORBIDDEN otherwise; an unknown one
 * 400 BAD_USER_INPUT). The API's access rules apply. `bounds.maxVariableDepth` is yoga's
 * LIMITS.maxVariableDepth (64 when not given: a valid filter nests far less).
 */
export function useDatasheetRoutes(
  tokens: TokenResolver,
  access: AccessOptions,
  bounds: DatasheetRouteBounds = { maxVariableDepth: 64 },
): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const format =
        url.pathname === '/datasheet.html'
          ? 'html'
          : url.pathname === '/datasheet.md'
            ? 'markdown'
            : url.pathname === METADATA_PATH
              ? 'jsonl'
              : null;
      if (!format) return;
      const json = (status: number, code: string, message: string) =>
        endResponse(fetchAPI.Response.json({ code, message }, { status }));
      const wrongMethod = refuseWrite(request, fetchAPI, `${url.pathname} is read`);
      if (wrongMethod) return endResponse(wrongMethod);
      const refusal = await refuseRoute(
        request,
        tokens,
        access,
        format === 'jsonl' ? 'the metadata file' : 'the datasheet',
      );
      if (refusal) return json(refusal.status, refusal.code, refusal.message);
      try {
        if (format === 'jsonl') {
          const { role } = await identify(request, tokens, access);
          // one scope for the route: the subset (split, policy) is resolved once
          const run = await metadataRun(
            requestScope(),
            subsetOf(url.searchParams, bounds.maxVariableDepth),
            access.dataDir,
            role,
          );
          const body = new PassThrough();
          writeMetadata(run, body).then(
            () => body.end(),
            (e: Error) => body.destroy(e),
          );
          return endResponse(
            new fetchAPI.Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
              headers: {
                'content-type': 'application/jsonlines; charset=utf-8',
                'content-disposition': 'attachment; filename="metadata.jsonl"',
                // labels follow corrections: revalidate rather than cache
                'cache-control': 'private, no-cache',
              },
            }),
          );
        }
        const sheet = await computeDatasheet(
          await resolveSubset(requestScope(), { policy: url.searchParams.get('policy') }),
        );
        endResponse(
          new fetchAPI.Response(sheet[format], {
            headers: {
              'content-type': format === 'html' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8',
            },
          }),
        );
      } catch (e) {
        if (e instanceof BadRequest) return json(400, 'BAD_USER_INPUT', e.message);
        const code = (e as { extensions?: { code?: string } }).extensions?.code;
        if (code === 'BAD_USER_INPUT') return json(400, code, (e as Error).message);
        if (code === 'FORBIDDEN') return json(403, code, (e as Error).message);
        // anything else is the server's fault: the cause (a stack, maybe a path) goes to the log
        // under a request id, the caller gets the id and no detail
        const requestId = request.headers.get('x-request-id')?.slice(0, 128) || randomUUID();
        console.error(`dermaset: request ${requestId}: ${url.pathname} failed:`, e);
        return endResponse(
          fetchAPI.Response.json(
            { code: 'INTERNAL_SERVER_ERROR', message: `${url.pathname} could not be made`, requestId },
            { status: 500 },
          ),
        );
      }
    },
  };
}
