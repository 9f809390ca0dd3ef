import type { Plugin } from 'graphql-yoga';

/** What a starting server is doing; /health reports it, and the API waits for `ready`. */
export type Readiness =
  | { state: 'ready' }
  | { state: 'seeding'; phase: string; done: number; total: number }
  | { state: 'failed'; error: string };

/** Served while the server is not ready: /health and yoga's /livez. */
const OPEN_PATHS = new Set(['/health', '/livez']);

const describe = (r: Exclude<Readiness, { state: 'ready' }>) =>
  r.state === 'seeding'
    ? `the server is seeding the demo cohort (${r.phase} ${r.done}/${r.total}); try again when GET /health says "ok"`
    : `the server could not start: ${r.error}`;

/**
 * Until the server is ready (the demo cohort seeded on first start), every route but /health and
 * /livez answers 503 with a GraphQL error whose code is SERVICE_UNAVAILABLE, and a Retry-After.
 */
export function useReadiness(readiness: () => Readiness): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      const r = readiness();
      if (r.state === 'ready' || OPEN_PATHS.has(url.pathname)) return;
      const body = {
        errors: [{ message: describe(r), extensions: { code: 'SERVICE_UNAVAILABLE', readiness: r } }],
      };
      endResponse(fetchAPI.Response.json(body, { status: 503, headers: { 'retry-after': '5' } }));
    },
  };
}
