// Which images, under which split, under which policy: the one question every read of the dataset
// asks first. A request answers it once, here, into a Subset; the services (images and their count,
// facets, stats, the datasheet, exports, splits, Croissant, the manifest route) take that value and
// never read the split or the active policy again, as the ISIC archive's services take a resolved
// queryset. A request as of a release (`release`) selects among the release's images, and every
// condition on a label column reads the release's frozen row (asOfRelease), not the live image. The reads are memoised on the request scope, so two fields of one request that ask for
// the same subset (a page and its totalCount) share one resolution.
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { selectParts } from '../domain/stored-split.ts';
import type { ClassMappingPolicy } from '../plugins/types.ts';
import { accepted, badInput } from './errors.ts';
import {
  checkCollections,
  checkFilterBounds,
  type ImageFilter,
  imageWhere,
  inSplitParts,
  type ResolvedFilter,
  type SplitSelection,
  usesLabel,
} from './image-filter.ts';
import { resolvePolicy } from './policies.ts';

/** A stored split as a selection needs it: its parts, the policy it was made under, its manifest hash. */
export interface SplitRow {
  id: string;
  parts: string[];
  policyId: string;
  manifestHash: string;
  /** The release the split was made on (its labels are read as of it), or null. */
  releaseId: string | null;
}

/** A stored release as a read needs it (resolvers/releases.ts reads the rest). */
export interface ReleaseRow {
  id: string;
  name: string;
  version: string;
  contentHash: string;
  imageCount: number;
}

/** A split selection checked against its split: the part names it covers. */
export interface ResolvedSplit {
  selection: SplitSelection;
  /** The part names the selection covers (selectParts). */
  parts: string[];
  policyId: string;
  manifestHash: string;
  releaseId: string | null;
}

/** What a caller asks for: a filter, a policy by id (default: see resolveSubset), a split selection. */
export interface SubsetRequest {
  filter?: ImageFilter | null;
  policy?: string | null;
  /** Limits the subset to a stored split, or to a part or fold of it (exports, Croissant, the manifest). */
  split?: SplitSelection | null;
  /** Reads as of a stored release (by id): its images, with the labels it froze. */
  release?: string | null;
}

/** Which images: the SQL condition and the split the request is limited to. */
export interface Selection {
  where: Prisma.ImageWhereInput;
  /** The request's own split (`split`), or else the filter's top-level `split`; null without either. */
  split: ResolvedSplit | null;
  /** The filter with its split selections resolved (for documents that restate it). */
  filter: ResolvedFilter | null;
  /** The filter as asked (a document's URL restates it). */
  asked: ImageFilter | null;
  /** The release the request reads as of (asked, or the split's), or null: the live labels. */
  release: ReleaseRow | null;
}

/** Which images, and the policy their labels are read under. */
export interface Subset extends Selection {
  policy: ClassMappingPolicy;
}

/**
 * The reads a request makes to resolve subsets, each made once: a GraphQL request's context is one
 * (server/context.ts); a route, the CLI or a bench makes its own with requestScope().
 */
export interface RequestScope {
  /** A policy by id, or the active one (the setting read once per request). */
  policy(id?: string | null): Promise<ClassMappingPolicy>;
  /** A stored split by id (read once per request), or null. */
  split(id: string): Promise<SplitRow | null>;
  /** A stored release by id (read once per request), or null. */
  release(id: string): Promise<ReleaseRow | null>;
  /** Resolved subsets and selections by request (see resolveSubset). */
  readonly subsets: Map<string, Promise<Selection>>;
}

/** The promise stored under `key`, made by `load` the first time it is asked for. */
function cached<T>(seen: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = seen.get(key);
  if (!p) {
    p = load();
    seen.set(key, p);
  }
  return p;
}

const once = <T>(load: (key: string) => Promise<T>) => {
  const seen = new Map<string, Promise<T>>();
  return (key: string) => cached(seen, key, () => load(key));
};

async function readSplit(id: string): Promise<SplitRow | null> {
  const row = await db().split.findUnique({
    where: { id },
    select: { id: true, parts: true, policyId: true, manifestHash: true, input: true },
  });
  if (!row) return null;
  const { input, ...rest } = row;
  const release = (JSON.parse(input) as { release?: unknown }).release;
  return { ...rest, parts: JSON.parse(row.parts) as string[], releaseId: typeof release === 'string' ? release : null };
}

const readRelease = (id: string): Promise<ReleaseRow | null> =>
  db().release.findUnique({
    where: { id },
    select: { id: true, name: true, version: true, contentHash: true, imageCount: true },
  });

