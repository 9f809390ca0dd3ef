import { join } from 'node:path';

/**
 * The public metadata tables (HAM10000, ISIC 2019, Derm7pt, PH2, ISIC vocabularies). They live in
 * the shared folder beside the project root, here and in CI; DERMASET_FIXTURES points elsewhere.
 */
export const FIXTURES =
  process.env.DERMASET_FIXTURES ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'public-metadata');

export const fixture = (name: string) => join(FIXTURES, name);
