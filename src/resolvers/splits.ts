// Stored splits: patient-, lesion- and near-duplicate-grouped, stratified by the policy label (and
// optionally stage, phototype, sex), deterministic for a seed, optionally extending an earlier split
// so that existing images keep their part. Each split is stored with its manifest (image → part), the
// manifest's content hash, counts per part, its largest unit and a leak certificate computed
// independently of the algorithm. auditSplit gives the same overlap report for any uploaded assignment.
// Everything the algorithm sees is keyed by image SHA-256 — never database ids or pseudonym codes —
// so the same images and seed give the same manifest on every installation.

import { randomUUID } from 'node:crypto';
import { createGraphQLError } from 'graphql-yoga';
import { db } from '../db/current.ts';
import { Prisma } from '../db/generated/sqlite/client.ts';
import type { Actor } from '../domain/actor.ts';
import type { ClinicalStatus } from '../domain/classes.ts';
import { ageValue, DEFAULT_PROFILE, dateValue, type ProfileId } from '../domain/deidentify.ts';
import type { DiagnosisClass, FitzpatrickType, Sex, VerificationStage } from '../domain/enums.ts';
import { imageUrl } from '../domain/image-url.ts';
import {
  largestUnit,
  measureParts,
  nearDuplicateClusters,
  oversizedUnit,
  PART_TOLERANCE,
  type PartMeasure,
  type PartSize,
  type SplitItem,
  type SplitUnit,
  stratifiedGroupSplit,
} from '../domain/split.ts';
import {
  certify,
  groupsOf,
  type LeakCertificate,
  manifestHash,
  type NearDuplicates,
  partsOf,
  type SplitMember,
  type SplitUnitSummary,
  type Stratifier,
  selectParts,
  stratumOf,
} from '../domain/stored-split.ts';
import { decide, POLICY_INPUT_SELECT } from '../plugins/evaluate.ts';
import { accepted, badInput } from './errors.ts';
import { type ImageFilter, inSplitParts } from './image-filter.ts';
import { checkLimit, checkPageSize, type PageArgs } from './paging.ts';
import { asOf, frozenInclude } from './releases.ts';
import { inRelease, type RequestScope, resolveSplit, resolveSubset, type Subset } from './subset.ts';

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
  /** Store the split even when a unit is too large for the parts to meet their fractions. */
  allowOversizedUnits?: boolean | null;
  /** Split a stored release: its images (and the filter), labelled and stratified as it froze them. */
  release?: string | null;
}

export interface SplitSummary {
  whole: PartMeasure;
  parts: PartMeasure[];
  /** Images matching the filter that the policy excludes or cannot map (not in the split). */
  excluded: number;
  /** Images that kept the part an extended split gave them. */
  kept: number;
  /** Images of an extended split placed elsewhere because new links joined them to another part. */
  moved: number;
  /** The split's largest unit (absent from splits stored before it was recorded). */
  largestUnit?: SplitUnitSummary;
  /** The unit that put a part more than the tolerance off its target, stored with allowOversizedUnits. */
  oversizedUnit?: SplitUnitSummary | null;
}

/** What a split reads of each image (bench/split's baseline reads the same). */
export const SPLIT_MEMBER_SELECT = {
  id: true,
  sha256: true,
  ...POLICY_INPUT_SELECT,
  patient: { select: { code: true, sex: true, fitzpatrickType: true } },
  lesion: { select: { code: true } },
  collection: { select: { slug: true } },
} as const;

/** One image as a split reads it: ids, labels, and the patient facts strata may need. */
interface SplitRow {
  id: number;
  sha256: string;
  patientId: number;
  lesionId: number;
  collectionId: number;
  diagnosisClass: DiagnosisClass | null;
  diagnosisTerm: string;
  clinicalStatus: ClinicalStatus;
  verificationStage: VerificationStage;
  sex: Sex | null;
  fitzpatrickType: FitzpatrickType | null;
}

const KEYSET_BATCH = 50_000;

/**
 * Every image of the whole dataset (no filter, split or release) as plain rows: keyset batches of
 * one raw SELECT of only the columns a split needs, joined to the patient only when a stratum needs
 * the patient's sex or phototype (a million Prisma objects with relations cost seconds).
 */
