import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { seedDemo } from '../../prisma/demo/seed.ts';
import { progressBar } from '../cli/progress.ts';
import type { Config } from '../config.ts';
import { type Database, openDatabase } from '../db/client.ts';
import { useDatabase } from '../db/current.ts';
import { migrate } from '../db/migrate.ts';
import { createPipeline } from '../ingest/pipeline.ts';
import { createToken } from '../resolvers/tokens.ts';
import { createDermasetYoga } from './yoga.ts';

const log = (msg: string) => process.stderr.write(`dermaset: ${msg}\n`);

/** The setting that claims the demo seed, so that one of several instances starting at once seeds it. */
export const DEMO_CLAIM = 'demo_seed';

/** A claim older than this with still no acquisition stored is an abandoned seed: it may be taken over. */
export const STALE_CLAIM_MS = 2 * 60_000;

async function claimDemoSeed(database: Database): Promise<boolean> {
  const value = `seeding since ${new Date().toISOString()}`;
  try {
    await database.db.setting.create({ data: { key: DEMO_CLAIM, value } });
    return true;
  } catch (e) {
    if ((e as { code?: string }).code !== 'P2002') throw e;
  }
  const held = await database.db.setting.findUnique({ where: { key: DEMO_CLAIM } });
  if (!held?.value.startsWith('seeding since ')) return false;
  const since = Date.parse(held.value.slice('seeding since '.length));
  if (!(Date.now() - since > STALE_CLAIM_MS) || (await database.db.intakeRecord.count()) > 0) return false;
  // take it over only if no other instance took it first
  const taken = await database.db.setting.updateMany({
    where: { key: DEMO_CLAIM, value: held.value },
    data: { value },
  });
  return taken.count === 1;
}

/**
 * Seeds the demo cohort when the database holds no acquisition yet, or when an earlier seed from
 * this data folder was interrupted (its marker file is still there): the seed resumes where it
 * stopped. Of several instances starting at once on an empty database, the one that stores the
 * claim seeds; the others serve at once and return false.
 */
export async function seedDemoIfEmpty(
  config: Config,
  database: Database,
  opts: { size?: { width: number; height: number } } = {},
): Promise<boolean> {
  const marker = join(config.dataDir, '.demo-seeding');
  if (!existsSync(marker)) {
    if ((await database.db.intakeRecord.count()) > 0) return false;
    // the marker first: a start that dies after claiming resumes from this folder
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(marker, new Date().toISOString());
    if (!(await claimDemoSeed(database))) {
      rmSync(marker, { force: true });
      log('another instance is seeding the demo cohort');
      return false;
    }
  }
  log('seeding the demo cohort (first start): 1,076 acquisition attempts through the pipeline');
  const bar = progressBar('demo');
  const started = Date.now();
  let phase = '';
  const summary = await seedDemo(database.db, createPipeline(config, database.db), {
    ...(opts.size ? { size: opts.size } : {}),
    onProgress: (p) => {
      if (p.phase !== phase) {
        bar.stop();
        phase = p.phase;
      }
      bar.update(p.done, p.total);
    },
  });
  bar.stop();
  const done = `done ${new Date().toISOString()}`;
  await database.db.setting.upsert({
    where: { key: DEMO_CLAIM },
    create: { key: DEMO_CLAIM, value: done },
    update: { value: done },
  });
  rmSync(marker, { force: true });
  log(`demo cohort ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(summary.outcomes)}`);
  return true;
}

export interface RunningServer {
  server: Server;
  url: string;
  database: Database;
  close(): Promise<void>;
}

/** Migrates, seeds the demo on first start, and serves GraphQL on HOST:PORT. */
export async function startServer(config: Config): Promise<RunningServer> {
  const applied = await migrate(config.databaseUrl);
  if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
  const database = openDatabase(config.databaseUrl);
  useDatabase(database.db);
  if (config.seedDemo && (await seedDemoIfEmpty(config, database))) {
    // the demo is for exploring: hand the newcomer a key to it, once
    const { token } = await createToken(database.db, 'first start (demo)', 'ADMIN');
    log(`an admin token for this demo (shown once; manage tokens with \`npx dermaset token\`):\n\n    ${token}\n`);
    log('in GraphiQL, add the header {"Authorization": "Bearer <token>"}');
  }
  const yoga = createDermasetYoga(config);
  const server = createServer(yoga);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  return {
    server,
    url,
    database,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
    },
  };
}
