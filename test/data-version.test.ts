// The data versions raised by the triggers of migration data_version: each write raises its scope
// once, in its own transaction, and a rolled-back write raises nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { dataVersions, versionKey } from '../src/db/data-version.ts';
import { createTestEnv, type TestEnv, testProvider } from './helpers/database.ts';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
  useDatabase(env.db);
});
afterAll(() => env.dispose());

async function raised(write: () => Promise<unknown>, opts: { fails?: boolean } = {}) {
  const before = await dataVersions();
  if (opts.fails) await expect(write()).rejects.toThrow();
  else await write();
  const after = await dataVersions();
  return {
    records: after.records - before.records,
    reviews: after.reviews - before.reviews,
    settings: after.settings - before.settings,
  };
}

describe(`data versions on ${testProvider}`, () => {
  let imageId = 0;
  it('a new record raises records once per transaction, however many rows it writes', async () => {
    const delta = await raised(() =>
      env.db.$transaction(async (tx) => {
        const p = await tx.patient.create({ data: { code: 'P-dv' } });
        const l = await tx.lesion.create({ data: { code: 'L-dv', patientId: p.id } });
        const own = await tx.collection.findUniqueOrThrow({ where: { slug: 'own' } });
        const i = await tx.image.create({
          data: {
            patientId: p.id,
            lesionId: l.id,
            collectionId: own.id,
            clinicalDiagnosisRaw: 'nevus',
            diagnosisClass: 'NEVUS',
            diagnosisTerm: 'Benign:Benign melanocytic proliferations:Nevus',
            clinicalStatus: 'BENIGN',
            sha256: 'a'.repeat(64),
            pixelHash: 'b'.repeat(64),
            phash: '0'.repeat(16),
            width: 1,
            height: 1,
            format: 'jpeg',
            byteSize: 1,
            storageKey: 'k',
            thumbnailKey: 't',
            sharpness: 1,
            clippedShare: 0,
            glareShare: 0,
            colors: { create: [{ color: 'LIGHT_BROWN' }, { color: 'BLACK' }] },
          },
        });
        imageId = i.id;
      }),
    );
    // SQLite's triggers fire per row, PostgreSQL's once per scope and transaction
    expect(delta.records).toBeGreaterThan(0);
    if (testProvider === 'postgresql') expect(delta.records).toBe(1);
    expect(delta.reviews).toBe(0);
    expect(delta.settings).toBe(0);
  });

  it('a review count alone raises reviews, a label raises records', async () => {
    expect(await raised(() => env.db.image.update({ where: { id: imageId }, data: { reviewCount: 1 } }))).toEqual({
      records: 0,
      reviews: 1,
      settings: 0,
    });
    // the optimistic-concurrency bump alone (the first write of every trail mutation) is visible data
    expect(
      await raised(() => env.db.image.update({ where: { id: imageId }, data: { version: { increment: 1 } } })),
    ).toEqual({ records: 0, reviews: 1, settings: 0 });
    const label = await raised(() =>
      env.db.image.update({ where: { id: imageId }, data: { diagnosisClass: 'MELANOMA', version: { increment: 1 } } }),
    );
    expect(label.records).toBe(1);
    expect(label.settings).toBe(0);
  });

  it('a setting raises settings; a rolled-back write raises nothing', async () => {
    expect(await raised(() => env.db.setting.create({ data: { key: 'dv-test', value: '1' } }))).toEqual({
      records: 0,
      reviews: 0,
      settings: 1,
    });
    const rolledBack = await raised(
      () =>
        env.db.$transaction(async (tx) => {
          await tx.setting.update({ where: { key: 'dv-test' }, data: { value: '2' } });
          await tx.patient.create({ data: { code: 'P-dv-2' } });
          throw new Error('roll back');
        }),
      { fails: true },
    );
    expect(rolledBack).toEqual({ records: 0, reviews: 0, settings: 0 });
    expect(versionKey(await dataVersions())).toMatch(/^db\d+:r\d+\.v\d+\.s\d+$/);
  });
});

describe('versions read together', () => {
  it('callers asking at once share one read, and a caller asking after a commit sees it', async () => {
    const { currentVersions } = await import('../src/db/data-version.ts');
    let reads = 0;
    const counting = await createTestEnv({}, { onQuery: (sql) => (/data_version/.test(sql) ? reads++ : 0) });
    try {
      useDatabase(counting.db);
      const together = await Promise.all(Array.from({ length: 20 }, () => currentVersions()));
      expect(reads).toBe(1);
      expect(new Set(together.map(versionKey)).size).toBe(1);
      await counting.db.setting.create({ data: { key: 'dv-after', value: '1' } });
      const after = await currentVersions();
      expect(after.settings).toBe((together[0]?.settings ?? 0) + 1);
    } finally {
      useDatabase(env.db);
      await counting.dispose();
    }
  });
});