async function wholeRows(withPatient: boolean): Promise<SplitRow[]> {
  const columns = Prisma.raw(
    'i.id, i.sha256, i.patient_id AS "patientId", i.lesion_id AS "lesionId", i.collection_id AS "collectionId", ' +
      'i.diagnosis_class AS "diagnosisClass", i.diagnosis_term AS "diagnosisTerm", i.clinical_status AS "clinicalStatus", ' +
      'i.verification_stage AS "verificationStage"' +
      (withPatient ? ', p.sex, p.fitzpatrick_type AS "fitzpatrickType"' : ''),
  );
  const from = Prisma.raw(withPatient ? 'image i JOIN patient p ON p.id = i.patient_id' : 'image i');
  const out: SplitRow[] = [];
  let after = 0;
  for (;;) {
    const batch = await db().$queryRaw<
      SplitRow[]
    >`SELECT ${columns} FROM ${from} WHERE i.id > ${after} ORDER BY i.id LIMIT ${KEYSET_BATCH}`;
    for (const r of batch)
      out.push({
        ...r,
        id: Number(r.id),
        patientId: Number(r.patientId),
        lesionId: Number(r.lesionId),
        collectionId: Number(r.collectionId),
        sex: withPatient ? r.sex : null,
        fitzpatrickType: withPatient ? r.fitzpatrickType : null,
      });
    const last = batch[batch.length - 1];
    if (!last || batch.length < KEYSET_BATCH) return out;
    after = Number(last.id);
  }
}

/** The images of a filtered subset, or of a release (with the labels it froze), in id order. */
async function subsetRows({ where, release }: Subset, withPatient: boolean): Promise<SplitRow[]> {
  const rows = await db().image.findMany({
    where,
    select: {
      id: true,
      sha256: true,
      patientId: true,
      lesionId: true,
      collectionId: true,
      ...POLICY_INPUT_SELECT,
      ...(withPatient ? { patient: { select: { sex: true, fitzpatrickType: true } } } : {}),
      ...frozenInclude(release),
    },
    orderBy: { id: 'asc' },
  });
  // as of a release: the labels and stage it froze
  return rows.map(asOf).map(({ patient, ...r }) => ({
    id: r.id,
    sha256: r.sha256,
    patientId: r.patientId,
    lesionId: r.lesionId,
    collectionId: r.collectionId,
    diagnosisClass: r.diagnosisClass,
    diagnosisTerm: r.diagnosisTerm,
    clinicalStatus: r.clinicalStatus,
    verificationStage: r.verificationStage,
    sex: (patient as { sex: Sex | null } | undefined)?.sex ?? null,
    fitzpatrickType: (patient as { fitzpatrickType: FitzpatrickType | null } | undefined)?.fitzpatrickType ?? null,
  }));
}

/**
 * The images a split covers: matching the filter and labelled (mapped) by the policy, with their
 * groups. Patients and lesions are named by their row ids here (`patient`, `lesion`: what groups
 * them is the same); codesOf names the few a stored summary or certificate shows.
 */
async function membersOf(subset: Subset, near: NearDuplicates, by: ReadonlySet<Stratifier>) {
  const { policy } = subset;
  const withPatient = by.has('SEX') || by.has('FITZPATRICK_TYPE');
  const whole = !subset.release && !subset.split && Object.keys(subset.where).length === 0;
  const rows = whole ? await wholeRows(withPatient) : await subsetRows(subset, withPatient);
  const slugs = by.has('COLLECTION')
    ? new Map((await db().collection.findMany({ select: { id: true, slug: true } })).map((c) => [c.id, c.slug]))
    : null;
  const members: SplitMember[] = [];
  let excluded = 0;
  // the policy decides once per distinct (class, term, status, stage)
  const decisions = new Map<string, ReturnType<typeof decide>>();
  for (const r of rows) {
    const key = `${r.diagnosisClass} ${r.diagnosisTerm} ${r.clinicalStatus} ${r.verificationStage}`;
    let d = decisions.get(key);
    if (!d) {
      d = decide(policy, r);
      decisions.set(key, d);
    }
    if (d.kind !== 'mapped') {
      excluded++;
      continue;
    }
    members.push({
      id: r.sha256,
      imageId: r.id,
      sha256: r.sha256,
      label: d.label,
      patient: String(r.patientId),
      lesion: String(r.lesionId),
      cluster: near.clusterOf.get(r.sha256) ?? null,
      stage: r.verificationStage,
      fitzpatrick: r.fitzpatrickType,
      sex: r.sex,
      collection: slugs?.get(r.collectionId) ?? null,
    });
  }
  return { members, excluded };
}

