import { constants } from 'node:fs';
import { access, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plugin } from 'graphql-yoga';
import type { Db } from '../db/client.ts';
import { refuseWrite } from './read-only.ts';
import type { Readiness } from './use-readiness.ts';

/** One dependency's state: `reason` is a short cause (an error class or code), never a message or a path. */
export interface Check {
  ok: boolean;
  reason?: string;
}

export interface HealthOptions {
  /**
   * The blob folder (DATA_DIR/blobs). Without it /health checks the database only and reports no
   * `blobs` check.
   */
  blobs?: string;
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

async function checkDatabase(db: () => Db): Promise<Check> {
  try {
    // a cheap round trip; no dataset numbers here, /health is open to anonymous callers
    await db().$queryRawUnsafe('SELECT 1');
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: reasonOf(e) };
  }
}

/**
 * The blob folder is a readable, writable folder: a small probe file is written and removed (that
 * also finds a read-only or full file system). A folder that does not exist yet is fine while the
 * database holds no image (the first upload creates it); once images exist, it must be there.
 */
async function checkBlobs(root: string, db: () => Db): Promise<Check> {
  try {
    const folder = await stat(root);
    if (!folder.isDirectory()) return { ok: false, reason: 'ENOTDIR' };
    await access(root, constants.R_OK | constants.W_OK | constants.X_OK);
    // one name for every check: a probe left by a killed process is the next check's to remove
    const probe = join(root, '.health-probe');
    try {
      await writeFile(probe, 'ok');
    } finally {
      await rm(probe, { force: true });
    }
    return { ok: true };
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') {
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
 *   on first start, and `{"status":"error","checks":{…},"error":…}` when the start failed.
 */
export function useHealth(db: () => Db, readiness: () => Readiness, opts: HealthOptions = {}): Plugin {
  const endpoint = opts.endpoint ?? '/health';
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      const wrongMethod = refuseWrite(request, fetchAPI, `${endpoint} is read`);
      if (wrongMethod) return endResponse(wrongMethod);
      const [database, blobs] = await Promise.all([
        checkDatabase(db),
        opts.blobs === undefined ? undefined : checkBlobs(opts.blobs, db),
      ]);
      const checks = blobs ? { database, blobs } : { database };
      const r = readiness();
      const body = !Object.values(checks).every((c) => c.ok)
        ? { status: 'unavailable', checks }
        : r.state === 'seeding'
          ? { status: 'seeding', checks, seed: { phase: r.phase, done: r.done, total: r.total } }
          : r.state === 'failed'
            ? { status: 'error', checks, error: r.error }
            : { status: 'ok', checks };
      endResponse(fetchAPI.Response.json(body, { status: body.status === 'ok' ? 200 : 503 }));
    },
  };
}
