// The rules of a stored split, pure: its parts (fractions or folds) and how a selection picks them,
// the groups and strata of an image, the leak certificate of an assignment, the manifest's hash.
// resolvers/splits.ts reads the images and stores the split; everything it decides is decided here.
import { createHash } from 'node:crypto';
import type { FitzpatrickType, Sex, VerificationStage } from './enums.ts';
import { type Refusal, refusal } from './refusal.ts';
import { auditSplit, crossingLinks, foldParts, type NearLink, type SplitItem, type SplitPart } from './split.ts';

export const FRACTION_PARTS = ['train', 'validation', 'test'] as const;
export const MAX_FOLDS = 20;
export const STRATIFIERS = ['VERIFICATION_STAGE', 'FITZPATRICK_TYPE', 'SEX', 'COLLECTION'] as const;
export type Stratifier = (typeof STRATIFIERS)[number];

export type SplitUnitKind = 'PATIENT' | 'LINKED_PATIENTS';

/** A unit of a split: images that never cross parts because they share a patient, lesion or cluster. */
export interface SplitUnitSummary {
  /** PATIENT: one patient's images; LINKED_PATIENTS: several patients joined by near-duplicate clusters. */
  kind: SplitUnitKind;
  /** The patient code (PATIENT), or the sha256 of the unit's first image, the smallest (LINKED_PATIENTS). */
  key: string;
  images: number;
  patients: number;
  /** images / the split's images */
  share: number;
  part: string;
}

/** What a stored split's `summary` column holds. */
export type LeakKind = 'PATIENT' | 'LESION' | 'NEAR_DUPLICATE_CLUSTER' | 'NEAR_DUPLICATE_PAIR';
export interface Leak {
  kind: LeakKind;
  /**
   * The group: a patient code, a lesion code, the sha256 of a cluster's first image, or of a pair's
   * first image (NEAR_DUPLICATE_PAIR: two linked images of different clusters).
   */
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
  /** Near-duplicate links with both images in the split (absent from certificates stored before pairs were checked). */
  nearDuplicatePairs?: number;
  leaks: Leak[];
}

/** One image as a split sees it: content id, label, groups and strata. */
export interface SplitMember {
  /** The image's sha256: what the split algorithm keys items by. */
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
  /** The slug of the image's collection (COLLECTION stratifies by it). */
  collection?: string | null;
}

export interface NearDuplicates {
  /** Every stored near-duplicate link, by image sha256. */
  links: NearLink[];
  /** Image sha256 → its cluster (the sha256 of the cluster's first image, the smallest), linked images only. */
  clusterOf: Map<string, string>;
}

/** Validated part names and targets, from fractions or folds; what is wrong otherwise. */
export function partsOf(req: {
  fractions?: { train: number; validation: number; test: number } | null;
  folds?: number | null;
}): SplitPart[] | Refusal {
  const hasFractions = req.fractions != null;
  const hasFolds = req.folds != null;
  if (hasFractions === hasFolds) return refusal('give either fractions or folds', 'input.fractions');
  if (req.folds != null) {
    if (!Number.isInteger(req.folds) || req.folds < 2 || req.folds > MAX_FOLDS)
      return refusal(`folds must be an integer from 2 to ${MAX_FOLDS}, got ${req.folds}`, 'input.folds');
    return foldParts(req.folds);
  }
  const f = req.fractions as NonNullable<typeof req.fractions>;
  for (const name of FRACTION_PARTS) {
    const v = f[name];
    if (!Number.isFinite(v) || v < 0 || v > 1)
      return refusal(`fractions.${name} must be between 0 and 1, got ${v}`, 'input.fractions');
  }
  const sum = f.train + f.validation + f.test;
  if (Math.abs(sum - 1) > 1e-6) return refusal(`fractions must add up to 1, got ${sum}`, 'input.fractions');
  const parts = FRACTION_PARTS.filter((n) => f[n] > 0).map((name) => ({ name, fraction: f[name] }));
  if (parts.length < 2) return refusal('a split needs at least two parts with a fraction above 0', 'input.fractions');
  return parts;
}

