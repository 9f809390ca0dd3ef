import type { Db } from './client.ts';

// The process's database client. Pothos advises against carrying the Prisma client in the
// GraphQL context; the server (or a test) sets it once at start-up and resolvers read it here.
let current: Db | undefined;

export function useDatabase(db: Db): void {
  current = db;
}

export function db(): Db {
  if (!current) throw new Error('no database: call useDatabase() at start-up');
  return current;
}
