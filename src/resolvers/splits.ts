// Stored splits: patient-, lesion- and near-duplicate-grouped, stratified by the policy label (and
// optionally stage, phototype, sex), deterministic for a seed, optionally extending an earlier split
// so that existing images keep their part. Each split is stored with its manifest (image → part), the
// manifest's content hash, counts per part and a leak certificate computed independently of the
// algorithm. auditSplit gives the same overlap report for any uploaded assignment.
import { createHash, randomUUID } from 'node:crypto';
import { createGraphQLError } from 'graphql-yoga';
import { db } from '../db/current.ts';
import { Prisma } from '../db/generated/sqlite/client.ts';
import type { FitzpatrickType, Sex, VerificationStage } from '../domain/enums.ts';
import {
  auditSplit,
  foldParts,
  measureParts,
  type PartMeasure,
  type SplitItem,
  type SplitPart,
  stratifiedGroupSplit,
  UnionFind,
} from '../domain/split.ts';
import { decide } from '../plugins/evaluate.ts';
import type { ClassMappingPolicy } from '../plugins/types.ts';
import { badInput } from './errors.ts';
import type { ImageFilter } from './image-filter.ts';
import { resolveSplitSelection, whereOf } from './images.ts';
import { resolvePolicy } from './policies.ts';

export const FRACTION_PARTS = ['train', 'validation', 'test'] as const;
export const MAX_FOLDS = 20;
export const STRATIFIERS = ['VERIFICATION_STAGE', 'FITZPATRICK_TYPE', 'SEX'] as const;
export type Stratifier = (typeof STRATIFIERS)[number];

export interface CreateSplitRequest {
  name?: string | null;
  filter?: ImageFilter | null;
  policy?: string | null;
  seed?: number | null;
  fractions?: { train: number; validation: number; test: number } | null;
  folds?: number | null;
  stratifyBy?: readonly Stratifier[] | null;
  /** An earlier split whose images keep their part; new images are placed around them. */
  extend?: string | null;
}

/** What a stored split's `summary` column holds. */
export interface SplitSummary {
  whole: PartMeasure;
  parts: PartMeasure[];
  /** Images matching the filter that the policy excludes or cannot map (not in the split). */
  excluded: number;
  /** Images that kept the part an extended split gave them. */
  kept: number;
  /** Images of an extended split placed elsewhere because new links joined them to another part. */
  moved: number;
}

export type LeakKind = 'PATIENT' | 'LESION' | 'NEAR_DUPLICATE_CLUSTER';
export interface Leak {
  kind: LeakKind;
  /** The group: a patient code, a lesion code, or the sha256 of a cluster's first image. */
  group: string;
  parts: string[];
  /** SHA-256 of the images of that group, in sha order. */
  images: string[];
}

/** What a stored split's `certificate` column holds; the same shape answers auditSplit. */
export interface LeakCertificate {
  clean: boolean;
  patients: number;
  lesions: number;
  /** Near-duplicate clusters with two or more images in the split. */
  nearDuplicateClusters: number;
  leaks: Leak[];
}

interface Member {
  id: string;
  imageId: number;
  sha256: string;
  label: string;
  patient: string;
  lesion: string;
  cluster: string | null;
  stage: VerificationStage;
  fitzpatrick: FitzpatrickType | null;
  sex: Sex | null;
}

/** Validated part names and targets, from fractions or folds. */
export function partsOf(req: Pick<CreateSplitRequest, 'fractions' | 'folds'>): SplitPart[] {
  const hasFractions = req.fractions != null;
  const hasFolds = req.folds != null;
  if (hasFractions === hasFolds) throw badInput('give either fractions or folds', 'input.fractions');
  if (req.folds != null) {
    if (!Number.isInteger(req.folds) || req.folds < 2 || req.folds > MAX_FOLDS)
      throw badInput(`folds must be an integer from 2 to ${MAX_FOLDS}, got ${req.folds}`, 'input.folds');
    return foldParts(req.folds);
  }
  const f = req.fractions as NonNullable<CreateSplitRequest['fractions']>;
  for (const name of FRACTION_PARTS) {
    const v = f[name];
    if (!Number.isFinite(v) || v < 0 || v > 1)
      throw badInput(`fractions.${name} must be between 0 and 1, got ${v}`, 'input.fractions');
  }
  const sum = f.train + f.validation + f.test;
  if (Math.abs(sum - 1) > 1e-6) throw badInput(`fractions must add up to 1, got ${sum}`, 'input.fractions');
  const parts = FRACTION_PARTS.filter((n) => f[n] > 0).map((name) => ({ name, fraction: f[name] }));
  if (parts.length < 2) throw badInput('a split needs at least two parts with a fraction above 0', 'input.fractions');
  return parts;
}

