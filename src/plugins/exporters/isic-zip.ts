import { PassThrough } from 'node:stream';
import { NOT_STATED } from '../../domain/dataset-terms.ts';
import { defineExporter } from '../types.ts';
import { writeCsv } from './csv-rows.ts';
import { ISIC_COLUMNS, isicRow } from './isic.ts';
import { ISIC_OPTIONS } from './isic-csv.ts';
import { licensesText, termsOf } from './licenses.ts';
import { ZipWriter } from './zip.ts';

/**
 * ISIC's download layout: the images, metadata.csv, attribution.txt (each attribution once, in
 * collection order) and LICENSE.txt, plus LICENSES (every collection with its licence, attribution
 * and source) and manifest.json.
 */
export const isicZip = defineExporter({
  id: 'isic-zip',
  version: '3.0.0',
  description:
    'ISIC-style archive: images named by isic_id, metadata.csv (as isic-csv), attribution and license files, LICENSES naming each collection with its licence, attribution and source',
  mediaType: 'application/zip',
  extension: 'zip',
  needsImages: true,
  passes: 2,
  options: ISIC_OPTIONS,
  async write(ctx, out) {
    const collections = await ctx.collections();
    const options = {
      attribution: String(ctx.options.attribution),
      license: String(ctx.options.license),
      policy: ctx.policy,
      collections: new Map(collections.map((c) => [c.slug, c])),
    };
    const stated = collections.map((c) => termsOf(c, options));
    const licenses = [...new Set(stated.map((t) => t.license))];
    const attributions = [...new Set(stated.map((t) => t.attribution))];
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
    await zip.add(
      'attribution.txt',
      Buffer.from(`${(attributions.length > 0 ? attributions : [options.attribution]).join('\n')}\n`),
    );
    const only = licenses.length === 1 ? licenses[0] : licenses.length === 0 ? options.license : null;
    await zip.add(
      'LICENSE.txt',
      Buffer.from(
        only === null
          ? `The images and metadata in this archive are under the licences of their collections (${licenses.join(', ')}): see LICENSES and each row's copyright_license.\n`
          : only === NOT_STATED
            ? 'No licence is stated for the images and metadata in this archive: ask the dataset owner before any use.\n'
            : `The images and metadata in this archive are licensed under ${only}.\n`,
      ),
    );
    await zip.add('LICENSES', Buffer.from(licensesText(collections, options)));
    const files = [...zip.files];
    await zip.add('manifest.json', Buffer.from(ctx.manifest(files)));
    await zip.finish();
    return files;
  },
});
