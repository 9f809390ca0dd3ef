import { createHash } from 'node:crypto';
import { type CORSOptions, createGraphQLError, type Plugin } from 'graphql-yoga';
import type { ApiOptions } from '../config.ts';

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

/**
 * Headers every response carries (no MIME sniffing, no referrer, no framing), a strict
 * Content-Security-Policy on every HTML response, and the request-size bound: a body declared
 * larger than `maxRequestBytes` (or, for an upload, larger than the file limit plus that) is
 * refused before it is read.
 */
export function useWebSecurity(api: Pick<ApiOptions, 'maxRequestBytes'>, maxUploadBytes: number): Plugin {
  return {
    onRequest({ request, endResponse }) {
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
          return await requestParser(request);
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
