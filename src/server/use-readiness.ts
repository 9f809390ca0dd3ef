import type { Plugin } from 'graphql-yoga';

/**
 * What the server is doing: starting (seeding the demo cohort on first start), serving, failed to
 * start, or draining after SIGTERM (it still answers the requests it gets, but /readyz says not
 * ready so that a load balancer stops sending more).
 */
export type Readiness =
  | { state: 'ready' }
  | { state: 'seeding'; phase: string; done: number; total: number }
  | { state: 'failed'; error: string }
  | { state: 'draining' };

/** Served while the server is not ready: the health, liveness, readiness and metrics endpoints. */
const OPEN_PATHS = new Set(['/health', '/livez', '/readyz', '/metrics']);

const describe = (r: Extract<Readiness, { state: 'seeding' | 'failed' }>) =>
  r.state === 'seeding'
    ? `the server is seeding the demo cohort (${r.phase} ${r.done}/${r.total}); try again when GET /health says "ok"`
    : `the server could not start: ${r.error}`;

/**
 * Until the server is ready (the demo cohort seeded on first start), every route but /health,
 * /livez, /readyz and /metrics answers 503 with a GraphQL error whose code is SERVICE_UNAVAILABLE,
 * and a Retry-After. While it drains (shutting down), requests are still answered, with
 * `Connection: close` so that the client's next request opens a connection to another instance.
 */
export function useReadiness(readiness: () => Readiness): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      const r = readiness();
      if (r.state === 'ready' || r.state === 'draining' || OPEN_PATHS.has(url.pathname)) return;
      const body = {
        errors: [{ message: describe(r), extensions: { code: 'SERVICE_UNAVAILABLE', readiness: r } }],
      };
      endResponse(fetchAPI.Response.json(body, { status: 503, headers: { 'retry-after': '5' } }));
    },
    onResponse({ response }) {
      if (readiness().state === 'draining') response.headers.set('connection', 'close');
    },
  };
}
