import { createHash } from 'node:crypto';
import { type CORSOptions, createGraphQLError, type Plugin } from 'graphql-yoga';
import type { ApiOptions } from '../config.ts';
import { cookieOf, SESSION_COOKIE } from './context.ts';

/** localhost, 127.0.0.1 or [::1] on any port: the origins a developer's own pages run on. */
const LOOPBACK = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * CORS for the configured origins only. A request from any other origin gets no CORS headers, so
 * a browser keeps the answer from the page that asked: no web page a staff member happens to open
 * can read the dataset with their credentials.
 */
export function corsFor(api: Pick<ApiOptions, 'corsOrigins'>): (request: Request) => CORSOptions {
  const allowed = (origin: string) =>
    api.corsOrigins === 'loopback' ? LOOPBACK.test(origin) : api.corsOrigins.includes(origin);
  return (request) => {
    const origin = request.headers.get('origin');
    if (!origin || !allowed(origin)) return false;
    return {
      origin: [origin],
      credentials: true,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['authorization', 'content-type', 'graphql-preflight', 'x-graphql-yoga-csrf'],
      maxAge: 600,
    };
  };
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The Content-Security-Policy of an HTML page: nothing from elsewhere, no plugins, no framing, and
 * scripts only where the page itself carries them inline (allowed by their hashes, so an injected
 * script or a `javascript:` URL never runs). Styles may be inline: they cannot run code.
 */
export function contentSecurityPolicy(html: string): string {
  const scripts = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)].map((m) =>
    sha256(m[1] ?? ''),
  );
  return [
    "default-src 'self'",
    `script-src ${scripts.length ? `'self' ${[...new Set(scripts)].join(' ')}` : "'none'"}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Pages are few and repeat (GraphiQL is 9 MB): their policies are kept by content hash. */
const policies = new Map<string, string>();
function policyOf(html: string): string {
  const key = createHash('sha256').update(html).digest('hex');
  let policy = policies.get(key);
  if (!policy) {
    policy = contentSecurityPolicy(html);
    if (policies.size > 32) policies.clear();
    policies.set(key, policy);
  }
  return policy;
}

const tooLarge = (limit: number) =>
  Response.json(
    { code: 'REQUEST_ENTITY_TOO_LARGE', message: `the request body is larger than ${limit} bytes` },
    { status: 413 },
  );

/** The content types a cross-origin page may send without a CORS preflight (the Fetch standard's). */
const SIMPLE_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain', '']);

/**
 * Cross-site request forgery: a request that may change something (any method but GET, HEAD and
 * OPTIONS) carrying the session cookie and no Authorization header is refused unless it comes from
 * our own origin (Sec-Fetch-Site: same-origin, or else an Origin header equal to ours) or has a
 * content type a page elsewhere cannot send without a CORS preflight, which only the configured
 * origins pass. A client that sends neither header (no browser) is not a forgery's vehicle. The
 * cookie is SameSite=Strict as well: this is the second lock.
 */
export function csrfRefusal(request: Request, publicUrl: string | undefined): string | null {
  if (['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return null;
  if (request.headers.get('authorization') || cookieOf(request, SESSION_COOKIE) === null) return null;
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!SIMPLE_TYPES.has(type)) return null;
  const site = request.headers.get('sec-fetch-site');
  const origin = request.headers.get('origin');
  const ours = publicUrl ? new URL(publicUrl).origin : new URL(request.url).origin;
  if (site !== null ? site === 'same-origin' : origin === null || origin === ours) return null;
  return `a ${request.method} signed in by the session cookie must come from ${ours} itself (this one came from ${origin ?? site})`;
}

/**
 * A multipart request whose `map` gives one variable path two files (yoga's parser would keep the
 * last one silently) is malformed: refused when its form is read, before the parser places files.
 */
function withOneFilePerPath(request: Request): Request {
  if (!(request.headers.get('content-type') ?? '').startsWith('multipart/form-data')) return request;
  return new Proxy(request, {
    get(target, property) {
      if (property === 'formData')
        return async () => {
          const form = await target.formData();
          const map = form.get('map');
          if (typeof map === 'string') {
            let parsed: unknown;
            try {
              parsed = JSON.parse(map);
            } catch {
              return form; // the parser words this refusal
            }
            const seen = new Set<string>();
            for (const paths of Object.values(parsed as Record<string, unknown>))
              for (const path of Array.isArray(paths) ? paths : []) {
                if (typeof path !== 'string') continue;
                if (seen.has(path)) throw new Error(`the multipart map gives ${path} more than one file`);
                seen.add(path);
              }
          }
          return form;
        };
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Headers every response carries (no MIME sniffing, no referrer, no framing), a strict
 * Content-Security-Policy on every HTML response, the request-size bound: a body declared
 * larger than `maxRequestBytes` (or, for an upload, larger than the file limit plus that) is
 * refused before it is read, and the cross-site request forgery check (csrfRefusal: 403 CSRF_REFUSED).
 */
export function useWebSecurity(
  api: Pick<ApiOptions, 'maxRequestBytes'> & Partial<Pick<ApiOptions, 'publicUrl'>>,
  maxUploadBytes: number,
): Plugin {
  return {
    onRequest({ request, endResponse }) {
      const forged = csrfRefusal(request, api.publicUrl);
      if (forged) return endResponse(Response.json({ code: 'CSRF_REFUSED', message: forged }, { status: 403 }));
      const length = Number(request.headers.get('content-length') ?? '0');
      const multipart = (request.headers.get('content-type') ?? '').startsWith('multipart/form-data');
      const limit = multipart ? maxUploadBytes + api.maxRequestBytes : api.maxRequestBytes;
      if (Number.isFinite(length) && length > limit) endResponse(tooLarge(limit));
    },
    // yoga's request parsers refuse a malformed body (a multipart `operations` or `map` part that is
    // not JSON, …) with an untyped error: the same refusal, typed BAD_REQUEST with status 400
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(withOneFilePerPath(request));
        } catch (e) {
          if (!(e instanceof Error) || (e as { extensions?: { code?: unknown } }).extensions?.code) throw e;
          throw createGraphQLError(e.message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        }
      });
    },
    async onResponse({ response }) {
      response.headers.set('x-content-type-options', 'nosniff');
      response.headers.set('referrer-policy', 'no-referrer');
      response.headers.set('x-frame-options', 'DENY');
      if ((response.headers.get('content-type') ?? '').includes('text/html')) {
        const html = await response.clone().text();
        response.headers.set('content-security-policy', policyOf(html));
      }
    },
  };
}
