// The blob sweep: removes what an interrupted write left in the blob folder. A process killed
// during an upload or import leaves temporary files (`*.tmp`, written before the rename into place)
// and blobs that no row references (stored before the row's transaction, which never committed).
// Only files older than a grace period go: an upload in flight on another instance sharing the
// folder has fresh files, and BlobStore.put refreshes the time of a blob it finds already stored.
import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../db/client.ts';
import { BlobStore } from './blob-store.ts';

/** The default grace period: files younger than this are never swept. */
export const DEFAULT_GRACE_MS = 60 * 60_000;

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
  /** Blob keys and temp file paths (relative to the blob folder) removed, or that would be. */
  removed: string[];
  dryRun: boolean;
}

interface Found {
  rel: string;
  size: number;
  mtimeMs: number;
}

async function list(root: string, kind: string): Promise<Found[]> {
  const found: Found[] = [];
  let shards: string[];
  try {
    shards = await readdir(join(root, kind));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return found;
    throw e;
  }
  for (const shard of shards) {
    let names: string[];
    try {
      names = await readdir(join(root, kind, shard));
    } catch {
      continue; // not a folder
    }
    for (const name of names) {
      const rel = `${kind}/${shard}/${name}`;
      try {
        const s = await stat(join(root, rel));
        if (s.isFile()) found.push({ rel, size: s.size, mtimeMs: s.mtimeMs });
      } catch {
        // removed meanwhile
      }
    }
  }
  return found;
}

/**
 * Removes an unreferenced blob unless it was touched since it was listed: it is first renamed aside
 * (so a concurrent BlobStore.put no longer finds it and writes its own copy), then its time is read
 * again; a blob refreshed by a put that found it just before the rename goes back into place.
 */
async function removeUnlessTouched(path: string, cutoff: number): Promise<boolean> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await rename(path, aside);
  } catch {
    return false; // gone already
  }
  const s = await stat(aside);
  if (s.mtimeMs >= cutoff) {
    // the same content stored again meanwhile is the same bytes: either copy will do
    await rename(aside, path).catch(() => rm(aside, { force: true }));
    return false;
  }
  await rm(aside, { force: true });
  return true;
}

/**
 * Sweeps the blob folder (DATA_DIR/blobs): temporary files and blobs that no image row references
 * (as original or thumbnail), both only when older than the grace period.
 */
export async function sweepBlobs(db: Db, root: string, opts: SweepOptions = {}): Promise<SweepReport> {
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const dryRun = opts.dryRun ?? false;
  const report: SweepReport = {
    tmp: { files: 0, bytes: 0 },
    orphans: { files: 0, bytes: 0 },
    young: 0,
    removed: [],
    dryRun,
  };
  // list first, then read the references: a row committed after this read refers to a file that
  // is either new (younger than the cutoff) or was refreshed by BlobStore.put
  const files = [...(await list(root, 'originals')), ...(await list(root, 'thumbnails'))];
  const cutoff = Date.now() - graceMs;
  const referenced = new Set<string>();
  const rows = await db.image.findMany({ select: { storageKey: true, thumbnailKey: true } });
  for (const r of rows) {
    referenced.add(r.storageKey);
    referenced.add(r.thumbnailKey);
  }
  for (const f of files) {
    const isTmp = f.rel.endsWith('.tmp');
    if (!isTmp && (!BlobStore.isKey(f.rel) || referenced.has(f.rel))) continue;
    if (f.mtimeMs >= cutoff) {
      report.young++;
      continue;
    }
    const path = join(root, f.rel);
    if (!dryRun) {
      if (isTmp) await rm(path, { force: true });
      else if (!(await removeUnlessTouched(path, cutoff))) continue;
    }
    const tally = isTmp ? report.tmp : report.orphans;
    tally.files++;
    tally.bytes += f.size;
    report.removed.push(f.rel);
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
