import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { columnValue, type ExportColumn, exportColumn } from '../../domain/export-record.ts';
import { defineExporter, type ExportRow } from '../types.ts';
import { writeCsv } from './csv-rows.ts';
import { licensesText } from './licenses.ts';
import { ZipWriter } from './zip.ts';

/**
 * metadata.csv: file_name (the image's path in the archive), then these columns of the export
 * record, its values as they are except clinical_status, which ImageFolder has always written as the
 * status code (BENIGN), not jsonl's lower-case label: changing it would change this format's contract.
 */
const COLUMNS = [
  'label',
  'patient_id',
  'lesion_id',
  'age_at_exam',
  'sex',
  'fitzpatrick_type',
  'anatomical_site',
  'diagnosis_class',
  'diagnosis_term',
  'clinical_status',
  'verification_stage',
  'collection',
].map(exportColumn);
const HEADER = ['file_name', ...COLUMNS.map((c) => c.name)];
const written = (c: ExportColumn, r: ExportRow) =>
  c.name === 'clinical_status' ? r.clinical_status : columnValue(c, r);

const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** Hugging Face ImageFolder: split/label/<image>, with metadata.csv keyed by file_name. */
export const imagefolder = defineExporter({
  id: 'imagefolder',
  version: '3.0.0',
  description:
    'Hugging Face ImageFolder layout in a zip: <split>/<label>/<sha256>.<ext>, metadata.csv (age_at_exam as the de-identification profile shows it, the diagnosis term, clinical status and collection) and LICENSES (each collection with its licence, attribution and source); an export of a stored split puts each image in its part’s folder',
  mediaType: 'application/zip',
  extension: 'zip',
  needsImages: true,
  options: z.object({
    split: z
      .string()
      .regex(/^[a-z0-9_-]+$/i, 'must be a plain folder name (letters, digits, _ and -)')
      .default('train')
      .describe('The split folder every image goes to (an export of a stored split uses each image’s part)'),
  }),
  async write(ctx, out) {
    const split = String(ctx.options.split);
    const path = (r: ExportRow) => `${ctx.split ? String(r.split) : split}/${String(r.label)}/${String(r.file_name)}`;
    const zip = new ZipWriter(out);
    const csv = new PassThrough();
    const added = zip.add('metadata.csv', csv);
    await writeCsv(
      csv,
      HEADER,
      (async function* () {
        for await (const r of ctx.rows()) {
          yield Object.fromEntries([['file_name', path(r)], ...COLUMNS.map((c) => [c.name, cell(written(c, r))])]);
        }
      })(),
    );
    csv.end();
    await added;
    for await (const r of ctx.rows()) await zip.add(path(r), ctx.openImage(String(r.storage_key)), { compress: false });
    await zip.add('LICENSES', Buffer.from(licensesText(await ctx.collections())));
    const files = [...zip.files];
    await zip.add('manifest.json', Buffer.from(ctx.manifest(files)));
    await zip.finish();
    return files;
  },
});
