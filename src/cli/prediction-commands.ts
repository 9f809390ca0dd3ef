// The model commands: `model register|list` and `predictions import`. They run against DATABASE_URL
// as the dataset commands do (withDatabase, the CLI actor, an admin) and call the services the
// registerModel and importPredictions mutations call, so a row is refused here exactly as over the
// API. A predictions file is a wide table, one row per image: an `image` column (an Image global id
// or a SHA-256; or `image_sha256`), one column per label of the model (any case), and optionally a
// `saliency` column naming a file inside --saliency-dir. CSV is read with csv-parse as a stream,
// Parquet with hyparquet a row group at a time; both are checked whole (header and shape) before the
// first batch is stored, so a mistake in the file changes nothing.
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'csv-parse';
import { loadConfig } from '../config.ts';
import type { PredictionRowRefusal } from '../domain/predictions.ts';
import { CLI_ACTOR } from '../ingest/import.ts';
import { progressBar } from '../ingest/progress.ts';
import type { PredictionImportReport, PredictionRow, SaliencyFile } from '../resolvers/models.ts';
import { reportingMistakes, UsageError } from './user-error.ts';
import { withDatabase } from './with-database.ts';

/** Runs a model command: the database opened, a user mistake one line with exit code 2. */
async function modelCommand(name: string, work: () => Promise<void>): Promise<never> {
  await withDatabase(loadConfig(), () => reportingMistakes(name, work));
  process.exit(process.exitCode ?? 0);
}

// ---------------------------------------------------------------- reading a wide table

/** One data row of the file: its place (a CSV line, or a Parquet row counted from 1) and its cells by column. */
interface TableRow {
  place: number;
  cells: readonly unknown[];
}

interface Table {
  /** The column names as the file writes them. */
  columns: string[];
  /** Data rows in the file. */
  count: number;
  /** What a place is: `line` (CSV, the header is line 1) or `row` (Parquet). */
  placeWord: 'line' | 'row';
  rows(): AsyncIterable<TableRow>;
}

const csvParser = (file: string) =>
  createReadStream(file).pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: 1_000_000 }),
  );

/** A CSV file checked whole (every line holds as many fields as the header) and read again as a stream. */
async function csvTable(file: string): Promise<Table> {
  let columns: string[] | undefined;
  let count = 0;
  try {
    for await (const { record, info } of csvParser(file) as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (!columns) {
        columns = record;
        continue;
      }
      if (record.length !== columns.length)
        throw new UsageError(
          `${file} line ${info.lines} has ${record.length} fields, the header ${columns.length}: nothing was imported`,
        );
      count++;
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${file} is not a CSV file csv-parse reads: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!columns) throw new UsageError(`${file} is empty: its first line is the header (image, one column per label)`);
  return {
    columns,
    count,
    placeWord: 'line',
    async *rows() {
      let header = true;
      for await (const { record, info } of csvParser(file) as AsyncIterable<{
        record: string[];
        info: { lines: number };
      }>) {
        if (header) {
          header = false;
          continue;
        }
        yield { place: info.lines, cells: record };
      }
    },
  };
}

/** A Parquet file's top-level columns and rows, read a row group at a time (hyparquet). */
async function parquetTable(file: string): Promise<Table> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new UsageError(`${file} is not a Parquet file: ${(e as Error).message.split('\n')[0]}`);
  }
  // the root element, then each top-level column (a nested column counts its children after it)
  const columns: string[] = [];
  const schema = metadata.schema;
  for (let i = 1; i < schema.length; ) {
    const element = schema[i];
    if (!element) break;
    columns.push(element.name);
    let skip = 1;
    for (let open = element.num_children ?? 0; open > 0; open--) {
      const child = schema[i + skip];
      open += child?.num_children ?? 0;
      skip++;
    }
    i += skip;
  }
  return {
    columns,
    count: Number(metadata.num_rows),
    placeWord: 'row',
    async *rows() {
      let start = 0;
      for (const group of metadata.row_groups) {
        const end = start + Number(group.num_rows);
        const objects = await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end });
        for (let k = 0; k < objects.length; k++) {
          const o = objects[k] as Record<string, unknown>;
          yield { place: start + k + 1, cells: columns.map((c) => o[c]) };
        }
        start = end;
      }
    },
  };
}

async function openTable(file: string): Promise<Table> {
  const ext = extname(file).toLowerCase();
  if (ext !== '.csv' && ext !== '.parquet')
    throw new UsageError(`${file}: a predictions file is .csv or .parquet (by its name)`);
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) throw new UsageError(`no file ${file}`);
  return ext === '.csv' ? csvTable(file) : parquetTable(file);
}

// ---------------------------------------------------------------- the columns

interface Layout {
  image: number;
  /** Column index of each label of the model, in the model's label order. */
  labels: { label: string; column: number }[];
  saliency: number | null;
}

const IMAGE_COLUMNS = ['image', 'image_sha256'];

