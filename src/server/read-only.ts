import type { FetchAPI } from 'graphql-yoga';

/**
 * The routes beside GraphQL only read: any method but GET or HEAD is 405 METHOD_NOT_ALLOWED, as
 * JSON `{code, message}` with `Allow: GET, HEAD`. `what` begins the message ("exports are read").
 * Returns the answer to send, or undefined when the method is fine.
 */
export function refuseWrite(request: Request, fetchAPI: FetchAPI, what: string): Response | undefined {
  if (request.method === 'GET' || request.method === 'HEAD') return undefined;
  return fetchAPI.Response.json(
    { code: 'METHOD_NOT_ALLOWED', message: `${what} with GET or HEAD, not ${request.method}` },
    { status: 405, headers: { allow: 'GET, HEAD' } },
  );
}
