// The dataset commands: export, split, policy, release. Each runs against DATABASE_URL as `import`
// does (withDatabase), as the CLI actor (an admin: the machine's operator), and calls the very
// services the GraphQL mutations call; its arguments are read by the schema's own input types.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.ts';
import { CLI_ACTOR } from '../ingest/import.ts';
import { phaseProgress, progressBar } from '../ingest/progress.ts';
import { registry } from '../plugins/index.ts';
import type { ImageFilter } from '../resolvers/image-filter.ts';
import { coerceInput, filterOption } from './graphql-input.ts';
import { parseJsonOption, reportingMistakes, UsageError } from './user-error.ts';
import { withDatabase } from './with-database.ts';

/** Runs a dataset command: the database opened, a user mistake one line with exit code 2. */
async function datasetCommand(name: string, work: () => Promise<void>): Promise<never> {
  await withDatabase(loadConfig(), () => reportingMistakes(name, work));
  process.exit(process.exitCode ?? 0);
}

/** A --limit: a whole number 0–200, as the API's lists take it. */
function listLimit(v: string): number {
  const n = /^\d{1,3}$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= 0 && n <= 200)) throw new InvalidArgumentError('a whole number 0–200');
  return n;
}

/** A split part as the API names it (TRAIN, VALIDATION, TEST), given in any case; else a user mistake. */
function partName(v: string): 'TRAIN' | 'VALIDATION' | 'TEST' {
  const part = v.toUpperCase();
  if (part !== 'TRAIN' && part !== 'VALIDATION' && part !== 'TEST')
    throw new UsageError(`unknown --part "${v}"; the parts are train, validation and test`);
  return part;
}

const wholeNumberOption = (what: string) => (v: string) => {
  if (!/^-?\d{1,15}$/.test(v)) throw new InvalidArgumentError(`${what} is a whole number`);
  return Number(v);
};

const shownDate = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------- export

interface ExportOpts {
  split?: string;
  part?: string;
  fold?: number;
  filter?: string;
  policy?: string;
  profile?: string;
  release?: string;
  options?: string;
  out?: string;
}

