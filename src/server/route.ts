import type { FetchAPI, Plugin } from 'graphql-yoga';
import { type Role, roleAtLeast } from '../domain/roles.ts';
import { isSigned, verifySignedUrl } from '../domain/signed-url.ts';
import type { Identity, TokenResolver } from '../resolvers/tokens.ts';
import { type AccessOptions, identify } from './context.ts';
import { currentRequestId, requestIdOf as requestIdFrom } from './logger.ts';
import { refuseWrite } from './read-only.ts';

/** What a route's handler is given: the request, what `match` made of it, and who is asking. */
export interface RouteCall<M> {
  request: Request;
  url: URL;
  fetchAPI: FetchAPI;
  /** What the route's `match` returned for this URL. */
  match: M;
  /** The caller, identified once: null for an anonymous caller under public read. */
  identity: Identity | null;
  /** The caller's effective role, at least VIEWER (the access check has passed). */
  role: Role;
  /** A refusal as JSON `{code, message}`. */
  json(status: number, code: string, message: string): Response;
  /**
   * A fault of this instance the caller may report: JSON `{code, message, requestId}`, and `detail`
   * (a path, a cause: never sent) logged to stderr under the same request id.
   */
  fault(status: number, code: string, message: string, detail: string): Response;
}

/** One HTTP route beside GraphQL. It only reads: GET and HEAD. */
export interface Route<M> {
  /** The requests that are this route's: a value for the handler (the path's parts, a format), or null. */
  match(url: URL): M | null;
  /** The 405's message begins with it ("exports are read"). */
  reads: string | ((url: URL) => string);
  /** What a 401 / 403 names ("an export"). */
  what: string | ((match: M) => string);
  /** The answer; it may throw a typed GraphQL error (BAD_USER_INPUT, FORBIDDEN) instead of refusing. */
  handle(call: RouteCall<M>): Promise<Response>;
}

/** The thrown typed errors a route answers as such; any other throw is the server's fault (500). */
const TYPED_STATUS: Record<string, number> = { BAD_USER_INPUT: 400, FORBIDDEN: 403 };

/** The request's id (server/logger.ts: the caller's sane `x-request-id`, else a new UUID), as the response header carries it. */
const requestIdOf = (request: Request) => currentRequestId() ?? requestIdFrom(request);

type Admission =
  | { identity: Identity | null; role: Role; refusal?: undefined }
  | { refusal: { status: 401 | 403; code: string; message: string } };

/**
 * A signed URL's caller (domain/signed-url.ts): the token that signed it, read now. 401
 * SIGNATURE_EXPIRED past its expiry, 403 SIGNATURE_INVALID for a signature that is not ours or not
 * for this path and query, 401 UNAUTHENTICATED when the token that signed it is revoked.
 */
async function signer(url: URL, tokens: TokenResolver): Promise<Admission> {
  const check = verifySignedUrl(await tokens.keys(), url, Date.now());
  if (!check.ok)
    return check.reason === 'expired'
      ? { refusal: { status: 401, code: 'SIGNATURE_EXPIRED', message: check.message } }
      : { refusal: { status: 403, code: 'SIGNATURE_INVALID', message: check.message } };
  const identity = await tokens.resolveId(check.tokenId);
  if (!identity)
    return {
      refusal: {
        status: 401,
        code: 'UNAUTHENTICATED',
        message: 'the token that signed this URL is unknown or revoked',
      },
    };
  return { identity, role: identity.role };
}

/**
 * The access check of the routes: the same tokens and roles as the API. The caller is the
 * Authorization header's token, else a signed URL's signer (`expires` and `signature` in the query),
 * else the session cookie's token, else anonymous. Returns the caller, or the refusal to send: 401
 * UNAUTHENTICATED without a token (unless public read) or with a bad one, a signed URL's refusals
 * (see signer), 403 FORBIDDEN below VIEWER.
 */
