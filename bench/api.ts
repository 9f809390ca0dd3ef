// bench/api: requests/s and p50/p99 latency of a 100-image gallery page (every block, reviews,
// consensus, near duplicates, totalCount: examples/queries/gallery.graphql) against dermaset, beside
// bare yoga answering { __typename } on the same machine in the same run (goal: ≥ 40 %), and the
// SQL statements one page costs (goal: ≤ 6 at any page size). Two dermaset figures: the response
// cache on (the default: a page of unchanged data is served from memory) and off
// (DERMASET_RESPONSE_CACHE_ENTRIES=0: every page executed, each request a different page).
// Loopback only, bounded in time and count.
//
//   npm run bench:api [-- --seconds 8 --connections 8]                 (the demo cohort, seeded here)
//   npm run bench:api -- --db <DATABASE_URL> --data-dir <DIR> [--cohort 1m]   (an existing cohort)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemo } from '../prisma/demo/seed.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { useDatabase } from '../src/db/current.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { buildFacetIndex } from '../src/resolvers/facet-index.ts';
import { createToken } from '../src/resolvers/tokens.ts';
import { createDermasetYoga } from '../src/server/yoga.ts';
import { report } from './report.ts';

const argOf = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SECONDS = Number(argOf('seconds') ?? 8);
const CONNECTIONS = Number(argOf('connections') ?? 8);
const COHORT = argOf('cohort') ?? 'demo';
const MAX_REQUESTS = 50_000;
const PAGE = 100;
const root = join(import.meta.dirname, '..');

