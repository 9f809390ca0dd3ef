// Collections: our own acquisition and each imported public source, with what it states about
// itself (name, source, citation, licence, attribution, version), and the import records of the
// runs into it. The import runner (ingest/import.ts) finds or creates a public collection from its
// importer's facts; an admin corrects what a collection states through updateCollection.
import { createGraphQLError } from 'graphql-yoga';
import { db } from '../db/current.ts';
import type { Collection, ImportRecord, Prisma } from '../db/generated/sqlite/client.ts';
import type { Actor } from '../domain/actor.ts';
import { COLLECTION_TEXT_LIMITS, type CollectionFacts, OWN_COLLECTION, SLUG } from '../domain/collection.ts';
import { findOrCreateCollection } from '../ingest/import.ts';
import { badInput } from './errors.ts';

/** Every collection with the number of its images, by id. */
export async function listCollections(): Promise<(Collection & { imageCount: number })[]> {
  const rows = await db().collection.findMany({
    orderBy: { id: 'asc' },
    include: { _count: { select: { images: true } } },
  });
  return rows.map(({ _count, ...c }) => ({ ...c, imageCount: _count.images }));
}

export function collectionBySlug(slug: string): Promise<Collection | null> {
  return db().collection.findUnique({ where: { slug } });
}

/** The import records of a collection, newest first. */
export function importRecordsOf(collectionId: number): Promise<ImportRecord[]> {
  return db().importRecord.findMany({ where: { collectionId }, orderBy: [{ startedAt: 'desc' }, { id: 'desc' }] });
}

type EditableFact = 'name' | 'source' | 'citation' | 'license' | 'attribution' | 'version';
const EDITABLE: readonly EditableFact[] = ['name', 'source', 'citation', 'license', 'attribution', 'version'];
/** Facts a collection must state: never empty. */
const REQUIRED: ReadonlySet<EditableFact> = new Set(['name', 'license', 'attribution']);

/**
 * The refusal of a collection's fact, or undefined: text over its bound (COLLECTION_TEXT_LIMITS), or
 * an empty name, licence or attribution. Optional facts given as empty text are cleared (null).
 */
function factProblem(field: EditableFact, value: string | null | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value?.trim() ?? '';
  if (REQUIRED.has(field) && text === '') return `the collection's ${field} must not be empty`;
  if (text.length > COLLECTION_TEXT_LIMITS[field]) {
    return `the collection's ${field} is at most ${COLLECTION_TEXT_LIMITS[field].toLocaleString('en-US')} characters`;
  }
  return undefined;
}

const cleaned = (field: EditableFact, value: string | null): string | null => {
  const text = value?.trim() ?? '';
  return text === '' && !REQUIRED.has(field) ? null : text;
};

/**
 * Corrects what a collection states. An unknown slug is NOT_FOUND; a value past its bound, or an
 * empty name, licence or attribution, is BAD_USER_INPUT; anyone but an admin is FORBIDDEN; nothing
 * changes on a refusal.
 */
export async function updateCollection(
  actor: Actor,
  slug: string,
  patch: Partial<Pick<CollectionFacts, EditableFact>>,
): Promise<Collection> {
  if (!actor.admin) {
    throw createGraphQLError('only an admin may correct what a collection states', {
      extensions: { code: 'FORBIDDEN' },
    });
  }
  const existing = await collectionBySlug(slug);
  if (!existing) {
    throw createGraphQLError(`no collection "${slug.slice(0, 64)}"`, {
      extensions: { code: 'NOT_FOUND', argument: 'slug' },
    });
  }
  const data: Partial<Record<EditableFact, string | null>> = {};
  for (const field of EDITABLE) {
    if (!Object.hasOwn(patch, field)) continue;
    const value = patch[field];
    if (value === undefined) continue;
    const problem = factProblem(field, value);
    if (problem) throw badInput(problem, field);
    data[field] = cleaned(field, value);
  }
  if (Object.keys(data).length === 0) return existing;
  // required facts are never null here (factProblem refused an empty one)
  return db().collection.update({ where: { id: existing.id }, data: data as Prisma.CollectionUpdateInput });
}

/**
 * A public collection by its slug, created from the facts when there is none yet (an existing one
 * keeps what it states: an admin may have corrected it). Facts that break a bound are refused.
 */
export async function ensureCollection(facts: CollectionFacts): Promise<Collection> {
  if (!SLUG.test(facts.slug)) throw badInput(`"${facts.slug.slice(0, 64)}" is not a collection slug`, 'slug');
  const found = await collectionBySlug(facts.slug);
  if (found) return found;
  for (const field of EDITABLE) {
    const problem = factProblem(field, facts[field]);
    if (problem) throw badInput(problem, field);
  }
  const trimmed = (field: EditableFact) => cleaned(field, facts[field]);
  return findOrCreateCollection(
    db(),
    {
      slug: facts.slug,
      name: facts.name.trim(),
      source: trimmed('source'),
      citation: trimmed('citation'),
      license: facts.license.trim(),
      attribution: facts.attribution.trim(),
      version: trimmed('version'),
    },
    facts.slug === OWN_COLLECTION ? 'own' : 'public',
  );
}
