// The blob store in an S3-compatible object store (AWS S3, MinIO, …) through the AWS SDK v3, for
// several stateless instances: every instance reads and writes the same bucket. Keys are the local
// folder's, under an optional prefix: `<prefix>originals/ab/ab12….jpg`, `<prefix>exports/<id>.<ext>`.
// Credentials come from the SDK's standard chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a
// profile, a web identity, the instance's role), never from dermaset's own configuration.
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  type BlobKind,
  BlobMissingError,
  type BlobStore,
  blobKey,
  checkExportName,
  isBlobKey,
  type ListedBlob,
  type OpenedBlob,
  type StoredBlob,
  sha256Of,
  streamOf,
} from './blob-store.ts';

export interface S3StorageConfig {
  backend: 's3';
  bucket: string;
  /** Prepended to every key, e.g. `dermaset/` (empty: the bucket's root). */
  prefix: string;
  /** An S3-compatible endpoint (MinIO: http://minio:9000); unset: AWS S3 of the region. */
  endpoint: string | undefined;
  region: string;
  /** Path-style URLs (http://host/bucket/key), as MinIO and most S3-compatible servers need. */
  forcePathStyle: boolean;
  /** Only for tests and tools: credentials given in code; else the SDK's standard chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * A blob found stored whose last write is older than this is written again so that its LastModified
 * is fresh (younger ones make a put a no-op): the sweep removes only unreferenced
 * objects older than its grace period, which must therefore be longer than this (the sweep refuses
 * a shorter one on S3, see storage/sweep.ts).
 */
export const REFRESH_AFTER_MS = 10 * 60_000;

const MEDIA: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/** Whether an SDK error says the key (or bucket) is not there. */
function notFound(e: unknown): boolean {
  const err = e as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  return (
    err?.name === 'NoSuchKey' ||
    err?.name === 'NotFound' ||
    err?.Code === 'NoSuchKey' ||
    err?.$metadata?.httpStatusCode === 404
  );
}

export class S3BlobStore implements BlobStore {
  readonly backend = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;

  constructor(config: S3StorageConfig) {
    this.bucket = config.bucket;
    this.prefix = config.prefix;
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      // checksums only where the service requires them: S3-compatible servers differ in support
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  #key(key: string): string {
    if (!isBlobKey(key)) throw new Error(`not a blob key: ${key}`);
    return `${this.prefix}${key}`;
  }

  #exportKey(name: string): string {
    return `${this.prefix}exports/${checkExportName(name)}`;
  }

  async #head(objectKey: string): Promise<{ size: number; modifiedMs: number } | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return { size: head.ContentLength ?? 0, modifiedMs: head.LastModified?.getTime() ?? 0 };
    } catch (e) {
      if (notFound(e)) return null;
      throw e;
    }
  }

  async put(kind: BlobKind, bytes: Uint8Array, ext: string): Promise<StoredBlob> {
    const sha256 = sha256Of(bytes);
    const key = blobKey(kind, sha256, ext);
    const objectKey = this.#key(key);
    const found = await this.#head(objectKey);
    if (found && found.size === bytes.byteLength && Date.now() - found.modifiedMs < REFRESH_AFTER_MS) {
      return { key, sha256, size: bytes.byteLength, created: false };
    }
    // absent, or old enough that the sweep may be about to take it: written (again), so that its
    // LastModified is fresh until the row that is about to refer to it commits. The same bytes under
    // the same key: a reader never sees other content. (A server-side copy onto itself would send no
    // bytes, but not every S3-compatible server moves LastModified for it.)
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: objectKey,
        Body: bytes,
        ContentLength: bytes.byteLength,
        ContentType: MEDIA[ext] ?? 'application/octet-stream',
        Metadata: { sha256 },
      }),
    );
    return { key, sha256, size: bytes.byteLength, created: found === null };
  }

  async has(key: string): Promise<boolean> {
    return (await this.#head(this.#key(key))) !== null;
  }

  async #get(objectKey: string, what: string): Promise<OpenedBlob> {
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      // in Node the body is a Readable (the SDK's IncomingMessage mixin)
      return { size: got.ContentLength ?? 0, stream: got.Body as Readable };
    } catch (e) {
      if (notFound(e) && (e as { name?: unknown }).name !== 'NoSuchBucket')
        throw new BlobMissingError(`not stored: ${what}`, 'NoSuchKey');
      throw e;
    }
  }

  open(key: string): Promise<OpenedBlob> {
    return this.#get(this.#key(key), key);
  }

  read(key: string): Readable {
    return streamOf(this.open(key));
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
  }

  async *list(kind: BlobKind): AsyncIterable<ListedBlob> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.prefix}${kind}/`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        yield {
          key: o.Key.slice(this.prefix.length),
          size: o.Size ?? 0,
          modifiedMs: o.LastModified?.getTime() ?? 0,
          temporary: false,
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Removes an object unless its LastModified moved past the cutoff since it was listed (a put
   * refreshed it). An object store has no rename: between this check and the delete is one request,
   * and a put of the same bytes exactly then would find the object and not write it; the grace
   * period (an object unreferenced for an hour) and REFRESH_AFTER_MS make that window the only one.
   */
  async removeIfUntouched(item: ListedBlob, cutoffMs: number): Promise<boolean> {
    const objectKey = this.#key(item.key);
    const now = await this.#head(objectKey);
    if (!now || now.modifiedMs >= cutoffMs) return false;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    return true;
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Uploads a finished export (multipart when large: exports with images run to many GB), then drops the local file. */
  async saveExport(name: string, localPath: string): Promise<void> {
    const { size } = await stat(localPath);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.#exportKey(name),
        Body: createReadStream(localPath),
        ContentLength: size,
      },
      partSize: 16 * 1024 * 1024,
      queueSize: 2,
    });
    try {
      await upload.done();
    } finally {
      // handed over, or failed (the export is then FAILED): no instance keeps a copy of its own
      await rm(localPath, { force: true });
    }
  }

  openExport(name: string): Promise<OpenedBlob> {
    return this.#get(this.#exportKey(name), `exports/${name}`);
  }

  async removeExport(name: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#exportKey(name) }));
  }
}
