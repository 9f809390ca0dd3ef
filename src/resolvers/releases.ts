// Releases: a named, versioned, frozen membership of the dataset with each image's labels then.
// createRelease reads the images matching a filter (or all), freezes their class, term, status,
// stage, histopathology result and structures in ReleaseImage rows, hashes the canonical manifest
// (domain/release.ts) and stores the changelog against the previous release of the same name, all in
// one transaction. Nothing changes or deletes a release afterwards: there is no such service, and
// its rows restrict the deletion of their images (prisma/schema.prisma).
// The reads as of a release (resolvers/subset.ts asOfRelease for conditions; frozenInclude and
// asOf here for the values) let every service read the frozen labels instead of the live ones.

import { randomUUID } from 'node:crypto';
import { createGraphQLError } from 'graphql-yoga';
import { db } from '../db/current.ts';
import { Prisma } from '../db/generated/sqlite/client.ts';
import type { Actor } from '../domain/actor.ts';
import type { DermoscopicStructure } from '../domain/enums.ts';
import {
  type Changelog,
  type FrozenLabels,
  type ReleaseMember,
  releaseChangelog,
  releaseHash,
  releaseLabel,
  structuresKey,
} from '../domain/release.ts';
import { POLICY_INPUT_SELECT } from '../plugins/evaluate.ts';
import { accepted, badInput } from './errors.ts';
import type { ImageFilter } from './image-filter.ts';
import { checkPageSize, MAX_PAGE_SIZE, type PageArgs } from './paging.ts';
import { type ReleaseRow, type RequestScope, resolveSelection, type Subset } from './subset.ts';

export interface CreateReleaseRequest {
  name: string;
  version: string;
  /** The images to release (default: all). */
  filter?: ImageFilter | null;
}

/** ReleaseImage's frozen columns, as a select. */
export const FROZEN_SELECT = {
  ...POLICY_INPUT_SELECT,
  histopathologyResult: true,
  structures: true,
} as const;

/** What an image read adds to read as of a release: its frozen row of that release (none without one). */
export const frozenInclude = (release: Pick<ReleaseRow, 'id'> | null) =>
  release ? { releaseImages: { where: { releaseId: release.id }, select: FROZEN_SELECT } } : {};

/** The frozen row an image read with frozenInclude carries, or undefined (no release asked). */
export const frozenOf = (image: object): FrozenLabels | undefined =>
  (image as { releaseImages?: FrozenLabels[] }).releaseImages?.[0];

type LabelColumns = Omit<FrozenLabels, 'structures' | 'histopathologyResult'>;

/**
 * The image with its label columns as the release froze them (read with frozenInclude), else as it
 * is. Only the columns the image read holds are replaced.
 */
export function asOf<T extends Partial<LabelColumns & { histopathologyResult: string | null }>>(image: T): T {
  const f = frozenOf(image);
  if (!f) return image;
  const out = { ...image };
  for (const k of [
    'diagnosisClass',
    'diagnosisTerm',
    'clinicalStatus',
    'verificationStage',
    'histopathologyResult',
  ] as const)
    if (k in image) (out as Record<string, unknown>)[k] = f[k];
  return out;
}

/** Structure codes from a frozen row's "A;B" text (written from the enum: structuresKey). */
export const frozenStructures = (s: string): DermoscopicStructure[] =>
  s === '' ? [] : (s.split(';') as DermoscopicStructure[]);

/** What a release reads of each image it freezes. */
const MEMBER_SELECT = {
  id: true,
  sha256: true,
  ...POLICY_INPUT_SELECT,
  histopathologyResult: true,
  structures: { select: { structure: true } },
} as const;

/** Rows per multi-row INSERT: 8 parameters each, within SQLite's and PostgreSQL's bounds. */
const INSERT_BATCH = 500;

const forbidden = (message: string) => createGraphQLError(message, { extensions: { code: 'FORBIDDEN' } });

/** The previous release of a name: the latest made (ties: the larger id), or null. */
const previousOf = (name: string, tx: Prisma.TransactionClient) =>
  tx.release.findFirst({
    where: { name },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: { id: true, version: true, contentHash: true },
  });

/** A release's frozen rows as the manifest states them (sha256 and the frozen labels). */
export async function releaseMembers(
  releaseId: string,
  client: Prisma.TransactionClient = db(),
): Promise<ReleaseMember[]> {
  const rows = await client.releaseImage.findMany({
    where: { releaseId },
    select: { ...FROZEN_SELECT, image: { select: { sha256: true } } },
  });
  return rows.map(({ image, ...f }) => ({ sha256: image.sha256, ...f }));
}

/**
 * Makes a release: admins only (FORBIDDEN). Refuses (BAD_USER_INPUT, nothing written): a name or
 * version empty, too long (RELEASE_BOUNDS: 200 and 64 characters after trimming) or with a control
 * character; a name and version that already exist; a filter past its bounds; no image matching it.
 * Returns the new release's id.
 */
