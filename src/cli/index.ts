#!/usr/bin/env node
// dermaset's command line: serve, migrate, demo, import, datasheet, export, split, policy, release,
// model, predictions, blobs, token. The server, the datasheet (the GraphQL schema, Vega) and the demo
// seed are imported by the commands that use them, so that `--help`, `token` and `import` start in
// a fraction of the time.
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { DatabaseUnreachableError, migrate } from '../db/migrate.ts';
import { parseRole, ROLES } from '../domain/roles.ts';
import { CLI_ACTOR, CONCURRENCY, formatSummary, ImportError, parseConcurrency, runImport } from '../ingest/import.ts';
import { createPipeline } from '../ingest/pipeline.ts';
import { phaseProgress, progressBar } from '../ingest/progress.ts';
import { DERMASET_CSV } from '../plugins/importers/dermaset-csv.ts';
import { registry } from '../plugins/index.ts';
import { createToken, listTokens, revokeToken } from '../resolvers/tokens.ts';
import { StartError } from '../server/start-error.ts';
import { openBlobStore } from '../storage/open.ts';
import { DEFAULT_GRACE_MS, formatSweep, minGraceMs, parseDuration, sweepBlobs } from '../storage/sweep.ts';
import { registerDatasetCommands } from './dataset-commands.ts';
import { registerPredictionCommands } from './prediction-commands.ts';
import { withDatabase } from './with-database.ts';