/** What a split reads of each image (bench/split's baseline reads the same). */
export const SPLIT_MEMBER_SELECT = {
  id: true,
  sha256: true,
  diagnosisClass: true,
  verificationStage: true,
  patient: { select: { code: true, sex: true, fitzpatrickType: true } },
  lesion: { select: { code: true } },
} as const;

/** The images a split covers: matching the filter and labelled (mapped) by the policy, with their groups. */
async function membersOf(filter: ImageFilter | null | undefined, policy: ClassMappingPolicy) {
  const rows = await db().image.findMany({
    where: await whereOf({ filter, policy: policy.id }),
    select: SPLIT_MEMBER_SELECT,
    orderBy: { id: 'asc' },
  });
  const clusters = await nearDuplicateClusters();
  const members: Member[] = [];
  let excluded = 0;
  for (const r of rows) {
    const d = decide(policy, r);
    if (d.kind !== 'mapped') {
      excluded++;
      continue;
    }
    members.push({
      id: String(r.id),
      imageId: r.id,
      sha256: r.sha256,
      label: d.label,
      patient: r.patient.code,
      lesion: r.lesion.code,
      cluster: clusters.get(r.id) ?? null,
      stage: r.verificationStage,
      fitzpatrick: r.patient.fitzpatrickType,
      sex: r.patient.sex,
    });
  }
  return { members, excluded };
}

/** Image id → its near-duplicate cluster (the sha256 of the cluster's lowest image id), linked images only. */
async function nearDuplicateClusters(): Promise<Map<number, string>> {
  const links = await db().nearDuplicate.findMany({ select: { imageId: true, twinId: true } });
  if (links.length === 0) return new Map();
  const uf = new UnionFind();
  // zero-padded ids: the smallest key, the union-find's root, is the lowest image id
  const key = (id: number) => String(id).padStart(12, '0');
  for (const l of links) uf.union(key(l.imageId), key(l.twinId));
  const ids = [...new Set(links.flatMap((l) => [l.imageId, l.twinId]))];
  const roots = new Map(ids.map((id) => [id, Number(uf.find(key(id)))]));
  const shas = await db().image.findMany({
    where: { id: { in: [...new Set(roots.values())] } },
    select: { id: true, sha256: true },
  });
  const shaOf = new Map(shas.map((s) => [s.id, s.sha256]));
  return new Map(ids.map((id) => [id, shaOf.get(roots.get(id) ?? id) ?? String(id)]));
}

const groupsOf = (m: Pick<Member, 'patient' | 'lesion' | 'cluster'>) => [
  `PATIENT:${m.patient}`,
  `LESION:${m.lesion}`,
  ...(m.cluster ? [`NEAR_DUPLICATE_CLUSTER:${m.cluster}`] : []),
];

const stratumOf = (m: Member, by: ReadonlySet<Stratifier>) =>
  [
    m.label,
    by.has('VERIFICATION_STAGE') ? m.stage : '',
    by.has('FITZPATRICK_TYPE') ? (m.fitzpatrick ?? '-') : '',
    by.has('SEX') ? (m.sex ?? '-') : '',
  ].join('|');

