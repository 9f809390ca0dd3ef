// First start: the demo cohort is seeded once, even when two instances start at the same moment on
// one empty database (each with its own data folder, as separate machines would have).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { DEMO_CLAIM, STALE_CLAIM_MS, seedDemoIfEmpty } from '../src/server/start.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';

let env: TestEnv;
const otherDir = mkdtempSync(join(tmpdir(), 'dermaset-second-instance-'));

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
});
afterAll(async () => {
  await env?.dispose();
  rmSync(otherDir, { recursive: true, force: true });
});

describe('seeding the demo cohort on first start', () => {
  it('seeds once when two instances start together on an empty database', async () => {
    const second = openDatabase(env.config.databaseUrl);
    try {
      const size = { width: 96, height: 72 };
      const results = await Promise.all([
        seedDemoIfEmpty(env.config, env, { size }),
        seedDemoIfEmpty({ ...env.config, dataDir: otherDir }, second, { size }),
      ]);
      expect(results.sort()).toEqual([false, true]);
    } finally {
      await second.close();
    }
    expect(await env.db.intakeRecord.count()).toBe(1076);
    expect(await env.db.image.count()).toBe(1026);
    expect((await env.db.setting.findUnique({ where: { key: DEMO_CLAIM } }))?.value).toMatch(/^done /);
    // and a later start finds it seeded
    expect(await seedDemoIfEmpty(env.config, env)).toBe(false);
  }, 180_000);

  it('takes over a claim abandoned before any acquisition was stored, not a fresh one', async () => {
    const empty = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
    try {
      const size = { width: 96, height: 72 };
      const recent = `seeding since ${new Date(Date.now() - 10_000).toISOString()}`;
      await empty.db.setting.create({ data: { key: DEMO_CLAIM, value: recent } });
      expect(await seedDemoIfEmpty(empty.config, empty, { size })).toBe(false);
      expect(await empty.db.intakeRecord.count()).toBe(0);
      const old = `seeding since ${new Date(Date.now() - STALE_CLAIM_MS - 1000).toISOString()}`;
      await empty.db.setting.update({ where: { key: DEMO_CLAIM }, data: { value: old } });
      expect(await seedDemoIfEmpty(empty.config, empty, { size })).toBe(true);
      expect(await empty.db.image.count()).toBe(1026);
    } finally {
      await empty.dispose();
    }
  }, 180_000);
});
