import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { type SeedProgress, seedDemo } from '../../prisma/demo/seed.ts';
import type { Config } from '../config.ts';
import { type Database, openDatabase } from '../db/client.ts';
import { useDatabase } from '../db/current.ts';
import { DatabaseUnreachableError, migrate } from '../db/migrate.ts';
import { createPipeline } from '../ingest/pipeline.ts';
import { phaseProgress } from '../ingest/progress.ts';
import { configureEvaluationWorkers } from '../resolvers/evaluation-workers.ts';
import { recoverInterruptedExports, runningExports } from '../resolvers/exports.ts';
import { createToken } from '../resolvers/tokens.ts';
import { openBlobStore } from '../storage/open.ts';
import { formatSweep, type SweepReport, sweepBlobs } from '../storage/sweep.ts';
import { errorFields, log as logger, setLogLevel } from './logger.ts';
import { StartError } from './start-error.ts';
import type { Readiness } from './use-readiness.ts';
import { createDermasetYoga } from './yoga.ts';

/** A message for the person at the terminal (the demo's progress and its token): plain text, not a log line. */
const say = (msg: string) => process.stderr.write(`dermaset: ${msg}\n`);

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
    logger().info('another instance is seeding the demo cohort');
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
  say('seeding the demo cohort (first start): 1,076 acquisition attempts through the pipeline, then their trail');
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
  say(`demo cohort ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(summary.outcomes)}`);
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
  /** Settles when the start-up blob sweep is done (undefined if it failed, logged, or for an object store, not swept at start). */
  swept: Promise<SweepReport | undefined>;
  /** Settles when the server is ready: the demo seeded on first start (with the token made for it). */
  ready: Promise<{ seeded: boolean; token?: string }>;
  close(): Promise<void>;
  /** The graceful stop of SIGTERM: see shutdown() below. */
  shutdown(timeoutMs: number): Promise<ShutdownReport>;
}

/** What a graceful shutdown did. */
export interface ShutdownReport {
  /** Exports that were running when it began and finished within the timeout. */
  exportsFinished: string[];
  /** Exports still running at the timeout: marked FAILED with SHUTDOWN_REASON, their partial files removed. */
  exportsFailed: string[];
  /** Whether requests or exports were still running at the timeout (their connections were cut). */
  timedOut: boolean;
}

/** The error an export still running when a shutdown times out is marked FAILED with. */
export const SHUTDOWN_REASON =
  'interrupted: the server shut down before the export finished (within DERMASET_SHUTDOWN_TIMEOUT); start the export again';

const within = <T>(work: Promise<T>, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });

/** Marks exports this instance could not finish FAILED (only those still RUNNING). */
async function failExports(database: Database, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await database.db.export.updateMany({
    where: { id: { in: ids }, status: 'RUNNING' },
    data: { status: 'FAILED', error: SHUTDOWN_REASON, finishedAt: new Date() },
  });
}

/** Removes what exports left in the local export folder: their partial (or finished, never handed over) files. */
async function removeExportFiles(dataDir: string, ids: string[]): Promise<void> {
  const folder = join(dataDir, 'exports');
  const names = await readdir(folder).catch(() => [] as string[]);
  for (const name of names) {
    if (ids.some((id) => name.startsWith(`${id}.`))) await rm(join(folder, name), { force: true });
  }
}