/** The overlap report of an assignment over members: which patient, lesion or cluster crosses parts. */
export function certify(
  members: readonly Pick<Member, 'id' | 'sha256' | 'patient' | 'lesion' | 'cluster'>[],
  assignment: ReadonlyMap<string, string>,
): LeakCertificate {
  const items: SplitItem[] = members.map((m) => ({ id: m.id, stratum: '', groups: groupsOf(m) }));
  const report = auditSplit(items, assignment);
  const shasOf = new Map<string, string[]>();
  for (const m of members) {
    if (!assignment.has(m.id)) continue;
    for (const g of groupsOf(m)) {
      const shas = shasOf.get(g);
      if (shas) shas.push(m.sha256);
      else shasOf.set(g, [m.sha256]);
    }
  }
  /** Groups of a kind with at least `size` assigned images. */
  const groups = (kind: LeakKind, size = 1) =>
    [...shasOf].filter(([g, shas]) => g.startsWith(`${kind}:`) && shas.length >= size).length;
  const leaks = report.leaks.map(({ group, parts }) => {
    const at = group.indexOf(':');
    return {
      kind: group.slice(0, at) as LeakKind,
      group: group.slice(at + 1),
      parts,
      images: [...(shasOf.get(group) ?? [])].sort(),
    };
  });
  return {
    clean: leaks.length === 0,
    patients: groups('PATIENT'),
    lesions: groups('LESION'),
    nearDuplicateClusters: groups('NEAR_DUPLICATE_CLUSTER', 2),
    leaks,
  };
}

/** SHA-256 of "<image sha256>\t<part>\n" lines sorted by image sha256: comparable across databases. */
export function manifestHash(lines: Iterable<{ sha256: string; part: string }>): string {
  const sorted = [...lines].sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
  const h = createHash('sha256');
  for (const l of sorted) h.update(`${l.sha256}\t${l.part}\n`);
  return h.digest('hex');
}

/**
 * Computes and stores a split. Refuses (BAD_USER_INPUT, nothing stored): neither or both of fractions
 * and folds, fractions outside 0–1 or not adding up to 1, fewer than two parts, folds outside 2–20, an
 * unknown policy or extended split, an extended split with other parts, a name over 200 characters,
 * no labelled image, or fewer patient groups than parts. Returns the new split's id.
 */
export async function createSplit(req: CreateSplitRequest, actor: string) {
  const parts = partsOf(req);
  if (req.name != null && req.name.length > 200) throw badInput('name is longer than 200 characters', 'input.name');
  const seed = req.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw badInput('seed must be an integer', 'input.seed');
  const policy = await resolvePolicy(req.policy);
  const stratifyBy = [...new Set(req.stratifyBy ?? [])].sort() as Stratifier[];
  const keep = new Map<string, string>();
  if (req.extend) {
    const earlier = await db().split.findUnique({ where: { id: req.extend }, select: { parts: true } });
    if (!earlier) throw badInput(`no split ${req.extend}`, 'input.extend');
    const names = JSON.parse(earlier.parts) as string[];
    if (names.join() !== parts.map((p) => p.name).join())
      throw badInput(`split ${req.extend} has the parts ${names.join(', ')}; give the same parts`, 'input.extend');
    for (const a of await db().splitAssignment.findMany({
      where: { splitId: req.extend },
      select: { imageId: true, part: true },
    }))
      keep.set(String(a.imageId), a.part);
  }

  const { members, excluded } = await membersOf(req.filter, policy);
  if (members.length === 0) throw badInput(`no image matches the filter with a label under ${policy.id}`, 'input');
  const by = new Set(stratifyBy);
  const items: SplitItem[] = members.map((m) => ({ id: m.id, stratum: stratumOf(m, by), groups: groupsOf(m) }));
  const { assignment } = stratifiedGroupSplit(items, parts, seed, keep);
  const names = parts.map((p) => p.name);
  const measured = measureParts(
    members,
    assignment,
    names,
    (m) => m.label,
    (m) => m.patient,
  );
  const empty = measured.parts.find((p) => p.images === 0);
  if (empty)
    throw badInput(
      `part ${empty.name} would be empty: ${measured.whole.units} patients (${members.length} images) cannot fill ` +
        `${parts.length} parts at a target of ${((parts.find((p) => p.name === empty.name)?.fraction ?? 0) * 100).toPrecision(2)} % for ${empty.name}`,
      'input',
    );
  const certificate = certify(members, assignment);
  let kept = 0;
  let moved = 0;
  for (const [id, part] of keep) {
    const now = assignment.get(id);
    if (now === part) kept++;
    else if (now !== undefined) moved++;
  }
  const summary: SplitSummary = { whole: measured.whole, parts: measured.parts, excluded, kept, moved };
  const hash = manifestHash(members.map((m) => ({ sha256: m.sha256, part: assignment.get(m.id) ?? '' })));
  const id = randomUUID();
  const input = {
    filter: req.filter ?? {},
    ...(req.fractions ? { fractions: req.fractions } : { folds: req.folds }),
    stratifyBy,
    seed,
    ...(req.extend ? { extend: req.extend } : {}),
  };
  await db().$transaction(async (tx) => {
    await tx.split.create({
      data: {
        id,
        name: req.name ?? null,
        input: JSON.stringify(input),
        policyId: policy.id,
        policyVersion: policy.version,
        seed,
        parts: JSON.stringify(names),
        imageCount: members.length,
        manifestHash: hash,
        summary: JSON.stringify(summary),
        certificate: JSON.stringify(certificate),
        extendsId: req.extend ?? null,
        createdBy: actor,
      },
    });
    // multi-row INSERTs: createMany spends most of a split's time building 10,000 row objects
    for (let i = 0; i < members.length; i += 1000) {
      const values = members
        .slice(i, i + 1000)
        .map((m) => Prisma.sql`(${id}, ${m.imageId}, ${assignment.get(m.id) ?? ''})`);
      await tx.$executeRaw`INSERT INTO split_assignment (split_id, image_id, part) VALUES ${Prisma.join(values)}`;
    }
  });
  return id;
}

