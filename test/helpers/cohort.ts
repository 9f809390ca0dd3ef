import { seedDemo } from '../../prisma/demo/seed.ts';
import { createPipeline } from '../../src/ingest/pipeline.ts';
import { createTestEnv, type TestEnv } from './database.ts';

/**
 * The demo cohort at thumbnail size (96×72 px): the paper's 1,026 records with their trail, built
 * through the real pipeline in ~15 s. For tests of the API, not of pixels.
 */
export async function createCohortEnv(opts: { onQuery?: (sql: string) => void } = {}): Promise<TestEnv> {
  const env = await createTestEnv({ DERMASET_MIN_SIDE: '32' }, opts);
  await seedDemo(env.db, createPipeline(env.config, env.db), { size: { width: 96, height: 72 } });
  return env;
}
