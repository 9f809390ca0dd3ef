// The blob store: where image bytes (originals, thumbnails) and finished export files live, behind
// one interface with two backends: a local folder (this file) and an S3-compatible object store
// (s3-store.ts). Blobs are content-addressed: the key is derived from the SHA-256 of the bytes, so
// identical content is stored once and a key can never point at other bytes.
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';

export type BlobKind = 'originals' | 'thumbnails';
export const BLOB_KINDS: readonly BlobKind[] = ['originals', 'thumbnails'];

export interface StoredBlob {
  key: string;
  sha256: string;
  size: number;
  /** False when identical bytes were already stored: such a blob must not be removed on rollback. */
  created: boolean;
}

/** A blob or an export file opened for reading: its size, and its bytes streamed. */
export interface OpenedBlob {
  size: number;
  stream: Readable;
}

/** What the sweep sees of a stored file: its key (or temporary name), size and last write. */
export interface ListedBlob {
  /** The blob key, or for a temporary file of an interrupted write, its name relative to the store. */
  key: string;
  size: number;
  modifiedMs: number;
  /** A temporary file an interrupted write left (the local folder only: an object store has none). */
  temporary: boolean;
}

/** The blob (or export file) is not stored, while the store itself answers. */
export class BlobMissingError extends Error {
  override name = 'BlobMissingError';
  readonly code = 'BLOB_MISSING';
  /** The store's own word for it (ENOENT, NoSuchKey), for the log. */
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** A finished export's file name in the store: `<uuid>.<extension>`. */
const EXPORT_NAME = /^[0-9a-f-]{36}\.[a-z0-9]{1,10}$/;

export function checkExportName(name: string): string {
  if (!EXPORT_NAME.test(name)) throw new Error(`not an export file name: ${name}`);
  return name;
}

const KEY_PATTERN = /^(originals|thumbnails)\/[0-9a-f]{2}\/[0-9a-f]{64}\.[a-z0-9]{2,5}$/;

/** The key of content with this SHA-256: `originals/ab/ab12….jpg`. */
export const blobKey = (kind: BlobKind, sha256: string, ext: string): string =>
  `${kind}/${sha256.slice(0, 2)}/${sha256}.${ext}`;

export const isBlobKey = (key: string): boolean => KEY_PATTERN.test(key);

export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Where blobs and finished export files are kept. Every reader and writer of blobs (the pipeline,
 * the image and export routes, the exporters that embed bytes, the sweep, /health) goes through it.
 */
export interface BlobStore {
  readonly backend: 'local' | 's3';
  /** Stores bytes under their content's key; bytes already stored are not written again (`created: false`). */
  put(kind: BlobKind, bytes: Uint8Array, ext: string): Promise<StoredBlob>;
  has(key: string): Promise<boolean>;
  /** Opens a blob: BlobMissingError when it is not stored; any other error means the store is unavailable. */
  open(key: string): Promise<OpenedBlob>;
  /** A blob's bytes as a stream (an exporter reads many in turn); a failure to open is the stream's error. */
  read(key: string): Readable;
  remove(key: string): Promise<void>;
  /** The stored blobs of a kind (and, in a local folder, temporary files beside them), for the sweep. */
  list(kind: BlobKind): AsyncIterable<ListedBlob>;
  /**
   * The sweep's removal of an unreferenced blob or temporary file listed older than `cutoffMs`:
   * removed unless it was written (stored again by a put) since; true when removed.
   */
  removeIfUntouched(item: ListedBlob, cutoffMs: number): Promise<boolean>;
  /** Resolves when the store answers (readable and writable), rejects with the cause: /health and /readyz. */
  check(): Promise<void>;
  /** Hands a finished export's file (written locally) to the store, under `name` (`<id>.<ext>`). */
  saveExport(name: string, localPath: string): Promise<void>;
  /** Opens a finished export's file: BlobMissingError when it is not stored. */
  openExport(name: string): Promise<OpenedBlob>;
  removeExport(name: string): Promise<void>;
}

/** A stream of a blob being opened: its bytes once open, or the error of opening it. */
export function streamOf(opening: Promise<OpenedBlob>): Readable {
  const out = new PassThrough();
  opening.then(
    ({ stream }) => {
      stream.on('error', (e) => out.destroy(e));
      stream.pipe(out);
    },
    (e: Error) => out.destroy(e),
  );
  return out;
}

const errnoOf = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * The blob store in a local folder (DATA_DIR/blobs; finished exports in DATA_DIR/exports). Writes go
 * to a temporary file first and are renamed into place, so a reader never sees half a file. For
 * several instances the folder must be shared (a network file system); else use the S3 backend.
 */
export class LocalBlobStore implements BlobStore {
  readonly backend = 'local' as const;
  readonly exportsDir: string;