/** Where the image, each label and the saliency map are; anything unknown, missing or twice is a user mistake. */
function layoutOf(columns: readonly string[], labels: readonly string[], saliencyDir: string | undefined): Layout {
  const named = new Map<string, number>();
  columns.forEach((c, i) => {
    const key = c.trim().toLowerCase();
    if (named.has(key)) throw new UsageError(`the column ${c} is there twice`);
    named.set(key, i);
  });
  const images = IMAGE_COLUMNS.filter((c) => named.has(c));
  if (images.length === 0)
    throw new UsageError(
      `no image column: name the images in a column "image" (global id or SHA-256) or "image_sha256"; the columns are ${columns.join(', ')}`,
    );
  if (images.length > 1) throw new UsageError('give one of the columns image and image_sha256, not both');
  const byLabel = new Map(labels.map((l) => [l.toLowerCase(), l]));
  const unknown = columns.filter((c) => {
    const key = c.trim().toLowerCase();
    return !IMAGE_COLUMNS.includes(key) && key !== 'saliency' && !byLabel.has(key);
  });
  if (unknown.length > 0)
    throw new UsageError(
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: the columns are image (or image_sha256), one per label of the model (${labels.join(', ')}) and saliency`,
    );
  const missing = labels.filter((l) => !named.has(l.toLowerCase()));
  if (missing.length > 0)
    throw new UsageError(`no column for the label${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of the model`);
  const saliency = named.get('saliency') ?? null;
  if (saliency !== null && saliencyDir === undefined)
    throw new UsageError('the file has a saliency column: give --saliency-dir <folder> that holds the files it names');
  return {
    image: named.get(images[0] as string) as number,
    labels: labels.map((label) => ({ label, column: named.get(label.toLowerCase()) as number })),
    saliency,
  };
}

/** A cell as a score: numbers as they are, text parsed (not a number: NaN, refused); empty: no score. */
function scoreOf(cell: unknown): number | undefined {
  if (cell === null || cell === undefined) return undefined;
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'bigint') return Number(cell);
  const text = String(cell).trim();
  return text === '' ? undefined : Number(text);
}

const cellText = (cell: unknown) => (cell === null || cell === undefined ? '' : String(cell).trim());

/** A saliency file named in a row: inside the folder, and there; else the row's refusal. */
async function saliencyFile(dir: string, name: string): Promise<SaliencyFile | PredictionRowRefusal> {
  const path = resolve(dir, name);
  const rel = relative(resolve(dir), path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
    return { code: 'BAD_SALIENCY', message: `the saliency file "${name.slice(0, 80)}" is not inside --saliency-dir` };
  const st = await stat(path).catch(() => null);
  if (!st?.isFile())
    return { code: 'BAD_SALIENCY', message: `no saliency file "${name.slice(0, 80)}" in --saliency-dir` };
  return {
    size: st.size,
    arrayBuffer: async () => {
      const bytes = await readFile(path);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

// ---------------------------------------------------------------- the report

interface PlacedRefusal {
  line: number;
  image: string | null;
  code: string;
  message: string;
}

interface FileReport {
  model: string;
  file: string;
  received: number;
  stored: number;
  unchanged: number;
  refused: number;
  refusals: PlacedRefusal[];
}

/** How many refusals the command prints (--report has them all). */
const SHOWN_REFUSALS = 20;

function printReport(r: FileReport, placeWord: string): void {
  console.log(
    `${r.model}: ${r.received} rows read from ${r.file}: ${r.stored} stored, ${r.unchanged} unchanged, ${r.refused} refused`,
  );
  for (const x of r.refusals.slice(0, SHOWN_REFUSALS))
    console.log(`  ${placeWord} ${x.line}${x.image ? ` ${x.image}` : ''}: ${x.code} ${x.message}`);
  if (r.refusals.length > SHOWN_REFUSALS)
    console.log(`  … and ${r.refusals.length - SHOWN_REFUSALS} more (--report <file.json> writes them all)`);
}

// ---------------------------------------------------------------- the commands

interface ImportOpts {
  model: string;
  saliencyDir?: string;
  report?: string;
}

async function importCommand(file: string, opts: ImportOpts): Promise<void> {
  const { parseModelSpec, PREDICTION_BOUNDS } = await import('../domain/predictions.ts');
  const { importPredictions, labelsOf, modelByName } = await import('../resolvers/models.ts');
  const { storeFor } = await import('../storage/open.ts');
  const spec = parseModelSpec(opts.model);
  if (!spec)
    throw new UsageError(`--model is the model's name@version, e.g. --model resnet50@1.0, not "${opts.model}"`);
  const model = await modelByName(spec.name, spec.version);
  if (!model)
    throw new UsageError(`no model ${spec.name}@${spec.version}: register it first (dermaset model register)`);
  if (opts.saliencyDir !== undefined) {
    const dir = await stat(opts.saliencyDir).catch(() => null);
    if (!dir?.isDirectory()) throw new UsageError(`--saliency-dir ${opts.saliencyDir} is not a folder`);
  }
  const table = await openTable(file);
  const layout = layoutOf(table.columns, labelsOf(model), opts.saliencyDir);
  const store = storeFor(loadConfig());

  const report: FileReport = {
    model: `${model.name}@${model.version}`,
    file,
    received: 0,
    stored: 0,
    unchanged: 0,
    refused: 0,
    refusals: [],
  };
  const bar = progressBar('predictions');
  bar.update(0, table.count);
  let batch: PredictionRow[] = [];
  let places: number[] = [];
  // an image named twice in the file is refused as the API refuses it twice in one batch, whichever
  // batches the two rows fall in (as written: a global id and a SHA-256 of one image are caught
  // only within a batch)
  const named = new Map<string, number>();
  const flush = async () => {
    if (batch.length === 0) return;
    const answer: PredictionImportReport = await importPredictions(store, CLI_ACTOR, model.id, batch);
    report.stored += answer.stored;
    report.unchanged += answer.unchanged;
    for (const r of answer.refusals)
      report.refusals.push({ line: places[r.row] ?? 0, image: r.image, code: r.code, message: r.message });
    batch = [];
    places = [];
    bar.update(report.received, table.count);
  };
  try {
    for await (const row of table.rows()) {
      report.received++;
      const image = cellText(row.cells[layout.image]);
      const scores = layout.labels.flatMap(({ label, column }) => {
        const score = scoreOf(row.cells[column]);
        return score === undefined ? [] : [{ label, score }];
      });
      const key = /^[0-9a-fA-F]{64}$/.test(image) ? image.toLowerCase() : image;
      const first = key === '' ? undefined : named.get(key);
      if (first !== undefined) {
        report.refusals.push({
          line: row.place,
          image,
          code: 'DUPLICATE_IMAGE',
          message: `${table.placeWord} ${first} of the file names the same image`,
        });
        continue;
      }
      if (key !== '') named.set(key, row.place);
      const name = layout.saliency === null ? '' : cellText(row.cells[layout.saliency]);
      let saliency: SaliencyFile | null = null;
      if (name !== '' && opts.saliencyDir !== undefined) {
        const found = await saliencyFile(opts.saliencyDir, name);
        if ('code' in found) {
          report.refusals.push({ line: row.place, image: image || null, ...found });
          continue;
        }
        saliency = found;
      }
      batch.push({ image, scores, saliency });
      places.push(row.place);
      if (batch.length >= PREDICTION_BOUNDS.batch) await flush();
    }
    await flush();
  } finally {
    bar.stop();
  }
  report.refusals.sort((a, b) => a.line - b.line);
  report.refused = report.refusals.length;
  printReport(report, table.placeWord);
  if (opts.report) {
    await writeFile(opts.report, `${JSON.stringify({ ...report, placeIs: table.placeWord }, null, 2)}\n`);
    console.log(`wrote ${opts.report}`);
  }
}

export function registerPredictionCommands(program: Command): void {
  const model = program.command('model').description('registered models, whose predictions can be evaluated');
  model
    .command('register')
    .description('register a model: its name and version, the policy whose labels it scores, notes on its training')
    .requiredOption('--name <name>', 'the model’s name, 1–100 characters')
    .requiredOption('--version <version>', 'its version, 1–50 characters without @; a name and version register once')
    .option('--policy <id>', 'the policy whose labels it predicts (default: the active one)')
    .option('--notes <text>', 'what it was trained on, how and by whom (at most 10,000 characters)')
    .action((opts: { name: string; version: string; policy?: string; notes?: string }) =>
      modelCommand('model register', async () => {
        const { registerModel, labelsOf } = await import('../resolvers/models.ts');
        const { resolvePolicy } = await import('../resolvers/policies.ts');
        const m = await registerModel(
          CLI_ACTOR,
          { name: opts.name, version: opts.version, policy: opts.policy ?? null, trainingNotes: opts.notes ?? null },
          resolvePolicy,
        );
        const id = Buffer.from(`Model:${m.id}`).toString('base64');
        console.log(
          `registered ${m.name}@${m.version} (id ${id}), policy ${m.policyId} ${m.policyVersion}, labels ${labelsOf(m).join(', ')}`,
        );
      }),
    );
  model
    .command('list')
    .description('list the registered models')
    .action(() =>
      modelCommand('model list', async () => {
        const { listModels, labelsOf } = await import('../resolvers/models.ts');
        for (const m of await listModels({}, {}))
          console.log(
            `${m.name}@${m.version}\t${m.policyId} ${m.policyVersion}\t${labelsOf(m).join(',')}\t${m.predictionCount} predictions`,
          );
      }),
    );

  program
    .command('predictions')
    .description('model predictions')
    .command('import')
    .description(
      'import a model’s predictions from a wide CSV or Parquet table: an image column (global id or SHA-256; or ' +
        'image_sha256), one column per label of the model (any case), optionally saliency (a file in --saliency-dir)',
    )
    .argument('<file>', 'predictions.csv or predictions.parquet')
    .requiredOption('--model <name@version>', 'the registered model, e.g. resnet50@1.0')
    .option('--saliency-dir <folder>', 'the folder holding the saliency maps the saliency column names')
    .option('--report <file.json>', 'write every refusal, with its line, as JSON')
    .action((file: string, opts: ImportOpts) => modelCommand('predictions import', () => importCommand(file, opts)));
}
