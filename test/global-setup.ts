// Once per `vitest run`: a run folder under test/.tmp that the test files share, so that the demo
// cohort is seeded once per run (test/helpers/cohort.ts) and every file gets a copy of it. The
// teardown removes the folder and the PostgreSQL template database.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { dropTestDatabase, testDatabaseName } from './helpers/database.ts';

export interface TestRun {
  id: string;
  dir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testRun: TestRun;
  }
}

export default function setup(project: TestProject) {
  const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const dir = join(import.meta.dirname, '.tmp', `run_${id}`);
  mkdirSync(dir, { recursive: true });
  project.provide('testRun', { id, dir });
  return async () => {
    await dropTestDatabase(testDatabaseName(`cohort_${id}`));
    rmSync(join(import.meta.dirname, '.tmp', `cohort_${id}`), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };
}
