#!/usr/bin/env node
// dermaset's command line: serve, migrate, demo, import, datasheet, token. The server and the
// datasheet (the GraphQL schema, Vega) are imported by the commands that use them, so that
// `--help`, `token` and `import` start in a fraction of the time.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { seedDemo } from '../../prisma/demo/seed.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { useDatabase } from '../db/current.ts';
import { DatabaseUnreachableError, migrate } from '../db/migrate.ts';
import { parseRole, ROLES } from '../domain/roles.ts';
import { CONCURRENCY, formatSummary, ImportError, importFolder, parseConcurrency } from '../ingest/import-csv.ts';
import { formatPublicSummary, importPublic } from '../ingest/import-public.ts';
import { createPipeline } from '../ingest/pipeline.ts';
import { registry } from '../plugins/index.ts';
import { createToken, listTokens, revokeToken } from '../resolvers/tokens.ts';
import { StartError } from '../server/start-error.ts';
import { DEFAULT_GRACE_MS, formatSweep, parseDuration, sweepBlobs } from '../storage/sweep.ts';
import { phaseProgress, progressBar } from './progress.ts';

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
    process.stderr.write(`dermaset: GraphQL at ${running.url}/graphql, health at ${running.url}/health\n`);
    running.ready.catch((e: Error) => {
      process.stderr.write(
        `dermaset: the demo seed stopped: ${e.message.split('\n')[0]} (it resumes on the next start)\n`,
      );
      process.exit(1);
    });
    const stop = async () => {
      await running.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
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
    await migrate(config.databaseUrl);
    const { db, close } = openDatabase(config.databaseUrl);
    const bars = phaseProgress();
    const summary = await seedDemo(db, createPipeline(config, db), {
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
      ...(config.demoSize ? { size: config.demoSize } : {}),
      onProgress: (p) => bars.update(p),
    });
    bars.stop();
    console.log(JSON.stringify(summary.outcomes));
    await close();
    process.exit(0);
  });

program
  .command('import')
  .description('import a folder of images described by metadata CSVs (our own format, or --format <importer>)')
  .argument('<folder>', 'folder holding the image files named in the CSV')
  .option('--metadata <file>', 'the metadata CSV (for --format dermaset; for an importer: its first input)')
  .option(
    '--format <id>',
    `dermaset (default) or an importer: ${[...registry.importers.keys()].join(', ')}`,
    'dermaset',
  )
  .option(
    '--input <name=file>',
    'an importer input by name, e.g. groundTruth=ISIC_2019_Training_GroundTruth.csv (repeatable)',
    (v: string, all: string[]) => [...all, v],
    [] as string[],
  )
  .option('--dry-run', 'check rows, records, files (and for our format image headers), report, store nothing', false)
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
      opts: { metadata?: string; format: string; input: string[]; dryRun: boolean; concurrency: number },
    ) => {
      const config = loadConfig();
      await migrate(config.databaseUrl);
      const { db, close } = openDatabase(config.databaseUrl);
      const bar = progressBar('import');
      const onProgress = (done: number, total: number) => bar.update(done, total);
      try {
        const pipeline = createPipeline(config, db);
        if (opts.format === 'dermaset') {
          if (!opts.metadata) throw new ImportError('--metadata <file.csv> is required');
          const summary = await importFolder(pipeline, {
            folder,
            metadata: opts.metadata,
            concurrency: opts.concurrency,
            dryRun: opts.dryRun,
            onProgress,
          });
          bar.stop();
          console.log(formatSummary(summary));
        } else {
          const importer = registry.importer(opts.format);
          if (!importer) {
            throw new ImportError(
              `unknown --format "${opts.format}"; known: dermaset, ${[...registry.importers.keys()].join(', ')}`,
            );
          }
          const inputs: Record<string, string> = {};
          const first = importer.inputs[0];
          if (opts.metadata && first) inputs[first.name] = opts.metadata;
          for (const pair of opts.input) {
            const [name, file] = pair.split('=');
            if (!name || !file || !importer.inputs.some((i) => i.name === name)) {
              throw new ImportError(
                `--input ${pair}: ${importer.id} takes ${importer.inputs.map((i) => i.name).join(', ')}`,
              );
            }
            inputs[name] = file;
          }
          const summary = await importPublic(pipeline, importer, {
            folder,
            inputs,
            concurrency: opts.concurrency,
            dryRun: opts.dryRun,
            onProgress,
          });
          bar.stop();
          console.log(formatPublicSummary(summary));
        }
      } catch (e) {
        bar.stop();
        if (!(e instanceof ImportError)) throw e;
        console.error(`dermaset import: ${e.message}`);
        process.exitCode = 2;
      } finally {
        await close();
      }
      process.exit(process.exitCode ?? 0);
    },
  );

program
  .command('datasheet')
  .description('write the datasheet of the dataset (HTML with figures, or Markdown for a .md file)')
  .requiredOption('--out <file>', 'datasheet.html or datasheet.md')
  .option('--policy <id>', 'class-mapping policy (default: the active one)')
  .action(async (opts: { out: string; policy?: string }) => {
    const config = loadConfig();
    await migrate(config.databaseUrl);
    const { db, close } = openDatabase(config.databaseUrl);
    useDatabase(db);
    const { computeDatasheet } = await import('../resolvers/datasheet.ts');
    const sheet = await computeDatasheet({ policy: opts.policy ?? null });
    writeFileSync(opts.out, opts.out.endsWith('.md') ? sheet.markdown : sheet.html);
    console.log(`wrote ${opts.out} (${sheet.stats.images} images, policy ${sheet.stats.policy.id})`);
    await close();
    process.exit(0);
  });

const blobs = program.command('blobs').description('the blob folder (DATA_DIR/blobs)');

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
    await migrate(config.databaseUrl);
    const { db, close } = openDatabase(config.databaseUrl);
    try {
      const report = await sweepBlobs(db, join(config.dataDir, 'blobs'), {
        graceMs: opts.grace ?? DEFAULT_GRACE_MS,
        dryRun: opts.dryRun,
      });
      for (const rel of report.removed) console.log(`${report.dryRun ? 'would remove' : 'removed'} ${rel}`);
      console.log(formatSweep(report));
    } finally {
      await close();
    }
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
    const config = loadConfig();
    await migrate(config.databaseUrl);
    const { db, close } = openDatabase(config.databaseUrl);
    const { token: secret, id } = await createToken(db, opts.name, role);
    await close();
    console.error(`token ${id} (${role.toLowerCase()}, "${opts.name}"); it is shown only now:`);
    console.log(secret);
    process.exit(0);
  });

token
  .command('list')
  .description('list tokens (never their secrets)')
  .action(async () => {
    const config = loadConfig();
    await migrate(config.databaseUrl);
    const { db, close } = openDatabase(config.databaseUrl);
    for (const t of await listTokens(db)) {
      console.log(
        `${t.id}\t${t.role.toLowerCase()}\t${t.prefix}…\t${t.name}\t${t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active'}`,
      );
    }
    await close();
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
    const config = loadConfig();
    const { db, close } = openDatabase(config.databaseUrl);
    const revoked = await revokeToken(db, id);
    await close();
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
