// bench/make-cohort: a small cohort built in bulk on the run's test database (SQLite or
// PostgreSQL) answers the API like one built through the pipeline: images, stats and facets,
// every child table filled, the paper's marginals kept, the data versions raised once, image bytes
// served from the shared blobs. Then the runner's stale-schema check on the same database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_PSEUDONYM_KEY, IN_REVIEW_SHARE, OWN_SHARE } from '../bench/cohort-plan.ts';
import { cohortExists, makeCohort, pendingMigrations } from '../bench/make-cohort.ts';
import { markdownTable, parseFigures, rowOf } from '../bench/run-all.ts';
import { useDatabase } from '../src/db/current.ts';
import { type DataVersions, dataVersions } from '../src/db/data-version.ts';
import { readMigrations } from '../src/db/migrate.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';

const IMAGES = 3_000;
let env: TestEnv;
let api: Api;
/** The data versions right after the build (the tests below write). */
let built: DataVersions;

/** A GraphQL request through yoga.fetch, as an admin. */
async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...api.headers('ADMIN') },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  expect(body.errors).toBeUndefined();
  return body.data as T;
}

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_PSEUDONYM_KEY: BENCH_PSEUDONYM_KEY }, { migrate: false });
  await makeCohort({ images: IMAGES, url: env.url, dataDir: env.dataDir, seed: 7 });
  useDatabase(env.db);
  built = await dataVersions();
  api = await createApi(env);
}, 120_000);

afterAll(async () => {
  await env?.dispose();
});