/** The codes of patients or lesions by their row ids (the few a summary or certificate names). */
async function codesOf(kind: 'patient' | 'lesion', ids: Iterable<string>): Promise<Map<string, string>> {
  const list = [...new Set(ids)].map(Number);
  const out = new Map<string, string>();
  for (let i = 0; i < list.length; i += 5000) {
    const chunk = list.slice(i, i + 5000);
    const rows =
      kind === 'patient'
        ? await db().patient.findMany({ where: { id: { in: chunk } }, select: { id: true, code: true } })
        : await db().lesion.findMany({ where: { id: { in: chunk } }, select: { id: true, code: true } });
    for (const r of rows) out.set(String(r.id), r.code);
  }
  return out;
}

/** The certificate with its patient and lesion leaks named by code, in the order certify gives codes. */
async function namedCertificate(certificate: LeakCertificate): Promise<LeakCertificate> {
  const grouped = certificate.leaks.filter((l) => l.kind === 'PATIENT' || l.kind === 'LESION');
  if (grouped.length === 0) return certificate;
  const [patients, lesions] = await Promise.all([
    codesOf(
      'patient',
      grouped.filter((l) => l.kind === 'PATIENT').map((l) => l.group),
    ),
    codesOf(
      'lesion',
      grouped.filter((l) => l.kind === 'LESION').map((l) => l.group),
    ),
  ]);
  const named = grouped.map((l) => ({
    ...l,
    group: (l.kind === 'PATIENT' ? patients : lesions).get(l.group) ?? l.group,
  }));
  // certify lists the group leaks (patient, lesion, cluster) by "KIND:group", then the crossing pairs
  const others = certificate.leaks.filter((l) => l.kind !== 'PATIENT' && l.kind !== 'LESION');
  const clusters = others.filter((l) => l.kind === 'NEAR_DUPLICATE_CLUSTER');
  const pairs = others.filter((l) => l.kind === 'NEAR_DUPLICATE_PAIR');
  const byGroup = [...named, ...clusters].sort((a, b) => {
    const x = `${a.kind}:${a.group}`;
    const y = `${b.kind}:${b.group}`;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return { ...certificate, leaks: [...byGroup, ...pairs] };
}

/**
 * The stored near-duplicate links and their clusters, bounded by complete linkage (every two images
 * of a cluster are a stored link; see nearDuplicateClusters): a chain of similar images does not
 * become one giant cluster. Links between clusters are checked pair by pair in the certificate.
 */
async function nearDuplicates(releaseId: string | null = null): Promise<NearDuplicates> {
  // of a release: the links between its images only, so images stored later change none of its clusters
  const rows = await db().nearDuplicate.findMany({
    where: releaseId ? { image: inRelease(releaseId), twin: inRelease(releaseId) } : {},
    select: { distance: true, image: { select: { sha256: true } }, twin: { select: { sha256: true } } },
  });
  const links = rows.map((r) => ({ a: r.image.sha256, b: r.twin.sha256, distance: r.distance }));
  return { links, clusterOf: nearDuplicateClusters(links) };
}

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

/** What a unit is, for the stored split and for a refusal: its kind, key, size and part. */
function describeUnit(
  unit: SplitUnit,
  memberOf: ReadonlyMap<string, SplitMember>,
  total: number,
  patientCode: ReadonlyMap<string, string>,
): SplitUnitSummary {
  const patients = [...new Set(unit.items.map((it) => memberOf.get(it.id)?.patient ?? ''))];
  const one = patients.length === 1;
  return {
    kind: one ? 'PATIENT' : 'LINKED_PATIENTS',
    key: one ? (patientCode.get(patients[0] ?? '') ?? '') : (unit.items[0]?.id ?? ''),
    images: unit.items.length,
    patients: patients.length,
    share: total === 0 ? 0 : unit.items.length / total,
    part: unit.part,
  };
}

/** The patients (by row id) of some units: the codes their summaries show. */
const patientsOf = (list: readonly (SplitUnit | null | undefined)[], memberOf: ReadonlyMap<string, SplitMember>) =>
  list.flatMap((u) => (u ? u.items.map((it) => memberOf.get(it.id)?.patient ?? '') : []));

function oversizedMessage(unit: SplitUnitSummary, total: number, parts: readonly PartSize[]) {
  const what =
    unit.kind === 'PATIENT'
      ? `patient ${unit.key}`
      : `a unit of ${unit.patients} patients linked by near-duplicate images (first image ${unit.key})`;
  return (
    `a unit is too large for the fractions: ${what} holds ${unit.images} of the ${total} images (${percent(unit.share)}), ` +
    `so the parts would be ${parts.map((p) => `${p.name} ${p.images} (${percent(p.share)}, target ${percent(p.target)})`).join(', ')}: ` +
    `more than ${PART_TOLERANCE * 100} % of the images off their targets. Change the filter or the fractions, or pass ` +
    'allowOversizedUnits: true to store the split anyway'
  );
}

/**
 * Computes and stores a split. Refuses (BAD_USER_INPUT, nothing stored): neither or both of fractions
 * and folds, fractions outside 0–1 or not adding up to 1, fewer than two parts, folds outside 2–20, an
 * unknown policy or extended split, an extended split with other parts, a name over 200 characters,
 * no labelled image, fewer patient groups than parts, or (unless allowOversizedUnits) a unit so large
 * that a part misses its target by more than PART_TOLERANCE. Returns the new split's id.
 */
/** What a split is doing, for a progress bar (the CLI's): its phases in order, each with done of total. */
export type SplitProgress = (p: { phase: 'reading' | 'assigning' | 'storing'; done: number; total: number }) => void;

export async function createSplit(
  scope: RequestScope,
  req: CreateSplitRequest,
  actor: Actor,
  progress: SplitProgress = () => {},
) {
  const parts = accepted(partsOf(req));
  if (req.name != null && req.name.length > 200) throw badInput('name is longer than 200 characters', 'input.name');
  const seed = req.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw badInput('seed must be an integer', 'input.seed');
  // the images and the policy, resolved once (an unknown policy or a bad filter is refused here)
  const subset = await resolveSubset(scope, { filter: req.filter, policy: req.policy, release: req.release });
  const { policy } = subset;
  const stratifyBy = [...new Set(req.stratifyBy ?? [])].sort() as Stratifier[];
  const keep = new Map<string, string>();
  if (req.extend) {
    const earlier = await scope.split(req.extend);
    if (!earlier) throw badInput(`no split ${req.extend}`, 'input.extend');
    const names = earlier.parts;
    if (names.join() !== parts.map((p) => p.name).join())
      throw badInput(`split ${req.extend} has the parts ${names.join(', ')}; give the same parts`, 'input.extend');
    for (const a of await db().splitAssignment.findMany({
      where: { splitId: req.extend },
      select: { part: true, image: { select: { sha256: true } } },
    }))
      keep.set(a.image.sha256, a.part);
  }

  const near = await nearDuplicates(subset.release?.id ?? null);
  const by = new Set(stratifyBy);
  progress({ phase: 'reading', done: 0, total: 1 });
  const { members, excluded } = await membersOf(subset, near, by);
  progress({ phase: 'reading', done: 1, total: 1 });
  if (members.length === 0) throw badInput(`no image matches the filter with a label under ${policy.id}`, 'input');
  const items: SplitItem[] = members.map((m) => ({ id: m.id, stratum: stratumOf(m, by), groups: groupsOf(m) }));
  progress({ phase: 'assigning', done: 0, total: items.length });
  const result = stratifiedGroupSplit(items, parts, seed, keep);
  progress({ phase: 'assigning', done: items.length, total: items.length });
  const { assignment } = result;
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
  const memberOf = new Map(members.map((m) => [m.id, m]));
  const oversized = oversizedUnit(result, parts);
  const largest = largestUnit(result.units);
  const patientCode = await codesOf('patient', patientsOf([oversized?.unit, largest], memberOf));
  const oversizedSummary = oversized ? describeUnit(oversized.unit, memberOf, members.length, patientCode) : null;
  if (oversized && oversizedSummary && !req.allowOversizedUnits)
    throw badInput(oversizedMessage(oversizedSummary, members.length, oversized.parts), 'input.allowOversizedUnits');
  const certificate = await namedCertificate(certify(members, assignment, near));
  let kept = 0;
  let moved = 0;
  for (const [id, part] of keep) {
    const now = assignment.get(id);
    if (now === part) kept++;
    else if (now !== undefined) moved++;
  }
  const summary: SplitSummary = {
    whole: measured.whole,
    parts: measured.parts,
    excluded,
    kept,
    moved,
    ...(largest ? { largestUnit: describeUnit(largest, memberOf, members.length, patientCode) } : {}),
    oversizedUnit: oversizedSummary,
  };
  const hash = manifestHash(members.map((m) => ({ sha256: m.sha256, part: assignment.get(m.id) ?? '' })));
  const id = randomUUID();
  const input = {
    filter: req.filter ?? {},
    ...(req.fractions ? { fractions: req.fractions } : { folds: req.folds }),
    stratifyBy,
    seed,
    ...(req.extend ? { extend: req.extend } : {}),
    ...(req.allowOversizedUnits ? { allowOversizedUnits: true } : {}),
    ...(subset.release ? { release: subset.release.id } : {}),
  };
  const rows = members.map((m) => {
    const part = assignment.get(m.id) ?? '';
    // inlined below: part names are ours (partsOf), ids integers, the split id a UUID
    if (!/^[a-z0-9-]+$/.test(part) || !Number.isSafeInteger(m.imageId)) throw new Error(`bad assignment ${part}`);
    return `('${id}', ${m.imageId}, '${part}')`;
  });
  await db().$transaction(
    async (tx) => {
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
          createdBy: actor.source,
        },
      });
      // multi-row INSERTs of literal rows, 10,000 a statement: createMany and bound parameters spend
      // most of a large split's time building row objects and parameter lists
      for (let i = 0; i < rows.length; i += 10_000) {
        progress({ phase: 'storing', done: i, total: rows.length });
        await tx.$executeRawUnsafe(
          `INSERT INTO split_assignment (split_id, image_id, part) VALUES ${rows.slice(i, i + 10_000).join(', ')}`,
        );
      }
      progress({ phase: 'storing', done: rows.length, total: rows.length });
    },
    // a million assignments take more than the default few seconds of an interactive transaction
    { timeout: 300_000 },
  );
  return id;
}

