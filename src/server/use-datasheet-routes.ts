import type { Plugin } from 'graphql-yoga';
import { roleAtLeast } from '../domain/roles.ts';
import { computeDatasheet } from '../resolvers/datasheet.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import { type AccessOptions, identify } from './context.ts';

/** GET /datasheet.html and /datasheet.md (?policy=<id>): the datasheet of the whole dataset. */
export function useDatasheetRoutes(tokens: TokenResolver, access: AccessOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const format = url.pathname === '/datasheet.html' ? 'html' : url.pathname === '/datasheet.md' ? 'markdown' : null;
      if (!format) return;
      const json = (status: number, code: string, message: string) =>
        endResponse(fetchAPI.Response.json({ error: message, code }, { status }));
      let role: Awaited<ReturnType<typeof identify>>['role'];
      try {
        role = (await identify(request, tokens, access)).role;
      } catch (e) {
        return json(401, 'UNAUTHENTICATED', (e as Error).message);
      }
      if (!roleAtLeast(role, 'VIEWER')) return json(401, 'UNAUTHENTICATED', 'the datasheet needs a bearer token');
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
