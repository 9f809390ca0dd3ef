import { z } from 'zod';
import { defineExporter } from '../types.ts';
import { croissantDocument } from './croissant-document.ts';

/** The Croissant 1.1 + RAI 1.0 description of the export's subset, as a JSON-LD file. */
export const croissantExporter = defineExporter({
  id: 'croissant',
  version: '5.0.0',
  description:
    'Croissant 1.1 + RAI 1.0 metadata (JSON-LD) of the subset: licence, creator and dataset version as stated, files with sha256 and a URL that serves each, record set, RAI fields (the de-identification profile in rai:personalSensitiveInformation and rai:dataManipulationProtocol), cr:Split for a stored split',
  mediaType: 'application/ld+json',
  extension: 'json',
  needsImages: false,
  options: z.object({}),
  async write(ctx, out) {
    // the runner describes the subset it resolved (figures, files, the metadata file's hash)
    const doc = croissantDocument(await ctx.describe(), { profile: ctx.profile.id, origin: ctx.origin });
    out.write(`${JSON.stringify(doc, null, 2)}\n`);
    // the export's row count is the number of records the document describes
    for await (const _row of ctx.rows());
    return [];
  },
});
