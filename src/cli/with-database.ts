// The one way a command opens the database: migrate (unless the command must not), open, make it
// the ambient db() for the services the command calls, run, close whatever happens. A database
// out of reach becomes DatabaseUnreachableError, which the CLI prints as its one line.
import type { Config } from '../config.ts';
import { type Database, type Db, openDatabase } from '../db/client.ts';
import { useDatabase } from '../db/current.ts';
import { migrate, unreachable } from '../db/migrate.ts';

export interface WithDatabaseOptions {
  /** Apply pending migrations first (default); `token revoke` only changes a row that must exist. */
  migrate?: boolean;
}

export async function withDatabase<T>(
  config: Pick<Config, 'databaseUrl'>,
  run: (db: Db, database: Database) => Promise<T>,
  opts: WithDatabaseOptions = {},
): Promise<T> {
  if (opts.migrate ?? true) await migrate(config.databaseUrl);
  const database = openDatabase(config.databaseUrl);
  useDatabase(database.db);
  try {
    return await run(database.db, database);
  } catch (e) {
    throw unreachable(config.databaseUrl, e) ?? e;
  } finally {
    await database.close();
  }
}
