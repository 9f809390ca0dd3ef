import type { Writable } from 'node:stream';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { z } from 'zod';
import type { ProfileId } from '../../domain/deidentify.ts';
import { columnsOf, columnType, columnValue, type ExportColumn } from '../../domain/export-record.ts';
import { defineExporter, type ExportRow } from '../types.ts';

const ROWS_PER_GROUP = 2_000;

/**
 * Parquet's type for each of the export record's value types: multi-valued fields are lists of
 * strings, dates are DATE (days), whole numbers INT32.
 */
export const PARQUET_TYPE = {
  string: 'STRING',
  strings: 'LIST',
  date: 'DATE',
  integer: 'INT32',
  float: 'DOUBLE',
  boolean: 'BOOLEAN',
} as const;
export type ParquetType = (typeof PARQUET_TYPE)[keyof typeof PARQUET_TYPE];
/** hyparquet's schema element (hyparquet itself is not a dependency of ours, only its writer). */
type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/**
 * The file's columns, in the export record's order, each with its Parquet type; age_at_exam is INT32
 * only where the profile shows exact ages (limited), text ("90+", "40-44") otherwise.
 */
export function parquetColumns(profile: ProfileId, inSplit: boolean) {
  return columnsOf(inSplit).map((c) => ({ column: c, name: c.name, type: PARQUET_TYPE[columnType(c, profile)] }));
}

/** A column's schema elements: one leaf, or LIST's three levels (name → list → element). */
export function schemaOf(name: string, type: ParquetType): SchemaElement[] {
  const optional = 'OPTIONAL' as const;
  switch (type) {
    case 'STRING':
      return [{ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: optional }];
    case 'LIST':
      return [
        { name, repetition_type: optional, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      ];
    case 'DATE':
      return [{ name, type: 'INT32', converted_type: 'DATE', repetition_type: optional }];
    default:
      return [{ name, type, repetition_type: optional }];
  }
}

/** A column's value in a row: lists as arrays, a date as its day (the profile's first day of the period). */
export const parquetValue = (c: ExportColumn, type: ParquetType, r: ExportRow): unknown => {
  if (type === 'DATE') return r.acquisition_day;
  const v = columnValue(c, r);
  if (type === 'LIST') return Array.isArray(v) ? [...v] : [];
  return v === undefined ? null : v;
};

/** A hyparquet ByteWriter that hands each filled chunk to a stream instead of growing. */
export function streamWriter(out: Writable) {
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

/** One row per image, readable by pandas/pyarrow and Hugging Face datasets, with typed columns. */
export const parquet = defineExporter({
  id: 'parquet',
  version: '4.0.0',
  description:
    'Apache Parquet, one row per image (hyparquet-writer), row groups of 2,000, the export record’s columns in its order: ' +
    'multi-valued fields (dominant_colors, dermoscopic_structures) as lists of strings, acquisition_date as DATE (the ' +
    'first day of the year or month the de-identification profile shows), whole numbers INT32, yes/no BOOLEAN, ' +
    'image_url and thumbnail_url under the server’s origin; age_at_exam is INT32 under the limited profile and text ' +
    '("45", "90+", "40-44") under the others; coded values as the API spells them (NEVUS, CONSENSUS)',
  mediaType: 'application/vnd.apache.parquet',
  extension: 'parquet',
  needsImages: false,
  options: z.object({}),
  async write(ctx, out) {
    const profile = ctx.profile;
    const columns = parquetColumns(profile.id, ctx.split !== null);
    const writer = new ParquetWriter({
      writer: streamWriter(out),
      schema: [{ name: 'root', num_children: columns.length }, ...columns.flatMap((c) => schemaOf(c.name, c.type))],
      createdBy: `dermaset parquet exporter ${parquet.version}`,
      kvMetadata: [
        { key: 'dermaset.policy', value: `${ctx.policy.id}@${ctx.policy.version}` },
        { key: 'dermaset.exporter', value: `parquet@${parquet.version}` },
        { key: 'dermaset.deidentification', value: `${profile.id}@${profile.version}` },
        { key: 'dermaset.acquisition_date', value: profile.date },
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
        columnData: columns.map((c) => ({ name: c.name, data: rows.map((r) => parquetValue(c.column, c.type, r)) })),
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
