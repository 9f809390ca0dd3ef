// A fresh, migrated database per test file: a SQLite file under test/.tmp, or (with
// DERMASET_TEST_DB=postgres) a PostgreSQL database created and dropped by the test itself, named
// with DERMASET_TEST_DB_PREFIX (default dermaset_test_). A test env can also start as a copy of a
// template (the demo cohort, test/helpers/cohort.ts): a copied SQLite file, or CREATE DATABASE …
// TEMPLATE on PostgreSQL, with the template's data folder copied beside it.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type Config, loadConfig } from '../../src/config.ts';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';

export const testProvider = process.env.DERMASET_TEST_DB === 'postgres' ? 'postgresql' : 'sqlite';
const PG_ADMIN = process.env.PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const PREFIX = process.env.DERMASET_TEST_DB_PREFIX ?? 'dermaset_test_';
if (!/^[a-z_][a-z0-9_]{0,29}$/.test(PREFIX)) {
  throw new Error(`DERMASET_TEST_DB_PREFIX must be a lower-case SQL identifier of at most 30 characters: ${PREFIX}`);
}

export const TEST_KEY = 'test-key-0123456789abcdef';

export interface TestEnv extends Database {
  config: Config;
  dataDir: string;
  dispose(): Promise<void>;
}

/** A database (and data folder) to start from instead of an empty, migrated one. */
export interface Template {
  url: string;
  dataDir: string;
}

/** The PostgreSQL database name for a test database id, under the configured prefix. */
export const testDatabaseName = (id: string) => `${PREFIX}${id}`;
const pgUrl = (name: string) => PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
const newId = () => `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function dropTestDatabase(name: string): Promise<void> {
  if (testProvider === 'postgresql') await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** CREATE DATABASE … TEMPLATE waits while another copy of the same template is being made. */
async function createDatabase(name: string, template?: string): Promise<void> {
  const sql = `CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`;
  for (let attempt = 0; ; attempt++) {
    try {
      return await adminQuery(sql);
    } catch (e) {
      const busy = /is being accessed by other users/.test((e as Error).message);
      if (!busy || attempt >= 50) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * A new database plus data folder, migrated by the project's own runner (or copied from a template),
 * under the given id (default: a fresh one).
 */
export async function createTestEnv(
  env: Record<string, string> = {},
  opts: { migrate?: boolean; onQuery?: (sql: string) => void; template?: Template; id?: string } = {},
): Promise<TestEnv> {
  const id = opts.id ?? newId();
  const dataDir = join(import.meta.dirname, '..', '.tmp', id);
  if (opts.template) cpSync(opts.template.dataDir, dataDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  let url: string;
  let dropDb = async () => {};
  if (testProvider === 'postgresql') {
    const name = testDatabaseName(id);
    const template = opts.template ? new URL(opts.template.url).pathname.slice(1) : undefined;
    await createDatabase(name, template);
    url = pgUrl(name);
    dropDb = () => dropTestDatabase(name);
  } else {
    // a template's database file lives in its data folder, so cpSync above copied it already
    url = `file:${join(dataDir, 'dermaset.db')}`;
  }
  if (opts.migrate !== false && !opts.template) await migrate(url);
  const config = loadConfig({
    DATABASE_URL: url,
    DATA_DIR: dataDir,
    DERMASET_PSEUDONYM_KEY: TEST_KEY,
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
