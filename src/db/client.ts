import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory, SqlQuery, SqlQueryable } from '@prisma/driver-adapter-utils';
import { BUSY_WAIT_MS, severalWriters } from './busy.ts';
import { PrismaClient as PgClient } from './generated/postgresql/client.ts';
import { PrismaClient as SqliteClient } from './generated/sqlite/client.ts';
import { CONNECT_TIMEOUT_MS } from './migrate.ts';
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

export interface OpenOptions {
  /** Called with every SQL statement sent to the database (statement counting, debug logging). */
  onQuery?: (sql: string) => void;
}

export function openDatabase(url: string, opts: OpenOptions = {}): Database {
  const provider = providerOf(url);
  let db: Db;
  if (provider === 'sqlite') {
    const file = sqlitePath(url);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    // several processes may write to the file (two servers, a server and a CLI import): see busy.ts
    const adapter = observed(severalWriters(new PrismaBetterSqlite3({ url: file })), opts.onQuery);
    // a transaction may wait up to BUSY_WAIT_MS for another process's write lock before it begins
    db = new SqliteClient({ adapter, transactionOptions: { maxWait: BUSY_WAIT_MS + 2_000, timeout: 15_000 } });
  } else {
    const adapter = observed(
      new PrismaPg({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS }),
      opts.onQuery,
    );
    db = new PgClient({ adapter }) as unknown as Db;
  }
  return { db, provider, url, close: () => db.$disconnect() };
}

/** Wraps a driver adapter factory so that every statement, in or out of transactions, is reported. */
function observed<F extends SqlDriverAdapterFactory>(factory: F, onQuery: ((sql: string) => void) | undefined): F {
  if (!onQuery) return factory;
  const watch = <Q extends SqlQueryable>(q: Q): Q =>
    new Proxy(q, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === 'queryRaw' || prop === 'executeRaw') {
          return (query: SqlQuery) => {
            onQuery(query.sql);
            return (value as (q: SqlQuery) => unknown).call(target, query);
          };
        }
        if (prop === 'startTransaction') {
          return async (...args: unknown[]) =>
            watch(await (value as (...a: unknown[]) => Promise<SqlQueryable>).apply(target, args));
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return new Proxy(factory, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'connect') return async () => watch(await target.connect());
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
