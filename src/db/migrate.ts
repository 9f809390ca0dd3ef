// Applies the standard Prisma Migrate folders in order, as `prisma migrate deploy` does, and
// records them in `_prisma_migrations` with the same columns and checksums, so a machine with the
// real Prisma CLI sees the same history. Works offline and on both databases.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { type Provider, providerOf, sqlitePath } from './provider.ts';

const prismaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'prisma');

export const migrationsDir = (provider: Provider): string =>
  provider === 'sqlite' ? join(prismaDir, 'migrations') : join(prismaDir, 'postgresql', 'migrations');

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(provider: Provider): Migration[] {
  const dir = migrationsDir(provider);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** How long a connection to PostgreSQL may take before the attempt is given up. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** The database cannot be reached or opened: one line naming where (never the password) and why. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

/** Where a DATABASE_URL points, for messages: host, port and database, or the SQLite file. */
export function describeDatabase(url: string): string {
  if (providerOf(url) === 'sqlite') return `the SQLite file ${sqlitePath(url)}`;
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || u.username || 'postgres';
    return `PostgreSQL at ${host}:${u.port || '5432'} (database "${db}")`;
  } catch {
    return 'PostgreSQL (DATABASE_URL is not a valid URL)';
  }
}

const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is the server running and listening there?',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`,
  SQLITE_CANTOPEN: 'the file cannot be opened (does the folder exist, and may this user write to it?)',
  SQLITE_NOTADB: 'the file is not a SQLite database',
  SQLITE_READONLY: 'the file is read-only',
};

/**
 * A failure to connect, as one line (DatabaseUnreachableError), or undefined for any other error.
 * PostgreSQL's own refusals (wrong password, no such database) keep their message, which never
 * holds the password.
 */
export function unreachable(url: string, e: unknown): DatabaseUnreachableError | undefined {
  const err = e as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? err.message : '';
  let cause: string | undefined;
  if (code && CAUSES[code]) cause = `${CAUSES[code]} (${code})`;
  else if (/timeout expired|Connection terminated due to connection timeout/i.test(message))
    cause = `no answer within ${CONNECT_TIMEOUT_MS / 1000} s (timeout)`;
  else if (/^Connection terminated/.test(message)) cause = 'the connection was closed before the server answered';
  else if (code && /^(08|28|3D)[0-9A-Z]{3}$/.test(code)) cause = `${message} (${code})`;
  else if (Array.isArray(err?.errors) && err.errors.length > 0) return unreachable(url, err.errors[0]);
  if (!cause) return undefined;
  return new DatabaseUnreachableError(`cannot reach ${describeDatabase(url)}: ${cause}; check DATABASE_URL`);
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

function pending(all: Migration[], applied: AppliedRow[]): Migration[] {
  const done = new Map<string, AppliedRow>();
  for (const row of applied) {
    if (row.rolled_back_at != null) continue;
    if (row.finished_at == null) {
      throw new MigrationError(`migration ${row.migration_name} started but never finished: repair the database first`);
    }
    done.set(row.migration_name, row);
  }
  for (const [name, row] of done) {
    const m = all.find((x) => x.name === name);
    if (!m) throw new MigrationError(`the database has migration ${name}, which this code does not know`);
    if (m.checksum !== row.checksum) throw new MigrationError(`migration ${name} was edited after it was applied`);
  }
  return all.filter((m) => !done.has(m.name));
}

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "checksum" TEXT NOT NULL,
  "finished_at" DATETIME,
  "migration_name" TEXT NOT NULL,
  "logs" TEXT,
  "rolled_back_at" DATETIME,
  "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
  "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const PG_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** Prisma Migrate's own advisory lock id, so our runner and the CLI never migrate at once. */
const PG_LOCK = 72707369;

function migrateSqlite(url: string, all: Migration[]): string[] {
  const file = sqlitePath(url);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(file, { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
  } catch (e) {
    throw unreachable(url, e) ?? e;
  }
  try {
    db.exec(SQLITE_TABLE);
    // SQLite's procedure for redefining tables (which Prisma's migrations do for most column
    // changes): foreign keys off OUTSIDE the transaction — inside one the pragma is ignored, and
    // DROP TABLE would cascade-delete every dependent row — then a foreign_key_check before commit.
    db.pragma('foreign_keys = OFF');
    // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once migrate in turn
    const run = db.transaction(() => {
      const applied = db
        .prepare('SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations')
        .all() as AppliedRow[];
      const todo = pending(all, applied);
      for (const m of todo) {
        db.exec(m.sql);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0)
          throw new MigrationError(`migration ${m.name} leaves ${broken.length} broken foreign keys`);
        db.prepare(
          `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
           VALUES (?, ?, current_timestamp, ?, current_timestamp, 1)`,
        ).run(randomUUID(), m.checksum, m.name);
      }
      return todo.map((m) => m.name);
    });
    return run.immediate();
  } finally {
    db.pragma('foreign_keys = ON');
    db.close();
  }
}

async function migratePostgres(url: string, all: Migration[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // after a timed-out connect, pg also emits the closed socket as an 'error' event: not a second failure
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    throw unreachable(url, e) ?? e;
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PG_LOCK]);
    try {
      await client.query(PG_TABLE);
      const { rows } = await client.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations',
      );
      const todo = pending(all, rows);
      for (const m of todo) {
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(
            `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
             VALUES ($1, $2, now(), $3, now(), 1)`,
            [randomUUID(), m.checksum, m.name],
          );
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK');
          throw new MigrationError(`migration ${m.name} failed: ${(e as Error).message}`);
        }
      }
      return todo.map((m) => m.name);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PG_LOCK]);
    }
  } finally {
    await client.end();
  }
}

/** Applies every pending migration (or those up to `upTo`); returns the names applied. */
export async function migrate(url: string, opts: { upTo?: string } = {}): Promise<string[]> {
  const provider = providerOf(url);
  const upTo = opts.upTo;
  const all = readMigrations(provider).filter((m) => upTo === undefined || m.name <= upTo);
  return provider === 'sqlite' ? migrateSqlite(url, all) : migratePostgres(url, all);
}
