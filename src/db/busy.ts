// Several writers on one SQLite file (two servers, or a server and a CLI import), without
// SQLITE_BUSY reaching a caller and without blocking the event loop.
//
// Prisma's better-sqlite3 adapter runs everything on one connection and begins transactions with
// a plain (deferred) BEGIN. Two things go wrong with a second process on the file:
//  - a transaction that reads, then writes, upgrades its lock at the write; if the other process
//    wrote in between, SQLite answers SQLITE_BUSY(_SNAPSHOT) at once, without calling the busy
//    handler, so a lost race surfaced as an internal error instead of the optimistic CONFLICT;
//  - a busy timeout is a synchronous sleep inside better-sqlite3: the whole server stops while it
//    waits for the other process's lock.
// And one thing goes wrong inside one process: a query outside a transaction, sent while a
// transaction is open, runs on the same connection, i.e. inside that transaction (and is undone if
// it rolls back).
//
// So the adapter is wrapped: transactions begin IMMEDIATE (they hold the write lock from their
// first statement, so their reads cannot go stale and the optimistic version check decides a race);
// statements outside transactions go to a second connection, which reads a WAL snapshot beside an
// open transaction; writes of this process (transactions and single statements) take turns in one
// first-come-first-served queue; and waiting for another process's lock is an asynchronous retry
// with a short back-off (the connections' own busy timeout is 0), bounded by BUSY_WAIT_MS.

import {
  DriverAdapterError,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlDriverAdapterFactory,
  type SqlQuery,
  type Transaction,
} from '@prisma/driver-adapter-utils';
import type BetterSqlite3 from 'better-sqlite3';

/** How long a write waits for another process's write lock before it is refused as busy. */
export const BUSY_WAIT_MS = 10_000;

/** Whether an error (a better-sqlite3 error, or the adapter's translation of one) is SQLITE_BUSY. */
export function isBusy(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 6; depth++) {
    const c = cur as { code?: unknown; originalCode?: unknown; kind?: unknown; cause?: unknown };
    if (typeof c.code === 'string' && c.code.startsWith('SQLITE_BUSY')) return true;
    if (typeof c.originalCode === 'string' && c.originalCode.startsWith('SQLITE_BUSY')) return true;
    if (c.kind === 'SocketTimeout') return true;
    cur = c.cause;
  }
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `attempt` until it does not fail with SQLITE_BUSY, waiting asynchronously between tries. */
export async function retryBusy<T>(attempt: () => T | Promise<T>, waitMs = BUSY_WAIT_MS): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, 32)) {
    try {
      return await attempt();
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (Date.now() >= deadline) {
        throw new DriverAdapterError({
          kind: 'SocketTimeout',
          originalCode: 'SQLITE_BUSY',
          originalMessage: `another process held the SQLite write lock for more than ${waitMs / 1000} s`,
        } as ConstructorParameters<typeof DriverAdapterError>[0]);
      }
      // jitter, so that two processes retrying at once do not keep colliding
      await sleep(pause + Math.random() * pause);
    }
  }
}

/** A first-come-first-served lock: this process's writers take turns in arrival order. */
class Queue {
  #tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const turn = new Promise<void>((r) => {
      release = r;
    });
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => turn);
    return ready;
  }
}

/** Statements that only read never wait for the write lock (WAL readers see a snapshot). */
const isRead = (sql: string) => /^\s*SELECT\b/i.test(sql) && !/\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql);

/** The better-sqlite3 connection behind Prisma's adapter (a public field of its queryable). */
function connectionOf(adapter: SqlDriverAdapter): BetterSqlite3.Database {
  const client = (adapter as unknown as { client?: BetterSqlite3.Database }).client;
  if (!client || typeof client.prepare !== 'function') {
    throw new Error('the SQLite driver adapter does not expose its better-sqlite3 connection');
  }
  return client;
}

/** Keeps Prisma's adapter from sending its deferred BEGIN: the wrapper begins IMMEDIATE itself. */
function withoutDeferredBegin(client: BetterSqlite3.Database): void {
  const prepare = client.prepare.bind(client);
  const noop = { run: () => ({ changes: 0, lastInsertRowid: 0 }) };
  (client as { prepare: unknown }).prepare = (sql: string) => (sql === 'BEGIN' ? noop : prepare(sql));
}

function wrapAdapter(main: SqlDriverAdapter, side: SqlDriverAdapter): SqlDriverAdapter {
  const txConnection = connectionOf(main);
  for (const c of [txConnection, connectionOf(side)]) c.pragma('busy_timeout = 0');
  withoutDeferredBegin(txConnection);
  const writers = new Queue();

  const outside =
    <R>(run: (q: SqlQuery) => Promise<R>) =>
    async (query: SqlQuery): Promise<R> => {
      if (isRead(query.sql)) return retryBusy(() => run(query));
      const release = await writers.acquire();
      try {
        return await retryBusy(() => run(query));
      } finally {
        release();
      }
    };

  const startTransaction = async (isolationLevel?: IsolationLevel): Promise<Transaction> => {
    const release = await writers.acquire();
    let tx: Transaction;
    try {
      tx = await main.startTransaction(isolationLevel);
    } catch (e) {
      release();
      throw e;
    }
    try {
      await retryBusy(() => txConnection.exec('BEGIN IMMEDIATE'));
    } catch (e) {
      await tx.rollback();
      release();
      throw e;
    }
    let done = false;
    const finish = () => {
      if (!done) release();
      done = true;
    };
    return new Proxy(tx, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === 'commit' || prop === 'rollback') {
          return async () => {
            try {
              await (value as () => Promise<void>).call(target);
            } finally {
              finish();
            }
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };

  return new Proxy(main, {
    get(target, prop, receiver) {
      if (prop === 'queryRaw') return outside((q) => side.queryRaw(q));
      if (prop === 'executeRaw') return outside((q) => side.executeRaw(q));
      if (prop === 'executeScript') {
        return async (script: string) => {
          const release = await writers.acquire();
          try {
            return await retryBusy(() => target.executeScript(script));
          } finally {
            release();
          }
        };
      }
      if (prop === 'startTransaction') return startTransaction;
      if (prop === 'dispose') return async () => void (await Promise.all([target.dispose(), side.dispose()]));
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Wraps Prisma's better-sqlite3 adapter factory for several writers on one file (see the top of
 * this file): IMMEDIATE transactions, a second connection for statements outside transactions, one
 * queue for this process's writes, and asynchronous waits for another process's lock.
 */
export function severalWriters<F extends SqlDriverAdapterFactory>(factory: F): F {
  return new Proxy(factory, {
    get(target, prop, receiver) {
      if (prop === 'connect') {
        return async () => wrapAdapter(await target.connect(), await target.connect());
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
