// bench/load: latency fairness under sustained load. A real server on 127.0.0.1 (the demo cohort,
// small images), 50 connections for 60 s of a realistic mix — gallery pages (24 cards), image
// details (trail, reviews, label changes) and a few label corrections (optimistic writes) — on
// SQLite and on PostgreSQL, beside a baseline in the same run: the same connections against
// /livez. Prints p50, p99 and max, the mix's ratios to the baseline, and the slowest request sent
// in the first 5 s (a request starved for the whole run shows there). Loopback only; every
// request has a deadline and the run stops itself.
//
//   npm run bench:load [-- --seconds 60 --connections 50 --db sqlite,postgresql]
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? def) : def;
};
const SECONDS = Number(arg('seconds', '60'));
const CONNECTIONS = Number(arg('connections', '50'));
const DATABASES = arg('db', 'sqlite,postgresql').split(',');
const PG_ADMIN = process.env.PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
/** A request that takes longer than this is counted as failed (and aborted): the run stays bounded. */
const REQUEST_DEADLINE_MS = 120_000;
const MAX_REQUESTS = 500_000;
const root = join(import.meta.dirname, '..');
const gallery = readFileSync(join(root, 'examples', 'queries', 'gallery.graphql'), 'utf8');
const DETAIL = `query Detail($id: ID!) { node(id: $id) { ... on Image { id version
  diagnostic { diagnosisClass { code } verificationStage }
  reviews { diagnosisClass { code } structures } labelChanges { from { code } to { code } reason at } } } }`;
const CORRECT = `mutation Correct($id: ID!, $cls: DiagnosisClass!, $v: Int!) {
  correctLabel(image: $id, diagnosisClass: $cls, expectedVersion: $v, reason: "load bench") { version } }`;

interface Server {
  child: ChildProcess;
  url: string;
  token: string;
}