async function runExport(format: string, opts: ExportOpts): Promise<void> {
  const { exportRowCount, validateExport, writeExport } = await import('../resolvers/exports.ts');
  const { requestScope } = await import('../resolvers/subset.ts');
  const { storeFor } = await import('../storage/open.ts');
  if ((opts.part !== undefined || opts.fold !== undefined) && opts.split === undefined)
    throw new UsageError('--part and --fold select a part of a split: give --split <id> too');
  const options = opts.options === undefined ? undefined : parseJsonOption('--options', opts.options);
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options)))
    throw new UsageError("--options is a JSON object of the format's options, e.g. '{\"images\":false}'");
  const filter = await filterOption<ImageFilter>(opts.filter);
  const config = loadConfig();
  const {
    exporter,
    subset,
    options: checked,
    split,
    profile,
  } = await validateExport(
    requestScope(),
    {
      format,
      filter,
      policy: opts.policy,
      options: options as Record<string, unknown> | undefined,
      split:
        opts.split === undefined
          ? null
          : {
              id: opts.split,
              ...(opts.part === undefined ? {} : { part: partName(opts.part) }),
              ...(opts.fold === undefined ? {} : { fold: opts.fold }),
            },
      profile: opts.profile,
      release: opts.release,
    },
    CLI_ACTOR.role,
  );
  const out = opts.out ?? `dermaset-${exporter.id}.${exporter.extension}`;
  const partial = `${out}.partial`;
  // the rows the export writes, counted as startExport counts them: the bar ends at 100 %
  const total = await exportRowCount(subset);
  const bar = progressBar('export');
  bar.update(0, total);
  const file = createWriteStream(partial);
  try {
    const written = await writeExport(
      {
        exporter,
        subset,
        split,
        options: checked,
        withExaminer: true,
        store: storeFor(config),
        origin:
          config.api.publicUrl ?? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`,
        profile,
      },
      file,
      { total, onProgress: (done, of) => bar.update(done, of ?? total) },
    );
    file.end();
    await finished(file);
    bar.stop();
    await rename(partial, out);
    console.log(
      `wrote ${out}: ${written.rowCount} rows, ${exporter.id} ${exporter.version}, policy ${subset.policy.id} ${subset.policy.version}, profile ${profile}`,
    );
  } catch (e) {
    bar.stop();
    file.destroy();
    await rm(partial, { force: true });
    throw e;
  }
}

// ---------------------------------------------------------------- split

interface SplitCreateOpts {
  name?: string;
  filter?: string;
  policy?: string;
  seed?: number;
  fractions?: string;
  folds?: number;
  stratifyBy?: string;
  release?: string;
  extend?: string;
  allowOversizedUnits?: boolean;
}

/** "0.7,0.15,0.15" as SplitFractions (train, validation, test). */
function fractionsOf(text: string) {
  const parts = text.split(',').map((x) => x.trim());
  const numbers = parts.map((x) => (/^\d*\.?\d+$/.test(x) ? Number(x) : Number.NaN));
  if (numbers.length !== 3 || numbers.some((n) => Number.isNaN(n)))
    throw new UsageError('--fractions is train,validation,test shares adding up to 1, e.g. 0.7,0.15,0.15');
  const [train, validation, test] = numbers as [number, number, number];
  return { train, validation, test };
}

interface SplitRow {
  id: string;
  name: string | null;
  policyId: string;
  policyVersion: string;
  seed: number;
  parts: string;
  imageCount: number;
  manifestHash: string;
  summary: string;
  certificate: string;
  extendsId: string | null;
  createdAt: Date;
}

/** A stored split as `split show` and `split create` print it: a header, then a line per part. */
function printSplit(s: SplitRow) {
  const summary = JSON.parse(s.summary) as { parts: { name: string; images: number; patients: number }[] };
  const certificate = JSON.parse(s.certificate) as { clean?: boolean; leaks?: unknown[] };
  console.log(`split ${s.id}${s.name ? ` "${s.name}"` : ''}`);
  console.log(`  created   ${shownDate(s.createdAt)}`);
  console.log(`  policy    ${s.policyId} ${s.policyVersion}`);
  console.log(`  seed      ${s.seed}`);
  console.log(`  images    ${s.imageCount}`);
  console.log(`  manifest  sha256 ${s.manifestHash}`);
  if (s.extendsId) console.log(`  extends   ${s.extendsId}`);
  console.log(
    `  leaks     ${certificate.clean ? 'none (clean)' : `${certificate.leaks?.length ?? 0} (see the split's certificate)`}`,
  );
  for (const p of summary.parts) console.log(`  ${p.name.padEnd(11)}${p.images} images, ${p.patients} patients`);
}

async function createSplitCommand(opts: SplitCreateOpts): Promise<void> {
  const { createSplit, storedSplit } = await import('../resolvers/splits.ts');
  const { requestScope } = await import('../resolvers/subset.ts');
  const given = {
    ...(opts.name === undefined ? {} : { name: opts.name }),
    ...(opts.filter === undefined ? {} : { filter: parseJsonOption('--filter', opts.filter) }),
    ...(opts.policy === undefined ? {} : { policy: opts.policy }),
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    ...(opts.fractions === undefined ? {} : { fractions: fractionsOf(opts.fractions) }),
    ...(opts.folds === undefined ? {} : { folds: opts.folds }),
    ...(opts.stratifyBy === undefined
      ? {}
      : {
          stratifyBy: opts.stratifyBy
            .split(',')
            .map((x) => x.trim().toUpperCase().replace(/-/g, '_'))
            .filter(Boolean),
        }),
    ...(opts.release === undefined ? {} : { release: opts.release }),
    ...(opts.extend === undefined ? {} : { extend: opts.extend }),
    ...(opts.allowOversizedUnits ? { allowOversizedUnits: true } : {}),
  };
  // the API's own input type: the same bounds, enums and refusals as createSplit(input:)
  const input = await coerceInput<Parameters<typeof createSplit>[1]>('split', 'CreateSplitInput', given);
  const bar = phaseProgress();
  const id = await createSplit(requestScope(), input, CLI_ACTOR, (p) => bar.update(p)).finally(() => bar.stop());
  printSplit((await storedSplit(id)) as SplitRow);
}

// ---------------------------------------------------------------- registration

export function registerDatasetCommands(program: Command): void {
  const formats = () => [...registry.exporters.keys()].join(', ');
  program
    .command('export')
    .description('export the images matching a filter (or a split, a part of it, a release) to a file')
    .argument('<format>', `the export format: ${formats()}`)
    .option('--split <id>', 'only the images of this stored split (rows carry their part)')
    .option('--part <part>', 'one part of the split: train, validation or test')
    .option('--fold <n>', "with a k-fold split: that fold (--part test) or every other fold's (--part train)", (v) =>
      wholeNumberOption('--fold')(v),
    )
    .option('--filter <json>', 'an ImageFilter as JSON, e.g. \'{"diagnosisClass":["MELANOMA"]}\'')
    .option('--policy <id>', `class-mapping policy (default: the active one, or the split's): ${policiesList()}`)
    .option('--profile <profile>', 'de-identification profile: safe-harbor (default), research or limited')
    .option('--release <id>', 'export as of a stored release: its images with the labels it froze')
    .option('--options <json>', "the format's options as JSON, e.g. '{\"images\":false}'")
    .option('--out <file>', 'the file to write (default: dermaset-<format>.<extension> here)')
    .action((format: string, opts: ExportOpts) => datasetCommand('export', () => runExport(format, opts)));

  const split = program.command('split').description('stored train/validation/test or k-fold splits');
  split
    .command('create')
    .description('split the labelled images: patients, lesions and near duplicates never cross parts')
    .option('--name <name>', 'a name (at most 200 characters)')
    .option('--fractions <t,v,t>', 'train,validation,test shares adding up to 1, e.g. 0.7,0.15,0.15')
    .option('--folds <k>', 'k folds of equal size, 2–20 (instead of --fractions)', wholeNumberOption('--folds'))
    .option('--seed <n>', 'same seed, same images: same split (default 0)', wholeNumberOption('--seed'))
    .option(
      '--stratify-by <list>',
      'balance these too, comma-separated: verification_stage, fitzpatrick_type, sex, collection',
    )
    .option('--filter <json>', 'the images to split, an ImageFilter as JSON (default: all)')
    .option('--policy <id>', 'the labels to stratify by (default: the active policy)')
    .option('--release <id>', 'split a stored release, as it froze its images')
    .option('--extend <id>', 'an earlier split with the same parts: its images keep their part')
    .option('--allow-oversized-units', 'store the split even when a unit makes a part miss its target')
    .action((opts: SplitCreateOpts) => datasetCommand('split create', () => createSplitCommand(opts)));
  split
    .command('list')
    .description('stored splits, newest first')
    .option('--limit <n>', 'at most this many, 0–200', listLimit, 50)
    .action((opts: { limit: number }) =>
      datasetCommand('split list', async () => {
        const { listSplits } = await import('../resolvers/splits.ts');
        for (const s of (await listSplits({}, opts.limit)) as SplitRow[])
          console.log(
            `${s.id}\t${shownDate(s.createdAt)}\t${s.policyId}\t${s.imageCount} images\t${(JSON.parse(s.parts) as string[]).join(',')}\t${s.name ?? ''}`,
          );
      }),
    );
  split
    .command('show')
    .description('a stored split: its policy, seed, manifest hash, leak certificate and parts')
    .argument('<id>', 'the id shown by `split list`')
    .action((id: string) =>
      datasetCommand('split show', async () => {
        const { splitById } = await import('../resolvers/splits.ts');
        const s = (await splitById(id)) as SplitRow | null;
        if (!s) throw new UsageError(`no split ${id} (see dermaset split list)`);
        printSplit(s);
      }),
    );

  const policy = program.command('policy').description('class-mapping policies: the active one and the others');
  policy
    .command('show')
    .description('the active policy, every policy (* marks the active one) and the last switches')
    .action(() =>
      datasetCommand('policy show', async () => {
        const { activePolicyId, policyHistory } = await import('../resolvers/policies.ts');
        const active = await activePolicyId();
        console.log(`active: ${active}`);
        for (const p of registry.policies.values())
          console.log(`${p.id === active ? '*' : ' '} ${p.id}\t${p.version}\t${p.description}`);
        for (const h of await policyHistory({}, 5))
          console.log(`switched ${shownDate(h.at)}: ${h.fromPolicy} → ${h.toPolicy} by ${h.actor}`);
      }),
    );
  policy
    .command('set')
    .description('make a policy the active one (recorded in the policy history, as setActivePolicy does)')
    .argument('<id>', `the policy: ${policiesList()}`)
    .action((id: string) =>
      datasetCommand('policy set', async () => {
        const { activePolicyId, setActivePolicy } = await import('../resolvers/policies.ts');
        const before = await activePolicyId();
        const p = await setActivePolicy(CLI_ACTOR.code, id);
        console.log(before === p.id ? `${p.id} is already the active policy` : `active policy: ${before} → ${p.id}`);
      }),
    );

  const release = program.command('release').description('releases: frozen images with their labels');
  release
    .command('create')
    .description('freeze the images matching the filter (or all) with their labels now')
    .argument('<name>', 'the release name, e.g. "derm-2026"')
    .requiredOption('--version <version>', 'its version, e.g. 1.0.0 (name and version are unique together)')
    .option('--filter <json>', 'the images to release, an ImageFilter as JSON (default: all)')
    .action((name: string, opts: { version: string; filter?: string }) =>
      datasetCommand('release create', async () => {
        const { createRelease, storedRelease } = await import('../resolvers/releases.ts');
        const { requestScope } = await import('../resolvers/subset.ts');
        const filter = await filterOption<ImageFilter>(opts.filter);
        const id = await createRelease(requestScope(), { name, version: opts.version, filter }, CLI_ACTOR);
        const r = (await storedRelease(id)) as { imageCount: number; contentHash: string };
        console.log(`release ${id} "${name}" ${opts.version}: ${r.imageCount} images, sha256 ${r.contentHash}`);
      }),
    );
  release
    .command('list')
    .description('releases, newest first')
    .option('--name <name>', 'only the releases of this name')
    .option('--limit <n>', 'at most this many, 0–200', listLimit, 50)
    .action((opts: { name?: string; limit: number }) =>
      datasetCommand('release list', async () => {
        const { listReleases } = await import('../resolvers/releases.ts');
        const rows = (await listReleases({}, { name: opts.name ?? null, limit: opts.limit })) as {
          id: string;
          name: string;
          version: string;
          imageCount: number;
          createdAt: Date;
        }[];
        for (const r of rows)
          console.log(`${r.id}\t${shownDate(r.createdAt)}\t${r.name}\t${r.version}\t${r.imageCount} images`);
      }),
    );
}

const policiesList = () => [...registry.policies.keys()].join(', ');
