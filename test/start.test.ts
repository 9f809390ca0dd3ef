// First start: of several instances starting at once on one empty database, exactly one claims the
// demo seed, and a claim abandoned before any acquisition was stored is taken over. The seed itself
// runs through `npx dermaset serve` in test/cli.test.ts and builds the run's cohort in helpers/cohort.ts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { claimDemoSeedIfEmpty, DEMO_CLAIM, STALE_CLAIM_MS } from '../src/server/start.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';

let env: TestEnv;
const otherDir = mkdtempSync(join(tmpdir(), 'dermaset-second-instance-'));
const marker = (dir: string) => join(dir, '.demo-seeding');

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
});
afterAll(async () => {
  await env?.dispose();
  rmSync(otherDir, { recursive: true, force: true });
});

describe('claiming the demo seed on first start', () => {
  it('one of two instances starting together on an empty database claims it, each with its own data folder', async () => {
    const second = openDatabase(env.config.databaseUrl);
    try {
      const claims = await Promise.all([
        claimDemoSeedIfEmpty(env.config, env),
        claimDemoSeedIfEmpty({ ...env.config, dataDir: otherDir }, second),
      ]);
      expect(claims.sort()).toEqual([false, true]);
      // the winner keeps its marker (an interrupted seed resumes from that folder), the other drops it
      expect([existsSync(marker(env.dataDir)), existsSync(marker(otherDir))].sort()).toEqual([false, true]);
      expect((await env.db.setting.findUnique({ where: { key: DEMO_CLAIM } }))?.value).toMatch(/^seeding since /);
      // the winner's data folder resumes on its next start; the other still finds the claim held
      const winner = existsSync(marker(env.dataDir)) ? env.config : { ...env.config, dataDir: otherDir };
      const loser = winner === env.config ? { ...env.config, dataDir: otherDir } : env.config;
      expect(await claimDemoSeedIfEmpty(winner, env)).toBe(true);
      expect(await claimDemoSeedIfEmpty(loser, second)).toBe(false);
    } finally {
      await second.close();
    }
  });

  it('takes over a claim abandoned before any acquisition was stored, not a fresh one', async () => {
    const empty = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
    try {
      const recent = `seeding since ${new Date(Date.now() - 10_000).toISOString()}`;
      await empty.db.setting.create({ data: { key: DEMO_CLAIM, value: recent } });
      expect(await claimDemoSeedIfEmpty(empty.config, empty)).toBe(false);
      const old = `seeding since ${new Date(Date.now() - STALE_CLAIM_MS - 1000).toISOString()}`;
      await empty.db.setting.update({ where: { key: DEMO_CLAIM }, data: { value: old } });
      expect(await claimDemoSeedIfEmpty(empty.config, empty)).toBe(true);
      expect((await empty.db.setting.findUnique({ where: { key: DEMO_CLAIM } }))?.value).not.toBe(old);
    } finally {
      await empty.dispose();
    }
  });

  it('does not seed a database that holds acquisitions', async () => {
    const seeded = await createCohortEnv();
    try {
      expect(await claimDemoSeedIfEmpty(seeded.config, seeded)).toBe(false);
      expect(existsSync(marker(seeded.dataDir))).toBe(false);
    } finally {
      await seeded.dispose();
    }
  });
});
