// Where a bench cohort's rows go: a SQLite file through better-sqlite3 prepared statements in large
// transactions, or a PostgreSQL database through one COPY stream per table (pg-copy-streams). Both
// load with the secondary indexes dropped and rebuild them afterwards (a sort per index instead of a
// million random inserts), and without the data_version triggers, which would fire per row: SQLite
// drops and re-creates them from their own DDL, PostgreSQL loads with session_replication_role =
// replica (which also skips the foreign-key triggers, so the tables can load in parallel). Each data
// version is raised once at the end.
import { once } from 'node:events';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { sqlitePath } from '../src/db/provider.ts';
import { type Sink, TABLE_ORDER, TABLES, type TableName, type Value } from './cohort-plan.ts';

export interface Target extends Sink {
  /** The id of the own collection (made by the migrations). */
  ownCollectionId: number;
  /** Rebuilds indexes and triggers, raises the data versions and checks the foreign keys. */
  finish(log: (line: string) => void): Promise<void>;
  close(): Promise<void>;
}

const SCOPES = ['records', 'reviews', 'settings'];
const secs = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------- SQLite

export function sqliteTarget(url: string): Target {
  const db = new BetterSqlite3(sqlitePath(url));
  // for the build only: nothing to recover if it fails (the cohort is rebuilt), so no journal
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  db.pragma('temp_store = MEMORY');
  db.pragma('foreign_keys = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  const tables = TABLE_ORDER as string[];
  const inList = tables.map((t) => `'${t}'`).join(',');
  const indexes = db
    .prepare(
      `SELECT name, tbl_name AS tbl, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${inList})`,
    )
    .all() as { name: string; tbl: string; sql: string }[];
  const triggers = db
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'dv\\_%' ESCAPE '\\'`)
    .all() as { name: string; sql: string }[];
  for (const i of indexes) db.exec(`DROP INDEX "${i.name}"`);
  for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
  const own = db.prepare(`SELECT id FROM collection WHERE slug = 'own'`).get() as { id: number } | undefined;
  if (!own) throw new Error('the migrations made no own collection');
  const statements = new Map<TableName, BetterSqlite3.Statement>();
  for (const table of TABLE_ORDER) {
    const cols = TABLES[table];
    statements.set(
      table,
      db.prepare(
        `INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
      ),
    );
  }
  db.exec('BEGIN');
  return {
    ownCollectionId: own.id,
    add(table: TableName, row: Value[]) {
      for (let i = 0; i < row.length; i++) if (typeof row[i] === 'boolean') row[i] = row[i] ? 1 : 0;
      (statements.get(table) as BetterSqlite3.Statement).run(row);
    },
    async flush() {
      db.exec('COMMIT');
      db.exec('BEGIN');
    },
    async finish(log) {
      db.exec('COMMIT');
      const byTable = new Map<string, typeof indexes>();
      for (const i of indexes) byTable.set(i.tbl, [...(byTable.get(i.tbl) ?? []), i]);
      for (const [tbl, list] of byTable) {
        const t0 = performance.now();
        for (const i of list) db.exec(i.sql);
        log(`  indexes of ${tbl} (${list.length}): ${secs(t0)}`);
      }
      for (const t of triggers) db.exec(t.sql);
      for (const s of SCOPES) db.prepare('UPDATE data_version SET version = version + 1 WHERE scope = ?').run(s);
      db.pragma('locking_mode = NORMAL');
      // the app runs in WAL (src/db/migrate.ts sets it on every migration)
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0) throw new Error(`the cohort has ${broken.length} broken foreign keys`);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

// ---------------------------------------------------------------- PostgreSQL

/** A value in COPY's text format. */
function copyText(v: Value): string {
  if (v === null) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v)
    ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
    : v;
}

interface CopyStream {
  client: pg.Client;
  stream: NodeJS.WritableStream & { on(e: string, f: (...a: unknown[]) => void): unknown };
  buffer: string[];
  size: number;
  done: Promise<unknown>;
  ended: number;
}

/** Drops (WITH FORCE) and re-creates a database on the server of `url`. */
export async function recreatePgDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  u.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: u.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}

