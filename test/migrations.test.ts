import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivePostgresSchema } from '../scripts/postgres-schema.mjs';
import { diffSchemas } from '../scripts/schema-engine.ts';
import { MigrationError, migrate, migrationsDir, readMigrations } from '../src/db/migrate.ts';
import { createTestEnv, type TestEnv, testProvider } from './helpers/database.ts';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv({}, { migrate: false });
});
afterAll(() => env.dispose());

type Row = { migration_name: string; checksum: string; finished_at: unknown; applied_steps_count: unknown };
const rows = () =>
  env.db.$queryRawUnsafe<Row[]>(
    'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
  );

describe(`migrations on ${testProvider}`, () => {
  it('are standard Prisma Migrate folders with a lock file for the provider', () => {
    const lock = readFileSync(join(migrationsDir(testProvider), 'migration_lock.toml'), 'utf8');
    expect(lock).toContain(`provider = "${testProvider}"`);
    expect(readMigrations(testProvider).length).toBeGreaterThan(0);
  });

  it('apply once, concurrently too, and record what Prisma Migrate records', async () => {
    const all = readMigrations(testProvider);
    const [a, b] = await Promise.all([migrate(env.url), migrate(env.url)]);
    expect([...a, ...b].sort()).toEqual(all.map((m) => m.name).sort());
    expect(await migrate(env.url)).toEqual([]);
    const applied = await rows();
    expect(applied.map((r) => r.migration_name)).toEqual(all.map((m) => m.name));
    for (const r of applied) {
      const sql = readFileSync(join(migrationsDir(testProvider), r.migration_name, 'migration.sql'));
      expect(r.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(r.finished_at).not.toBeNull();
      expect(Number(r.applied_steps_count)).toBe(1);
    }
    // the schema is usable: the tables of the information model exist
    expect(await env.db.image.count()).toBe(0);
  });

  it('refuse to run when an applied migration was edited afterwards', async () => {
    const [first] = await rows();
    if (!first) throw new Error('no migration applied');
    await env.db.$executeRawUnsafe(
      `UPDATE _prisma_migrations SET checksum = 'x' WHERE migration_name = '${first.migration_name}'`,
    );
    await expect(migrate(env.url)).rejects.toThrow(MigrationError);
    await expect(migrate(env.url)).rejects.toThrow(/was edited after it was applied/);
    await env.db.$executeRawUnsafe(
      `UPDATE _prisma_migrations SET checksum = '${first.checksum}' WHERE migration_name = '${first.migration_name}'`,
    );
    expect(await migrate(env.url)).toEqual([]);
  });

  it('match prisma/schema.prisma: no model change is left without a migration', async () => {
    const root = join(import.meta.dirname, '..');
    const current = readFileSync(join(root, 'prisma', 'schema.prisma'), 'utf8');
    const migrated = readFileSync(join(root, 'prisma', 'migrated.prisma'), 'utf8');
    const derive = testProvider === 'sqlite' ? (s: string) => s : derivePostgresSchema;
    const factory =
      testProvider === 'sqlite'
        ? new PrismaBetterSqlite3({ url: ':memory:' })
        : new PrismaPg({
            connectionString: process.env.PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
          });
    const sql = await diffSchemas(
      factory,
      { path: 'schema.prisma', content: derive(migrated) },
      { path: 'schema.prisma', content: derive(current) },
    );
    expect(sql).toMatch(/empty migration/i);
    // and the migrations themselves build exactly that datamodel from nothing
    const fromEmpty = await diffSchemas(factory, null, { path: 'schema.prisma', content: derive(migrated) });
    const applied = readMigrations(testProvider)
      .map((m) => m.sql)
      .join('\n');
    for (const table of fromEmpty.matchAll(/CREATE TABLE "([a-z_]+)"/g))
      expect(applied).toContain(`CREATE TABLE "${table[1]}"`);
  });
});

describe(`upgrading a database that holds data, on ${testProvider}`, () => {
  let old: TestEnv;
  beforeAll(async () => {
    old = await createTestEnv({}, { migrate: false });
  });
  afterAll(() => old.dispose());

  it('keeps every row when later migrations redefine tables (no cascade through DROP TABLE)', async () => {
    const [first] = readMigrations(testProvider);
    if (!first) throw new Error('no migrations');
    expect(await migrate(old.url, { upTo: first.name })).toEqual([first.name]);
    const sql = (q: string) => old.db.$executeRawUnsafe(q);
    await sql(`INSERT INTO patient (id, code) VALUES (1, 'P-0000000000001')`);
    await sql(`INSERT INTO lesion (id, code, patient_id) VALUES (1, 'L-0000000000001', 1)`);
    await sql(
      `INSERT INTO image (id, patient_id, lesion_id, clinical_diagnosis_raw, diagnosis_class, image_quality_score, sha256, pixel_hash, phash,
         width, height, format, byte_size, storage_key, thumbnail_key, acquired_at, sharpness, clipped_share, glare_share, updated_at)
       VALUES (1, 1, 1, 'nevus', 'NEVUS', 4, '${'a'.repeat(64)}', '${'b'.repeat(64)}', '0123456789abcdef', 600, 450, 'jpeg', 1000,
         'originals/aa/x.jpg', 'thumbnails/aa/y.webp', '2025-07-01T00:00:00.000Z', 10, 0, 0, '2025-07-01T00:00:00.000Z')`,
    );
    await sql(`INSERT INTO image_color (image_id, color) VALUES (1, 'LIGHT_BROWN'), (1, 'DARK_BROWN')`);
    await sql(`INSERT INTO image_structure (image_id, structure) VALUES (1, 'PIGMENT_NETWORK_TYPICAL')`);
    for (const [i, r] of ['E-A', 'E-B'].entries()) {
      await sql(
        `INSERT INTO expert_review (id, image_id, reviewer_code, diagnosis_class) VALUES (${i + 1}, 1, '${r}', 'NEVUS')`,
      );
    }
    const all = readMigrations(testProvider);
    const openWorld = all.findIndex((m) => m.name.endsWith('_open_world'));
    const before = all[openWorld - 1];
    if (!before) throw new Error('no migration before open_world');
    await migrate(old.url, { upTo: before.name });
    // a public record (no SOP score) of a malignant class, stored before collections existed
    await sql(
      `INSERT INTO image (id, patient_id, lesion_id, clinical_diagnosis_raw, diagnosis_class, image_quality_score, sha256, pixel_hash, phash,
         width, height, format, byte_size, storage_key, thumbnail_key, acquired_at, sharpness, clipped_share, glare_share, updated_at)
       VALUES (2, 1, 1, 'mel', 'MELANOMA', NULL, '${'c'.repeat(64)}', '${'d'.repeat(64)}', '0123456789abcdef', 600, 450, 'jpeg', 1000,
         'originals/cc/x.jpg', 'thumbnails/cc/y.webp', NULL, 10, 0, 0, '2025-07-01T00:00:00.000Z')`,
    );
    await sql(
      `INSERT INTO initial_annotation (id, image_id, diagnosis_raw, diagnosis_class) VALUES (1, 2, 'mel', 'MELANOMA')`,
    );
    const applied = await migrate(old.url);
    expect(applied.length).toBe(all.length - openWorld);
    expect(await old.db.imageColor.count()).toBe(2);
    expect(await old.db.imageStructure.count()).toBe(1);
    expect(await old.db.expertReview.count()).toBe(2);
    const image = await old.db.image.findUniqueOrThrow({
      where: { id: 1 },
      select: { reviewCount: true, imageQualityScore: true },
    });
    expect(image).toEqual({ reviewCount: 2, imageQualityScore: 4 });
    // open_world: each stored class got its term and status; own records the own collection, public
    // records (no SOP score) a collection of their own, as nobody recorded where they came from
    const labelled = await old.db.image.findMany({
      orderBy: { id: 'asc' },
      select: { diagnosisTerm: true, clinicalStatus: true, collection: { select: { slug: true, kind: true } } },
    });
    expect(labelled).toEqual([
      {
        diagnosisTerm: 'Benign:Benign melanocytic proliferations:Nevus',
        clinicalStatus: 'BENIGN',
        collection: { slug: 'own', kind: 'own' },
      },
      {
        diagnosisTerm: 'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma, NOS',
        clinicalStatus: 'MALIGNANT',
        collection: { slug: 'imported-before-collections', kind: 'public' },
      },
    ]);
    expect(
      await old.db.initialAnnotation.findUniqueOrThrow({ where: { id: 1 }, select: { diagnosisTerm: true } }),
    ).toEqual({ diagnosisTerm: 'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma, NOS' });
  });
});
