// bench/load: a realistic mix under sustained load, against a real server on 127.0.0.1, driven by
// autocannon (loopback only, bounded by a duration, a request cap and a per-request timeout).
//
// The server runs on a writable copy of a bench cohort (reviews write): the SQLite file copied into
// a temporary DATA_DIR whose blobs/ links to the cohort's, or a PostgreSQL database made with
// CREATE DATABASE … TEMPLATE. The mix, per 20 requests: 7 gallery pages of 24 cards and 2 of 100
// (examples/queries/gallery.graphql with totalCount, under rotating filters), 2 facets (unfiltered
// and filtered, examples/queries/facets.graphql), 4 image details, 3 thumbnails and 1 original
// (GET /images/<sha256>/…), and 1 submitReview by one of five reviewer tokens on an image still in
// review (each image reviewed once in the run, with its current version). Every non-2xx answer,
// GraphQL error, socket error and timeout is an error. The baseline is /livez in the same run. Both
// start once the server is warm (warmUp: its in-memory indexes built); the warm-up time is printed.
//
//   npm run bench:load -- --db <url> --data-dir <cohort dir> [--cohort 1m] [--seconds 60] [--connections 50]
//   npm run bench:load [-- --db sqlite,postgresql --images 10000]   (temporary cohorts of that size)

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';
import { Command } from 'commander';
import pg from 'pg';
import { openDatabase } from '../src/db/client.ts';
import { useDatabase } from '../src/db/current.ts';
import { providerOf, sqlitePath } from '../src/db/provider.ts';
import { createToken } from '../src/resolvers/tokens.ts';
import { BENCH_PSEUDONYM_KEY } from './cohort-plan.ts';
import { cohortUrl, makeCohort } from './make-cohort.ts';
import { report } from './report.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PG_ADMIN = process.env.PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
/** A request unanswered after this many seconds is a timeout (an error) and its connection moves on. */
const REQUEST_TIMEOUT_S = 30;
/** The run stops after this many requests whatever the duration (per autocannon instance). */
const MAX_REQUESTS = 1_000_000;
const BASELINE_SECONDS = 10;
/** The longest warm-up before the run starts anyway. */
const WARM_UP_S = 180;

const gallery = readFileSync(join(ROOT, 'examples', 'queries', 'gallery.graphql'), 'utf8');
const facets = readFileSync(join(ROOT, 'examples', 'queries', 'facets.graphql'), 'utf8');
const DETAIL = `query Detail($id: ID!) { node(id: $id) { ... on Image { id version
  diagnostic { diagnosisClass { code } verificationStage }
  reviews { diagnosisClass { code } structures } labelChanges { from { code } to { code } reason at } } } }`;
const REVIEW = `mutation Review($image: ID!, $v: Int!, $cls: DiagnosisClass!, $s: [DermoscopicStructure!]!) {
  submitReview(image: $image, expectedVersion: $v, diagnosisClass: $cls, structures: $s) { id version } }`;

const GALLERY_FILTERS: (Record<string, unknown> | null)[] = [
  null,
  { sex: ['FEMALE'] },
  { diagnosisClass: ['MELANOMA'] },
  { colors: { anyOf: ['BLUE_GRAY'] } },
  { structures: { allOf: ['PIGMENT_NETWORK_ATYPICAL'] } },
  { nearDuplicate: true },
  { collection: ['ham10000'] },
];
const FACET_FILTERS: (Record<string, unknown> | null)[] = [
  null,
  { sex: ['FEMALE'] },
  null,
  { colors: { anyOf: ['BLUE_GRAY'] } },
  null,
  { structures: { anyOf: ['BLUE_WHITISH_VEIL'] } },
];

type Kind = 'gallery-24' | 'gallery-100' | 'facets' | 'detail' | 'thumbnail' | 'original' | 'review';
/** One cycle of the mix (20 requests). */
const CYCLE: Kind[] = [
  'gallery-24',
  'detail',
  'thumbnail',
  'gallery-24',
  'facets',
  'detail',
  'gallery-100',
  'thumbnail',
  'gallery-24',
  'original',
  'review',
  'gallery-24',
  'detail',
  'thumbnail',
  'gallery-24',
  'facets',
  'gallery-100',
  'detail',
  'gallery-24',
  'detail',
];

