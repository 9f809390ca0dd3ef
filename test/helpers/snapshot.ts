// The state a refused request must leave untouched, for the bad-input suite (test/bad-input/):
// every table's row count and a SHA-256 of its full content, plus the files under the data folder
// (blobs, exports, anything else) by path, size and content hash. Taken before and after a refusal
// and compared with `expect(await snapshot(env)).toEqual(before)`.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TestEnv } from './database.ts';

export interface Snapshot {
  /** table → `${rows} rows ${sha256 of the rows}` */
  tables: Record<string, string>;
  /** path under the data folder → `${bytes} ${sha256}` */
  files: Record<string, string>;
}

/** Columns that change on reads, not writes: a token's last use. */
const VOLATILE = new Set(['api_token.last_used_at']);

/** Files that are not state: the SQLite database and its journals (their content is the tables). */
const NOT_STATE = /(^|\/)[^/]*\.db(-journal|-wal|-shm)?$/;

async function tableNames(env: TestEnv): Promise<string[]> {
  const rows =
    env.provider === 'sqlite'
      ? await env.db.$queryRawUnsafe<{ name: string }[]>(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
        )
      : await env.db.$queryRawUnsafe<{ name: string }[]>(
          `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
        );
  return rows.map((r) => r.name);
}

const canonical = (value: unknown): unknown => {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
};

async function tableDigest(env: TestEnv, table: string): Promise<string> {
  const rows = await env.db.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT * FROM "${table}"`);
  const lines = rows
    .map((row) =>
      JSON.stringify(
        Object.keys(row)
          .filter((column) => !VOLATILE.has(`${table}.${column}`))
          .sort()
          .map((column) => [column, canonical(row[column])]),
      ),
    )
    .sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\n');
  return `${rows.length} rows ${hash.digest('hex')}`;
}

/**
 * Content hashes by file identity (inode, size, change time in nanoseconds): a cohort's data folder
 * holds about 2,000 blobs, and re-reading them for every snapshot was most of the suite's time. Any
 * write, rename or replacement changes the change time (or the inode), so the file is hashed again.
 */
const hashes = new Map<string, string>();

function contentHash(path: string): string {
  const st = statSync(path, { bigint: true });
  const key = `${path}\0${st.ino}\0${st.size}\0${st.ctimeNs}\0${st.mtimeNs}`;
  let hash = hashes.get(key);
  if (!hash) {
    hash = `${st.size} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    hashes.set(key, hash);
  }
  return hash;
}

function walk(root: string, dir: string, into: Record<string, string>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(root, path);
    if (entry.isDirectory()) walk(root, path, into);
    else if (!NOT_STATE.test(rel)) into[rel] = contentHash(path);
  }
}

/** Every table's rows and every file of the data folder, hashed. */
export async function snapshot(env: TestEnv): Promise<Snapshot> {
  const tables: Record<string, string> = {};
  for (const table of await tableNames(env)) tables[table] = await tableDigest(env, table);
  const files: Record<string, string> = {};
  if (existsSync(env.dataDir)) walk(env.dataDir, env.dataDir, files);
  return { tables, files };
}
