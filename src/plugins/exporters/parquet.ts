import type { Writable } from 'node:stream';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { defineExporter, type ExportRow } from '../types.ts';

const STRING_COLUMNS = [
  'image',
  'sha256',
  'patient_id',
  'lesion_id',
  'label',
  'sex',
  'fitzpatrick_type',
  'anatomical_site',
  'dominant_colors',
  'elevation',
  'border_regularity',
  'dermoscopic_structures',
  'clinical_diagnosis',
  'diagnosis_class',
  'origin',
  'clinical_status',
  'histopathology_result',
  'verification_stage',
  'examiner_id',
  'acquisition_date',
  'format',
] as const;
const INT_COLUMNS = ['image_quality_score', 'width', 'height'] as const;
const BOOL_COLUMNS = ['sunburn_history', 'personal_ca_history'] as const;
const DOUBLE_COLUMNS = ['lesion_diameter_mm'] as const;
const ROWS_PER_GROUP = 2_000;

const value = (r: ExportRow, c: string): unknown => {
  if (c === 'image') return r.file_name;
  if (c === 'clinical_status') return r.clinical_status_label;
  const v = r[c];
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
  version: '2.0.0',
  description:
    'Apache Parquet, one row per image (hyparquet-writer), row groups of 2,000; age_at_exam is INT32 under the limited profile and text ("45", "90+", "40-44") under the others',
  mediaType: 'application/vnd.apache.parquet',
  extension: 'parquet',
  needsImages: false,
  options: {},
  async write(ctx, out) {
    const profile = ctx.profile;
    // exact ages are whole numbers; generalised ones are text ("90+", "40-44")
    const ageType = profile.id === 'limited' ? ('INT32' as const) : ('STRING' as const);
    const schemaColumns = [
      ...STRING_COLUMNS.map((name) => ({ name, type: 'STRING' as const })),
      { name: 'age_at_exam', type: ageType },
      // the split's part, only in an export of a split
      ...(ctx.split ? [{ name: 'split', type: 'STRING' as const }] : []),
      ...INT_COLUMNS.map((name) => ({ name, type: 'INT32' as const })),
      ...BOOL_COLUMNS.map((name) => ({ name, type: 'BOOLEAN' as const })),
      ...DOUBLE_COLUMNS.map((name) => ({ name, type: 'DOUBLE' as const })),
    ];
    const writer = new ParquetWriter({
      writer: streamWriter(out),
      schema: schemaFromColumnData({ columnData: schemaColumns.map((c) => ({ ...c, data: [] })) }),
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
            const v = value(r, c.name);
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