export const splitById = (id: string, query: object = {}) => db().split.findUnique({ ...query, where: { id } });

export interface AuditEntry {
  imageId?: number | null;
  sha256?: string | null;
  part: string;
}

export interface SplitAudit extends LeakCertificate {
  /** Images in the upload, per part. */
  parts: { name: string; images: number; patients: number }[];
  /** Identifiers that match no image. */
  unknown: string[];
  /** Images listed more than once with different parts. */
  conflicting: string[];
}

/** The overlap report of an uploaded assignment (image id or sha256 → part). Reads only. */
export async function auditAssignments(entries: readonly AuditEntry[]): Promise<SplitAudit> {
  if (entries.length > 200_000) throw badInput('at most 200,000 assignments per audit', 'assignments');
  for (const [i, e] of entries.entries()) {
    if ((e.imageId == null) === (e.sha256 == null))
      throw badInput(`assignment ${i}: give either image or sha256`, 'assignments');
    if (!/^[\w.-]{1,64}$/.test(e.part))
      throw badInput(`assignment ${i}: part must be 1–64 letters, digits, ".", "-" or "_"`, 'assignments');
  }
  const shas = [...new Set(entries.flatMap((e) => (e.sha256 ? [e.sha256.toLowerCase()] : [])))];
  const ids = [...new Set(entries.flatMap((e) => (e.imageId != null ? [e.imageId] : [])))];
  const select = {
    id: true,
    sha256: true,
    patient: { select: { code: true } },
    lesion: { select: { code: true } },
  } as const;
  const found = [];
  for (let i = 0; i < shas.length; i += 5000)
    found.push(...(await db().image.findMany({ where: { sha256: { in: shas.slice(i, i + 5000) } }, select })));
  for (let i = 0; i < ids.length; i += 5000)
    found.push(...(await db().image.findMany({ where: { id: { in: ids.slice(i, i + 5000) } }, select })));
  const byId = new Map(found.map((f) => [f.id, f]));
  const bySha = new Map(found.map((f) => [f.sha256, f]));
  const clusters = await nearDuplicateClusters();
  const assignment = new Map<string, string>();
  const unknown: string[] = [];
  const conflicting = new Set<string>();
  for (const e of entries) {
    const image = e.sha256 ? bySha.get(e.sha256.toLowerCase()) : byId.get(e.imageId ?? -1);
    if (!image) {
      unknown.push(e.sha256 ?? String(e.imageId));
      continue;
    }
    const before = assignment.get(String(image.id));
    if (before !== undefined && before !== e.part) conflicting.add(image.sha256);
    assignment.set(String(image.id), e.part);
  }
  const members = [...byId.values()]
    .filter((f) => assignment.has(String(f.id)))
    .map((f) => ({
      id: String(f.id),
      sha256: f.sha256,
      patient: f.patient.code,
      lesion: f.lesion.code,
      cluster: clusters.get(f.id) ?? null,
    }));
  const certificate = certify(members, assignment);
  const names = [...new Set(assignment.values())].sort();
  const measured = measureParts(
    members,
    assignment,
    names,
    () => '',
    (m) => m.patient,
  );
  return {
    ...certificate,
    // an image listed under two parts is a leak of its own
    clean: certificate.clean && conflicting.size === 0,
    parts: measured.parts.map((p) => ({ name: p.name, images: p.images, patients: p.units })),
    unknown,
    conflicting: [...conflicting].sort(),
  };
}