export async function createRelease(scope: RequestScope, req: CreateReleaseRequest, actor: Actor) {
  if (!actor.admin) throw forbidden('only admins make releases');
  const { name, version } = accepted(releaseLabel(req.name, req.version));
  const { where } = await resolveSelection(scope, { filter: req.filter });
  const id = randomUUID();
  try {
    await db().$transaction(
      async (tx) => {
        if (await tx.release.findUnique({ where: { name_version: { name, version } }, select: { id: true } }))
          throw badInput(
            `release ${name} ${version} exists already; releases never change: give another version`,
            'version',
          );
        // read inside the transaction: the labels frozen are those of one moment
        const images = await tx.image.findMany({ where, select: MEMBER_SELECT, orderBy: { id: 'asc' } });
        if (images.length === 0) throw badInput('no image matches the filter: a release holds at least one', 'filter');
        const members = images.map((i) => ({
          imageId: i.id,
          sha256: i.sha256,
          diagnosisClass: i.diagnosisClass,
          diagnosisTerm: i.diagnosisTerm,
          clinicalStatus: i.clinicalStatus,
          verificationStage: i.verificationStage,
          histopathologyResult: i.histopathologyResult,
          structures: structuresKey(i.structures.map((s) => s.structure)),
        }));
        const previous = await previousOf(name, tx);
        const changelog = releaseChangelog(
          previous && { ...previous, members: await releaseMembers(previous.id, tx) },
          members,
        );
        await tx.release.create({
          data: {
            id,
            name,
            version,
            filter: JSON.stringify(req.filter ?? {}),
            imageCount: members.length,
            contentHash: releaseHash(members),
            previousId: previous?.id ?? null,
            changelog: JSON.stringify(changelog),
            createdBy: actor.code,
          },
        });
        for (let i = 0; i < members.length; i += INSERT_BATCH) {
          await tx.releaseImage.createMany({
            data: members.slice(i, i + INSERT_BATCH).map(({ sha256: _, ...m }) => ({ releaseId: id, ...m })),
          });
        }
      },
      { timeout: 120_000, maxWait: 10_000 },
    );
  } catch (e) {
    // two admins making the same name and version at once: the unique index refuses the second
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002')
      throw badInput(
        `release ${name} ${version} exists already; releases never change: give another version`,
        'version',
      );
    throw e;
  }
  return id;
}

export const releaseById = (id: string, query: object = {}) => db().release.findUnique({ ...query, where: { id } });

/** A release that exists (just created) with the request's selection. */
export const storedRelease = (id: string, query: object = {}) =>
  db().release.findUniqueOrThrow({ ...query, where: { id } });

/** The most releases a list skips: past it, ask by name. */
export const MAX_RELEASE_OFFSET = 100_000;

/**
 * Releases, newest first, optionally of one name: `limit` 0–200 (default 50), `offset` 0–100,000,
 * else BAD_USER_INPUT.
 */
export function listReleases(
  query: object,
  args: { name?: string | null; limit?: number | null; offset?: number | null },
) {
  const take = args.limit ?? 50;
  if (take < 0 || take > MAX_PAGE_SIZE)
    throw badInput(`limit must be between 0 and ${MAX_PAGE_SIZE}, got ${take}`, 'limit');
  const skip = args.offset ?? 0;
  if (skip < 0 || skip > MAX_RELEASE_OFFSET)
    throw badInput(`offset must be between 0 and ${MAX_RELEASE_OFFSET}, got ${skip}`, 'offset');
  return db().release.findMany({
    ...query,
    where: args.name != null ? { name: args.name } : {},
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take,
    skip,
  });
}

/** The stored changelog of a release. */
export const changelogOf = (release: { changelog: string }) => JSON.parse(release.changelog) as Changelog;

/** How many images a release holds. */
export const countReleaseImages = (releaseId: string) => db().releaseImage.count({ where: { releaseId } });

/** A page of a release's images in id order, each with its frozen row (for the edge). */
export function releaseImages(
  query: { include?: Prisma.ImageInclude; select?: Prisma.ImageSelect },
  releaseId: string,
  page: PageArgs,
) {
  checkPageSize(page);
  const include = { ...(query.include ?? {}), ...frozenInclude({ id: releaseId }) };
  return db().image.findMany({
    ...query,
    include,
    where: { releaseImages: { some: { releaseId } } },
    orderBy: { id: 'asc' },
  });
}

/**
 * Images per class, term, status and stage of a subset: GROUP BY over the images' live columns, or
 * over their frozen rows when the subset is read as of a release (stats and facets count labels so).
 */
export async function labelGroups({ where, release }: Pick<Subset, 'where' | 'release'>) {
  if (release)
    return db().releaseImage.groupBy({
      by: ['diagnosisClass', 'diagnosisTerm', 'clinicalStatus', 'verificationStage'],
      where: { releaseId: release.id, image: where },
      _count: { _all: true },
    });
  return db().image.groupBy({
    by: ['diagnosisClass', 'diagnosisTerm', 'clinicalStatus', 'verificationStage'],
    where,
    _count: { _all: true },
  });
}

/**
 * Images per structure code of a subset, and how many have none: the live structures, or as of the
 * subset's release the codes its frozen rows hold.
 */
export async function structureCounts({ where, release }: Pick<Subset, 'where' | 'release'>) {
  if (!release) {
    const [rows, missing] = await Promise.all([
      db().imageStructure.groupBy({ by: ['structure'], where: { image: where }, _count: { _all: true } }),
      db().image.count({ where: { AND: [where, { structures: { none: {} } }] } }),
    ]);
    return { rows: rows.map((r) => ({ value: r.structure as string, count: r._count._all })), missing };
  }
  const groups = await db().releaseImage.groupBy({
    by: ['structures'],
    where: { releaseId: release.id, image: where },
    _count: { _all: true },
  });
  const counts = new Map<string, number>();
  let missing = 0;
  for (const g of groups) {
    const codes = frozenStructures(g.structures);
    if (codes.length === 0) missing += g._count._all;
    for (const c of codes) counts.set(c, (counts.get(c) ?? 0) + g._count._all);
  }
  return { rows: [...counts].map(([value, count]) => ({ value, count })), missing };
}
