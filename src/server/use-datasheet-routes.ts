import type { Plugin } from 'graphql-yoga';
import { computeDatasheet } from '../resolvers/datasheet.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import { type AccessOptions, refuseRoute } from './context.ts';

/** GET /datasheet.html and /datasheet.md (?policy=<id>): the datasheet of the whole dataset. */
export function useDatasheetRoutes(tokens: TokenResolver, access: AccessOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const format = url.pathname === '/datasheet.html' ? 'html' : url.pathname === '/datasheet.md' ? 'markdown' : null;
      if (!format) return;
      const json = (status: number, code: string, message: string) =>
        endResponse(fetchAPI.Response.json({ error: message, code }, { status }));
      const refusal = await refuseRoute(request, tokens, access, 'the datasheet');
      if (refusal) return json(refusal.status, refusal.code, refusal.message);
      try {
        const sheet = await computeDatasheet({ policy: url.searchParams.get('policy') });
        endResponse(
          new fetchAPI.Response(sheet[format], {
            headers: {
              'content-type': format === 'html' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8',
            },
          }),
        );
      } catch (e) {
        const code = (e as { extensions?: { code?: string } }).extensions?.code;
        if (code === 'BAD_USER_INPUT') return json(400, code, (e as Error).message);
        throw e;
      }
    },
  };
}