export async function startServer(config: Config): Promise<RunningServer> {
  let applied: string[];
  try {
    applied = await migrate(config.databaseUrl);
  } catch (e) {
    // one line naming the database and the cause, never the password: see db/migrate.ts
    if (e instanceof DatabaseUnreachableError) throw new StartError(e.message);
    throw e;
  }
  setLogLevel(config.operations.logLevel);
  configureEvaluationWorkers({ threads: config.operations.evaluationThreads });
  if (applied.length > 0) logger().info({ migrations: applied }, 'applied migrations');
  const database = openDatabase(config.databaseUrl);
  useDatabase(database.db);
  // the blob store of this data folder, for everything that reads or writes blobs (storage/open.ts)
  const store = openBlobStore(config.dataDir, config.storage);
  // exports whose instance died while writing them: FAILED, their partial files removed (quick:
  // before listening, so that no client sees such an export RUNNING after the restart)
  try {
    const recovered = await recoverInterruptedExports(config.dataDir);
    if (recovered.failed.length + recovered.removedFiles.length > 0) {
      logger().warn(
        { failed: recovered.failed.length, removedFiles: recovered.removedFiles.length },
        `interrupted exports marked FAILED: ${recovered.failed.length}, partial files removed: ${recovered.removedFiles.length}`,
      );
    }
  } catch (e) {
    logger().error({ err: errorFields(e) }, 'recovering interrupted exports failed');
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
  logger().info({ url, storage: store.backend }, 'listening');
  // what interrupted writes left in the blob folder, after the server listens (it never delays it).
  // An object store is swept by `dermaset blobs sweep` run on a schedule (deploy/), not by every
  // instance at every start: listing a bucket of a million images is no start-up task.
  const swept =
    store.backend !== 'local'
      ? Promise.resolve(undefined)
      : sweepBlobs(database.db, store).then(
          (report) => {
            if (report.removed.length > 0) logger().info({ removed: report.removed.length }, formatSweep(report));
            return report;
          },
          (e: unknown) => {
            logger().error({ err: errorFields(e) }, 'the blob sweep failed');
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
              if (readiness.state === 'seeding') readiness = { state: 'seeding', ...p };
            },
          });
        } catch (e) {
          if (readiness.state === 'seeding')
            readiness = { state: 'failed', error: (e as Error).message.split('\n')[0] ?? 'seed failed' };
          throw e;
        }
        // the demo is for exploring: hand the newcomer a key to it, once
        const { token } = await createToken('first start (demo)', 'ADMIN');
        if (readiness.state === 'seeding') readiness = { state: 'ready' };
        say(`an admin token for this demo (shown once; manage tokens with \`npx dermaset token\`):\n\n    ${token}\n`);
        say(`in GraphiQL, add the headers ${JSON.stringify({ Authorization: `Bearer ${token}` })}`);
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
    /**
     * SIGTERM's graceful stop: readiness turns "shutting down" at once (/readyz 503, so a load
     * balancer drains this instance), the listening socket closes (new connections are refused),
     * idle keep-alive connections close, requests in flight finish (their answers carry `Connection:
     * close`), and the exports this instance is writing finish, all within `timeoutMs`. What is
     * still running then is cut: its connections closed, its exports marked FAILED with
     * SHUTDOWN_REASON and their partial files removed. Then the database pools close.
     */
    shutdown: async (timeoutMs) => {
      readiness = { state: 'draining' };
      const running = [...runningExports.keys()];
      logger().info({ exportsRunning: running.length, timeoutMs }, 'shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const exportsDone = Promise.allSettled([...runningExports.values()]);
      const finished = await within(Promise.all([closed, exportsDone]), timeoutMs);
      const left = [...runningExports.keys()];
      const abandoned = left.map((id) => runningExports.get(id));
      if (!finished) {
        server.closeAllConnections();
        await failExports(database, left).catch((e: unknown) =>
          logger().error({ err: errorFields(e) }, 'marking unfinished exports failed'),
        );
      }
      await within(swept, Math.max(timeoutMs, 1000));
      await database.close();
      if (left.length > 0) {
        // an abandoned run stops at its next database read (the pools are closed); its files go after
        await within(Promise.allSettled(abandoned), 2000);
        await removeExportFiles(config.dataDir, left);
      }
      const report = {
        exportsFinished: running.filter((id) => !left.includes(id)),
        exportsFailed: left,
        timedOut: !finished,
      };
      logger().info(report, 'stopped');
      return report;
    },
  };
}