/** Starts `dermaset serve` on a fresh database; resolves once the demo is seeded (/health 200). */
function serve(env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      const url = /GraphQL at (http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(log)?.[1];
      const token = /admin token for this demo[^\n]*\n\s*\n\s*(\S+)/.exec(log)?.[1];
      if (url && token) resolve({ child, url, token });
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${log.slice(-600)}`)));
  });
}

interface Sample {
  sentAt: number;
  ms: number;
  ok: boolean;
}

interface Figures {
  n: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
  /** The slowest request among those sent in the first 5 s. */
  earlyMax: number;
  rps: number;
}

function figures(samples: Sample[], started: number, elapsedS: number): Figures {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0;
  const early = samples.filter((s) => s.sentAt - started < 5000).map((s) => s.ms);
  return {
    n: samples.length,
    failed: samples.filter((s) => !s.ok).length,
    p50: q(0.5),
    p99: q(0.99),
    max: ms.at(-1) ?? 0,
    earlyMax: Math.max(0, ...early),
    rps: samples.length / elapsedS,
  };
}

/** `CONNECTIONS` loops, each sending `next()`'s request as soon as its previous one is answered. */
async function drive(next: () => Promise<boolean>): Promise<Figures> {
  const samples: Sample[] = [];
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const loop = async () => {
    while (performance.now() < deadline && samples.length < MAX_REQUESTS) {
      const sentAt = performance.now();
      let ok: boolean;
      try {
        ok = await next();
      } catch (e) {
        ok = failed('request', (e as Error).name);
      }
      samples.push({ sentAt, ms: performance.now() - sentAt, ok });
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  return figures(samples, started, (performance.now() - started) / 1000);
}

async function post(server: Server, query: string, variables: Record<string, unknown>) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
  });
  const json = (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  return { status: res.status, json };
}

/** Why requests failed, by kind and code (printed with --verbose). */
const failures = new Map<string, number>();
const failed = (kind: string, why: string) => {
  const key = `${kind}: ${why}`;
  failures.set(key, (failures.get(key) ?? 0) + 1);
  return false;
};
const kindMs = new Map<string, number[]>();
const timed = async (kind: string, fn: () => Promise<boolean>) => {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    const list = kindMs.get(kind) ?? [];
    list.push(performance.now() - t);
    kindMs.set(kind, list);
  }
};
const why = (status: number, json: { errors?: { extensions?: { code?: string } }[] }) =>
  `${status} ${(json.errors ?? []).map((e) => e.extensions?.code ?? '?').join(',')}`;

/** The mix: 70 % gallery pages, 25 % image details, 5 % label corrections (a lost race, CONFLICT, is fine). */
function mix(server: Server, ids: string[]) {
  let i = 0;
  const CLASSES = ['NEVUS', 'DYSPLASTIC_NEVUS'];
  return async (): Promise<boolean> => {
    const n = i++;
    const id = ids[(n * 7919) % ids.length] as string;
    const roll = n % 20;
    if (roll < 14) {
      return timed('gallery', async () => {
        const { status, json } = await post(server, gallery, { first: 24 });
        return (status === 200 && !json.errors) || failed('gallery', why(status, json));
      });
    }
    if (roll < 19) {
      return timed('detail', async () => {
        const { status, json } = await post(server, DETAIL, { id });
        return (status === 200 && !json.errors) || failed('detail', why(status, json));
      });
    }
    return timed('write', async () => {
      const detail = await post(server, DETAIL, { id });
      const version = (detail.json.data as { node?: { version?: number } } | undefined)?.node?.version;
      if (version === undefined) return failed('write', `read ${why(detail.status, detail.json)}`);
      const { status, json } = await post(server, CORRECT, { id, cls: CLASSES[n % 2], v: version });
      const codes = (json.errors ?? []).map((e) => e.extensions?.code);
      return (
        (status === 200 && codes.every((c) => c === 'CONFLICT' || c === 'HISTOLOGY_FINAL')) ||
        failed('write', why(status, json))
      );
    });
  };
}

async function imageIds(server: Server): Promise<string[]> {
  const { json } = await post(server, 'query { images(first: 100) { edges { node { id } } } }', {});
  const edges = (json.data as { images?: { edges: { node: { id: string } }[] } } | undefined)?.images?.edges;
  if (!edges?.length) throw new Error(`no images to read: ${JSON.stringify(json).slice(0, 300)}`);
  return edges.map((e) => e.node.id);
}

async function adminQuery(sql: string) {
  const client = new pg.Client({ connectionString: PG_ADMIN });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const fmt = (f: Figures) =>
  `p50 ${f.p50.toFixed(0).padStart(6)} ms  p99 ${f.p99.toFixed(0).padStart(6)} ms  max ${f.max.toFixed(0).padStart(6)} ms  first-5-s max ${f.earlyMax.toFixed(0).padStart(6)} ms  ${f.rps.toFixed(0).padStart(5)} req/s  (${f.n} requests, ${f.failed} failed)`;

async function bench(db: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dermaset-bench-load-'));
  const pgName = `dermaset_bench_load_${randomBytes(4).toString('hex')}`;
  let server: Server | undefined;
  try {
    let databaseUrl: string;
    if (db === 'postgresql') {
      await adminQuery(`CREATE DATABASE "${pgName}"`);
      databaseUrl = PG_ADMIN.replace(/\/[^/]*$/, `/${pgName}`);
    } else {
      databaseUrl = `file:${join(dataDir, 'dermaset.db')}`;
    }
    console.log(`${db}: seeding the demo cohort (96×72 px) through the server's first start…`);
    const seeding = performance.now();
    server = await serve({
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      NODE_ENV: 'production',
      DERMASET_DEMO_SIZE: '96x72',
      DERMASET_MIN_SIDE: '32',
      DERMASET_PSEUDONYM_KEY: 'bench-load-key-0123456789abcdef',
    });
    console.log(`${db}: ready in ${((performance.now() - seeding) / 1000).toFixed(0)} s`);
    const ids = await imageIds(server);
    const s = server;
    const baseline = await drive(async () => {
      const res = await fetch(`${s.url}/livez`, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) });
      await res.arrayBuffer();
      return res.status === 200;
    });
    const load = await drive(mix(s, ids));
    const ratio = (a: number, b: number) => `${(a / Math.max(b, 0.001)).toFixed(0)}×`;
    console.log(`${db}: ${CONNECTIONS} connections × ${SECONDS} s, loopback`);
    console.log(`  baseline /livez     ${fmt(baseline)}`);
    console.log(`  gallery/detail/write ${fmt(load)}`);
    for (const [kind, list] of kindMs) {
      list.sort((x, y) => x - y);
      const q = (p: number) => (list[Math.min(list.length - 1, Math.floor(p * list.length))] ?? 0).toFixed(0);
      console.log(`    ${kind.padEnd(8)} p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  max ${q(1)} ms  (${list.length})`);
    }
    for (const [key, count] of failures) console.log(`    failed ${key}: ${count}`);
    kindMs.clear();
    failures.clear();
    console.log(
      `  mix / baseline: p50 ${ratio(load.p50, baseline.p50)}, p99 ${ratio(load.p99, baseline.p99)}, max ${ratio(load.max, baseline.max)}`,
    );
  } finally {
    if (server) {
      const child = server.child;
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    }
    if (db === 'postgresql') await adminQuery(`DROP DATABASE IF EXISTS "${pgName}" WITH (FORCE)`).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const db of DATABASES) await bench(db);
process.exit(0);
