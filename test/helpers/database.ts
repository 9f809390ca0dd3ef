// A fresh, migrated database per test file: a SQLite file under test/.tmp, or (with
// DERMASET_TEST_DB=postgres) a PostgreSQL database created and dropped by the test itself.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type Config, loadConfig } from '../../src/config.ts';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';

export const testProvider = process.env.DERMASET_TEST_DB === 'postgres' ? 'postgresql' : 'sqlite';
const PG_ADMIN = process.env.PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestEnv extends Database {
  config: Config;
  dataDir: string;
  dispose(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new empty database plus data folder, migrated by the project's own runner. */
export async function createTestEnv(
  env: Record<string, string> = {},
  opts: { migrate?: boolean; onQuery?: (sql: string) => void } = {},
): Promise<TestEnv> {
  const id = `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const dataDir = join(import.meta.dirname, '..', '.tmp', id);
  mkdirSync(dataDir, { recursive: true });
  let url: string;
  let dropDb = async () => {};
  if (testProvider === 'postgresql') {
    const name = `dermaset_test_${id}`;
    await adminQuery(`CREATE DATABASE "${name}"`);
    url = PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
    dropDb = () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } else {
    url = `file:${join(dataDir, 'dermaset.db')}`;
  }
  if (opts.migrate !== false) await migrate(url);
  const config = loadConfig({
    DATABASE_URL: url,
    DATA_DIR: dataDir,
    DERMASET_PSEUDONYM_KEY: 'test-key-0123456789abcdef',
    ...env,
  });
  const database = openDatabase(url, { onQuery: opts.onQuery });
  return {
    ...database,
    config,
    dataDir,
    async dispose() {
      await database.close();
      await dropDb();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
