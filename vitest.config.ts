import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const require = createRequire(import.meta.url);

/**
 * The files that run longest go first: the Python notebook (its venv; PostgreSQL only), the files
 * that run the CLI as child processes (each on one suite), `npm start` seeding the demo at full size
 * (cli). A file whose tests all skip on a suite costs nothing there. On a fresh clone vitest has no
 * timings of its own yet; without this the longest file could start last and run alone.
 */
const FIRST = [
  'test/notebook.test.ts',
  'test/cli-commands.test.ts',
  'test/predictions-cli.test.ts',
  'test/cli.test.ts',
  'test/bad-input/cli.test.ts',
  'test/import.test.ts',
  'test/cli-token.test.ts',
];
class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return i === -1 ? FIRST.length : i;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

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
    // A worker keeps the modules it has loaded (the schema, Prisma's clients) for its next file:
    // loading them took a few seconds per file. Test files share no state but the database handle,
    // which each sets for itself (useDatabase), and their own databases.
    isolate: false,
    sequence: { sequencer: LongFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
