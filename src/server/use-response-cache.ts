// The response cache: a query answered before is answered again from memory, as long as the data
// it read is unchanged. Its key holds the document, the variables, the operation name, the caller
// (token and role: blind review and de-identification depend on who asks), the origin (image URLs
// are absolute), the accepted media type and the data versions (src/db/data-version.ts), which the
// database raises in the transaction of every write. A write on any instance changes the versions,
// so no instance serves a stale answer; there is no time-to-live to tune and no invalidation to
// forget. Mutations are never cached, nor answers with errors, nor the root fields that read what
// the versions do not cover (exports' progress). An answer that may hold signed URLs is kept for
// the current signing window only (signingWindow). What is kept is the serialised answer: a hit costs
// the token check, one statement (the versions) and no parse, validation, execution or JSON.stringify.
import { createHash } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { datasetConfig } from '../config.ts';
import { requestVersions, versionKey } from '../db/data-version.ts';
import { URL_LIFETIME } from '../domain/signed-url.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import { type AccessOptions, identify } from './context.ts';

export interface ResponseCacheOptions {
  /** Answers kept (least recently used first out); 0 turns the cache off. */
  entries: number;
  /** Bytes of answers kept at most (default 64 MiB); an answer larger than a quarter of it is not kept. */
  maxBytes?: number;
}

/** Root fields whose answers read rows the data versions do not cover. */
const UNCACHED = new Set(['export', 'exports', 'tokens']);
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The signing window of a caller's answer: signed URLs (Context.signedUrl) expire at the end of a
 * window, so an answer that may hold them (its document names a field ending in `url`) is kept for
 * the current window only and a cached URL never outlives the lifetime it was asked for. Anonymous
 * callers get plain URLs: their answers keep no window.
 */
const signingWindow = (who: string, query: string) =>
  who !== 'public' && /url\b/i.test(query) ? Math.floor(Date.now() / 1000 / URL_LIFETIME.windowS) : null;

/** A least-recently-used map of serialised answers, bounded in entries and bytes. */
class AnswerCache {
  readonly #map = new Map<string, string>();
  #bytes = 0;
  constructor(
    private readonly entries: number,
    private readonly maxBytes: number,
  ) {}
  get(key: string): string | undefined {
    const text = this.#map.get(key);
    if (text !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, text);
    }
    return text;
  }
  set(key: string, text: string): void {
    if (text.length * 2 > this.maxBytes / 4 || this.#map.has(key)) return;
    this.#map.set(key, text);
    this.#bytes += text.length * 2;
    for (const [old, oldText] of this.#map) {
      if (this.#map.size <= this.entries && this.#bytes <= this.maxBytes) break;
      this.#map.delete(old);
      this.#bytes -= oldText.length * 2;
    }
  }
}

export function useDermasetResponseCache(
  tokens: TokenResolver,
  access: AccessOptions,
  options: ResponseCacheOptions,
): Plugin {
  if (options.entries <= 0) return {};
  const cache = new AnswerCache(options.entries, options.maxBytes ?? DEFAULT_MAX_BYTES);
  // the key of a request that may be answered from, or stored into, the cache
  const keys = new WeakMap<Request, string>();

  /** The caller as the context identifies them (identify), or null: not cached (the context refuses as usual). */
  async function caller(request: Request): Promise<string | null> {
    const who = await identify(request, tokens, access).catch(() => null);
    if (!who?.role) return null;
    return who.identity ? `token:${who.identity.tokenId}:${who.role}` : 'public';
  }

  return {
    async onParams({ params, request, setResult }) {
      if (!params.query) return; // persisted or malformed requests: the usual path
      const who = await caller(request);
      if (!who) return;
      const versions = versionKey(await requestVersions(request));
      const key = createHash('sha256')
        .update(
          JSON.stringify([
            who,
            // the dataset's licence, creator and version are read from the environment per request
            datasetConfig(),
            access.publicUrl ?? new URL(request.url).origin,
            request.headers.get('accept') ?? '',
            versions,
            params.operationName ?? null,
            params.query,
            params.variables ?? null,
            signingWindow(who, params.query),
          ]),
        )
        .digest('base64url');
      const text = cache.get(key);
      if (text !== undefined) {
        // yoga's result processor writes what stringify returns: the answer as it was serialised
        // yoga's ExecutionResultWithSerializer (not exported): an answer that serialises itself
        const answer: ExecutionResult & { stringify(): string } = { data: null, stringify: () => text };
        setResult(answer);
        return;
      }
      keys.set(request, key);
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request || !keys.has(request)) return;
      const operation = getOperationAST(args.document, args.operationName);
      const readsOnlyVersioned =
        operation?.operation === 'query' &&
        operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && !UNCACHED.has(s.name.value));
      if (!readsOnlyVersioned) keys.delete(request);
    },
    onExecutionResult({ request, result, setResult }) {
      const key = keys.get(request);
      if (key === undefined) return;
      keys.delete(request);
      if (!result || Symbol.asyncIterator in result || result.errors?.length) return;
      const text = JSON.stringify(withoutInternals(result));
      cache.set(key, text);
      setResult({ ...result, stringify: () => text });
    },
  };
}

/** The answer as yoga serialises it: without the extensions that only steer HTTP. */
function withoutInternals<R extends { extensions?: Record<string, unknown> }>(result: R): R {
  if (!result.extensions || !('http' in result.extensions)) return result;
  const { http: _http, ...extensions } = result.extensions;
  return { ...result, extensions: Object.keys(extensions).length ? extensions : undefined };
}