/** Who made a split, as createSplit records it. */
export const splitActor = (tokenId: number | string | null | undefined) => `token:${tokenId ?? 'public'}`;

/**
 * Deletes a stored split and its manifest (exports already written are kept). Its maker or an admin
 * may; anyone else is FORBIDDEN, an unknown id NOT_FOUND. Splits that extended it keep their images.
 */
export async function deleteSplit(id: string, caller: { tokenId: number | null | undefined; admin: boolean }) {
  const split = await db().split.findUnique({ where: { id }, select: { createdBy: true } });
  if (!split) throw createGraphQLError(`no split ${id}`, { extensions: { code: 'NOT_FOUND' } });
  if (!caller.admin && split.createdBy !== splitActor(caller.tokenId))
    throw createGraphQLError('only the split’s maker or an admin may delete it', { extensions: { code: 'FORBIDDEN' } });
  await db().split.delete({ where: { id } });
  return id;
}

/** The columns of a split's manifest download, in order. */
export const MANIFEST_COLUMNS = [
  'sha256',
  'part',
  'label',
  'patient',
  'lesion',
  'diagnosis_class',
  'verification_stage',
  'url',
  'thumbnail_url',
] as const;

/**
 * A split's manifest rows (or one part's), in image id order, read in keyset batches: each image with
 * its part, its label under the split's policy and its URLs. Null when there is no such split; a part
 * the split does not have is BAD_USER_INPUT (selectParts).
 */
export async function manifestRows(
  id: string,
  selection: { part?: 'TRAIN' | 'VALIDATION' | 'TEST' | null; fold?: number | null },
  origin: string,
): Promise<AsyncIterable<Record<(typeof MANIFEST_COLUMNS)[number], string>> | null> {
  const split = await resolveSplitSelection({ id, ...selection });
  if (!split) return null;
  const { names } = split;
  const policy = await resolvePolicy(split.policyId);
  return (async function* () {
    let after = 0;
    for (;;) {
      const batch = await db().splitAssignment.findMany({
        where: { splitId: id, part: { in: names }, imageId: { gt: after } },
        orderBy: { imageId: 'asc' },
        take: 1000,
        select: {
          imageId: true,
          part: true,
          image: {
            select: {
              sha256: true,
              diagnosisClass: true,
              verificationStage: true,
              patient: { select: { code: true } },
              lesion: { select: { code: true } },
            },
          },
        },
      });
      for (const a of batch) {
        const d = decide(policy, a.image);
        yield {
          sha256: a.image.sha256,
          part: a.part,
          label: d.kind === 'mapped' ? d.label : '',
          patient: a.image.patient.code,
          lesion: a.image.lesion.code,
          diagnosis_class: a.image.diagnosisClass,
          verification_stage: a.image.verificationStage,
          url: `${origin}/images/${a.image.sha256}/original`,
          thumbnail_url: `${origin}/images/${a.image.sha256}/thumbnail`,
        };
      }
      const last = batch[batch.length - 1];
      if (!last || batch.length < 1000) return;
      after = last.imageId;
    }
  })();
}