/** The label columns an image shares with its frozen row of a release (prisma/schema.prisma ReleaseImage). */
const FROZEN_COLUMNS: ReadonlySet<string> = new Set([
  'diagnosisClass',
  'diagnosisTerm',
  'clinicalStatus',
  'verificationStage',
  'histopathologyResult',
]);

/**
 * A condition on images read as of a release: every condition on a label column (at any depth of
 * AND, OR and NOT) becomes the same condition on the image's frozen row of the release, so a label
 * filter, a label under the policy or a missing histopathology result is judged as the release froze it;
 * so do hasHistology (the frozen histopathology result) and the structure conditions (the frozen codes).
 * Conditions on other columns and relations (the patient, colours, splits) are left as they are.
 */
export function asOfRelease(where: Prisma.ImageWhereInput, releaseId: string): Prisma.ImageWhereInput {
  const frozen: Record<string, unknown> = {};
  const live: Record<string, unknown> = {};
  const also: Prisma.ImageWhereInput[] = [];
  for (const [k, v] of Object.entries(where)) {
    if (v === undefined) continue;
    if (FROZEN_COLUMNS.has(k)) frozen[k] = v;
    else if (k === 'histopathology' && (v === null || isNotNull(v)))
      // hasHistology: the histopathology result the release froze
      also.push(frozenRow(releaseId, { histopathologyResult: v === null ? null : { not: null } }));
    else if (k === 'structures' && frozenStructuresWhere(v) !== undefined)
      also.push(frozenRow(releaseId, frozenStructuresWhere(v) as Prisma.ReleaseImageWhereInput));
    else if (k === 'AND' || k === 'OR' || k === 'NOT')
      live[k] = Array.isArray(v)
        ? v.map((x: Prisma.ImageWhereInput) => asOfRelease(x, releaseId))
        : asOfRelease(v as Prisma.ImageWhereInput, releaseId);
    else live[k] = v;
  }
  if (Object.keys(frozen).length > 0) also.push(frozenRow(releaseId, frozen));
  if (also.length === 0) return live as Prisma.ImageWhereInput;
  const parts = Object.keys(live).length === 0 ? also : [live as Prisma.ImageWhereInput, ...also];
  return parts.length === 1 ? (parts[0] as Prisma.ImageWhereInput) : { AND: parts };
}

const frozenRow = (releaseId: string, where: Prisma.ReleaseImageWhereInput): Prisma.ImageWhereInput => ({
  releaseImages: { some: { releaseId, ...where } },
});

const isNotNull = (v: unknown) =>
  typeof v === 'object' && v !== null && Object.keys(v).length === 1 && (v as { isNot?: unknown }).isNot === null;

/** A structure code within a frozen row's "A;B;C" text (codes are upper-case words: none holds ";"). */
const holdsCode = (code: string): Prisma.ReleaseImageWhereInput => ({
  OR: [
    { structures: code },
    { structures: { startsWith: `${code};` } },
    { structures: { endsWith: `;${code}` } },
    { structures: { contains: `;${code};` } },
  ],
});

/**
 * The frozen form of a condition on the image's structures, as image-filter.ts writes them (any of,
 * each of, none), or undefined for a form it does not write (then left on the live structures).
 */
function frozenStructuresWhere(v: unknown): Prisma.ReleaseImageWhereInput | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { some, none, ...rest } = v as { some?: { structure?: unknown }; none?: object };
  if (Object.keys(rest).length > 0) return undefined;
  if (none && Object.keys(none).length === 0 && !some) return { structures: '' };
  const s = some?.structure;
  if (!some || none || Object.keys(some).length !== 1) return undefined;
  if (typeof s === 'string') return holdsCode(s);
  const list = (s as { in?: unknown } | undefined)?.in;
  if (s && typeof s === 'object' && Object.keys(s).length === 1 && Array.isArray(list))
    return { OR: list.map((c) => holdsCode(String(c))) };
  return undefined;
}

/** The images of a release. */
export const inRelease = (releaseId: string): Prisma.ImageWhereInput => ({ releaseImages: { some: { releaseId } } });

/** A fresh request scope: one per request, never shared across requests (a switch must be seen). */
export function requestScope(): RequestScope {
  const policy = once((key) => resolvePolicy(key === '' ? null : key));
  return {
    policy: (id) => policy(id ?? ''),
    split: once(readSplit),
    release: once(readRelease),
    subsets: new Map(),
  };
}

