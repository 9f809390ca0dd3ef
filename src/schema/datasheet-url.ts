import { builder } from '../builder.ts';
import { resolvePolicy } from '../resolvers/policies.ts';

/** The datasheet's documents as the HTTP routes serve them (server/use-datasheet-routes.ts). */
const DATASHEET_PATHS = { HTML: '/datasheet.html', MARKDOWN: '/datasheet.md' } as const;

const DatasheetFormatEnum = builder.enumType('DatasheetFormat', {
  values: ['HTML', 'MARKDOWN'] as const,
  description: 'A datasheet document: HTML with its figures, or Markdown',
});

builder.queryField('datasheetUrl', (t) =>
  t.string({
    authScopes: { viewer: true },
    args: {
      format: t.arg({ type: DatasheetFormatEnum, required: true, defaultValue: 'HTML' }),
      policy: t.arg.string({
        required: false,
        description: 'A policy id (unknown: BAD_USER_INPUT); default the active one',
      }),
      expiresIn: t.arg.int({
        required: false,
        description: 'Seconds the URL opens for: 60 to 604800 (7 days), default 3600',
      }),
    },
    description:
      'The datasheet document (/datasheet.html or /datasheet.md, under the policy) as a URL signed for the caller: it ' +
      'opens in a browser tab or a download without a header until it expires; the plain URL for an anonymous caller',
    resolve: async (_root, args, ctx) => {
      if (args.policy != null) await resolvePolicy(args.policy);
      const query = args.policy != null ? `?${new URLSearchParams({ policy: args.policy })}` : '';
      return ctx.signedUrl(`${DATASHEET_PATHS[args.format]}${query}`, args.expiresIn);
    },
  }),
);