export async function pgTarget(url: string): Promise<Target> {
  const main = new pg.Client({ connectionString: url });
  await main.connect();
  const tables = TABLE_ORDER as string[];
  // secondary indexes (primary keys stay: they are constraints, and COPY checks them)
  const { rows: indexes } = await main.query<{ name: string; tbl: string; def: string }>(
    `SELECT i.indexname AS name, i.tablename AS tbl, i.indexdef AS def
       FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    [tables],
  );
  for (const i of indexes) await main.query(`DROP INDEX "${i.name}"`);
  const own = await main.query<{ id: number }>(`SELECT id FROM collection WHERE slug = 'own'`);
  const ownId = own.rows[0]?.id;
  if (ownId === undefined) throw new Error('the migrations made no own collection');

  const streams = new Map<TableName, CopyStream>();
  const t0 = performance.now();
  for (const table of TABLE_ORDER) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('SET session_replication_role = replica');
    const cols = TABLES[table].map((c) => `"${c}"`).join(', ');
    const stream = client.query(copyFrom(`COPY "${table}" (${cols}) FROM STDIN`));
    const s: CopyStream = { client, stream, buffer: [], size: 0, done: Promise.resolve(), ended: 0 };
    s.done = new Promise((resolve, reject) => {
      stream.on('finish', () => {
        s.ended = performance.now();
        resolve(undefined);
      });
      stream.on('error', (e) => reject(e));
    });
    // an error surfaces on the promise, awaited at flush and finish
    s.done.catch(() => {});
    streams.set(table, s);
  }

  const write = async (s: CopyStream) => {
    if (s.buffer.length === 0) return;
    const chunk = s.buffer.join('');
    s.buffer = [];
    s.size = 0;
    if (!s.stream.write(chunk)) await Promise.race([once(s.stream, 'drain'), s.done]);
  };

  return {
    ownCollectionId: ownId,
    add(table: TableName, row: Value[]) {
      const s = streams.get(table) as CopyStream;
      let line = '';
      for (let i = 0; i < row.length; i++) line += (i === 0 ? '' : '\t') + copyText(row[i] as Value);
      line += '\n';
      s.buffer.push(line);
      s.size += line.length;
    },
    async flush() {
      for (const s of streams.values()) if (s.size > 256 * 1024) await write(s);
    },
    async finish(log) {
      for (const [table, s] of streams) {
        await write(s);
        s.stream.end();
        await s.done;
        await s.client.end();
        log(`  COPY ${table}: done ${secs(t0)} after the start`);
      }
      await main.query(`SET maintenance_work_mem = '512MB'`);
      const byTable = new Map<string, typeof indexes>();
      for (const i of indexes) byTable.set(i.tbl, [...(byTable.get(i.tbl) ?? []), i]);
      for (const [tbl, list] of byTable) {
        const t1 = performance.now();
        for (const i of list) await main.query(i.def);
        log(`  indexes of ${tbl} (${list.length}): ${secs(t1)}`);
      }
      // the serial sequences continue after the loaded ids
      for (const table of TABLE_ORDER) {
        if (!(TABLES[table] as readonly string[]).includes('id')) continue;
        await main.query(
          `SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), GREATEST((SELECT MAX(id) FROM "${table}"), 1))`,
        );
      }
      await main.query(`UPDATE data_version SET version = version + 1 WHERE scope = ANY($1)`, [SCOPES]);
      await checkPgForeignKeys(main);
    },
    async close() {
      for (const s of streams.values()) await s.client.end().catch(() => {});
      await main.end().catch(() => {});
    },
  };
}

/** The foreign keys the replica-role load did not check, checked once: every child's parent exists. */
async function checkPgForeignKeys(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ child: string; cols: string[]; parent: string; pcols: string[] }>(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent,
            ARRAY(SELECT a.attname FROM unnest(c.conkey) k JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k)::text[] AS cols,
            ARRAY(SELECT a.attname FROM unnest(c.confkey) k JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k)::text[] AS pcols
       FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`,
  );
  for (const fk of rows) {
    const cols = fk.cols.map((c) => `ch."${c}"`);
    const on = fk.cols.map((c, i) => `p."${fk.pcols[i]}" = ch."${c}"`).join(' AND ');
    const { rows: bad } = await client.query<{ n: string }>(
      `SELECT COUNT(*) AS n FROM ${fk.child} ch WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')}
         AND NOT EXISTS (SELECT 1 FROM ${fk.parent} p WHERE ${on})`,
    );
    if (Number(bad[0]?.n ?? 0) > 0) throw new Error(`${bad[0]?.n} rows of ${fk.child} point at no ${fk.parent}`);
  }
}

/** Gathers the planner's statistics (after the later migrations, so that their indexes have them too). */
export async function analyze(url: string, log: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  if (url.startsWith('file:')) {
    const db = new BetterSqlite3(sqlitePath(url));
    try {
      db.exec('ANALYZE');
    } finally {
      db.close();
    }
    log(`  ANALYZE: ${secs(t0)}`);
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('VACUUM (ANALYZE)');
    } finally {
      await client.end();
    }
    log(`  VACUUM ANALYZE: ${secs(t0)}`);
  }
}
