// The data versions: one counter per scope, raised by triggers in every writing transaction
// (migration data_version). Equal versions mean equal data on every instance sharing the database,
// so a cache keyed by them needs no other invalidation.
import { db } from './current.ts';

export type DataScope = 'records' | 'reviews' | 'settings';
export type DataVersions = Record<DataScope, number>;

/** The current versions, read in one statement. */
export async function dataVersions(): Promise<DataVersions> {
  const rows = await db().dataVersion.findMany();
  const out: DataVersions = { records: 0, reviews: 0, settings: 0 };
  for (const r of rows) if (r.scope in out) out[r.scope as DataScope] = r.version;
  return out;
}

const clients = new WeakMap<object, number>();
let clientCount = 0;

/**
 * One key for all scopes of the ambient database, e.g. "db1:r12.v40.s3": the versions and which
 * database they count (a process that opens two, as the tests and the CLI can, never mixes them).
 */
export function versionKey(v: DataVersions): string {
  const client = db();
  let n = clients.get(client);
  if (n === undefined) {
    n = ++clientCount;
    clients.set(client, n);
  }
  return `db${n}:r${v.records}.v${v.reviews}.s${v.settings}`;
}

let pending: Promise<DataVersions> | null = null;

/**
 * The versions as of now or later, shared by every caller that asks before the read starts: a read
 * that starts after a caller asked sees every write committed before it asked, so callers arriving
 * together (a burst of requests) share one statement without ever reading an older state.
 */
export function currentVersions(): Promise<DataVersions> {
  pending ??= new Promise<DataVersions>((resolve, reject) => {
    setImmediate(() => {
      pending = null; // callers from here on wait for the next read
      dataVersions().then(resolve, reject);
    });
  });
  return pending;
}

const perRequest = new WeakMap<object, Promise<DataVersions>>();

/**
 * The versions as one request sees them, read once however many caches of the request ask (the
 * response cache, the facet index, the statistics): key by the request (or its context).
 */
export function requestVersions(request: object): Promise<DataVersions> {
  let v = perRequest.get(request);
  if (!v) {
    v = currentVersions();
    perRequest.set(request, v);
  }
  return v;
}
