import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// One worker per core; each test file gets its own database (SQLite file or PostgreSQL database).
// DERMASET_TEST_DB=postgres runs the same suite against PostgreSQL.
export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds. Node, which loads Pothos and yoga,
    // picks main; Vite would pick module for test code: two copies of graphql. Pin Node's choice.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // a run folder shared by the test files: the demo cohort is seeded once per run and copied
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
