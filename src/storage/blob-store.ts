import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type BlobKind = 'originals' | 'thumbnails';

export interface StoredBlob {
  key: string;
  sha256: string;
  size: number;
  /** False when identical bytes were already stored: such a blob must not be removed on rollback. */
  created: boolean;
}

const KEY_PATTERN = /^(originals|thumbnails)\/[0-9a-f]{2}\/[0-9a-f]{64}\.[a-z0-9]{2,5}$/;

/**
 * A content-addressed blob store in a local folder: the key is derived from the SHA-256 of the
 * bytes, so identical content is stored once and a key can never point at other bytes.
 * Writes go to a temporary file first and are renamed into place, so a reader never sees half a file.
 */
export class BlobStore {
  constructor(readonly root: string) {}

  static keyFor(kind: BlobKind, sha256: string, ext: string): string {
    return `${kind}/${sha256.slice(0, 2)}/${sha256}.${ext}`;
  }

  static isKey(key: string): boolean {
    return KEY_PATTERN.test(key);
  }

  path(key: string): string {
    if (!BlobStore.isKey(key)) throw new Error(`not a blob key: ${key}`);
    return join(this.root, key);
  }

  async put(kind: BlobKind, bytes: Uint8Array, ext: string): Promise<StoredBlob> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = BlobStore.keyFor(kind, sha256, ext);
    const path = this.path(key);
    // an existing blob is refreshed: the sweep (storage/sweep.ts) leaves recently touched files alone
    if (await this.touch(path)) return { key, sha256, size: bytes.byteLength, created: false };
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    return { key, sha256, size: bytes.byteLength, created: true };
  }

  /** Sets a stored blob's modification time to now; false if it is not there. */
  private async touch(path: string): Promise<boolean> {
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

  read(key: string): ReadStream {
    return createReadStream(this.path(key));
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
