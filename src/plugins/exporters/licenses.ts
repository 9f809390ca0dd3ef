// What archives state about the terms of their images: each collection present with its licence,
// attribution and source (as the ISIC Archive ships attribution with its downloads).
import { NOT_STATED } from '../../domain/dataset-terms.ts';
import type { ExportCollection } from '../types.ts';

/**
 * A collection's licence and attribution as an export states them: the collection's own, or where
 * it states none ("not stated", as our own collection until an admin sets it) the export's option.
 */
export function termsOf(
  c: ExportCollection | undefined,
  fallback: { license: string; attribution: string },
): { license: string; attribution: string } {
  return {
    license: c && c.license !== NOT_STATED ? c.license : fallback.license,
    attribution: c && c.attribution !== NOT_STATED ? c.attribution : fallback.attribution,
  };
}

const line = (label: string, v: string | null) => `  ${label}: ${v ?? NOT_STATED}\n`;

/**
 * The LICENSES file: every collection present, by slug, with its licence, attribution, source,
 * citation and version. Licences and attributions through termsOf with `fallback`.
 */
export function licensesText(
  collections: readonly ExportCollection[],
  fallback: { license: string; attribution: string } = { license: NOT_STATED, attribution: NOT_STATED },
): string {
  const head =
    'The images and metadata in this archive belong to these collections; each image’s collection column names ' +
    'its collection, whose licence and attribution apply to it.\n';
  return [
    head,
    ...collections.map((c) => {
      const t = termsOf(c, fallback);
      return (
        `${c.slug}: ${c.name}\n` +
        line('licence', t.license) +
        line('attribution', t.attribution) +
        line('source', c.source) +
        line('citation', c.citation) +
        line('version', c.version)
      );
    }),
  ].join('\n');
}
