import type { Plugin } from 'graphql-yoga';
import { sessionValue } from '../domain/signed-url.ts';
import type { AcquisitionPipeline } from '../ingest/pipeline.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import { type AccessOptions, DEFAULT_SESSION_S, SESSION_COOKIE, sessionOf, tokenSource } from './context.ts';

/** The largest POST /session body read: a token is 47 characters, its JSON well under this. */
export const SESSION_BODY_BYTES = 4096;

/** Whether the cookie must be Secure: the request, the public URL or the proxy in front says https. */
const overHttps = (request: Request, access: AccessOptions) =>
  new URL(request.url).protocol === 'https:' ||
  access.publicUrl?.startsWith('https:') === true ||
  request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';

function cookie(request: Request, access: AccessOptions, value: string, maxAge: number): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'HttpOnly',
    'SameSite=Strict',
    'Path=/',
    `Max-Age=${maxAge}`,
    ...(overHttps(request, access) ? ['Secure'] : []),
  ].join('; ');
}

/** The token in a POST /session body, or what is wrong with the body. */
async function tokenOf(request: Request): Promise<{ token: string } | { error: string }> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    return { error: 'the body must be JSON {"token":"…"} with content-type: application/json' };
  const length = Number(request.headers.get('content-length') ?? '0');
  if (Number.isFinite(length) && length > SESSION_BODY_BYTES)
    return { error: `the body must be at most ${SESSION_BODY_BYTES} bytes` };
  // read at most the bound, whatever the header said
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > SESSION_BODY_BYTES) {
        await reader.cancel();
        return { error: `the body must be at most ${SESSION_BODY_BYTES} bytes` };
      }
      chunks.push(value);
    }
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return { error: 'the body must be JSON {"token":"…"}' };
  }
  const token = (body as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || token.length === 0 || token.length > 200)
    return { error: 'the body must be {"token":"<bearer token>"} with a token of at most 200 characters' };
  return { token };
}

/**
 * The web console's sign-in: POST /session {"token":"<bearer token>"} → 204 and a session cookie
 * (HttpOnly, SameSite=Strict, Path=/, Max-Age the session lifetime, Secure over https) whose value
 * names the token and its expiry under the server's HMAC, never the token itself; GET /session → 200
 * {role, code, expiresAt} for the cookie's session, else 401; DELETE /session → 204, the cookie
 * cleared. Refusals are JSON {error, code}: 400 BAD_REQUEST for a body that is not {"token": "…"}
 * (at most SESSION_BODY_BYTES), 401 UNAUTHENTICATED for an unknown or revoked token or no session.
 */
export function useSessionRoutes(
  tokens: TokenResolver,
  access: AccessOptions,
  pipeline: () => AcquisitionPipeline,
): Plugin {
  const lifetime = access.sessionLifetimeS ?? DEFAULT_SESSION_S;
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== '/session') return;
      const refuse = (status: number, code: string, error: string) =>
        endResponse(fetchAPI.Response.json({ error, code }, { status, headers: { 'cache-control': 'no-store' } }));
      const noContent = (setCookie: string) =>
        endResponse(
          new fetchAPI.Response(null, {
            status: 204,
            headers: { 'set-cookie': setCookie, 'cache-control': 'no-store' },
          }),
        );
      switch (request.method) {
        case 'POST': {
          const got = await tokenOf(request);
          if ('error' in got) return refuse(400, 'BAD_REQUEST', got.error);
          const identity = await tokens.resolve(got.token);
          if (!identity) return refuse(401, 'UNAUTHENTICATED', 'the token is unknown or revoked');
          const expires = Math.floor(Date.now() / 1000) + lifetime;
          return noContent(
            cookie(request, access, sessionValue(await tokens.keys(), identity.tokenId, expires), lifetime),
          );
        }
        case 'GET': {
          const session = await sessionOf(request, tokens);
          const identity = session ? await tokens.resolveId(session.tokenId) : null;
          if (!session || !identity) return refuse(401, 'UNAUTHENTICATED', 'not signed in (or the session has ended)');
          return endResponse(
            fetchAPI.Response.json(
              {
                role: identity.role,
                code: pipeline().deps.pseudonyms.code('examiner', tokenSource(identity.tokenId)),
                expiresAt: new Date(session.expires * 1000).toISOString(),
              },
              { headers: { 'cache-control': 'no-store' } },
            ),
          );
        }
        case 'DELETE':
          return noContent(cookie(request, access, '', 0));
        default:
          return endResponse(
            fetchAPI.Response.json(
              { error: `/session takes GET, POST or DELETE, not ${request.method}`, code: 'METHOD_NOT_ALLOWED' },
              { status: 405, headers: { allow: 'GET, POST, DELETE' } },
            ),
          );
      }
    },
  };
}
