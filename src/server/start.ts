import { existsSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Seeds the demo cohort when the database holds no acquisition yet, or when an earlier seed was
 * interrupted (its marker file is still there): the seed resumes where it stopped.
 */
export async function seedDemoIfEmpty(config: Config, database: Database): Promise<boolean> {
  const marker = join(config.dataDir, '.demo-seeding');
  const empty = (await database.db.intakeRecord.count()) === 0;
  if (!empty && !existsSync(marker)) return false;
  writeFileSync(marker, new Date().toISOString());
  log('seeding the demo cohort (first start): 1,076 acquisition attempts through the pipeline');
  const bar = progressBar('demo');
  const started = Date.now();
  let phase = '';
  const summary = await seedDemo(database.db, createPipeline(config, database.db), {
    onProgress: (p) => {
      if (p.phase !== phase) {
        bar.stop();
        phase = p.phase;
      }
      bar.update(p.done, p.total);
    },
  });
  bar.stop();
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
