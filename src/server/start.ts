import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { type SeedProgress, seedDemo } from '../../prisma/demo/seed.ts';
import type { Config } from '../config.ts';
import { type Database, openDatabase } from '../db/client.ts';
import { useDatabase } from '../db/current.ts';
import { DatabaseUnreachableError, migrate } from '../db/migrate.ts';
import { createPipeline } from '../ingest/pipeline.ts';
import { phaseProgress } from '../ingest/progress.ts';
import { recoverInterruptedExports } from '../resolvers/exports.ts';
import { createToken } from '../resolvers/tokens.ts';
import { formatSweep, type SweepReport, sweepBlobs } from '../storage/sweep.ts';
import { StartError } from './start-error.ts';
import type { Readiness } from './use-readiness.ts';
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
 * Whether this instance should seed the demo cohort: the database holds no acquisition yet and this
 * instance stored the claim, or an earlier seed from this data folder was interrupted (its marker
 * file is still there) and resumes. Of several instances starting at once on an empty database, the
 * one that stores the claim seeds; the others serve at once.
 */
export async function claimDemoSeedIfEmpty(config: Config, database: Database): Promise<boolean> {
  const marker = join(config.dataDir, '.demo-seeding');
  if (existsSync(marker)) return true;
  if ((await database.db.intakeRecord.count()) > 0) return false;
  // the marker first: a start that dies after claiming resumes from this folder
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(marker, new Date().toISOString());
  if (!(await claimDemoSeed(database))) {
    rmSync(marker, { force: true });
    log('another instance is seeding the demo cohort');
    return false;
  }
  return true;
}

/**
 * Seeds the demo cohort (claimed by claimDemoSeedIfEmpty) through the acquisition pipeline and the
 * verification workflow, with a progress bar per phase on stderr, and marks the claim done.
 */
export async function seedClaimedDemo(
  config: Config,
  database: Database,
  opts: { size?: { width: number; height: number }; onProgress?: (p: SeedProgress) => void } = {},
): Promise<void> {
  log('seeding the demo cohort (first start): 1,076 acquisition attempts through the pipeline, then their trail');
  const started = Date.now();
  const bars = phaseProgress();
  const summary = await seedDemo(database.db, createPipeline(config, database.db), {
    ...(opts.size ? { size: opts.size } : {}),
    onProgress: (p) => {
      bars.update(p);
      opts.onProgress?.(p);
    },
  });
  bars.stop();
  const done = `done ${new Date().toISOString()}`;
  await database.db.setting.upsert({
    where: { key: DEMO_CLAIM },
    create: { key: DEMO_CLAIM, value: done },
    update: { value: done },
  });
  rmSync(join(config.dataDir, '.demo-seeding'), { force: true });
  log(`demo cohort ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(summary.outcomes)}`);
}

function listenError(e: NodeJS.ErrnoException, config: Config): Error {
  const where = `${config.host}:${config.port}`;
  if (e.code === 'EADDRINUSE') {
    return new StartError(
      `port ${config.port} on ${config.host} is already in use (another dermaset?): stop that server, or start on another port, e.g. PORT=${config.port + 1} npm start`,
    );
  }
  if (e.code === 'EACCES') {
    return new StartError(`no permission to listen on ${where}: use a port above 1023, e.g. PORT=4000`);
  }
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
    return new StartError(`HOST=${config.host} is not an address of this machine: use HOST=127.0.0.1`);
  }
  return e;
}

export interface RunningServer {
  server: Server;
  url: string;
  database: Database;
  /** Settles when the start-up blob sweep is done (undefined if it failed: the failure is logged). */
  swept: Promise<SweepReport | undefined>;
  /** Settles when the server is ready: the demo seeded on first start (with the token made for it). */
  ready: Promise<{ seeded: boolean; token?: string }>;
  close(): Promise<void>;
}

/**
 * Migrates, listens on HOST:PORT at once, and seeds the demo cohort on first start in the
 * background: until it is in, /health says "seeding" with the progress and the API answers
 * SERVICE_UNAVAILABLE.
 */
export async function startServer(config: Config): Promise<RunningServer> {
  let applied: string[];
  try {
    applied = await migrate(config.databaseUrl);
  } catch (e) {
    // one line naming the database and the cause, never the password: see db/migrate.ts
    if (e instanceof DatabaseUnreachableError) throw new StartError(e.message);
    throw e;
  }
  if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
  const database = openDatabase(config.databaseUrl);
  useDatabase(database.db);
  // exports whose instance died while writing them: FAILED, their partial files removed (quick:
  // before listening, so that no client sees such an export RUNNING after the restart)
  try {
    const recovered = await recoverInterruptedExports(config.dataDir);
    if (recovered.failed.length + recovered.removedFiles.length > 0) {
      log(
        `interrupted exports marked FAILED: ${recovered.failed.length}, partial files removed: ${recovered.removedFiles.length}`,
      );
    }
  } catch (e) {
    log(`recovering interrupted exports failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const seeding = config.seedDemo && (await claimDemoSeedIfEmpty(config, database));
  let readiness: Readiness = seeding
    ? { state: 'seeding', phase: 'acquisition', done: 0, total: 0 }
    : { state: 'ready' };
  const yoga = createDermasetYoga(config, () => readiness);
  const server = createServer(yoga);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
  } catch (e) {
    await database.close();
    throw listenError(e as NodeJS.ErrnoException, config);
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  // what interrupted writes left in the blob folder, after the server listens (it never delays it)
  const swept = sweepBlobs(database.db, join(config.dataDir, 'blobs')).then(
    (report) => {
      if (report.removed.length > 0) log(formatSweep(report));
      return report;
    },
    (e: Error) => {
      log(`the blob sweep failed: ${e.message.split('\n')[0]}`);
      return undefined;
    },
  );
  const ready = !seeding
    ? Promise.resolve({ seeded: false })
    : (async () => {
        try {
          await seedClaimedDemo(config, database, {
            ...(config.demoSize ? { size: config.demoSize } : {}),
            onProgress: (p) => {
              readiness = { state: 'seeding', ...p };
            },
          });
        } catch (e) {
          readiness = { state: 'failed', error: (e as Error).message.split('\n')[0] ?? 'seed failed' };
          throw e;
        }
        // the demo is for exploring: hand the newcomer a key to it, once
        const { token } = await createToken('first start (demo)', 'ADMIN');
        readiness = { state: 'ready' };
        log(`an admin token for this demo (shown once; manage tokens with \`npx dermaset token\`):\n\n    ${token}\n`);
        log(`in GraphiQL, add the headers ${JSON.stringify({ Authorization: `Bearer ${token}` })}`);
        return { seeded: true, token };
      })();
  return {
    server,
    url,
    database,
    swept,
    ready,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await swept;
      await database.close();
    },
  };
}
