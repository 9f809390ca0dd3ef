import { PassThrough } from 'node:stream';
import { NOT_STATED } from '../../domain/dataset-terms.ts';
import { defineExporter } from '../types.ts';
import { writeCsv } from './csv-rows.ts';
import { ISIC_COLUMNS, isicRow } from './isic.ts';
import { ISIC_OPTIONS } from './isic-csv.ts';
import { ZipWriter } from './zip.ts';

/** ISIC's download layout: the images, metadata.csv, attribution.txt and LICENSE.txt, plus manifest.json. */
export const isicZip = defineExporter({
  id: 'isic-zip',
  version: '2.0.0',
  description: 'ISIC-style archive: images named by isic_id, metadata.csv, attribution and license files',
  mediaType: 'application/zip',
  extension: 'zip',
  needsImages: true,
  options: ISIC_OPTIONS,
  async write(ctx, out) {
    const options = {
      attribution: String(ctx.options.attribution),
      license: String(ctx.options.license),
      policy: ctx.policy,
    };
    const zip = new ZipWriter(out);
    // two passes over the rows, so nothing grows with the export: metadata first, then the images
    const csv = new PassThrough();
    const added = zip.add('metadata.csv', csv);
    await writeCsv(
      csv,
      ISIC_COLUMNS,
      (async function* () {
        for await (const r of ctx.rows()) yield isicRow(r, options);
      })(),
    );
    csv.end();
    await added;
    for await (const r of ctx.rows()) {
      // images are compressed already: stored as they are
      await zip.add(String(r.file_name), ctx.openImage(String(r.storage_key)), { compress: false });
    }
    await zip.add('attribution.txt', Buffer.from(`${options.attribution}\n`));
    await zip.add(
      'LICENSE.txt',
      Buffer.from(
        options.license === NOT_STATED
          ? 'No licence is stated for the images and metadata in this archive: ask the dataset owner before any use.\n'
          : `The images and metadata in this archive are licensed under ${options.license}.\n`,
      ),
    );
    const files = [...zip.files];
    await zip.add('manifest.json', Buffer.from(ctx.manifest(files)));
    await zip.finish();
    return files;
  },
});
