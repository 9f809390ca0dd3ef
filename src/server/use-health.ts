import type { Plugin } from 'graphql-yoga';
import type { Db } from '../db/client.ts';
import type { Readiness } from './use-readiness.ts';

/**
 * GET /health: 200 with {"status":"ok"} when the server is ready and the database answers; 503 with
 * {"status":"seeding", "seed": {phase, done, total}} while the demo cohort is seeded on first start,
 * and with {"status":"error"} when the database does not answer or the start failed.
 * Used by load balancers and by `npm start`'s own readiness message.
 */
export function useHealth(db: () => Db, readiness: () => Readiness, endpoint = '/health'): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      let database = 'ok';
      try {
        // a cheap round trip; no dataset numbers here, /health is open to anonymous callers
        await db().$queryRawUnsafe('SELECT 1');
      } catch (e) {
        database = (e as Error).message.split('\n')[0] ?? 'error';
      }
      const r = readiness();
      const body =
        database !== 'ok'
          ? { status: 'error', database }
          : r.state === 'seeding'
            ? { status: 'seeding', database, seed: { phase: r.phase, done: r.done, total: r.total } }
            : r.state === 'failed'
              ? { status: 'error', database, error: r.error }
              : { status: 'ok', database };
      endResponse(fetchAPI.Response.json(body, { status: body.status === 'ok' ? 200 : 503 }));
    },
  };
}
