// bench/api: requests/s and p50/p99 latency of a 100-image gallery page (every block, reviews,
// consensus, near duplicates: examples/queries/gallery.graphql) against dermaset, beside bare yoga answering { __typename }
// on the same machine in the same run (goal: ≥ 40 %). Loopback only, bounded in time and count.
//
//   npm run bench:api [-- --seconds 8 --connections 8]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemo } from '../prisma/demo/seed.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { createToken } from '../src/resolvers/tokens.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 8);
const CONNECTIONS = arg('connections', 8);
const MAX_REQUESTS = 50_000;
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

async function load(url: string, body: string, headers: Record<string, string>) {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  let failures = 0;
  const worker = async () => {
    while (performance.now() < deadline && latencies.length < MAX_REQUESTS) {
      const t = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
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

const dataDir = mkdtempSync(join(tmpdir(), 'dermaset-bench-api-'));
const env = {
  ...process.env,
  DATA_DIR: dataDir,
  PORT: '0',
  DERMASET_SEED_DEMO: 'false',
  NODE_ENV: 'production',
  DERMASET_MIN_SIDE: '32',
};
const config = loadConfig(env);
console.log(`bench/api: seeding the demo cohort (96×72 px images) into ${dataDir}`);
await migrate(config.databaseUrl);
const database = openDatabase(config.databaseUrl);
await seedDemo(database.db, createPipeline(config, database.db), { size: { width: 96, height: 72 } });
const { token } = await createToken('bench', 'VIEWER');
await database.close();

const gallery = readFileSync(join(root, 'examples', 'queries', 'gallery.graphql'), 'utf8');
const servers: ChildProcess[] = [];
try {
  const bare = await start(['bench/bare-yoga.ts'], env);
  servers.push(bare.child);
  const api = await start(['src/cli/index.ts', 'serve'], env);
  servers.push(api.child);
  const bareBody = JSON.stringify({ query: '{ __typename }' });
  const pageBody = JSON.stringify({ query: gallery, variables: { first: 100 } });
  const auth = { authorization: `Bearer ${token}` };
  // warm both up, then measure them one after the other with the same client
  await load(bare.url, bareBody, {});
  await load(api.url, pageBody, auth);
  const b = await load(bare.url, bareBody, {});
  const p = await load(api.url, pageBody, auth);
  const line = (name: string, r: typeof b) =>
    `${name.padEnd(44)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   (${r.n} requests, ${r.failures} failed)`;
  console.log(`${CONNECTIONS} connections, ${SECONDS} s each, loopback`);
  console.log(line('bare yoga { __typename }', b));
  console.log(line('dermaset gallery page, 100 images', p));
  console.log(`dermaset / bare: ${((p.rps / b.rps) * 100).toFixed(1)} % (goal ≥ 40 %)`);
} finally {
  for (const s of servers) s.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
