// The import rules of dermaset (README, "Architecture"): checked by `npm test` (npm run deps).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Imports run one way; a dynamic import() is no way around a cycle either.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ holds pure rules: it imports nothing of ours but domain/ and the generated enums.',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: ['^src/domain/', '^src/db/generated/[^/]+/enums\\.ts$'] },
    },
    {
      name: 'plugins-depend-downward',
      severity: 'error',
      comment: 'Plugins see their contracts (plugins/), domain/ and their own kits, never the layers that run them.',
      from: { path: '^src/plugins/' },
      to: { path: '^src/(resolvers|ingest|schema|server|cli|db|storage)/|^src/(builder|config)\\.ts$' },
    },
    {
      name: 'schema-declares-only',
      severity: 'error',
      comment: 'schema/ declares; database access lives in resolvers/ (the services).',
      from: { path: '^src/schema/' },
      to: { path: '^src/db/', pathNot: ['^src/db/generated/'] },
    },
    {
      name: 'services-below-schema',
      severity: 'error',
      comment: 'resolvers/ (the services) never import the schema, the server or the CLI that call them.',
      from: { path: '^src/resolvers/' },
      to: { path: '^src/(schema|server|cli)/|^src/builder\\.ts$' },
    },
    {
      name: 'schema-sees-only-the-context',
      severity: 'error',
      comment: 'schema/ reaches into server/ only for the request context (server/context.ts).',
      from: { path: '^src/schema/' },
      to: { path: '^src/server/', pathNot: '^src/server/context\\.ts$' },
    },
    {
      name: 'foundations-stay-below',
      severity: 'error',
      comment: 'ingest/, storage/ and db/ are foundations: they never import services, schema, server or CLI.',
      from: { path: '^src/(ingest|storage|db)/' },
      to: { path: '^src/(resolvers|schema|server|cli)/|^src/builder\\.ts$' },
    },
    {
      name: 'server-not-up-to-cli',
      severity: 'error',
      comment: 'cli/ is the top: nothing below it imports it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/(db/generated|gql)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
