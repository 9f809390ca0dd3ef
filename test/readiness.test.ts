// Liveness and readiness: /livez answers while the process lives, whatever its dependencies;
// /readyz is 200 only when the database and the blob store answer, every migration is applied and
// the server is neither seeding nor shutting down; /health keeps its answers and says "shutting
// down" while draining, when the API still answers with Connection: close.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { useDatabase } from '../src/db/current.ts';
import type { Readiness } from '../src/server/use-readiness.ts';
import { createDermasetYoga } from '../src/server/yoga.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
  useDatabase(env.db);
});
afterAll(() => env?.dispose());

const yogaIn = (readiness: Readiness, config: TestEnv['config'] = env.config) =>
  createDermasetYoga(config, () => readiness);

async function get(yoga: ReturnType<typeof yogaIn>, path: string) {
  const res = await yoga.fetch(`http://test${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe('/readyz', () => {
  it('is 200 ready when the database, the store and the migrations are all right', async () => {
    expect(await get(yogaIn({ state: 'ready' }), '/readyz')).toMatchObject({
      status: 200,
      body: {
        status: 'ready',
        checks: { database: { ok: true }, storage: { ok: true, reason: 'empty' }, migrations: { ok: true } },
      },
    });
  });

  it.each<[string, Readiness, string]>([
    ['seeding the demo', { state: 'seeding', phase: 'acquisition', done: 1, total: 9 }, 'seeding'],
    ['after a failed start', { state: 'failed', error: 'seed failed' }, 'failed'],
    ['once shutdown began', { state: 'draining' }, 'shutting down'],
  ])('is 503 while %s', async (_what, readiness, status) => {
    const res = await get(yogaIn(readiness), '/readyz');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe(status);
  });

  it('is 503 unavailable, with the short reason, when the database is away; /livez still answers 200', async () => {
    const away = openDatabase('postgresql://dermaset:s3cret-pw@127.0.0.1:1/nowhere');
    try {
      useDatabase(away.db);
      const yoga = yogaIn({ state: 'ready' });
      const res = await get(yoga, '/readyz');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('unavailable');
      const checks = res.body.checks as Record<string, { ok: boolean; reason?: string }>;
      expect(checks.database?.ok).toBe(false);
      expect(checks.database?.reason).toMatch(/DatabaseNotReachable|ECONNREFUSED/);
      expect(JSON.stringify(res.body)).not.toMatch(/s3cret|nowhere/);
      expect((await yoga.fetch('http://test/livez')).status).toBe(200);
    } finally {
      useDatabase(env.db);
      await away.close();
    }
  });

  it('is 503 when the blob store is broken (a file where the folder should be)', async () => {
    const broken = await createTestEnv();
    try {
      useDatabase(broken.db);
      writeFileSync(join(broken.dataDir, 'blobs'), 'not a folder');
      const res = await get(yogaIn({ state: 'ready' }, broken.config), '/readyz');
      expect(res.status).toBe(503);
      expect(res.body.checks).toMatchObject({ storage: { ok: false, reason: 'ENOTDIR' }, database: { ok: true } });
    } finally {
      useDatabase(env.db);
      await broken.dispose();
    }
  });

  it('is 503 while a migration of this code is not applied to the database', async () => {
    const behind = await createTestEnv();
    try {
      useDatabase(behind.db);
      const [last] = await behind.db.$queryRawUnsafe<{ migration_name: string }[]>(
        'SELECT migration_name FROM _prisma_migrations ORDER BY migration_name DESC LIMIT 1',
      );
      await behind.db.$executeRawUnsafe(
        `DELETE FROM _prisma_migrations WHERE migration_name = '${last?.migration_name ?? ''}'`,
      );
      const res = await get(yogaIn({ state: 'ready' }, behind.config), '/readyz');
      expect(res.status).toBe(503);
      expect(res.body.checks).toMatchObject({ migrations: { ok: false, reason: '1 pending' } });
    } finally {
      useDatabase(env.db);
      await behind.dispose();
    }
  });

  it('is read with GET or HEAD only', async () => {
    const res = await yogaIn({ state: 'ready' }).fetch('http://test/readyz', { method: 'POST' });
    expect(res.status).toBe(405);
  });
});

describe('while draining', () => {
  it('/health says "shutting down", and the API still answers, with Connection: close', async () => {
    const yoga = yogaIn({ state: 'draining' });
    expect(await get(yoga, '/health')).toMatchObject({ status: 503, body: { status: 'shutting down' } });
    const res = await yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
  });

  it('a seeding server answers its API 503 but /readyz, /livez and /metrics pass the gate', async () => {
    const yoga = yogaIn({ state: 'seeding', phase: 'acquisition', done: 0, total: 1 });
    const api = await yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(api.status).toBe(503);
    expect((await yoga.fetch('http://test/livez')).status).toBe(200);
    expect((await yoga.fetch('http://test/readyz')).status).toBe(503);
    // not the readiness gate's 503: /metrics answers for itself (403 without a token on yoga.fetch)
    expect((await yoga.fetch('http://test/metrics')).status).toBe(403);
  });
});
