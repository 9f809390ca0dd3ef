import { PassThrough } from 'node:stream';
import { defineExporter } from '../types.ts';
import { writeCsv } from './csv-rows.ts';
import { ZipWriter } from './zip.ts';

const COLUMNS = [
  'file_name',
  'label',
  'patient_id',
  'lesion_id',
  'age_at_exam',
  'sex',
  'fitzpatrick_type',
  'anatomical_site',
  'diagnosis_class',
  'clinical_status',
  'verification_stage',
] as const;

const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** Hugging Face ImageFolder: split/label/<image>, with metadata.csv keyed by file_name. */
export const imagefolder = defineExporter({
  id: 'imagefolder',
  version: '2.0.0',
  description:
    'Hugging Face ImageFolder layout in a zip: <split>/<label>/<sha256>.<ext> and metadata.csv (age_at_exam as the de-identification profile shows it); an export of a stored split puts each image in its part’s folder',
  mediaType: 'application/zip',
  extension: 'zip',
  needsImages: true,
  options: {
    split: {
      type: 'string',
      default: 'train',
      description: 'The split folder every image goes to (an export of a stored split uses each image’s part)',
    },
  },
  async write(ctx, out) {
    const split = String(ctx.options.split);
    if (!/^[a-z0-9_-]+$/i.test(split)) throw new Error('split must be a plain folder name');
    const path = (r: Record<string, unknown>) =>
      `${ctx.split ? String(r.split) : split}/${String(r.label)}/${String(r.file_name)}`;
    const zip = new ZipWriter(out);
    const csv = new PassThrough();
    const added = zip.add('metadata.csv', csv);
    await writeCsv(
      csv,
      COLUMNS,
      (async function* () {
        for await (const r of ctx.rows()) {
          yield Object.fromEntries(COLUMNS.map((c) => [c, c === 'file_name' ? path(r) : cell(r[c])]));
        }
      })(),
    );
    csv.end();
    await added;
    for await (const r of ctx.rows()) await zip.add(path(r), ctx.openImage(String(r.storage_key)), { compress: false });
    const files = [...zip.files];
    await zip.add('manifest.json', Buffer.from(ctx.manifest(files)));
    await zip.finish();
    return files;
  },
});
