import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory, SqlQuery, SqlQueryable } from '@prisma/driver-adapter-utils';
import pg from 'pg';
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

/** How long a statement may wait for a free client of the PostgreSQL pool. */
export const POOL_WAIT_MS = 60_000;

/** A pg client that gives up connecting after CONNECT_TIMEOUT_MS, whatever its pool waits. */
class FastConnectClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    const base = typeof config === 'string' ? { connectionString: config } : (config ?? {});
    super({ ...base, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  }
}

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
      // pg-pool applies connectionTimeoutMillis to connecting and to waiting for a free client: a
      // client still gives up connecting after CONNECT_TIMEOUT_MS (a database out of reach fails
      // fast), while a request waits up to POOL_WAIT_MS for one of the pool's clients (statements
      // of a million images take seconds: stats and facets in SQL failed at 5 s on the 1M cohort)
      new PrismaPg({ connectionString: url, connectionTimeoutMillis: POOL_WAIT_MS, Client: FastConnectClient }),
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
