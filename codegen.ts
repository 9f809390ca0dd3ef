import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the tests and examples, generated from the committed schema.graphql
// (itself printed from the Pothos schema by `npm run schema:print`).
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/**/*.ts', 'examples/**/*.ts', '!src/gql/**/*'],
  ignoreNoDocuments: true,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, importExtension: '.ts', enumsAsTypes: true, scalars: { DateTime: 'string' } },
    },
  },
};

export default config;
