import { defineExporter } from '../types.ts';
import { writeCsv } from './csv-rows.ts';
import { ISIC_COLUMNS, isicRow } from './isic.ts';

export const ISIC_OPTIONS = {
  attribution: { type: 'string', default: 'dermaset', description: 'The attribution column' },
  license: { type: 'string', default: 'CC-BY-NC-4.0', description: 'The copyright_license column' },
} as const;

/** An ISIC-compatible metadata.csv: ISIC field names and vocabularies, ages only as age_approx. */
export const isicCsv = defineExporter({
  id: 'isic-csv',
  version: '1.0.0',
  description:
    'ISIC-compatible metadata.csv (age_approx to the nearest 5, capped at 85; diagnosis_confirm_type from the stage)',
  mediaType: 'text/csv',
  extension: 'csv',
  needsImages: false,
  options: ISIC_OPTIONS,
  async write(ctx, out) {
    const options = { attribution: String(ctx.options.attribution), license: String(ctx.options.license) };
    async function* rows() {
      for await (const r of ctx.rows()) yield isicRow(r, options);
    }
    await writeCsv(out, ISIC_COLUMNS, rows());
    return [];
  },
});