interface Fixture {
  url: string;
  viewer: string;
  reviewers: string[];
  /** Global ids and SHA-256 of images spread over the cohort. */
  images: { id: string; sha256: string }[];
  /** Images still in review: global id and current version, each reviewed once. */
  reviewable: { id: string; version: number }[];
}

const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

interface KindStats {
  ms: number[];
  /** Answered with a non-2xx status or a GraphQL error. */
  errors: number;
  /** Not answered within the timeout (the connection sent its next request). */
  timeouts: number;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

async function waitLive(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 180_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${log().slice(-800)}`);
    try {
      const res = await fetch(`${url}/livez`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the server did not answer /livez within 180 s: ${log().slice(-800)}`);
}

/** A writable copy of the cohort: its database copied, its blobs linked. */
async function copyCohort(
  url: string,
  dataDir: string,
): Promise<{ url: string; dataDir: string; drop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dermaset-load-'));
  symlinkSync(resolve(dataDir, 'blobs'), join(dir, 'blobs'));
  if (providerOf(url) === 'sqlite') {
    const file = sqlitePath(url);
    // fold a leftover WAL into the copy's source first (read-only cohorts are closed cleanly)
    copyFileSync(file, join(dir, 'dermaset.db'));
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, join(dir, 'dermaset.db-wal'));
    return {
      url: `file:${join(dir, 'dermaset.db')}`,
      dataDir: dir,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const source = decodeURIComponent(new URL(url).pathname.slice(1));
  const name = `dermaset_load_${randomBytes(4).toString('hex')}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${source}"`);
      break;
    } catch (e) {
      // the template must have no other connection while it is copied
      if (!/being accessed by other users/.test((e as Error).message) || attempt > 120) throw e;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  return {
    url: url.replace(/\/[^/?]*(\?|$)/, `/${name}$1`),
    dataDir: dir,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Reads what the mix needs straight from the copy: images spread over the ids, and images in review. */
async function sample(
  url: string,
): Promise<{ images: { id: number; sha256: string }[]; reviewable: { id: number; version: number }[] }> {
  const spread = `SELECT id, sha256 FROM image WHERE id % 97 = 0 ORDER BY id LIMIT 5000`;
  const inReview = `SELECT i.id, i.version FROM image i JOIN collection c ON c.id = i.collection_id
    WHERE c.slug = 'own' AND i.verification_stage = 'INITIAL'
      AND NOT EXISTS (SELECT 1 FROM consensus_decision d WHERE d.image_id = i.id) ORDER BY i.id LIMIT 20000`;
  if (providerOf(url) === 'sqlite') {
    const db = new BetterSqlite3(sqlitePath(url), { readonly: true });
    try {
      return {
        images: db.prepare(spread).all() as { id: number; sha256: string }[],
        reviewable: db.prepare(inReview).all() as { id: number; version: number }[],
      };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return { images: (await client.query(spread)).rows, reviewable: (await client.query(inReview)).rows };
  } finally {
    await client.end();
  }
}

/** Tokens made in the copy before the server starts: one viewer, five reviewers. */
async function tokens(url: string): Promise<{ viewer: string; reviewers: string[] }> {
  const database = openDatabase(url);
  useDatabase(database.db);
  try {
    const viewer = (await createToken('load bench viewer', 'VIEWER')).token;
    const reviewers: string[] = [];
    for (let i = 1; i <= 5; i++) reviewers.push((await createToken(`load bench reviewer ${i}`, 'REVIEWER')).token);
    return { viewer, reviewers };
  } finally {
    await database.close();
  }
}

const quantile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

interface Outcome {
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  kinds: Map<Kind, KindStats>;
}

/** The mix against the server for `seconds`, `connections` at once. */
async function runMix(f: Fixture, seconds: number, connections: number): Promise<Outcome> {
  const kinds = new Map<Kind, KindStats>(CYCLE.map((k) => [k, { ms: [], errors: 0, timeouts: 0 }]));
  let n = 0;
  let nextReview = 0;
  const { host } = new URL(f.url);
  const pick = <T>(list: readonly T[], i: number) => list[i % list.length] as T;
  const post = (token: string, query: string, variables: Record<string, unknown>) => ({
    method: 'POST' as const,
    path: '/graphql',
    headers: { host, 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const result = await autocannon({
    url: f.url,
    connections,
    duration: seconds,
    maxOverallRequests: MAX_REQUESTS,
    timeout: REQUEST_TIMEOUT_S,
    requests: [
      {
        setupRequest: (request, context) => {
          const previous = context as { kind?: Kind; pending?: boolean };
          // the connection's previous request got no answer: it timed out
          if (previous.pending && previous.kind) (kinds.get(previous.kind) as KindStats).timeouts++;
          const i = n++;
          let kind = CYCLE[i % CYCLE.length] as Kind;
          const image = pick(f.images, i * 7_919);
          let req: Partial<autocannon.Request>;
          if (kind === 'review' && nextReview >= f.reviewable.length) kind = 'detail';
          switch (kind) {
            case 'gallery-24':
            case 'gallery-100':
              req = post(f.viewer, gallery, {
                first: kind === 'gallery-24' ? 24 : 100,
                filter: pick(GALLERY_FILTERS, Math.floor(i / CYCLE.length)),
              });
              break;
            case 'facets':
              req = post(f.viewer, facets, { filter: pick(FACET_FILTERS, Math.floor(i / 10)) });
              break;
            case 'detail':
              req = post(f.viewer, DETAIL, { id: image.id });
              break;
            case 'thumbnail':
            case 'original':
              req = {
                method: 'GET',
                path: `/images/${image.sha256}/${kind}`,
                headers: { host, authorization: `Bearer ${f.viewer}` },
                body: undefined,
              };
              break;
            case 'review': {
              const target = f.reviewable[nextReview++] as { id: string; version: number };
              req = post(pick(f.reviewers, nextReview), REVIEW, {
                image: target.id,
                v: target.version,
                cls: 'NEVUS',
                s: ['PIGMENT_NETWORK_TYPICAL'],
              });
              break;
            }
          }
          Object.assign(context, { kind, sentAt: performance.now(), pending: true });
          return { ...request, ...req } as autocannon.Request;
        },
        onResponse: (status, body, context) => {
          const c = context as { kind: Kind; sentAt: number; pending: boolean };
          c.pending = false;
          const s = kinds.get(c.kind) as KindStats;
          s.ms.push(performance.now() - c.sentAt);
          const graphqlError = c.kind !== 'thumbnail' && c.kind !== 'original' && body.includes('"errors"');
          if (status < 200 || status > 299 || graphqlError) {
            s.errors++;
            if (s.errors <= 3) process.stderr.write(`  ${c.kind} error ${status}: ${body.slice(0, 300)}\n`);
          }
        },
      },
    ],
  });
  const all = [...kinds.values()].flatMap((k) => k.ms).sort((a, b) => a - b);
  for (const k of kinds.values()) k.ms.sort((a, b) => a - b);
  const answeredErrors = [...kinds.values()].reduce((s, k) => s + k.errors, 0);
  return {
    requests: result.requests.total,
    // answered with a non-2xx or a GraphQL error, plus socket errors and timeouts (autocannon's
    // errors count its timeouts)
    errors: answeredErrors + result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    rps: result.requests.total / result.duration,
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    max: all.at(-1) ?? 0,
    kinds,
  };
}

/**
 * Cold start is not what the run measures: the first reads build in-memory indexes (the facet index
 * reads every image once), during which one SQLite connection answers nothing else. Until the
 * unfiltered facets answer in under a second (at most WARM_UP_S), one request at a time; returns the
 * seconds it took, printed beside the figures.
 */
async function warmUp(url: string, token: string): Promise<number> {
  const t0 = performance.now();
  const body = JSON.stringify({ query: facets, variables: {} });
  while ((performance.now() - t0) / 1000 < WARM_UP_S) {
    const t = performance.now();
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_S * 1000),
    }).catch(() => undefined);
    await res?.arrayBuffer();
    if (res?.status === 200 && performance.now() - t < 1_000) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return (performance.now() - t0) / 1000;
}

async function runBaseline(url: string, connections: number) {
  const r = await autocannon({
    url: `${url}/livez`,
    connections,
    duration: BASELINE_SECONDS,
    maxOverallRequests: MAX_REQUESTS,
    timeout: REQUEST_TIMEOUT_S,
  });
  return {
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}

/** One load run on a cohort: copy, tokens, server, baseline, mix, figures. */
export async function loadRun(opts: {
  url: string;
  dataDir: string;
  cohort: string;
  seconds: number;
  connections: number;
}): Promise<Outcome> {
  const provider = providerOf(opts.url);
  const copy = await copyCohort(opts.url, opts.dataDir);
  let child: ChildProcess | undefined;
  try {
    const { viewer, reviewers } = await tokens(copy.url);
    const rows = await sample(copy.url);
    if (rows.images.length === 0) throw new Error('the cohort has no images');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let log = '';
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: copy.url,
        DATA_DIR: copy.dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        NODE_ENV: 'production',
        DERMASET_PSEUDONYM_KEY: BENCH_PSEUDONYM_KEY,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // the whole server log is kept beside the run, for the causes of errors
    const logFile = join(tmpdir(), `dermaset-load-${provider}-${opts.cohort || 'cohort'}-${process.pid}.log`);
    const logStream = createWriteStream(logFile);
    child.stderr?.on('data', (d: Buffer) => {
      logStream.write(d);
      log = (log + d.toString()).slice(-20_000);
    });
    process.stderr.write(`load: server log in ${logFile}\n`);
    const t0 = performance.now();
    await waitLive(url, child, () => log);
    process.stderr.write(
      `load: server on ${provider} ${opts.cohort} live in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    // the API's global ids are ours: check one before relying on it
    const first = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
      body: JSON.stringify({ query: '{ images(first: 1) { edges { node { id sha256 } } } }' }),
    }).then((r) => r.json() as Promise<{ data?: { images: { edges: { node: { id: string; sha256: string } }[] } } }>);
    const node = first.data?.images.edges[0]?.node;
    if (!node) throw new Error(`the server answers no image: ${JSON.stringify(first).slice(0, 300)}`);
    const fixture: Fixture = {
      url,
      viewer,
      reviewers,
      images: rows.images.map((r) => ({ id: globalId('Image', Number(r.id)), sha256: r.sha256 })),
      reviewable: rows.reviewable.map((r) => ({ id: globalId('Image', Number(r.id)), version: Number(r.version) })),
    };
    const expected = fixture.images.find((i) => i.sha256 === node.sha256)?.id ?? globalId('Image', 1);
    if (node.id !== expected && Buffer.from(node.id, 'base64').toString() !== 'Image:1') {
      throw new Error(`the API's global ids are not base64 "Image:<id>": ${node.id}`);
    }
    const warm = await warmUp(url, viewer);
    process.stderr.write(
      warm < WARM_UP_S
        ? `load: warm after ${warm.toFixed(1)} s (unfiltered facets answered in under 1 s)\n`
        : `load: not warm after ${WARM_UP_S} s (unfiltered facets never answered in under 1 s): measuring anyway\n`,
    );
    const baseline = await runBaseline(url, opts.connections);
    const mix = await runMix(fixture, opts.seconds, opts.connections);
    printOutcome(provider, opts, baseline, mix);
    if (mix.errors > 0) process.stderr.write(`the server's last log lines:\n${log.slice(-3_000)}\n`);
    return mix;
  } finally {
    if (child && child.exitCode === null) {
      const c = child;
      c.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          c.kill('SIGKILL');
          r(null);
        }, 15_000);
        c.once('exit', () => {
          clearTimeout(t);
          r(null);
        });
      });
    }
    await copy.drop();
  }
}

function printOutcome(
  provider: string,
  opts: { cohort: string; seconds: number; connections: number },
  baseline: Awaited<ReturnType<typeof runBaseline>>,
  mix: Outcome,
): void {
  const where = `${provider} ${opts.cohort}`;
  const lines = [
    `load on ${where}: ${opts.connections} connections × ${opts.seconds} s (autocannon, loopback)`,
    '| kind | answered | errors | timeouts | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [kind, k] of mix.kinds) {
    if (k.ms.length === 0 && k.errors === 0 && k.timeouts === 0) continue;
    lines.push(
      `| ${kind} | ${k.ms.length} | ${k.errors} | ${k.timeouts} | ${quantile(k.ms, 0.5).toFixed(0)} | ${quantile(k.ms, 0.99).toFixed(0)} | ${(k.ms.at(-1) ?? 0).toFixed(0)} |`,
    );
  }
  lines.push(
    `| **all** | ${mix.requests} | ${mix.errors} | ${mix.timeouts} | ${mix.p50.toFixed(0)} | ${mix.p99.toFixed(0)} | ${mix.max.toFixed(0)} |`,
    `| /livez baseline (${BASELINE_SECONDS} s) | ${Math.round(baseline.rps * BASELINE_SECONDS)} | ${baseline.errors} | | ${baseline.p50} | ${baseline.p99} | |`,
    `mix ${mix.rps.toFixed(1)} req/s; /livez ${baseline.rps.toFixed(0)} req/s`,
  );
  // people read the table; npm run bench reads the BENCH lines on stdout and shows stderr
  if (process.env.BENCH_JSON === '1') process.stderr.write(`${lines.join('\n')}\n`);
  else console.log(lines.join('\n'));
  const what = (s: string) => `load ${opts.connections}×${opts.seconds} s: ${s}`;
  report({
    bench: 'load',
    what: what(`errors of ${mix.requests} requests (non-2xx, GraphQL errors, timeouts)`),
    value: mix.errors,
    unit: 'errors',
    target: '0 errors',
    met: mix.errors === 0,
  });
  report({
    bench: 'load',
    what: what('p99, whole mix'),
    value: mix.p99,
    unit: 'ms',
    baseline: { what: '/livez p99', value: baseline.p99 },
    ratio: mix.p99 / Math.max(baseline.p99, 1),
  });
  report({
    bench: 'load',
    what: what('throughput, whole mix'),
    value: mix.rps,
    unit: 'req/s',
    baseline: { what: '/livez', value: baseline.rps },
    ratio: mix.rps / Math.max(baseline.rps, 0.001),
  });
  for (const [kind, k] of mix.kinds) {
    if (k.ms.length === 0) continue;
    report({
      bench: 'load',
      what: what(`p99 ${kind} (${k.ms.length} answered, ${k.errors} errors, ${k.timeouts} timeouts)`),
      value: quantile(k.ms, 0.99),
      unit: 'ms',
    });
  }
}

async function main(): Promise<void> {
  const o = new Command('bench:load')
    .option('--db <url|list>', 'a cohort database URL, or sqlite,postgresql for temporary cohorts', 'sqlite,postgresql')
    .option('--data-dir <dir>', 'the cohort folder (its blobs/)')
    .option('--cohort <name>', 'the cohort size, for the table', '')
    .option('--images <n>', 'images of a temporary cohort', '10000')
    .option('--seconds <n>', 'duration of the mix', '60')
    .option('--connections <n>', 'concurrent connections', '50')
    .parse()
    .opts<{ db: string; dataDir?: string; cohort: string; images: string; seconds: string; connections: string }>();
  const seconds = Number(o.seconds);
  const connections = Number(o.connections);
  if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= 3_600)) throw new Error('--seconds must be 1 to 3600');
  if (!(Number.isInteger(connections) && connections >= 1 && connections <= 1_000)) {
    throw new Error('--connections must be 1 to 1000');
  }
  if (/^(sqlite|postgresql)(,(sqlite|postgresql))*$/.test(o.db)) {
    const images = Number(o.images);
    for (const provider of o.db.split(',') as ('sqlite' | 'postgresql')[]) {
      const dir = mkdtempSync(join(tmpdir(), 'dermaset-load-cohort-'));
      const pgName = `dermaset_load_cohort_${randomBytes(4).toString('hex')}`;
      const url = cohortUrl(provider, dir, pgName);
      try {
        await makeCohort({ images, url, dataDir: dir });
        await loadRun({ url, dataDir: dir, cohort: `${images}`, seconds, connections });
      } finally {
        if (provider === 'postgresql')
          await adminQuery(`DROP DATABASE IF EXISTS "${pgName}" WITH (FORCE)`).catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return;
  }
  if (!o.dataDir) throw new Error('--data-dir is required with a database URL');
  await loadRun({ url: o.db, dataDir: o.dataDir, cohort: o.cohort, seconds, connections });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exit(1);
    },
  );
}
