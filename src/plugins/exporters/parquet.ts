import type { Writable } from 'node:stream';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { z } from 'zod';
import type { ProfileId } from '../../domain/deidentify.ts';
import { columnsOf, columnType, columnValue, type ExportColumn } from '../../domain/export-record.ts';
import { defineExporter, type ExportRow } from '../types.ts';

const ROWS_PER_GROUP = 2_000;

/** Parquet's physical type for each of the export record's value types. */
const PARQUET_TYPE = {
  string: 'STRING',
  strings: 'STRING',
  date: 'STRING',
  integer: 'INT32',
  float: 'DOUBLE',
  boolean: 'BOOLEAN',
} as const;

/**
 * The file's columns and their order, from the export record: text columns of a fixed type, then
 * those whose type depends on the profile (age_at_exam), then the split's part (in an export of a
 * split), then whole numbers, yes/no and decimal numbers, each in record order.
 */
export function parquetColumns(profile: ProfileId, inSplit: boolean) {
  const columns = columnsOf(inSplit);
  const text = (c: ExportColumn) => PARQUET_TYPE[c.type] === 'STRING';
  const ordered = [
    ...columns.filter((c) => c.deidentify !== 'age' && !c.splitOnly && text(c)),
    ...columns.filter((c) => c.deidentify === 'age'),
    ...columns.filter((c) => c.splitOnly),
    ...(['INT32', 'BOOLEAN', 'DOUBLE'] as const).flatMap((type) =>
      columns.filter((c) => c.deidentify !== 'age' && !c.splitOnly && PARQUET_TYPE[c.type] === type),
    ),
  ];
  return ordered.map((c) => ({ column: c, name: c.name, type: PARQUET_TYPE[columnType(c, profile)] }));
}

/** Multi-valued fields as ;-joined strings. */
const value = (c: ExportColumn, r: ExportRow): unknown => {
  const v = columnValue(c, r);
  return Array.isArray(v) ? v.join(';') : v;
};

/** A hyparquet ByteWriter that hands each filled chunk to a stream instead of growing. */
function streamWriter(out: Writable) {
  const writer: ByteWriter & { flush?: () => Promise<void> } = new ByteWriter();
  const CHUNK = 1 << 20;
  const flushChunk = () => {
    if (writer.index === 0) return;
    out.write(Buffer.from(new Uint8Array(writer.buffer, 0, writer.index)));
    writer.index = 0;
  };
  const ensure = writer.ensure.bind(writer);
  writer.ensure = (size: number) => {
    if (writer.index > CHUNK) flushChunk();
    ensure(size);
  };
  writer.flush = () =>
    new Promise<void>((resolve) => {
      flushChunk();
      if (out.writableNeedDrain) out.once('drain', () => resolve());
      else resolve();
    });
  writer.finish = () => flushChunk();
  return writer;
}

/** One row per image, readable by pandas/pyarrow: multi-valued fields as ;-joined strings. */
export const parquet = defineExporter({
  id: 'parquet',
  version: '3.0.0',
  description:
    'Apache Parquet, one row per image (hyparquet-writer), row groups of 2,000; age_at_exam is INT32 under the limited profile and text ("45", "90+", "40-44") under the others',
  mediaType: 'application/vnd.apache.parquet',
  extension: 'parquet',
  needsImages: false,
  options: z.object({}),
  async write(ctx, out) {
    const profile = ctx.profile;
    // exact ages are whole numbers; generalised ones are text ("90+", "40-44")
    const schemaColumns = parquetColumns(profile.id, ctx.split !== null);
    const writer = new ParquetWriter({
      writer: streamWriter(out),
      schema: schemaFromColumnData({
        columnData: schemaColumns.map((c) => ({ name: c.name, type: c.type, data: [] })),
      }),
      createdBy: `dermaset parquet exporter ${parquet.version}`,
      kvMetadata: [
        { key: 'dermaset.policy', value: `${ctx.policy.id}@${ctx.policy.version}` },
        { key: 'dermaset.exporter', value: `parquet@${parquet.version}` },
        { key: 'dermaset.deidentification', value: `${profile.id}@${profile.version}` },
        ...(ctx.split ? [{ key: 'dermaset.split', value: ctx.split.id }] : []),
      ],
    });
    let batch: ExportRow[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      await writer.write({
        rowGroupSize: ROWS_PER_GROUP,
        columnData: schemaColumns.map((c) => ({
          name: c.name,
          type: c.type,
          data: rows.map((r) => {
            const v = value(c.column, r);
            return v === undefined ? null : v;
          }),
        })),
      });
    };
    for await (const r of ctx.rows()) {
      batch.push(r);
      if (batch.length === ROWS_PER_GROUP) await flush();
    }
    await flush();
    await writer.finish();
    return [];
  },
});
