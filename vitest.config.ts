import { defineConfig } from 'vitest/config';

// One worker per core; each test file gets its own database (SQLite file or PostgreSQL database).
// DERMASET_TEST_DB=postgres runs the same suite against PostgreSQL.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
