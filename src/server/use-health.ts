import type { Plugin } from 'graphql-yoga';
import type { Db } from '../db/client.ts';
import { readMigrations } from '../db/migrate.ts';
import { providerOf } from '../db/provider.ts';
import { type BlobStore, LocalBlobStore } from '../storage/blob-store.ts';
import { refuseWrite } from './read-only.ts';
import type { Readiness } from './use-readiness.ts';

/** One dependency's state: `reason` is a short cause (an error class or code), never a message or a path. */
export interface Check {
  ok: boolean;
  reason?: string;
}

export interface HealthOptions {
  /**
   * The blob store (a path is the local folder DATA_DIR/blobs). Without it /health checks the
   * database only and reports no `blobs` check.
   */
  blobs?: BlobStore | string;
  endpoint?: string;
}

/**
 * A short, safe cause of an error: its class and its codes (an errno like ECONNREFUSED, a Prisma
 * code like P1001, a driver adapter's kind like DatabaseNotReachable), looked up on the error, its
 * causes and Prisma's `meta.driverAdapterError`. Messages, hosts and paths are left out: they may
 * carry a user name, a password or the layout of the server.
 */
export function reasonOf(error: unknown): string {
  const parts: string[] = [];
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && name !== 'Error') parts.push(name);
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || seen.has(e) || depth > 4) return;
    seen.add(e);
    const o = e as Record<string, unknown>;
    for (const key of ['code', 'kind', 'originalCode']) {
      const v = o[key];
      if ((typeof v === 'string' || typeof v === 'number') && /^[A-Za-z0-9_.-]{1,40}$/.test(String(v))) {
        if (!parts.includes(String(v))) parts.push(String(v));
      }
    }
    for (const key of ['meta', 'driverAdapterError', 'cause']) visit(o[key], depth + 1);
  };
  visit(error, 0);
  return parts.join(' ') || 'error';
}

export async function checkDatabase(db: () => Db): Promise<Check> {
  try {
    // a cheap round trip; no dataset numbers here, /health is open to anonymous callers
    await db().$queryRawUnsafe('SELECT 1');
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: reasonOf(e) };
  }
}

/**
 * The blob store answers: a local folder is readable and writable (a probe file is written and
 * removed), an object store's bucket answers. A local folder that does not exist yet is fine while
 * the database holds no image (the first upload creates it); once images exist, it must be there.
 */
export async function checkStore(store: BlobStore, db: () => Db): Promise<Check> {
  try {
    await store.check();
    return { ok: true };
  } catch (e) {
    if (store.backend === 'local' && (e as { code?: unknown }).code === 'ENOENT') {
      const stored = await db()
        .image.findFirst({ select: { id: true } })
        .catch(() => null);
      if (!stored) return { ok: true, reason: 'empty' };
    }
    return { ok: false, reason: reasonOf(e) };
  }
}

/**
 * GET /health, open to anonymous callers (load balancers, `npm start`'s readiness message):
 * - 200 `{"status":"ok","checks":{"database":{"ok":true},"blobs":{"ok":true}}}` when the server is
 *   ready, the database answers and the blob folder is readable and writable;
 * - 503 `{"status":"unavailable","checks":{…}}` when a check fails, each failed check with a short
 *   `reason` (an error class or code such as ECONNREFUSED, ENOENT, EACCES; never a message or a path);
 * - 503 `{"status":"seeding","checks":{…},"seed":{phase,done,total}}` while the demo cohort is seeded
 *   on first start, `{"status":"error","checks":{…},"error":…}` when the start failed, and
 *   `{"status":"shutting down","checks":{…}}` once SIGTERM has been received.
 */
export function useHealth(db: () => Db, readiness: () => Readiness, opts: HealthOptions = {}): Plugin {
  const endpoint = opts.endpoint ?? '/health';
  const store = typeof opts.blobs === 'string' ? new LocalBlobStore(opts.blobs) : opts.blobs;
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      const wrongMethod = refuseWrite(request, fetchAPI, `${endpoint} is read`);
      if (wrongMethod) return endResponse(wrongMethod);
      const [database, blobs] = await Promise.all([
        checkDatabase(db),
        store === undefined ? undefined : checkStore(store, db),
      ]);
      const checks = blobs ? { database, blobs } : { database };
      const r = readiness();
      const body = !Object.values(checks).every((c) => c.ok)
        ? { status: 'unavailable', checks }
        : r.state === 'seeding'
          ? { status: 'seeding', checks, seed: { phase: r.phase, done: r.done, total: r.total } }
          : r.state === 'failed'
            ? { status: 'error', checks, error: r.error }
            : r.state === 'draining'
              ? { status: 'shutting down', checks }
              : { status: 'ok', checks };
      endResponse(fetchAPI.Response.json(body, { status: body.status === 'ok' ? 200 : 503 }));
    },
  };
}

export interface ReadyzOptions {
  store: BlobStore;
  /** The database's URL, for which migrations this code expects (default: SQLite's, the same names). */
  databaseUrl?: string | undefined;
}

/** The migrations this code expects, by name: the database must have applied each. */
function expectedMigrations(databaseUrl: string | undefined): string[] {
  return readMigrations(databaseUrl ? providerOf(databaseUrl) : 'sqlite').map((m) => m.name);
}

async function checkMigrations(db: () => Db, expected: readonly string[]): Promise<Check> {
  try {
    const rows = await db().$queryRawUnsafe<{ migration_name: string }[]>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Set(rows.map((r) => r.migration_name));
    const missing = expected.filter((name) => !applied.has(name)).length;
    return missing === 0 ? { ok: true } : { ok: false, reason: `${missing} pending` };
  } catch (e) {
    return { ok: false, reason: reasonOf(e) };
  }
}

/**
 * GET /readyz, for load balancers and orchestrators (open, as /health; no dataset figures): 200
 * `{"status":"ready","checks":{database,storage,migrations}}` when the database answers, the blob
 * store answers, every migration of this code is applied, and the server is neither seeding the demo
 * nor shutting down; else 503 with `status` "seeding", "shutting down", "failed" or "unavailable"
 * (a check failed, with its short `reason`). Liveness is GET /livez (yoga's own: the process
 * answers, nothing else is checked), so an orchestrator restarts a hung process, not one whose
 * database is away.
 */
export function useReadyz(db: () => Db, readiness: () => Readiness, opts: ReadyzOptions): Plugin {
  let expected: string[] | undefined;
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== '/readyz') return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return endResponse(
          fetchAPI.Response.json(
            { code: 'METHOD_NOT_ALLOWED', message: '/readyz is read with GET or HEAD' },
            { status: 405, headers: { allow: 'GET, HEAD' } },
          ),
        );
      }
      expected ??= expectedMigrations(opts.databaseUrl);
      const [database, storage, migrations] = await Promise.all([
        checkDatabase(db),
        checkStore(opts.store, db),
        checkMigrations(db, expected),
      ]);
      const checks = { database, storage, migrations };
      const r = readiness();
      const status =
        r.state === 'draining'
          ? 'shutting down'
          : r.state === 'seeding'
            ? 'seeding'
            : r.state === 'failed'
              ? 'failed'
              : Object.values(checks).every((c) => c.ok)
                ? 'ready'
                : 'unavailable';
      endResponse(fetchAPI.Response.json({ status, checks }, { status: status === 'ready' ? 200 : 503 }));
    },
  };
}
