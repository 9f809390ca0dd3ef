import { join } from 'node:path';

/**
 * The public metadata tables (HAM10000, ISIC 2019, Derm7pt, PH2, ISIC vocabularies), committed in
 * test/fixtures/public-metadata (SOURCES.md says where each was published); DERMASET_FIXTURES points
 * elsewhere.
 */
export const FIXTURES = process.env.DERMASET_FIXTURES ?? join(import.meta.dirname, '..', 'fixtures', 'public-metadata');

export const fixture = (name: string) => join(FIXTURES, name);
