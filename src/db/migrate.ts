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
  const db = new BetterSqlite3(file, { timeout: 10_000 });
  try {
    db.pragma('journal_mode = WAL');
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
  const client = new pg.Client({ connectionString: url });
  await client.connect();
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