/** A split selection checked against its split (a part it lacks is BAD_USER_INPUT); null for no such split. */
export async function resolveSplit(scope: RequestScope, sel: SplitSelection): Promise<ResolvedSplit | null> {
  const split = await scope.split(sel.id);
  if (!split) return null;
  return {
    selection: sel,
    parts: accepted(selectParts(split.parts, sel.part, sel.fold)),
    policyId: split.policyId,
    manifestHash: split.manifestHash,
    releaseId: split.releaseId,
  };
}

/** The filter with every split selection (wherever it is nested) replaced by the parts it covers. */
async function resolveFilter(
  scope: RequestScope,
  f: ImageFilter,
  top: { split?: ResolvedSplit },
  isTop: boolean,
): Promise<ResolvedFilter> {
  const { AND, OR, NOT, split, ...conditions } = f;
  const out: ResolvedFilter = { ...conditions };
  if (split) {
    const resolved = await resolveSplit(scope, split);
    if (!resolved) throw badInput(`no split ${split.id}`, 'filter.split');
    out.split = { id: split.id, parts: resolved.parts };
    if (isTop) top.split = resolved;
  }
  if (AND) out.AND = await Promise.all(AND.map((x) => resolveFilter(scope, x, top, false)));
  if (OR) out.OR = await Promise.all(OR.map((x) => resolveFilter(scope, x, top, false)));
  if (NOT) out.NOT = await resolveFilter(scope, NOT, top, false);
  return out;
}

/**
 * The subset a request asks for, resolved once per request and scope. Its policy is the one named;
 * else the split's (a split is read under the labels it was stratified by); else the active one.
 * Refusals (BAD_USER_INPUT): a filter past its bounds, an unknown split or a part it lacks, an
 * unknown policy, a label the policy lacks, and a policy other than the split's beside `split`.
 */
export function resolveSubset(scope: RequestScope, req: SubsetRequest): Promise<Subset> {
  return memo(scope, req, true) as Promise<Subset>;
}

/**
 * The images of a request without its labels: as resolveSubset, but the policy is read only when the
 * filter selects by label or names a policy or split (a page of images and its count need no more).
 */
export function resolveSelection(scope: RequestScope, req: SubsetRequest): Promise<Selection> {
  return memo(scope, req, false);
}

function memo(scope: RequestScope, req: SubsetRequest, labelled: boolean): Promise<Selection> {
  const key = JSON.stringify([
    labelled,
    req.filter ?? null,
    req.policy ?? null,
    req.split ?? null,
    req.release ?? null,
  ]);
  return cached(scope.subsets, key, () => resolveOnce(scope, req, labelled));
}

async function resolveOnce(
  scope: RequestScope,
  req: SubsetRequest,
  labelled: boolean,
): Promise<Selection & { policy?: ClassMappingPolicy }> {
  // before anything walks the filter recursively (the GraphQL API checks it earlier too: use-input-bounds)
  checkFilterBounds(req.filter);
  await checkCollections(req.filter);
  const top: { split?: ResolvedSplit } = {};
  const filter = req.filter ? await resolveFilter(scope, req.filter, top, true) : null;
  let split: ResolvedSplit | null = null;
  if (req.split) {
    split = await resolveSplit(scope, req.split);
    if (!split) throw badInput(`no split ${req.split.id}`, 'split');
    if (req.policy && req.policy !== split.policyId)
      throw badInput(
        `split ${req.split.id} was made under ${split.policyId}; leave policy out or give ${split.policyId}`,
        'policy',
      );
  }
  // a split made on a release is read as of it; another release beside it is refused, as another policy is
  const splitRelease = split?.releaseId ?? null;
  if (req.release && splitRelease && req.release !== splitRelease)
    throw badInput(
      `split ${split?.selection.id} was made on release ${splitRelease}; leave release out or give ${splitRelease}`,
      'release',
    );
  const releaseId = req.release ?? splitRelease;
  const release = releaseId ? await scope.release(releaseId) : null;
  if (releaseId && !release) throw badInput(`no release ${releaseId}`, 'release');
  const policyId = req.policy ?? (split ?? top.split)?.policyId;
  const policy = labelled || policyId || usesLabel(filter) ? await scope.policy(policyId) : undefined;
  const filtered = release ? asOfRelease(imageWhere(filter, policy), release.id) : imageWhere(filter, policy);
  const and = [
    filtered,
    ...(split ? [inSplitParts(split.selection.id, split.parts)] : []),
    ...(release ? [inRelease(release.id)] : []),
  ];
  const where = and.length === 1 ? filtered : { AND: and };
  return { where, policy, split: split ?? top.split ?? null, filter, asked: req.filter ?? null, release };
}
