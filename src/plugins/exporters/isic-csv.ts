import { z } from 'zod';
import { NOT_STATED } from '../../domain/dataset-terms.ts';
import { defineExporter } from '../types.ts';
import { writeCsv } from './csv-rows.ts';
import { ISIC_COLUMNS, isicRow } from './isic.ts';

/** Neither is assumed: an export says "not stated" unless the exporting user states them. */
export const ISIC_OPTIONS = z.object({
  attribution: z.string().default(NOT_STATED).describe('The attribution column'),
  license: z
    .string()
    .default(NOT_STATED)
    .describe('The copyright_license column (an ISIC licence code such as CC-BY-NC)'),
});

/** An ISIC-compatible metadata.csv: ISIC field names and vocabularies, ages only as age_approx. */
export const isicCsv = defineExporter({
  id: 'isic-csv',
  version: '2.0.0',
  description:
    'ISIC-compatible metadata.csv (age_approx to the nearest 5, capped at 85; diagnosis_1–5 down the ISIC hierarchy; the policy beside its label; diagnosis_confirm_type from the stage)',
  mediaType: 'text/csv',
  extension: 'csv',
  needsImages: false,
  options: ISIC_OPTIONS,
  async write(ctx, out) {
    const options = {
      attribution: String(ctx.options.attribution),
      license: String(ctx.options.license),
      policy: ctx.policy,
    };
    async function* rows() {
      for await (const r of ctx.rows()) yield isicRow(r, options);
    }
    await writeCsv(out, ISIC_COLUMNS, rows());
    return [];
  },
});