/**
 * The part names a selection of a stored split covers. A train/validation/test split takes `part`
 * alone; a k-fold split takes `fold` (that fold's images), with `part: TEST` (the same) or
 * `part: TRAIN` (every other fold). What is wrong otherwise.
 */
export function selectParts(
  names: readonly string[],
  part: 'TRAIN' | 'VALIDATION' | 'TEST' | null | undefined,
  fold: number | null | undefined,
): string[] | Refusal {
  const folded = names[0]?.startsWith('fold-') ?? false;
  if (!folded) {
    if (fold != null) return refusal('this split has no folds: select a part', 'fold');
    if (part == null) return [...names];
    const name = part.toLowerCase();
    if (!names.includes(name)) return refusal(`this split has no ${name} part; parts: ${names.join(', ')}`, 'part');
    return [name];
  }
  if (fold == null) {
    if (part != null) return refusal('a k-fold split needs fold: beside part:', 'fold');
    return [...names];
  }
  const name = `fold-${fold}`;
  if (!names.includes(name)) return refusal(`folds run from 1 to ${names.length}, got ${fold}`, 'fold');
  if (part === 'VALIDATION') return refusal('a k-fold split has TRAIN and TEST per fold, no VALIDATION', 'part');
  return part === 'TRAIN' ? names.filter((n) => n !== name) : [name];
}

/** The groups an image never leaves: its patient, its lesion, its near-duplicate cluster. */
export const groupsOf = (m: Pick<SplitMember, 'patient' | 'lesion' | 'cluster'>) => [
  `PATIENT:${m.patient}`,
  `LESION:${m.lesion}`,
  ...(m.cluster ? [`NEAR_DUPLICATE_CLUSTER:${m.cluster}`] : []),
];

/** The stratum a split balances an image in: its label, and the stratifiers asked for. */
export const stratumOf = (m: SplitMember, by: ReadonlySet<Stratifier>) =>
  [
    m.label,
    by.has('VERIFICATION_STAGE') ? m.stage : '',
    by.has('FITZPATRICK_TYPE') ? (m.fitzpatrick ?? '-') : '',
    by.has('SEX') ? (m.sex ?? '-') : '',
    // appended only when asked: the strata (and manifests) of splits without it stay as they were
    ...(by.has('COLLECTION') ? [m.collection ?? '-'] : []),
  ].join('|');

/**
 * The overlap report of an assignment over members (keyed by sha256): which patient, lesion or
 * cluster crosses parts, and which near-duplicate link between two clusters does.
 */
export function certify(
  members: readonly Pick<SplitMember, 'id' | 'sha256' | 'patient' | 'lesion' | 'cluster'>[],
  assignment: ReadonlyMap<string, string>,
  near: NearDuplicates,
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
  const leaks: Leak[] = report.leaks.map(({ group, parts }) => {
    const at = group.indexOf(':');
    return {
      kind: group.slice(0, at) as LeakKind,
      group: group.slice(at + 1),
      parts,
      images: [...(shasOf.get(group) ?? [])].sort(),
    };
  });
  const assigned = members.filter((m) => assignment.has(m.id));
  const inSplit = new Set(assigned.map((m) => m.id));
  const links = near.links.filter((l) => inSplit.has(l.a) && inSplit.has(l.b));
  for (const l of crossingLinks(links, assignment, near.clusterOf))
    leaks.push({ kind: 'NEAR_DUPLICATE_PAIR', group: l.a, parts: l.parts, images: [l.a, l.b] });
  return {
    clean: leaks.length === 0,
    patients: groups('PATIENT'),
    lesions: groups('LESION'),
    nearDuplicateClusters: groups('NEAR_DUPLICATE_CLUSTER', 2),
    nearDuplicatePairs: new Set(links.map((l) => (l.a < l.b ? `${l.a} ${l.b}` : `${l.b} ${l.a}`))).size,
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