function start(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /GraphQL at (http:\/\/127\.0\.0\.1:\d+\/graphql)/.exec(log);
      if (m?.[1]) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${log.slice(-400)}`)));
  });
}

/** Drives `url` with CONNECTIONS loops for SECONDS; body(i) is the i-th request's body. */
async function load(url: string, body: (i: number) => string, headers: Record<string, string>) {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  let failures = 0;
  let sent = 0;
  const worker = async () => {
    while (performance.now() < deadline && sent < MAX_REQUESTS) {
      const i = sent++;
      const t = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: body(i),
        signal: AbortSignal.timeout(30_000),
      });
      const json = (await res.json()) as { errors?: unknown };
      if (res.status !== 200 || json.errors) failures++;
      latencies.push(performance.now() - t);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { rps: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), n: latencies.length, failures };
}

const given = argOf('db');
const dataDir = argOf('data-dir') ?? mkdtempSync(join(tmpdir(), 'dermaset-bench-api-'));
const env = {
  ...process.env,
  DATA_DIR: dataDir,
  PORT: '0',
  DERMASET_SEED_DEMO: 'false',
  NODE_ENV: 'production',
  DERMASET_MIN_SIDE: '32',
  LOG_LEVEL: 'warn',
  ...(given ? { DATABASE_URL: given } : {}),
};
const config = loadConfig(env);
if (!given) {
  console.log(`bench/api: seeding the demo cohort (96×72 px images) into ${dataDir}`);
  await migrate(config.databaseUrl);
}
let statements = 0;
const database = openDatabase(config.databaseUrl, { onQuery: () => statements++ });
useDatabase(database.db);
if (!given) await seedDemo(database.db, createPipeline(config, database.db), { size: { width: 96, height: 72 } });
// the bench's own token, removed at the end (a cohort is otherwise only read)
const { token, id: tokenId } = await createToken('bench api', 'VIEWER');
const auth = { authorization: `Bearer ${token}` };
const gallery = readFileSync(join(root, 'examples', 'queries', 'gallery.graphql'), 'utf8');
const images = await database.db.image.count();
const firstId = (await database.db.image.findFirst({ orderBy: { id: 'asc' }, select: { id: true } }))?.id ?? 0;

// statements per page, in process (the counts' index built first, as a running server has it)
await buildFacetIndex();
const inProcess = createDermasetYoga({ ...config, api: { ...config.api, responseCacheEntries: 0 } });
const perPage: Record<number, number> = {};
for (const first of [10, 100, 200]) {
  await inProcess.fetch('http://bench/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ query: gallery, variables: { first } }),
  });
  statements = 0;
  const res = await inProcess.fetch('http://bench/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ query: gallery, variables: { first } }),
  });
  const body = (await res.json()) as { errors?: unknown };
  if (body.errors) throw new Error(`gallery page failed: ${JSON.stringify(body.errors).slice(0, 400)}`);
  perPage[first] = statements;
}

const servers: ChildProcess[] = [];
try {
  const bare = await start(['bench/bare-yoga.ts'], env);
  servers.push(bare.child);
  const cached = await start(['src/cli/index.ts', 'serve'], env);
  servers.push(cached.child);
  const uncached = await start(['src/cli/index.ts', 'serve'], { ...env, DERMASET_RESPONSE_CACHE_ENTRIES: '0' });
  servers.push(uncached.child);
  const bareBody = () => JSON.stringify({ query: '{ __typename }' });
  const samePage = () => JSON.stringify({ query: gallery, variables: { first: PAGE } });
  // uncached: walk pages with keyset cursors (each request another page of 100) so nothing repeats
  const pages = Math.max(1, Math.floor(images / PAGE) - 1);
  // a cursor names the id after which a page starts; its encoding is read off a real one
  const probe = (await (
    await inProcess.fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ query: 'query { images(first: 1) { pageInfo { endCursor } } }' }),
    })
  ).json()) as { data: { images: { pageInfo: { endCursor: string } } } };
  const template = Buffer.from(probe.data.images.pageInfo.endCursor, 'base64').toString();
  const cursor = (i: number) =>
    Buffer.from(template.replace(/\d+$/, String(firstId + (i % pages) * PAGE))).toString('base64');
  const otherPage = (i: number) =>
    JSON.stringify({ query: gallery, variables: { first: PAGE, after: i === 0 ? null : cursor(i) } });
  // warm all three up (a first request builds the counts' index), then measure one after the other
  await load(bare.url, bareBody, {});
  await load(cached.url, samePage, auth);
  await load(uncached.url, otherPage, auth);
  const b = await load(bare.url, bareBody, {});
  const c = await load(cached.url, samePage, auth);
  const u = await load(uncached.url, otherPage, auth);
  const line = (name: string, r: typeof b) =>
    `${name.padEnd(52)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   (${r.n} requests, ${r.failures} failed)`;
  if (process.env.BENCH_JSON !== '1') {
    console.log(
      `${images.toLocaleString('en')} images (${COHORT}), ${CONNECTIONS} connections, ${SECONDS} s each, loopback`,
    );
    console.log(line('bare yoga { __typename }', b));
    console.log(line('gallery page of 100, response cache on (same page)', c));
    console.log(line('gallery page of 100, cache off (a new page each time)', u));
  }
  const baseline = { what: 'bare yoga { __typename }', value: b.rps };
  report({
    bench: 'api',
    what: `gallery page of 100, cached (${COHORT})`,
    value: c.rps,
    unit: 'req/s',
    baseline,
    ratio: c.rps / b.rps,
    target: '≥ 40 % of bare yoga',
    met: c.rps / b.rps >= 0.4 && c.failures === 0,
  });
  report({
    bench: 'api',
    what: `gallery page of 100, uncached, p99 ${u.p99.toFixed(0)} ms (${COHORT})`,
    value: u.rps,
    unit: 'req/s',
    baseline,
    ratio: u.rps / b.rps,
    target: '≥ 40 % of bare yoga',
    met: u.rps / b.rps >= 0.4 && u.failures === 0,
  });
  const worst = Math.max(...Object.values(perPage));
  report({
    bench: 'api',
    what: `SQL statements per gallery page, first 10/100/200: ${Object.values(perPage).join('/')} (${COHORT})`,
    value: worst,
    unit: 'statements',
    target: '≤ 6 at any page size',
    met: worst <= 6 && new Set(Object.values(perPage)).size === 1,
  });
} finally {
  for (const s of servers) s.kill('SIGTERM');
  await database.db.apiToken.delete({ where: { id: tokenId } }).catch(() => undefined);
  await database.close();
  if (!given) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
