// The one way a command opens the database: migrate, open, make it the ambient db() for the
// services the command calls, run, close whatever happens. A database out of reach, before the
// command or during it, becomes DatabaseUnreachableError, which the CLI prints as its one line.
import type { Config } from '../config.ts';
import { type Database, type Db, openDatabase } from '../db/client.ts';
import { useDatabase } from '../db/current.ts';
import { DatabaseUnreachableError, describeDatabase, migrate, unreachable } from '../db/migrate.ts';

/** Prisma's own word for a server that stopped answering (P1001), as the one-line error. */
function lostDatabase(url: string, e: unknown): DatabaseUnreachableError | undefined {
  const err = e as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  const kind = err?.meta?.driverAdapterError?.cause?.kind;
  if (err?.code !== 'P1001' && kind !== 'DatabaseNotReachable') return undefined;
  return new DatabaseUnreachableError(
    `cannot reach ${describeDatabase(url)}: the server stopped answering (DatabaseNotReachable); check DATABASE_URL`,
  );
}

/**
 * Runs a command against DATABASE_URL: pending migrations are applied first (every command, so a
 * command never meets a table that is not there yet), and the connection is closed in any case.
 */
export async function withDatabase<T>(
  config: Pick<Config, 'databaseUrl'>,
  run: (db: Db, database: Database) => Promise<T>,
): Promise<T> {
  await migrate(config.databaseUrl);
  const database = openDatabase(config.databaseUrl);
  useDatabase(database.db);
  try {
    return await run(database.db, database);
  } catch (e) {
    throw unreachable(config.databaseUrl, e) ?? lostDatabase(config.databaseUrl, e) ?? e;
  } finally {
    await database.close();
  }
}
