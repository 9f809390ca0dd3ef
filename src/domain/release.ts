// Releases: a named, versioned, frozen membership of the dataset with each image's labels as they were
// when it was made. Pure rules: the bounds of a name and version, the canonical manifest and its
// content hash, and the changelog between two releases. The service (resolvers/releases.ts) reads
// and writes; nothing here does I/O.
import { createHash } from 'node:crypto';
import type { ClinicalStatus, DiagnosisClass, VerificationStage } from './enums.ts';
import { type Refusal, refusal } from './refusal.ts';
import { stageRank } from './vocabularies.ts';

/** What a release freezes of an image: its labels and verification state then (ReleaseImage's columns). */
export interface FrozenLabels {
  diagnosisClass: DiagnosisClass | null;
  diagnosisTerm: string;
  clinicalStatus: ClinicalStatus;
  verificationStage: VerificationStage;
  histopathologyResult: string | null;
  /** The image's dermoscopic structure codes then, sorted and joined by ";" ("" for none). */
  structures: string;
}

/** One image of a release: its SHA-256 (the key across installations) and its frozen labels. */
export interface ReleaseMember extends FrozenLabels {
  sha256: string;
}

/**
 * Bounds of a release's name and version: 1–200 and 1–64 characters after trimming, no control
 * characters. A version is free text ("1.0.0", "2026-11", "v2-rc1"); releases of one name are ordered
 * by when they were made, not by parsing the version.
 */
export const RELEASE_BOUNDS = { name: 200, version: 64 } as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The trimmed name and version, or the Refusal of the first that is empty, too long or holds a control character. */
export function releaseLabel(name: string, version: string): { name: string; version: string } | Refusal {
  const out = { name: name.trim(), version: version.trim() };
  for (const key of ['name', 'version'] as const) {
    const v = out[key];
    const max = RELEASE_BOUNDS[key];
    if (v.length === 0 || v.length > max || CONTROL.test(v))
      return refusal(`a release's ${key} is 1–${max} characters without control characters`, key);
  }
  return out;
}

/** Structure codes as a release stores them: sorted, distinct, joined by ";". */
export const structuresKey = (codes: Iterable<string>): string => [...new Set(codes)].sort().join(';');

const bySha = (a: { sha256: string }, b: { sha256: string }) =>
  a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0;

/**
 * One line of the canonical manifest: the JSON array [sha256, class code or "", term path, clinical
 * status, verification stage, structures ("CODE;CODE", sorted), histopathology result or ""]
 * followed by "\n". JSON strings make a line unambiguous whatever a histopathology text holds.
 */
export const manifestLine = (m: ReleaseMember): string =>
  `${JSON.stringify([
    m.sha256,
    m.diagnosisClass ?? '',
    m.diagnosisTerm,
    m.clinicalStatus,
    m.verificationStage,
    m.structures,
    m.histopathologyResult ?? '',
  ])}\n`;

/** The canonical manifest: one manifestLine per image, sorted by image SHA-256. */
export const releaseManifest = (members: Iterable<ReleaseMember>): string =>
  [...members].sort(bySha).map(manifestLine).join('');

/** The content hash of a release: SHA-256 (hex) of its canonical manifest (UTF-8). */
export function releaseHash(members: Iterable<ReleaseMember>): string {
  const h = createHash('sha256');
  for (const m of [...members].sort(bySha)) h.update(manifestLine(m));
  return h.digest('hex');
}

/** A class and term, as a relabelling shows them (class null: outside the 9). */
export interface LabelOf {
  diagnosisClass: DiagnosisClass | null;
  diagnosisTerm: string;
}

/** What changed between a release and the previous release of its name; every list sorted by sha256. */
export interface Changelog {
  /** The previous release (null for the first of its name). */
  previous: { id: string; version: string; contentHash: string } | null;
  /** Images in this release and not in the previous one. */
  added: string[];
  /** Images in the previous release and not in this one. */
  removed: string[];
  /** Images in both whose class or term changed. */
  relabelled: { sha256: string; from: LabelOf; to: LabelOf }[];
  /** Images in both whose verification stage went further (INITIAL → CONSENSUS → HISTOLOGY). */
  stagesAdvanced: { sha256: string; from: VerificationStage; to: VerificationStage }[];
  /** Images in both whose stage went back (no workflow service does this; listed so nothing is hidden). */
  stagesLowered: { sha256: string; from: VerificationStage; to: VerificationStage }[];
}

/** The changelog of `next` against `previous` (null: the first release of a name, everything added). */
export function releaseChangelog(
  previous: { id: string; version: string; contentHash: string; members: readonly ReleaseMember[] } | null,
  next: readonly ReleaseMember[],
): Changelog {
  const before = new Map((previous?.members ?? []).map((m) => [m.sha256, m]));
  const now = new Map(next.map((m) => [m.sha256, m]));
  const log: Changelog = {
    previous: previous && { id: previous.id, version: previous.version, contentHash: previous.contentHash },
    added: [],
    removed: [],
    relabelled: [],
    stagesAdvanced: [],
    stagesLowered: [],
  };
  for (const m of [...next].sort(bySha)) {
    const was = before.get(m.sha256);
    if (!was) {
      log.added.push(m.sha256);
      continue;
    }
    if (was.diagnosisClass !== m.diagnosisClass || was.diagnosisTerm !== m.diagnosisTerm)
      log.relabelled.push({
        sha256: m.sha256,
        from: { diagnosisClass: was.diagnosisClass, diagnosisTerm: was.diagnosisTerm },
        to: { diagnosisClass: m.diagnosisClass, diagnosisTerm: m.diagnosisTerm },
      });
    const step = stageRank(m.verificationStage) - stageRank(was.verificationStage);
    if (step !== 0)
      (step > 0 ? log.stagesAdvanced : log.stagesLowered).push({
        sha256: m.sha256,
        from: was.verificationStage,
        to: m.verificationStage,
      });
  }
  for (const m of [...before.values()].sort(bySha)) if (!now.has(m.sha256)) log.removed.push(m.sha256);
  return log;
}
