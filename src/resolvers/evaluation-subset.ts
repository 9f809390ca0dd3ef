// Which images an evaluation (or a structure / interpretability read) is made on: exactly one of a
// filter, a stored split (or one of its parts), a collection (by slug) or a release. The choice is
// mapped onto the SubsetRequest every read resolves (resolvers/subset.ts), so an evaluation selects
// its images as `images` does: a collection is the filter {collection: [slug]}, a release reads its
// images with the labels it froze, a split made on a release is read as of that release.
import { generaliseFilter, type ProfileId } from '../domain/deidentify.ts';
import { badInput } from './errors.ts';
import type { ImageFilter, SplitSelection } from './image-filter.ts';
import type { SubsetRequest } from './subset.ts';

/** The subset of an evaluation as asked: exactly one of the four. */
export interface EvaluationSubset {
  filter?: ImageFilter | null;
  split?: SplitSelection | null;
  /** a collection's slug */
  collection?: string | null;
  /** a release's id */
  release?: string | null;
}

/** Bounds on the subset's own strings (a filter has its own: FILTER_BOUNDS). */
export const EVALUATION_SUBSET_BOUNDS = { slug: 200, id: 200 } as const;

const KINDS = ['filter', 'split', 'collection', 'release'] as const;
export type EvaluationSubsetKind = (typeof KINDS)[number];

/** The one kind the subset names; BAD_USER_INPUT for none or several (argument: `path`). */
export function subsetKind(subset: EvaluationSubset, path = 'subset'): EvaluationSubsetKind {
  const given = KINDS.filter((k) => subset[k] != null);
  const [only] = given;
  if (given.length !== 1 || !only)
    throw badInput(
      `${path}: give exactly one of filter, split, collection, release (${given.length === 0 ? 'none' : given.join(', ')} given)`,
      path,
    );
  return only;
}

/**
 * The SubsetRequest of an evaluation's subset (without its policy: the caller adds it). The filter
 * is generalised to the caller's de-identification profile as every read's is. Refusals
 * (BAD_USER_INPUT): not exactly one kind, an empty or over-long slug or id; resolveSubset refuses
 * the rest (an unknown collection, split, part or release, a filter past its bounds).
 */
export function evaluationSubsetRequest(
  subset: EvaluationSubset,
  profile: ProfileId,
  path = 'subset',
): Omit<SubsetRequest, 'policy'> {
  const kind = subsetKind(subset, path);
  if (kind === 'filter') return { filter: generaliseFilter(subset.filter, profile) };
  if (kind === 'split') return { split: subset.split };
  const value = String(subset[kind]).trim();
  const max = kind === 'collection' ? EVALUATION_SUBSET_BOUNDS.slug : EVALUATION_SUBSET_BOUNDS.id;
  if (value.length === 0 || value.length > max)
    throw badInput(`${path}.${kind}: 1–${max} characters`, `${path}.${kind}`);
  if (kind === 'collection') return { filter: { collection: [value] } };
  return { release: value };
}

/** The subset in words, for a result or a report ("collection derm-a", "split s_1 part TEST", …). */
export function describeSubset(subset: EvaluationSubset): string {
  if (subset.split) {
    const s = subset.split;
    return `split ${s.id}${s.part ? ` part ${s.part}` : ''}${s.fold != null ? ` fold ${s.fold}` : ''}`;
  }
  if (subset.collection != null) return `collection ${subset.collection}`;
  if (subset.release != null) return `release ${subset.release}`;
  return `filter ${JSON.stringify(subset.filter ?? {})}`;
}

/** The subset as asked, as plain JSON (nulls and undefined dropped), for a result's input. */
export function subsetJson(subset: EvaluationSubset): Record<string, unknown> {
  return JSON.parse(JSON.stringify(subset, (_k, v) => (v === null ? undefined : v))) as Record<string, unknown>;
}