export const splitById = (id: string, query: object = {}) => db().split.findUnique({ ...query, where: { id } });

/** A split that exists (just created): its row with the request's selection. */
export const storedSplit = (id: string, query: object = {}) =>
  db().split.findUniqueOrThrow({ ...query, where: { id } });

/** Stored splits, newest first: at most `limit` (0–200, else BAD_USER_INPUT). */
export const listSplits = (query: object, limit: number | null | undefined) =>
  db().split.findMany({ ...query, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: checkLimit(limit, 50) });

/** A split's part selection (`images(part:, fold:)`) checked against its parts. */
const partsSelected = (split: { parts: string }, sel: PartSelection) =>
  accepted(selectParts(JSON.parse(split.parts) as string[], sel.part, sel.fold));

export interface PartSelection {
  part?: 'TRAIN' | 'VALIDATION' | 'TEST' | null;
  fold?: number | null;
}

/** How many images a split's part selection holds. */
export const countSplitImages = (split: { id: string; parts: string }, sel: PartSelection) =>
  db().splitAssignment.count({ where: { splitId: split.id, part: { in: partsSelected(split, sel) } } });

/** A page of a split's images in id order, each with its part (for the edge). */
export function splitImages(
  query: { include?: Prisma.ImageInclude; select?: Prisma.ImageSelect },
  split: { id: string; parts: string },
  sel: PartSelection & PageArgs,
) {
  checkPageSize(sel);
  const names = partsSelected(split, sel);
  const include = {
    ...(query.include ?? {}),
    splitAssignments: { where: { splitId: split.id }, select: { part: true } },
  };
  return db().image.findMany({ ...query, include, where: inSplitParts(split.id, names), orderBy: { id: 'asc' } });
}

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
  const near = await nearDuplicates();
  const assignment = new Map<string, string>();
  const unknown: string[] = [];
  const conflicting = new Set<string>();
  for (const e of entries) {
    const image = e.sha256 ? bySha.get(e.sha256.toLowerCase()) : byId.get(e.imageId ?? -1);
    if (!image) {
      unknown.push(e.sha256 ?? String(e.imageId));
      continue;
    }
    const before = assignment.get(image.sha256);
    if (before !== undefined && before !== e.part) conflicting.add(image.sha256);
    assignment.set(image.sha256, e.part);
  }
  const members = [...byId.values()]
    .filter((f) => assignment.has(f.sha256))
    .map((f) => ({
      id: f.sha256,
      sha256: f.sha256,
      patient: f.patient.code,
      lesion: f.lesion.code,
      cluster: near.clusterOf.get(f.sha256) ?? null,
    }));
  const certificate = certify(members, assignment, near);
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

