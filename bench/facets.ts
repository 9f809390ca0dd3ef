// bench/facets: `facets` (unfiltered; sex, colours, structures, diagnosisTerm filters) and first pages
// with totalCount (structures allOf, colours, near-duplicate, sex filters) through yoga.fetch, answered
// by the facet index (built, warm) beside the old SQL path for the same query in the same run
// (target < 300 ms each); the index's build time, its bytes and the process's RSS are stated apart.
// On the demo cohort (seeded here, with an admin token), or with --db on an existing cohort, read
// only: the requests then go as an anonymous viewer under public read, so no token is written.
//   npx tsx bench/facets.ts
//   npx tsx bench/facets.ts --db file:/work/cohorts/sqlite-1m/dermaset.db --data-dir /work/cohorts/sqlite-1m --cohort 1m

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { seedDemo } from '../prisma/demo/seed.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { useDatabase } from '../src/db/current.ts';
import { migrate } from '../src/db/migrate.ts';
import { providerOf } from '../src/db/provider.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { buildFacetIndex, facetIndexStatus, setFacetIndexEnabled } from '../src/resolvers/facet-index.ts';
import { createToken } from '../src/resolvers/tokens.ts';
import { createDermasetYoga } from '../src/server/yoga.ts';
import { report } from './report.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const url = arg('db');
let dataDir = arg('data-dir') ?? '';
const own = !url;
if (own) dataDir = mkdtempSync(join(tmpdir(), 'dermaset-bench-facets-'));
const config = loadConfig({
  DATA_DIR: dataDir,
  ...(url ? { DATABASE_URL: url, DERMASET_PUBLIC_READ: 'true' } : {}),
  DERMASET_MIN_SIDE: '32',
  DERMASET_PSEUDONYM_KEY: 'bench-key-0123456789abcdef',
  // every request measured, none answered from the response cache
  DERMASET_RESPONSE_CACHE_ENTRIES: '0',
});
if (own) {
  console.log('bench/facets: seeding the demo cohort (96×72 px images)…');
  await migrate(config.databaseUrl);
}
const database = openDatabase(config.databaseUrl);
useDatabase(database.db);
if (own) await seedDemo(database.db, createPipeline(config, database.db), { size: { width: 96, height: 72 } });
const headers: Record<string, string> = { 'content-type': 'application/json' };
if (own) headers.authorization = `Bearer ${(await createToken('bench facets', 'ADMIN')).token}`;

const images = await database.db.image.count();
const provider = providerOf(config.databaseUrl);
const cohort = arg('cohort') ?? (url ? 'cohort' : 'demo');
const label = (what: string) => `${what} (${provider} ${cohort})`;
// the SQL path takes seconds a query at a million images: fewer runs of it
const runs = { index: 7, sql: images > 200_000 ? 1 : images > 20_000 ? 3 : 7 };
const bench = 'facets';
const yoga = createDermasetYoga(config);

const FACETS =
  'query Facets($filter: ImageFilter) { facets(filter: $filter) { total fields { field present missing values { value count } } } }';
const PAGE =
  'query Page($filter: ImageFilter) { images(first: 50, filter: $filter) { totalCount pageInfo { endCursor } edges { node { sha256 } } } }';

async function post(query: string, filter: unknown): Promise<unknown> {
  const res = await yoga.fetch('http://bench/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: { filter } }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: { message: string }[] };
  if (body.errors) throw new Error(`bench/facets: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data;
}

async function median(fn: () => Promise<unknown>, n: number): Promise<{ ms: number; result: unknown }> {
  let result = await fn();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    result = await fn();
    ms.push(performance.now() - t);
  }
  return { ms: ms.sort((a, b) => a - b)[Math.floor(n / 2)] ?? 0, result };
}

const CASES: [string, string, unknown][] = [
  ['facets, no filter', FACETS, {}],
  ['facets, sex', FACETS, { sex: ['FEMALE'] }],
  ['facets, colours', FACETS, { colors: { anyOf: ['BLUE_GRAY'] } }],
  ['facets, structures', FACETS, { structures: { allOf: ['PIGMENT_NETWORK_ATYPICAL', 'DOTS_GLOBULES_IRREGULAR'] } }],
  ['facets, diagnosisTerm', FACETS, { diagnosisTerm: ['Malignant'] }],
  [
    'first page + totalCount, structures allOf',
    PAGE,
    { structures: { allOf: ['PIGMENT_NETWORK_ATYPICAL', 'DOTS_GLOBULES_IRREGULAR'] } },
  ],
  ['first page + totalCount, colours', PAGE, { colors: { anyOf: ['BLUE_GRAY'] } }],
  ['first page + totalCount, near duplicate', PAGE, { nearDuplicate: true }],
  ['first page + totalCount, sex', PAGE, { sex: ['FEMALE'] }],
];

try {
  console.log(
    `bench/facets: ${images.toLocaleString('en')} images on ${provider}; median of ${runs.index} (index) and ${runs.sql} (SQL)`,
  );
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  await buildFacetIndex();
  const build = performance.now() - t;
  const status = facetIndexStatus();
  if (status.version === null) throw new Error(`bench/facets: the index was not built: ${status.lastError}`);
  const rss = process.memoryUsage().rss;
  report({ bench, what: label('facet index build (once per records version)'), value: build, unit: 'ms' });
  report({ bench, what: label('facet index size'), value: status.bytes / 2 ** 20, unit: 'MB' });
  report({
    bench,
    what: label('RSS after the build (its growth)'),
    value: rss / 2 ** 20,
    unit: 'MB',
    baseline: { what: 'RSS before', value: rss0 / 2 ** 20 },
  });
  let mismatches = 0;
  for (const [what, query, filter] of CASES) {
    setFacetIndexEnabled(false);
    // the SQL path can fail at a million images (PostgreSQL: its 31 parallel aggregates wait past
    // the pool's connection timeout); the index is measured all the same
    const sql = await median(() => post(query, filter), runs.sql).catch((e: unknown) => {
      console.log(`bench/facets: ${what}: the SQL path failed: ${(e as Error).message}`);
      return null;
    });
    setFacetIndexEnabled(true);
    const hits = facetIndexStatus().hits;
    const indexed = await median(() => post(query, filter), runs.index);
    if (facetIndexStatus().hits === hits) throw new Error(`bench/facets: the index did not answer ${what}`);
    const same = sql === null || isDeepStrictEqual(indexed.result, sql.result);
    if (!same) {
      mismatches++;
      console.log(`bench/facets: ${what}: the index and SQL DISAGREE`);
    }
    report({
      bench,
      what: label(what),
      value: indexed.ms,
      unit: 'ms',
      ...(sql ? { baseline: { what: 'the SQL path, same query', value: sql.ms }, ratio: indexed.ms / sql.ms } : {}),
      target: '< 300 ms',
      met: same && indexed.ms < 300,
    });
  }
  t = performance.now();
  await post(FACETS, {});
  console.log(
    `bench/facets: ${mismatches === 0 ? 'every answer of the index equals the SQL answer' : `${mismatches} answers differ`}; one more facets call ${(performance.now() - t).toFixed(0)} ms`,
  );
} finally {
  await database.close();
  if (own) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
