import { z } from 'zod';
import { NOT_STATED } from '../../domain/dataset-terms.ts';
import { defineExporter } from '../types.ts';
import { writeCsv } from './csv-rows.ts';
import { ISIC_COLUMNS, isicRow } from './isic.ts';

/** Neither is assumed: an export says "not stated" unless the exporting user states them. */
export const ISIC_OPTIONS = z.object({
  attribution: z
    .string()
    .max(4_000)
    .default(NOT_STATED)
    .describe('The attribution column for images of collections that state none (the own collection until set)'),
  license: z
    .string()
    .max(200)
    .default(NOT_STATED)
    .describe(
      'The copyright_license column (an ISIC licence code such as CC-BY-NC) for images of collections that state none',
    ),
});

/** An ISIC-compatible metadata.csv: ISIC field names and vocabularies, ages only as age_approx. */
export const isicCsv = defineExporter({
  id: 'isic-csv',
  version: '3.0.0',
  description:
    'ISIC-compatible metadata.csv (age_approx to the nearest 5, capped at 85; diagnosis_1–5 down the ISIC hierarchy from the diagnosis term; benign_malignant from the clinical status; attribution and copyright_license per row from its collection; the policy beside its label; diagnosis_confirm_type from the stage; then diagnosis_term, clinical_status and collection)',
  mediaType: 'text/csv',
  extension: 'csv',
  needsImages: false,
  options: ISIC_OPTIONS,
  async write(ctx, out) {
    const options = {
      attribution: String(ctx.options.attribution),
      license: String(ctx.options.license),
      policy: ctx.policy,
      collections: new Map((await ctx.collections()).map((c) => [c.slug, c])),
    };
    async function* rows() {
      for await (const r of ctx.rows()) yield isicRow(r, options);
    }
    await writeCsv(out, ISIC_COLUMNS, rows());
    return [];
  },
});