/** A commander argument parser for a positive whole number, refusing anything else in one line. */
function wholeNumber(what: string, hint: string) {
  return (v: string): number => {
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${what} is a whole number above 0, ${hint}`);
    return n;
  };
}

const program = new Command()
  .name('dermaset')
  .description('A GraphQL server for clinically verified dermoscopic image datasets. Configuration: see README.');

program
  .command('serve', { isDefault: true })
  .description('migrate the database, listen, seed the demo cohort on first start, serve GraphQL')
  .action(async () => {
    const config = loadConfig();
    const { startServer } = await import('../server/start.ts');
    const running = await startServer(config);
    // the address line, plain text: people, benches and tests wait for it (the JSON log says "listening")
    process.stderr.write(`dermaset: GraphQL at ${running.url}/graphql, health at ${running.url}/health\n`);
    running.ready.catch((e: Error) => {
      process.stderr.write(
        `dermaset: the demo seed stopped: ${e.message.split('\n')[0]} (it resumes on the next start)\n`,
      );
      process.exit(1);
    });
    // graceful: stop accepting, finish requests and exports within DERMASET_SHUTDOWN_TIMEOUT, close
    // the pools, exit 0 (server/start.ts shutdown); a second signal while draining stops at once
    let stopping = false;
    const stop = async () => {
      if (stopping) process.exit(1);
      stopping = true;
      await running.shutdown(config.operations.shutdownTimeoutS * 1000);
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

program
  .command('migrate')
  .description('apply pending migrations to DATABASE_URL')
  .action(async () => {
    const applied = await migrate(loadConfig().databaseUrl);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date');
    process.exit(0);
  });

program
  .command('demo')
  .description('seed the demo cohort into DATABASE_URL (resumes an interrupted seed, otherwise a no-op)')
  .option('--seed <n>', 'random seed of the cohort plan (a whole number)', (v) => {
    if (!/^-?\d{1,15}$/.test(v)) throw new InvalidArgumentError('the seed is a whole number, e.g. --seed 20250601');
    return Number(v);
  })
  .action(async (opts: { seed?: number }) => {
    const config = loadConfig();
    const { seedDemo } = await import('../../prisma/demo/seed.ts');
    await withDatabase(config, async (db) => {
      const bars = phaseProgress();
      const summary = await seedDemo(db, createPipeline(config, db), {
        ...(opts.seed === undefined ? {} : { seed: opts.seed }),
        ...(config.demoSize ? { size: config.demoSize } : {}),
        onProgress: (p) => bars.update(p),
      });
      bars.stop();
      console.log(JSON.stringify(summary.outcomes));
    });
    process.exit(0);
  });

program
  .command('import')
  .description('import a folder of images described by metadata CSVs (our own format, or --format <importer>)')
  .argument('<folder>', 'folder holding the image files named in the CSV')
  .option('--metadata <file>', 'the metadata CSV (for --format dermaset; for an importer: its first input)')
  .option(
    '--format <id>',
    `dermaset (default) or an importer: ${[...registry.importers.keys()].filter((id) => id !== DERMASET_CSV).join(', ')}`,
    DERMASET_CSV,
  )
  .option(
    '--input <name=file>',
    'an importer input by name, e.g. groundTruth=ISIC_2019_Training_GroundTruth.csv (repeatable)',
    (v: string, all: string[]) => [...all, v],
    [] as string[],
  )
  .option('--dry-run', 'check rows, records, files (and for our format image headers), report, store nothing', false)
  .option(
    '--collection <slug>',
    "the collection to import into (default: the importer's own, e.g. ham10000, created on the first import; own for our format)",
  )
  .option(
    '--concurrency <n>',
    `images processed at once, ${CONCURRENCY.min}–${CONCURRENCY.max}`,
    (v: string) => {
      const n = parseConcurrency(v);
      if (n === undefined) throw new InvalidArgumentError(`--concurrency ${CONCURRENCY.rule}`);
      return n;
    },
    2,
  )
  .action(
    async (
      folder: string,
      opts: {
        metadata?: string;
        format: string;
        input: string[];
        dryRun: boolean;
        concurrency: number;
        collection?: string;
      },
    ) => {
      const config = loadConfig();
      await withDatabase(config, async (db) => {
        const bar = progressBar('import');
        try {
          const importer = registry.importer(opts.format);
          if (!importer) {
            throw new ImportError(
              `unknown --format "${opts.format}"; known: ${[...registry.importers.keys()].join(', ')}`,
            );
          }
          // our own format is read from --metadata alone, as it always was
          if (importer.id === DERMASET_CSV && !opts.metadata)
            throw new ImportError('--metadata <file.csv> is required');
          const inputs: Record<string, string> = {};
          const first = importer.inputs[0];
          if (opts.metadata && first) inputs[first.name] = opts.metadata;
          for (const pair of importer.id === DERMASET_CSV ? [] : opts.input) {
            const [name, file] = pair.split('=');
            if (!name || !file || !importer.inputs.some((i) => i.name === name)) {
              throw new ImportError(
                `--input ${pair}: ${importer.id} takes ${importer.inputs.map((i) => i.name).join(', ')}`,
              );
            }
            inputs[name] = file;
          }
          const summary = await runImport(createPipeline(config, db), importer, {
            folder,
            inputs,
            concurrency: opts.concurrency,
            dryRun: opts.dryRun,
            actor: CLI_ACTOR,
            ...(opts.collection === undefined ? {} : { collection: opts.collection }),
            onProgress: (done, total) => bar.update(done, total),
          });
          bar.stop();
          console.log(formatSummary(summary));
        } catch (e) {
          bar.stop();
          if (!(e instanceof ImportError)) throw e;
          console.error(`dermaset import: ${e.message}`);
          process.exitCode = 2;
        }
      });
      process.exit(process.exitCode ?? 0);
    },
  );

program
  .command('datasheet')
  .description('write the datasheet of the dataset (HTML with figures, or Markdown for a .md file)')
  .requiredOption('--out <file>', 'datasheet.html or datasheet.md')
  .option('--policy <id>', 'class-mapping policy (default: the active one)')
  .action(async (opts: { out: string; policy?: string }) => {
    await withDatabase(loadConfig(), async () => {
      // the services read the ambient db() that withDatabase sets
      const { computeDatasheet } = await import('../resolvers/datasheet.ts');
      const { requestScope, resolveSubset } = await import('../resolvers/subset.ts');
      const sheet = await computeDatasheet(await resolveSubset(requestScope(), { policy: opts.policy ?? null }));
      writeFileSync(opts.out, opts.out.endsWith('.md') ? sheet.markdown : sheet.html);
      console.log(`wrote ${opts.out} (${sheet.stats.images} images, policy ${sheet.stats.policy.id})`);
    });
    process.exit(0);
  });

registerDatasetCommands(program);
registerPredictionCommands(program);

const blobs = program
  .command('blobs')
  .description('the blob store (DATA_DIR/blobs, or the bucket DERMASET_STORAGE=s3 names)');

blobs
  .command('sweep')
  .description(
    'remove temporary files and blobs no image references, left by interrupted uploads and imports (only files older than the grace period)',
  )
  .option(
    '--grace <duration>',
    `keep files modified within this time, e.g. 30m, 1h, 2d, 0 (default ${DEFAULT_GRACE_MS / 3_600_000}h)`,
    (v: string) => {
      const ms = parseDuration(v);
      if (ms === undefined) throw new InvalidArgumentError('a duration such as 90s, 30m, 1h, 2d or 0');
      return ms;
    },
  )
  .option('--dry-run', 'list what would be removed, remove nothing', false)
  .action(async (opts: { grace?: number; dryRun: boolean }) => {
    const config = loadConfig();
    const store = openBlobStore(config.dataDir, config.storage);
    const graceMs = opts.grace ?? DEFAULT_GRACE_MS;
    if (graceMs < minGraceMs(store)) {
      console.error(
        `dermaset blobs sweep: --grace must be at least ${minGraceMs(store) / 60_000}m on the ${store.backend} store (a put refreshes an old blob only after that long)`,
      );
      process.exit(2);
    }
    await withDatabase(config, async (db) => {
      const report = await sweepBlobs(db, store, { graceMs, dryRun: opts.dryRun });
      for (const rel of report.removed) console.log(`${report.dryRun ? 'would remove' : 'removed'} ${rel}`);
      console.log(formatSweep(report));
    });
    process.exit(0);
  });

const token = program.command('token').description('bearer tokens for the API (stored hashed)');

token
  .command('create')
  .description('create a token and print it once')
  .requiredOption('--role <role>', 'viewer | annotator | reviewer | admin')
  .requiredOption('--name <name>', 'who or what will use it, e.g. "gallery frontend"')
  .action(async (opts: { role: string; name: string }) => {
    const role = parseRole(opts.role);
    if (!role) {
      console.error(`dermaset token: --role must be one of ${ROLES.join(', ').toLowerCase()}`);
      process.exit(2);
    }
    const { token: secret, id } = await withDatabase(loadConfig(), () => createToken(opts.name, role));
    console.error(`token ${id} (${role.toLowerCase()}, "${opts.name}"); it is shown only now:`);
    console.log(secret);
    process.exit(0);
  });

token
  .command('list')
  .description('list tokens (never their secrets)')
  .action(async () => {
    const tokens = await withDatabase(loadConfig(), () => listTokens());
    for (const t of tokens) {
      console.log(
        `${t.id}\t${t.role.toLowerCase()}\t${t.prefix}…\t${t.name}\t${t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active'}`,
      );
    }
    process.exit(0);
  });

token
  .command('revoke')
  .description('revoke a token by id (takes effect within 10 s on running servers)')
  .argument(
    '<id>',
    'the id shown by `token list`',
    wholeNumber('the token id', 'as `npx dermaset token list` shows it'),
  )
  .action(async (id: number) => {
    const revoked = await withDatabase(loadConfig(), () => revokeToken(id));
    console.log(revoked ? `token ${id} revoked` : `no active token ${id}`);
    process.exit(revoked ? 0 : 1);
  });

try {
  // `serve` is the default command, so commander would read an unknown command as serve's argument
  // ("too many arguments for 'serve'"): name the mistake instead
  const first = process.argv[2];
  const known = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]).concat('help'));
  if (first !== undefined && !first.startsWith('-') && !known.has(first)) {
    process.stderr.write(
      `dermaset: unknown command '${first}'; the commands are ${[...known].join(', ')} (see npx dermaset --help)\n`,
    );
    process.exit(1);
  }
  await program.parseAsync();
} catch (e) {
  // a mistake in the environment, a database out of reach, or a start that cannot go on: one line
  if (!(e instanceof ConfigError || e instanceof StartError || e instanceof DatabaseUnreachableError)) throw e;
  process.stderr.write(`dermaset: ${e.message}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
}
