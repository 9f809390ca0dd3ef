import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { type ReportFormat, savedEvaluationReport } from '../resolvers/evaluation-report.ts';
import type { TokenResolver } from '../resolvers/tokens.ts';
import type { AccessOptions } from './context.ts';
import { holdsVersion, pathUnder, useRoute } from './route.ts';

/** `/evaluations/<key>.html` or `.md`; the key's own bound (MAX_EVALUATION_ID_LENGTH) is the service's. */
const ROUTE = /^\/evaluations\/([^/]{1,200})\.(html|md)$/;
const FORMATS: Readonly<Record<string, ReportFormat>> = { html: 'HTML', md: 'MARKDOWN' };

/**
 * GET /evaluations/<key>.html and /evaluations/<key>.md: a saved evaluation's report (saveEvaluation;
 * SavedEvaluation.reportUrl signs the .html URL), rendered from its stored result alone, so the same
 * saved evaluation is the same bytes every time. The API's access rules apply, as for the
 * datasheet: a bearer token, a signed URL or the session cookie, or anonymous under public read;
 * reviewers' staff codes for reviewers and admins only. An unknown key, a path that is no report's
 * and a key longer than the bound are 404 NOT_FOUND; refusals are JSON `{code, message}`; methods
 * other than GET and HEAD are 405 with `Allow`. HTML pages get the server's Content-Security-Policy
 * (use-web-security): the report carries no script. The ETag is the report's SHA-256 (If-None-Match: 304).
 */
export function useEvaluationRoutes(tokens: TokenResolver, access: AccessOptions): Plugin {
  return useRoute(
    {
      match: pathUnder('/evaluations/', ROUTE),
      reads: 'evaluation reports are read',
      what: 'an evaluation report',
      async handle({ request, match: { parts: m }, role, fetchAPI, json }) {
        const id = m?.[1];
        const format = m?.[2] === undefined ? undefined : FORMATS[m[2]];
        const report = id && format ? await savedEvaluationReport(id, format, role) : null;
        if (!format || report === null) return json(404, 'NOT_FOUND', 'no such saved evaluation');
        // the same saved evaluation is the same bytes (for callers of the same rights): their hash is
        // a strong validator, so a browser revalidating gets 304 without the report
        const etag = `"${createHash('sha256').update(report).digest('base64url')}"`;
        const headers = {
          'content-type': format === 'HTML' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8',
          // a saved evaluation never changes, but who may read it (and its reviewer codes) can
          'cache-control': 'private, no-cache',
          etag,
        };
        if (holdsVersion(request, etag)) return new fetchAPI.Response(null, { status: 304, headers });
        return new fetchAPI.Response(report, { headers });
      },
    },
    tokens,
    access,
  );
}
