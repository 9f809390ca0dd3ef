// The blob sweep: removes what an interrupted write left in the blob store. A process killed
// during an upload or import leaves temporary files (`*.tmp` in a local folder, written before the
// rename into place) and blobs that no row references (stored before the row's transaction, which
// never committed). Only files older than a grace period go (a local file's modification time, an
// object's LastModified): an upload in flight on another instance sharing the store has fresh
// files, and a put refreshes the time of a blob it finds already stored.
import type { Db } from '../db/client.ts';
import { BLOB_KINDS, type BlobStore, isBlobKey, type ListedBlob, LocalBlobStore } from './blob-store.ts';
import { REFRESH_AFTER_MS } from './s3-store.ts';

/** The default grace period: files younger than this are never swept. */
export const DEFAULT_GRACE_MS = 60 * 60_000;

/**
 * The shortest grace period a store allows: in an object store a put refreshes an old blob only once
 * it is REFRESH_AFTER_MS old, so a shorter grace could remove a blob an upload in flight relies on.
 */
export const minGraceMs = (store: BlobStore): number => (store.backend === 's3' ? REFRESH_AFTER_MS : 0);

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `1h`, `2d`, `500ms` or `0` as milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  if (text.trim() === '0') return 0;
  const m = /^\s*(\d{1,9})\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  return Number(m[1]) * (UNITS[m[2]] ?? Number.NaN);
}

export interface SweepOptions {
  /** Files modified within this many milliseconds are kept. */
  graceMs?: number;
  /** Report what would be removed, remove nothing. */
  dryRun?: boolean;
}

export interface SweepTally {
  files: number;
  bytes: number;
}

export interface SweepReport {
  /** Temporary files of interrupted writes, older than the grace period. */
  tmp: SweepTally;
  /** Blobs no image row references, older than the grace period. */
  orphans: SweepTally;
  /** Unreferenced blobs or temporary files kept because they are younger than the grace period. */
  young: number;
  /** Blob keys and temp file paths (relative to the store) removed, or that would be. */
  removed: string[];
  dryRun: boolean;
}

/**
 * Sweeps a blob store (a local folder given by its path is the local backend): temporary files and
 * blobs that no image row references (as original or thumbnail), both only when older than the grace
 * period.
 */
export async function sweepBlobs(db: Db, store: BlobStore | string, opts: SweepOptions = {}): Promise<SweepReport> {
  const blobs = typeof store === 'string' ? new LocalBlobStore(store) : store;
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  if (graceMs < minGraceMs(blobs)) {
    throw new RangeError(
      `the grace period must be at least ${minGraceMs(blobs) / 60_000} minutes on the ${blobs.backend} store`,
    );
  }
  const dryRun = opts.dryRun ?? false;
  const report: SweepReport = {
    tmp: { files: 0, bytes: 0 },
    orphans: { files: 0, bytes: 0 },
    young: 0,
    removed: [],
    dryRun,
  };
  // list first, then read the references: a row committed after this read refers to a file that
  // is either new (younger than the cutoff) or was refreshed by a put
  const files: ListedBlob[] = [];
  for (const kind of BLOB_KINDS) for await (const f of blobs.list(kind)) files.push(f);
  const cutoff = Date.now() - graceMs;
  const referenced = new Set<string>();
  const rows = await db.image.findMany({ select: { storageKey: true, thumbnailKey: true } });
  for (const r of rows) {
    referenced.add(r.storageKey);
    referenced.add(r.thumbnailKey);
  }
  // saliency maps (prediction.saliency_key) and reviewers' structure masks (review_region.mask_key)
  // are blobs too: without these a map older than the grace period would be swept as an orphan
  const maps = await db.prediction.findMany({ where: { saliencyKey: { not: null } }, select: { saliencyKey: true } });
  for (const m of maps) if (m.saliencyKey) referenced.add(m.saliencyKey);
  const masks = await db.reviewRegion.findMany({ where: { maskKey: { not: null } }, select: { maskKey: true } });
  for (const m of masks) if (m.maskKey) referenced.add(m.maskKey);
  for (const f of files) {
    if (!f.temporary && (!isBlobKey(f.key) || referenced.has(f.key))) continue;
    if (f.modifiedMs >= cutoff) {
      report.young++;
      continue;
    }
    if (!dryRun && !(await blobs.removeIfUntouched(f, cutoff))) continue;
    const tally = f.temporary ? report.tmp : report.orphans;
    tally.files++;
    tally.bytes += f.size;
    report.removed.push(f.key);
  }
  return report;
}

const bytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

/** One line: what the sweep removed (or would remove), in counts and bytes. */
export function formatSweep(r: SweepReport): string {
  const verb = r.dryRun ? 'would remove' : 'removed';
  return `blob sweep ${verb} ${r.tmp.files} temporary files (${bytes(r.tmp.bytes)}) and ${r.orphans.files} unreferenced blobs (${bytes(r.orphans.bytes)}); kept ${r.young} younger than the grace period`;
}
