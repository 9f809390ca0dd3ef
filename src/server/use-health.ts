import type { Plugin } from 'graphql-yoga';
import type { Db } from '../db/client.ts';

/**
 * GET /health: 200 with {"status":"ok"} when the database answers, 503 otherwise.
 * Used by load balancers and by `npm start`'s own readiness message.
 */
export function useHealth(db: () => Db, endpoint = '/health'): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      try {
        // a cheap round trip; no dataset numbers here, /health is open to anonymous callers
        await db().$queryRawUnsafe('SELECT 1');
        endResponse(fetchAPI.Response.json({ status: 'ok', database: 'ok' }));
      } catch (e) {
        endResponse(
          fetchAPI.Response.json({ status: 'error', database: (e as Error).message.split('\n')[0] }, { status: 503 }),
        );
      }
    },
  };
}
