import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as PgClient } from './generated/postgresql/client.ts';
import { PrismaClient as SqliteClient } from './generated/sqlite/client.ts';
import { type Provider, providerOf, sqlitePath } from './provider.ts';

/**
 * The one client type the code is written against. Both generated clients come from the same
 * models (scripts/generate.mjs), so the PostgreSQL client satisfies it too.
 */
export type Db = SqliteClient;

export interface Database {
  db: Db;
  provider: Provider;
  url: string;
  close(): Promise<void>;
}

export function openDatabase(url: string): Database {
  const provider = providerOf(url);
  let db: Db;
  if (provider === 'sqlite') {
    const file = sqlitePath(url);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    // a busy timeout lets a CLI import and the server share the file without SQLITE_BUSY errors
    db = new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: file, timeout: 10_000 }) });
  } else {
    db = new PgClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
  }
  return { db, provider, url, close: () => db.$disconnect() };
}
