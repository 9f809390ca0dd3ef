import type { ImageFilter } from '../../resolvers/image-filter.ts';
import { defineExporter } from '../types.ts';

/** The Croissant 1.1 + RAI 1.0 description of the export's subset, as a JSON-LD file. */
export const croissantExporter = defineExporter({
  id: 'croissant',
  version: '3.0.0',
  description:
    'Croissant 1.1 + RAI 1.0 metadata (JSON-LD) of the subset: licence, creator and dataset version as stated, files with sha256 and a URL that serves each, record set, RAI fields (the de-identification profile in rai:personalSensitiveInformation and rai:dataManipulationProtocol), cr:Split for a stored split',
  mediaType: 'application/ld+json',
  extension: 'json',
  needsImages: false,
  options: {},
  async write(ctx, out) {
    // loaded lazily: croissant.ts reads the plugin registry, which lists this exporter
    const { croissant } = await import('../../resolvers/croissant.ts');
    const doc = await croissant(
      {
        filter: ctx.filter as ImageFilter,
        policy: ctx.policy.id,
        split: ctx.split ? { id: ctx.split.id, part: ctx.split.part, fold: ctx.split.fold } : null,
        profile: ctx.profile.id,
      },
      // the runner checked who may ask for the profile
      { origin: ctx.origin, dataDir: '', role: 'ADMIN' },
    );
    out.write(`${JSON.stringify(doc, null, 2)}\n`);
    // the export's row count is the number of records the document describes
    for await (const _row of ctx.rows());
    return [];
  },
});