  constructor(
    readonly root: string,
    exportsDir?: string,
  ) {
    this.exportsDir = exportsDir ?? join(dirname(root), 'exports');
  }

  static keyFor = blobKey;
  static isKey = isBlobKey;

  path(key: string): string {
    if (!isBlobKey(key)) throw new Error(`not a blob key: ${key}`);
    return join(this.root, key);
  }

  async put(kind: BlobKind, bytes: Uint8Array, ext: string): Promise<StoredBlob> {
    const sha256 = sha256Of(bytes);
    const key = blobKey(kind, sha256, ext);
    const path = this.path(key);
    // an existing blob is refreshed: the sweep (storage/sweep.ts) leaves recently touched files alone
    if (await this.#touch(path)) return { key, sha256, size: bytes.byteLength, created: false };
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    return { key, sha256, size: bytes.byteLength, created: true };
  }

  /** Sets a stored blob's modification time to now; false if it is not there. */
  async #touch(path: string): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(path, now, now);
      return (await stat(path)).isFile();
    } catch {
      return false;
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch {
      return false;
    }
  }

  /** A missing file in a readable folder is BlobMissingError; an unreadable folder is the store's fault. */
  async #openFile(path: string, folder: string): Promise<OpenedBlob> {
    let file: Awaited<ReturnType<typeof open>> | undefined;
    try {
      file = await open(path, 'r');
      const size = (await file.stat()).size;
      return { size, stream: file.createReadStream() };
    } catch (e) {
      await file?.close();
      if (errnoOf(e) === 'ENOENT' && (await stat(folder).catch(() => null))?.isDirectory()) {
        throw new BlobMissingError(`not stored: ${path.slice(folder.length + 1)}`, 'ENOENT');
      }
      throw e;
    }
  }

  open(key: string): Promise<OpenedBlob> {
    return this.#openFile(this.path(key), this.root);
  }

  read(key: string): Readable {
    return createReadStream(this.path(key));
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async *list(kind: BlobKind): AsyncIterable<ListedBlob> {
    let shards: string[];
    try {
      shards = await readdir(join(this.root, kind));
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return;
      throw e;
    }
    for (const shard of shards) {
      let names: string[];
      try {
        names = await readdir(join(this.root, kind, shard));
      } catch {
        continue; // not a folder
      }
      for (const name of names) {
        const key = `${kind}/${shard}/${name}`;
        try {
          const s = await stat(join(this.root, key));
          if (s.isFile()) yield { key, size: s.size, modifiedMs: s.mtimeMs, temporary: key.endsWith('.tmp') };
        } catch {
          // removed meanwhile
        }
      }
    }
  }

  /**
   * A temporary file goes at once. A blob is first renamed aside (so a concurrent put no longer
   * finds it and writes its own copy), then its time is read again; a blob refreshed by a put that
   * found it just before the rename goes back into place.
   */
  async removeIfUntouched(item: ListedBlob, cutoffMs: number): Promise<boolean> {
    const path = join(this.root, item.key);
    if (item.temporary) {
      await rm(path, { force: true });
      return true;
    }
    const aside = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await rename(path, aside);
    } catch {
      return false; // gone already
    }
    const s = await stat(aside);
    if (s.mtimeMs >= cutoffMs) {
      // the same content stored again meanwhile is the same bytes: either copy will do
      await rename(aside, path).catch(() => rm(aside, { force: true }));
      return false;
    }
    await rm(aside, { force: true });
    return true;
  }

  /**
   * The folder is readable and writable: a small probe file is written and removed (that also finds a
   * read-only or full file system). ENOENT when the folder does not exist yet.
   */
  async check(): Promise<void> {
    const folder = await stat(this.root);
    if (!folder.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    await access(this.root, constants.R_OK | constants.W_OK | constants.X_OK);
    // one name for every check: a probe left by a killed process is the next check's to remove
    const probe = join(this.root, '.health-probe');
    try {
      await writeFile(probe, 'ok');
    } finally {
      await rm(probe, { force: true });
    }
  }

  async saveExport(name: string, localPath: string): Promise<void> {
    const target = join(this.exportsDir, checkExportName(name));
    if (localPath === target) return;
    await mkdir(this.exportsDir, { recursive: true });
    await rename(localPath, target);
  }

  openExport(name: string): Promise<OpenedBlob> {
    return this.#openFile(join(this.exportsDir, checkExportName(name)), this.exportsDir);
  }

  async removeExport(name: string): Promise<void> {
    await rm(join(this.exportsDir, checkExportName(name)), { force: true });
  }
}