describe('make-cohort', () => {
  it('fills every table a record reaches, in step with the image count', async () => {
    const db = env.db;
    const counts = {
      image: await db.image.count(),
      patient: await db.patient.count(),
      lesion: await db.lesion.count(),
      imageColor: await db.imageColor.count(),
      imageStructure: await db.imageStructure.count(),
      nearDuplicate: await db.nearDuplicate.count(),
      initialAnnotation: await db.initialAnnotation.count(),
      annotationStructure: await db.annotationStructure.count(),
      expertReview: await db.expertReview.count(),
      reviewStructure: await db.reviewStructure.count(),
      consensusDecision: await db.consensusDecision.count(),
      histopathologyReport: await db.histopathologyReport.count(),
      labelChange: await db.labelChange.count(),
      intakeRecord: await db.intakeRecord.count(),
      factConflict: await db.factConflict.count(),
      importRecord: await db.importRecord.count(),
    };
    for (const [table, n] of Object.entries(counts)) expect(n, table).toBeGreaterThan(0);
    expect(counts.image).toBe(IMAGES);
    expect(counts.initialAnnotation).toBe(IMAGES);
    expect(await db.collection.count()).toBe(5);
    // review_count is kept in step with the reviews, as submitReview keeps it
    const sum = await db.image.aggregate({ _sum: { reviewCount: true } });
    expect(sum._sum.reviewCount).toBe(counts.expertReview);
    // the serial ids continue after the loaded rows (a new patient gets a fresh id)
    const p = await db.patient.create({ data: { code: 'P-NEWAFTERLOAD' } });
    expect(p.id).toBe(counts.patient + 1);
    await db.patient.delete({ where: { id: p.id } });
  });

  it('keeps the marginals it scales: collections, patients, classes, reviews, near duplicates', async () => {
    const db = env.db;
    const own = await db.image.count({ where: { collection: { slug: 'own' } } });
    expect(own / IMAGES).toBeCloseTo(OWN_SHARE, 1);
    const patients = await db.patient.count();
    // the demo cohort's 1,026 images of 443 patients: 2.32 per patient
    expect(IMAGES / patients).toBeGreaterThan(2.1);
    expect(IMAGES / patients).toBeLessThan(2.55);
    // the paper's Table 4 after consensus: nevi 733 of 1,026 (71 %) of our own images
    const decidedOwn = await db.image.count({ where: { collection: { slug: 'own' }, consensus: { isNot: null } } });
    const nevi = await db.image.count({
      where: { collection: { slug: 'own' }, consensus: { isNot: null }, diagnosisClass: 'NEVUS' },
    });
    expect(nevi / decidedOwn).toBeGreaterThan(0.65);
    expect(nevi / decidedOwn).toBeLessThan(0.78);
    // three reviews per decided own image; the rest wait in the review queue
    expect(1 - decidedOwn / own).toBeCloseTo(IN_REVIEW_SHARE, 1);
    const ownReviews = await db.expertReview.count({ where: { image: { collection: { slug: 'own' } } } });
    expect(ownReviews).toBeGreaterThanOrEqual(3 * decidedOwn);
    expect(ownReviews).toBeLessThan(3 * decidedOwn + 2 * (own - decidedOwn) + 1);
    // every malignant own image that was decided has its histology
    const malignant = await db.image.count({
      where: { collection: { slug: 'own' }, consensus: { isNot: null }, clinicalStatus: 'MALIGNANT' },
    });
    const withHistology = await db.histopathologyReport.count({ where: { image: { collection: { slug: 'own' } } } });
    expect(withHistology).toBe(malignant);
    const near = await db.nearDuplicate.count();
    expect(near / IMAGES).toBeGreaterThan(0.005);
    expect(near / IMAGES).toBeLessThan(0.03);
    // terms and statuses as the app keeps them: a class's images carry its status
    const badStatus = await db.image.count({
      where: { diagnosisClass: 'MELANOMA', clinicalStatus: { not: 'MALIGNANT' } },
    });
    expect(badStatus).toBe(0);
  });

  it('answers images, stats and facets through the API', async () => {
    const page = await gql<{ images: { totalCount: number; edges: { node: { sha256: string } }[] } }>(
      '{ images(first: 24) { totalCount edges { node { sha256 } } } }',
    );
    expect(page.images.totalCount).toBe(IMAGES);
    expect(page.images.edges).toHaveLength(24);
    const stats = await gql<{ stats: { images: number; patients: number; classes: { count: number }[] } }>(
      '{ stats { images patients classes { count } } }',
    );
    expect(stats.stats.images).toBe(IMAGES);
    expect(stats.stats.patients).toBe(await env.db.patient.count());
    const facets = await gql<{
      facets: { total: number; field: { values: { value: string; count: number }[] } | null };
    }>('{ facets(filter: { sex: [FEMALE] }) { total field(name: "collection") { values { value count } } } }');
    expect(facets.facets.total).toBe(await env.db.image.count({ where: { patient: { sex: 'FEMALE' } } }));
    expect(facets.facets.field?.values.map((v) => v.value)).toContain('own');
  });

  it('raised the data versions (the migrations leave them at 0; later ones may raise reviews too)', async () => {
    const v = built;
    expect(v.records).toBe(1);
    expect(v.settings).toBe(1);
    expect(v.reviews).toBeGreaterThanOrEqual(1);
  });

  it("serves an image's bytes from the shared blobs", async () => {
    const image = await env.db.image.findFirstOrThrow({ orderBy: { id: 'desc' }, select: { sha256: true } });
    for (const variant of ['original', 'thumbnail']) {
      const res = await api.yoga.fetch(`http://test/images/${image.sha256}/${variant}`, {
        headers: api.headers('VIEWER'),
      });
      expect(res.status).toBe(200);
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(bytes.byteLength).toBeGreaterThan(100);
      // JPEG starts FF D8, WebP with RIFF
      expect(variant === 'original' ? [bytes[0], bytes[1]] : [bytes[0], bytes[1]]).toEqual(
        variant === 'original' ? [0xff, 0xd8] : [0x52, 0x49],
      );
    }
  });

  it('tells a cohort whose schema is behind the code (the runner migrates it)', async () => {
    expect(await cohortExists(env.url)).toBe(true);
    expect(await pendingMigrations(env.url)).toEqual([]);
    const last = readMigrations(env.provider).at(-1)?.name as string;
    await env.db.$executeRawUnsafe(`DELETE FROM _prisma_migrations WHERE migration_name = '${last}'`);
    expect(await pendingMigrations(env.url)).toEqual([last]);
  });
});

describe('npm run bench collects the BENCH lines', () => {
  it('keeps the figures, skips other and broken lines, and tabulates them with the baseline', () => {
    const out = [
      'facets, no filter   12 ms',
      'BENCH {"bench":"facets","what":"facets, filter sex | colours","value":212.4,"unit":"ms","baseline":{"what":"raw scan","value":100},"ratio":2.124,"target":"< 300 ms","met":true}',
      'BENCH {not json',
      'BENCH {"bench":"load","what":"errors","value":0,"unit":"errors","target":"0 errors","met":false}',
    ].join('\n');
    const figures = parseFigures(out);
    expect(figures.map((f) => f.bench)).toEqual(['facets', 'load']);
    const table = markdownTable(figures.map((f) => rowOf(f, 'sqlite', '1m')));
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe(
      '| facets | facets, filter sex \\| colours | sqlite | 1m | 212 ms | 100 ms (raw scan) | 2.12 | < 300 ms | yes |',
    );
    expect(lines[3]).toContain('| 0 errors |  |  | 0 errors | **no** |');
  });
});
