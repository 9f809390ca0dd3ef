// Collections: every image belongs to exactly one, our own acquisition or an imported public
// source, with its provenance (name, source, licence, attribution, version).

/** The slug of our own acquisition's collection, created by the migration that introduced collections. */
export const OWN_COLLECTION = 'own';

/** A collection's slug: kebab-case, 2–64 characters (it names the collection in filters, files and URLs). */
export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])$/;

/** What a public collection states about itself: its importer offers these on the first import. */
export interface CollectionFacts {
  slug: string;
  name: string;
  /** A URL or a citation of where the source is published. */
  source: string | null;
  citation: string | null;
  license: string;
  attribution: string;
  version: string | null;
}

/** Bounds on a collection's text, in characters. */
export const COLLECTION_TEXT_LIMITS = {
  name: 200,
  source: 1_000,
  citation: 2_000,
  license: 200,
  attribution: 4_000,
  version: 64,
} as const;