async function admit(
  request: Request,
  url: URL,
  tokens: TokenResolver,
  access: AccessOptions,
  what: string,
): Promise<Admission> {
  let caller: { identity: Identity | null; role: Role | null };
  try {
    if (!request.headers.get('authorization') && isSigned(url)) {
      const signed = await signer(url, tokens);
      if (signed.refusal) return signed;
      caller = signed;
    } else caller = await identify(request, tokens, access);
  } catch (e) {
    if ((e as { extensions?: { code?: unknown } }).extensions?.code !== 'UNAUTHENTICATED') throw e;
    return { refusal: { status: 401, code: 'UNAUTHENTICATED', message: (e as Error).message } };
  }
  const { identity, role } = caller;
  if (role === null)
    return { refusal: { status: 401, code: 'UNAUTHENTICATED', message: `${what} needs a bearer token` } };
  if (!roleAtLeast(role, 'VIEWER'))
    return { refusal: { status: 403, code: 'FORBIDDEN', message: `${what} is not available to the ${role} role` } };
  return { identity, role };
}

/**
 * A route beside GraphQL as a yoga plugin, which owns the frame every route shares: the path match,
 * 405 METHOD_NOT_ALLOWED with `Allow: GET, HEAD` for any method but GET or HEAD, the API's access
 * check (the caller identified once and handed to the handler), refusals as JSON `{code, message}`,
 * and one answer to a throw: a typed BAD_USER_INPUT / FORBIDDEN is 400 / 403 with its message;
 * anything else is 500 INTERNAL_SERVER_ERROR `{code, message, requestId}`, the cause logged to
 * stderr under that request id and never sent.
 */
export function useRoute<M>(route: Route<M>, tokens: TokenResolver, access: AccessOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const match = route.match(url);
      if (match === null) return;
      const wrongMethod = refuseWrite(
        request,
        fetchAPI,
        typeof route.reads === 'string' ? route.reads : route.reads(url),
      );
      if (wrongMethod) return endResponse(wrongMethod);
      let requestId: string | undefined;
      const idOf = () => {
        requestId ??= requestIdOf(request);
        return requestId;
      };
      const answer = (status: number, body: { code: string; message: string; requestId?: string }) =>
        fetchAPI.Response.json(body, { status });
      const json = (status: number, code: string, message: string) => answer(status, { code, message });
      try {
        // a fault while identifying (the database out of reach) is the server's, answered below
        const caller = await admit(
          request,
          url,
          tokens,
          access,
          typeof route.what === 'string' ? route.what : route.what(match),
        );
        if (caller.refusal)
          return endResponse(json(caller.refusal.status, caller.refusal.code, caller.refusal.message));
        endResponse(
          await route.handle({
            request,
            url,
            fetchAPI,
            match,
            identity: caller.identity,
            role: caller.role,
            json,
            fault(status, code, message, detail) {
              const id = idOf();
              console.error(`dermaset: request ${id}: ${detail}`);
              return answer(status, { code, message, requestId: id });
            },
          }),
        );
      } catch (e) {
        const code = (e as { extensions?: { code?: unknown } } | null)?.extensions?.code;
        const status = typeof code === 'string' ? TYPED_STATUS[code] : undefined;
        if (typeof code === 'string' && status !== undefined)
          return endResponse(json(status, code, (e as Error).message));
        // anything else is the server's fault: the cause (a stack, maybe a path) goes to the log
        // under a request id, the caller gets the id and no detail
        const id = idOf();
        console.error(`dermaset: request ${id}: ${url.pathname} failed:`, e);
        endResponse(
          answer(500, { code: 'INTERNAL_SERVER_ERROR', message: `${url.pathname} could not be made`, requestId: id }),
        );
      }
    },
  };
}

/**
 * A `match` for a route under a path prefix: every path under it is the route's (its access check
 * comes first, then a path that is not `pattern` is the handler's 404), and `parts` is the match of
 * `pattern`, or null.
 */
export const pathUnder =
  (prefix: string, pattern: RegExp) =>
  (url: URL): { parts: RegExpExecArray | null } | null =>
    url.pathname.startsWith(prefix) ? { parts: pattern.exec(url.pathname) } : null;

/** The request already holds this version (`If-None-Match` names the ETag): answer 304. */
export const holdsVersion = (request: Request, etag: string): boolean =>
  request.headers
    .get('if-none-match')
    ?.split(/\s*,\s*/)
    .includes(etag) ?? false;
