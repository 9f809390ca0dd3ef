import { PassThrough, Readable } from 'node:stream';
import { coerceInputValue, type GraphQLInputType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { readProfile } from '../domain/deidentify.ts';
import { type CroissantRequest, METADATA_PATH, metadataRun, writeMetadata } from '../resolvers/croissant.ts';
import { type ComparisonRequest, computeDatasheet, resolveComparison } from '../resolvers/datasheet.ts';
import { badInput } from '../resolvers/errors.ts';
import { checkFilterBounds, type ImageFilter, type SplitSelection } from '../resolvers/image-filter.ts';
import { requestScope, resolveSubset } from '../resolvers/subset.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import { schema } from '../schema/index.ts';
import type { AccessOptions } from './context.ts';
import { useRoute } from './route.ts';
import { tooDeepVariable } from './use-input-bounds.ts';

/** The paths of the dataset's documents, and the format each is. */
const FORMATS = new Map<string, 'html' | 'markdown' | 'jsonl'>([
  ['/datasheet.html', 'html'],
  ['/datasheet.md', 'markdown'],
  [METADATA_PATH, 'jsonl'],
]);

/** A query parameter read as the GraphQL input type of the same name, with the API's own checks. */
function coerce<T>(typeName: string, value: unknown, what: string): T {
  const type = schema.getType(typeName) as GraphQLInputType;
  const problems: string[] = [];
  const coerced = coerceInputValue(value, type, (path, _invalid, error) => {
    problems.push(`${[what, ...path].join('.')}: ${error.message}`);
  });
  if (problems.length > 0) throw badInput(problems.join('; '), what);
  return coerced as T;
}

/**
 * The bounds of a filter read from a URL, held before graphql-js coerces it (its coercion recurses
 * through AND, OR and NOT): the JSON nests at most `maxVariableDepth` levels, as a GraphQL variable
 * does, and the filter keeps FILTER_BOUNDS (checkFilterBounds walks with its own stack).
 */
function boundedFilter(json: unknown, maxVariableDepth: number): void {
  if (tooDeepVariable({ filter: json }, maxVariableDepth) !== null)
    throw badInput(`filter nests more than ${maxVariableDepth} levels deep`, 'filter');
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
      throw badInput('filter must be an ImageFilter as JSON', 'filter');
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
  return {
    filter,
    policy: params.get('policy'),
    split,
    profile: params.get('profile'),
    release: params.get('release'),
  };
}

/**
 * The comparison a datasheet URL asks for: `compare` as the JSON of a DatasheetComparison
 * ({"with":{"filter":…,"split":…},"title":"…"}), held to the same bounds as a filter; null without it.
 */
function comparisonOf(params: URLSearchParams, maxVariableDepth: number): ComparisonRequest | null {
  const text = params.get('compare');
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badInput('compare must be a DatasheetComparison as JSON', 'compare');
  }
  if (tooDeepVariable({ compare: json }, maxVariableDepth) !== null)
    throw badInput(`compare nests more than ${maxVariableDepth} levels deep`, 'compare');
  const filter = (json as { with?: { filter?: unknown } } | null)?.with?.filter;
  if (filter !== undefined) boundedFilter(filter, maxVariableDepth);
  return coerce<ComparisonRequest>('DatasheetComparison', json, 'compare');
}

/** What the datasheet routes hold a request to: the API's bound on a variable's nesting (LIMITS). */
export interface DatasheetRouteBounds {
  maxVariableDepth: number;
}

/**
 * The dataset's documents: GET /datasheet.html and /datasheet.md (?policy=<id>[&compare=<JSON of a
 * DatasheetComparison>]), the datasheet of the whole dataset, with compare its comparison section;
 * GET /croissant/metadata.jsonl?policy=…[&profile=…][&filter=…][&split=…&part=…&fold=…], the
 * metadata file a Croissant document lists (its contentUrl), streamed, byte for byte
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
  return useRoute(
    {
      match: (url) => FORMATS.get(url.pathname) ?? null,
      reads: (url) => `${url.pathname} is read`,
      what: (format) => (format === 'jsonl' ? 'the metadata file' : 'the datasheet'),
      async handle({ url, match: format, role, fetchAPI }) {
        if (format === 'jsonl') {
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
          return new fetchAPI.Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
            headers: {
              'content-type': 'application/jsonlines; charset=utf-8',
              'content-disposition': 'attachment; filename="metadata.jsonl"',
              // labels follow corrections: revalidate rather than cache
              'cache-control': 'private, no-cache',
            },
          });
        }
        const scope = requestScope();
        const subset = await resolveSubset(scope, { policy: url.searchParams.get('policy') });
        const compare = comparisonOf(url.searchParams, bounds.maxVariableDepth);
        const sheet = await computeDatasheet(
          subset,
          undefined,
          compare && (await resolveComparison(scope, compare, subset, readProfile(role))),
        );
        return new fetchAPI.Response(sheet[format], {
          headers: {
            'content-type': format === 'html' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8',
          },
        });
      },
    },
    tokens,
    access,
  );
}