/**
 * Deletes a stored split and its manifest (exports already written are kept). Its maker or an admin
 * may; anyone else is FORBIDDEN, an unknown id NOT_FOUND. Splits that extended it keep their images.
 */
export async function deleteSplit(id: string, caller: Actor) {
  const split = await db().split.findUnique({ where: { id }, select: { createdBy: true } });
  if (!split) throw createGraphQLError(`no split ${id}`, { extensions: { code: 'NOT_FOUND' } });
  if (!caller.admin && split.createdBy !== caller.source)
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
  'age_at_exam',
  'acquisition_date',
] as const;

/**
 * A split's manifest rows (or one part's), in image id order, read in keyset batches: each image with
 * its part, its label under the split's policy, its URLs, and its age and acquisition date as the
 * de-identification profile shows them (default safe-harbor). Null when there is no such split; a
 * part the split does not have is BAD_USER_INPUT (selectParts).
 */
export async function manifestRows(
  scope: RequestScope,
  id: string,
  selection: { part?: 'TRAIN' | 'VALIDATION' | 'TEST' | null; fold?: number | null },
  origin: string,
  profile: ProfileId = DEFAULT_PROFILE,
): Promise<AsyncIterable<Record<(typeof MANIFEST_COLUMNS)[number], string>> | null> {
  const split = await resolveSplit(scope, { id, ...selection });
  if (!split) return null;
  const names = split.parts;
  const policy = await scope.policy(split.policyId);
  const frozen = frozenInclude(split.releaseId ? { id: split.releaseId } : null);
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
              ...POLICY_INPUT_SELECT,
              ageAtExam: true,
              acquiredAt: true,
              patient: { select: { code: true } },
              lesion: { select: { code: true } },
              ...frozen,
            },
          },
        },
      });
      for (const row of batch) {
        // a split made on a release: its labels and stages as the release froze them
        const a = { ...row, image: asOf(row.image) };
        const d = decide(policy, a.image);
        yield {
          sha256: a.image.sha256,
          part: a.part,
          label: d.kind === 'mapped' ? d.label : '',
          patient: a.image.patient.code,
          lesion: a.image.lesion.code,
          diagnosis_class: a.image.diagnosisClass ?? '',
          verification_stage: a.image.verificationStage,
          url: imageUrl(origin, a.image.sha256),
          thumbnail_url: imageUrl(origin, a.image.sha256, 'thumbnail'),
          age_at_exam: String(ageValue(a.image.ageAtExam, profile) ?? ''),
          acquisition_date: dateValue(a.image.acquiredAt, profile) ?? '',
        };
      }
      const last = batch[batch.length - 1];
      if (!last || batch.length < 1000) return;
      after = last.imageId;
    }
  })();
}
