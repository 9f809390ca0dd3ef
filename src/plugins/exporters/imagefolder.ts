import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify/sync';
import { ParquetWriter } from 'hyparquet-writer';
import { z } from 'zod';
import type { Profile } from '../../domain/deidentify.ts';
import { columnsOf, columnType, columnValue, type ExportColumn } from '../../domain/export-record.ts';
import { defineExporter, type ExportRow } from '../types.ts';
import { licensesText } from './licenses.ts';
import { PARQUET_TYPE, parquetValue, schemaOf, streamWriter } from './parquet.ts';
import { ZipWriter } from './zip.ts';

/**
 * The metadata columns, after file_name: every column of the export record but the image's name
 * (file_name says it, relative to the part's folder) and the split's part (the folder says it).
 */
const metadataColumns = (): readonly ExportColumn[] =>
  columnsOf(false).filter((c) => c.name !== 'image' && c.name !== 'split');

/** A CSV cell: empty for no value, lists joined with ";" (CSV has no lists), the rest as written. */
const csvCell = (v: unknown) => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : String(v));

/** One part's metadata file being written to a temporary file: CSV lines or Parquet row groups. */
interface PartMetadata {
  path: string;
  add(fileName: string, r: ExportRow): Promise<void>;
  /** Finishes the file; a second call does nothing. */
  close(): Promise<void>;
}

/** `close` run once, whoever calls it again (the archive after the images, the cleanup after a failure). */
function closeOnce(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => {
    closing ??= close();
    return closing;
  };
}

const ROWS_PER_GROUP = 2_000;

function csvMetadata(path: string, columns: readonly ExportColumn[]): PartMetadata {
  const out: WriteStream = createWriteStream(path);
  const line = (cells: string[]) => stringify([cells], { record_delimiter: 'unix' });
  out.write(line(['file_name', ...columns.map((c) => c.name)]));
  return {
    path,
    async add(fileName, r) {
      if (!out.write(line([fileName, ...columns.map((c) => csvCell(columnValue(c, r)))]))) await once(out, 'drain');
    },
    close: closeOnce(async () => {
      out.end();
      await finished(out);
    }),
  };
}

function parquetMetadata(path: string, columns: readonly ExportColumn[], ctx: { profile: Profile }): PartMetadata {
  const out = createWriteStream(path);
  const typed = columns.map((c) => ({ column: c, name: c.name, type: PARQUET_TYPE[columnType(c, ctx.profile.id)] }));
  const writer = new ParquetWriter({
    writer: streamWriter(out),
    schema: [
      { name: 'root', num_children: typed.length + 1 },
      ...schemaOf('file_name', 'STRING'),
      ...typed.flatMap((c) => schemaOf(c.name, c.type)),
    ],
    createdBy: `dermaset imagefolder exporter ${imagefolder.version}`,
  });
  let batch: [string, ExportRow][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    await writer.write({
      rowGroupSize: ROWS_PER_GROUP,
      columnData: [
        { name: 'file_name', data: rows.map(([f]) => f) },
        ...typed.map((c) => ({ name: c.name, data: rows.map(([, r]) => parquetValue(c.column, c.type, r)) })),
      ],
    });
  };
  return {
    path,
    async add(fileName, r) {
      batch.push([fileName, r]);
      if (batch.length === ROWS_PER_GROUP) await flush();
    },
    close: closeOnce(async () => {
      await flush();
      await writer.finish();
      out.end();
      await finished(out);
    }),
  };
}

/**
 * Hugging Face ImageFolder: <part>/<label>/<image>, each part's folder with its own metadata file
 * keyed by file_name relative to that folder, so `datasets.load_dataset("imagefolder", data_dir=…)`
 * reads each part as a split with every metadata column. One pass over the rows: the images go into
 * the archive as they come, each part's metadata into a temporary file, added after its images.
 */
export const imagefolder = defineExporter({
  id: 'imagefolder',
  version: '4.0.0',
  description:
    'Hugging Face ImageFolder layout in a zip: <part>/<label>/<sha256>.<ext> and <part>/metadata.parquet (typed as ' +
    'the parquet export, the same types in every part; option metadata: "csv" for metadata.csv) in each part’s ' +
    'folder, file_name relative to it, then every column of the export record (coded values as the API spells ' +
    'them; in CSV, lists joined with ";"), LICENSES (each collection with its ' +
    'licence, attribution and source) and manifest.json; an export of a stored split puts each image in its part’s ' +
    'folder (train, validation, test, fold-1, …), others in the folder the split option names',
  mediaType: 'application/zip',
  extension: 'zip',
  needsImages: true,
  options: z.object({
    split: z
      .string()
      .regex(/^[a-z0-9_-]+$/i, 'must be a plain folder name (letters, digits, _ and -)')
      .default('train')
      .describe('The split folder every image goes to (an export of a stored split uses each image’s part)'),
    // Parquet by default: datasets infers a CSV's column types from each part's own file and refuses
    // parts whose types differ ("90+" among one part's ages only, a column empty in one part only)
    metadata: z
      .enum(['parquet', 'csv'])
      .default('parquet')
      .describe(
        'metadata.parquet (typed: lists, DATE, INT32, BOOLEAN; the same types in every part, as datasets needs) or ' +
          'metadata.csv (text; datasets infers each part’s types from its own file and refuses parts that differ)',
      ),
  }),
  async write(ctx, out) {
    const folder = (r: ExportRow) => (ctx.split ? String(r.split) : String(ctx.options.split));
    const kind = ctx.options.metadata === 'csv' ? 'csv' : 'parquet';
    const columns = metadataColumns();
    const tmp = await mkdtemp(join(tmpdir(), 'dermaset-imagefolder-'));
    const parts = new Map<string, PartMetadata>();
    try {
      const zip = new ZipWriter(out);
      for await (const r of ctx.rows()) {
        const part = folder(r);
        let meta = parts.get(part);
        if (!meta) {
          const path = join(tmp, `${parts.size}.${kind}`);
          meta = kind === 'csv' ? csvMetadata(path, columns) : parquetMetadata(path, columns, ctx);
          parts.set(part, meta);
        }
        const relative = `${String(r.label)}/${String(r.file_name)}`;
        await meta.add(relative, r);
        await zip.add(`${part}/${relative}`, ctx.openImage(String(r.storage_key)), { compress: false });
      }
      // each part's metadata after its images, the parts in name order (the same inputs, the same archive)
      for (const [part, meta] of [...parts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        await meta.close();
        await zip.add(`${part}/metadata.${kind}`, createReadStream(meta.path));
      }
      await zip.add('LICENSES', Buffer.from(licensesText(await ctx.collections())));
      const files = [...zip.files];
      await zip.add('manifest.json', Buffer.from(ctx.manifest(files)));
      await zip.finish();
      return files;
    } finally {
      // a failed run leaves files open: close them (once: a closed part's close does nothing) before removing them
      await Promise.all([...parts.values()].map((m) => m.close().catch(() => undefined)));
      await rm(tmp, { recursive: true, force: true });
    }
  },
});
