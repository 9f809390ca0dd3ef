// The demo cohort for API tests, seeded once per `vitest run` and copied into each test file's own
// database. The first file that asks builds it (the others wait on a lock folder in the run folder
// that test/global-setup.ts provides); every file gets a private copy it may change freely.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { seedDemo } from '../../prisma/demo/seed.ts';
import { createPipeline } from '../../src/ingest/pipeline.ts';
import { createTestEnv, type Template, type TestEnv } from './database.ts';

/** Thumbnail-sized drawings: the cohort's records, not its pixels, are what the API tests need. */
const COHORT_ENV = { DERMASET_MIN_SIDE: '32' };
const COHORT_SIZE = { width: 96, height: 72 };
const WAIT_MS = 10 * 60_000;

async function buildTemplate(id: string): Promise<Template> {
  const env = await createTestEnv(COHORT_ENV, { id });
  try {
    await seedDemo(env.db, createPipeline(env.config, env.db), { size: COHORT_SIZE });
  } finally {
    // closed, so that SQLite has folded its journal into the file and PostgreSQL can copy the database
    await env.close();
  }
  return { url: env.url, dataDir: env.dataDir };
}

/** The run's demo-cohort template: built here by the first caller, waited for by the others. */
async function cohortTemplate(): Promise<Template> {
  const run = inject('testRun');
  const ready = join(run.dir, 'cohort.json');
  const failed = join(run.dir, 'cohort.failed');
  let builder = false;
  try {
    mkdirSync(join(run.dir, 'cohort.lock'));
    builder = true;
  } catch {
    // another test file builds it
  }
  if (builder) {
    try {
      const template = await buildTemplate(`cohort_${run.id}`);
      writeFileSync(ready, JSON.stringify(template));
      return template;
    } catch (e) {
      writeFileSync(failed, String((e as Error).stack ?? e));
      throw e;
    }
  }
  const until = Date.now() + WAIT_MS;
  while (!existsSync(ready)) {
    if (existsSync(failed)) throw new Error(`the demo cohort could not be built:\n${readFileSync(failed, 'utf8')}`);
    if (Date.now() > until) throw new Error('timed out waiting for the demo cohort to be built');
    await new Promise((r) => setTimeout(r, 250));
  }
  return JSON.parse(readFileSync(ready, 'utf8')) as Template;
}

/**
 * The demo cohort at thumbnail size (96×72 px): the paper's 1,026 records with their trail, built
 * through the real pipeline once per run; each call returns a fresh copy in its own database.
 */
export async function createCohortEnv(opts: { onQuery?: (sql: string) => void } = {}): Promise<TestEnv> {
  return createTestEnv(COHORT_ENV, { ...opts, template: await cohortTemplate() });
}
