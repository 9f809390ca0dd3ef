// The S3 backend of the blob store against a real S3-protocol server (s3rver, on 127.0.0.1 at a
// random port, over a temporary folder): upload, dedup and its refresh of an old object, fetch
// (streamed), the sweep on LastModified, and the API with the s3 backend through yoga.fetch: an
// upload stored in the bucket and served back, an export's file written into the bucket and
// downloaded through another instance (another data folder) on the same database and bucket.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { useDatabase } from '../src/db/current.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { createToken } from '../src/resolvers/tokens.ts';
import { createDermasetYoga } from '../src/server/yoga.ts';
import { BlobMissingError, blobKey } from '../src/storage/blob-store.ts';
import { openBlobStore, type S3StorageConfig } from '../src/storage/open.ts';
import { REFRESH_AFTER_MS, S3BlobStore } from '../src/storage/s3-store.ts';
import { sweepBlobs } from '../src/storage/sweep.ts';
import { createTestEnv, TEST_KEY, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

const HOUR = 3_600_000;
const BUCKET = 'dermaset-test';
let server: S3rver;
let s3Dir: string;
let storage: S3StorageConfig;
let env: TestEnv;
let store: S3BlobStore;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** The file s3rver keeps an object's bytes in: its modification time is the object's LastModified. */
function objectFile(key: string): string {
  const parts = key.split('/');
  const name = parts.pop() ?? '';
  return join(s3Dir, BUCKET, ...parts, `${name}._S3rver_object`);
}

/** Sets an object's LastModified to `ageMs` ago. */
function age(key: string, ageMs: number) {
  const t = new Date(Date.now() - ageMs);
  utimesSync(objectFile(key), t, t);
}

async function objectKeys(): Promise<string[]> {
  const keys: string[] = [];
  for (const kind of ['originals', 'thumbnails'] as const) for await (const o of store.list(kind)) keys.push(o.key);
  return keys.sort();
}

beforeAll(async () => {
  s3Dir = mkdtempSync(join(tmpdir(), 'dermaset-s3rver-'));
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: s3Dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const address = await server.run();
  storage = {
    backend: 's3',
    bucket: BUCKET,
    prefix: '',
    endpoint: `http://127.0.0.1:${address.port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  };
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  store = openBlobStore(env.dataDir, storage) as S3BlobStore;
});

afterAll(async () => {
  await env?.dispose();
  await server?.close();
  rmSync(s3Dir, { recursive: true, force: true });
});

describe('the S3 blob store', () => {
  it('stores bytes under their content key and streams them back; storing them again is a no-op', async () => {
    const bytes = randomBytes(5000);
    const first = await store.put('originals', bytes, 'jpg');
    expect(first).toEqual({
      key: blobKey('originals', sha(bytes), 'jpg'),
      sha256: sha(bytes),
      size: 5000,
      created: true,
    });
    expect(await store.has(first.key)).toBe(true);
    const opened = await store.open(first.key);
    expect(opened.size).toBe(5000);
    expect((await readAll(opened.stream)).equals(bytes)).toBe(true);
    expect((await readAll(store.read(first.key))).equals(bytes)).toBe(true);

    const modified = () => readdirSync(join(s3Dir, BUCKET, 'originals', first.key.split('/')[1] ?? '')).length;
    const files = modified();
    const again = await store.put('originals', bytes, 'jpg');
    expect(again).toEqual({ ...first, created: false });
    expect(modified()).toBe(files);
    expect((await objectKeys()).filter((k) => k === first.key)).toHaveLength(1);
  });

  it('writes an old object it finds again, so that its LastModified is fresh and the sweep spares it', async () => {
    const bytes = randomBytes(3000);
    const { key } = await store.put('thumbnails', bytes, 'webp');
    age(key, 2 * HOUR);
    const listed = async () => {
      for await (const o of store.list('thumbnails')) if (o.key === key) return o;
      throw new Error('not listed');
    };
    expect(Date.now() - (await listed()).modifiedMs).toBeGreaterThan(REFRESH_AFTER_MS);
    expect(await store.put('thumbnails', bytes, 'webp')).toMatchObject({ key, created: false });
    expect(Date.now() - (await listed()).modifiedMs).toBeLessThan(REFRESH_AFTER_MS);
    expect((await readAll(store.read(key))).equals(bytes)).toBe(true);
  });

  it('a missing key is BlobMissingError; a bucket that does not answer is another error', async () => {
    const missing = blobKey('originals', sha(randomBytes(8)), 'jpg');
    expect(await store.has(missing)).toBe(false);
    await expect(store.open(missing)).rejects.toBeInstanceOf(BlobMissingError);
    const away = new S3BlobStore({ ...storage, bucket: 'no-such-bucket' });
    await expect(away.check()).rejects.toThrow();
    await expect(away.open(missing)).rejects.not.toBeInstanceOf(BlobMissingError);
    await expect(store.check()).resolves.toBeUndefined();
  });

  it('the sweep removes unreferenced objects older than the grace period, and keeps referenced and young ones', async () => {
    // a referenced image, stored through the pipeline into the bucket
    const result = await createPipeline({ ...env.config, storage }, env.db).ingest({
      bytes: await lesion(7, { width: 96, height: 72, exif: false }),
      record: record(),
      source: 'test',
    });
    if (result.outcome !== 'ACCEPTED') throw new Error(JSON.stringify(result));
    const image = await env.db.image.findUniqueOrThrow({ where: { id: result.imageId } });
    expect(await store.has(image.storageKey)).toBe(true);
    expect(existsSync(join(env.dataDir, 'blobs'))).toBe(false);
    for (const key of [image.storageKey, image.thumbnailKey]) age(key, 3 * HOUR);
    // everything the earlier tests stored is unreferenced: age it all past the grace period
    const before = await objectKeys();
    for (const key of before) if (key !== image.storageKey && key !== image.thumbnailKey) age(key, 2 * HOUR);
    const young = (await store.put('originals', randomBytes(700), 'png')).key;

    const dry = await sweepBlobs(env.db, store, { dryRun: true });
    const orphans = before.filter((k) => k !== image.storageKey && k !== image.thumbnailKey).sort();
    expect(dry.removed.sort()).toEqual(orphans);
    expect(await objectKeys()).toEqual([...before, young].sort());

    const report = await sweepBlobs(env.db, store);
    expect(report.removed.sort()).toEqual(orphans);
    expect(report.orphans.files).toBe(orphans.length);
    expect(report.young).toBe(1);
    expect(report.tmp).toEqual({ files: 0, bytes: 0 });
    expect(await objectKeys()).toEqual([image.storageKey, image.thumbnailKey, young].sort());
    // a grace shorter than the refresh interval could remove a blob an upload relies on: refused
    await expect(sweepBlobs(env.db, store, { graceMs: 0 })).rejects.toThrow(/at least 10 minutes/);
  });
});

const ACQUIRE = `mutation AcquireS3($file: File!, $record: JSONObject!) {
  createInitialAnnotation(file: $file, record: $record) { outcome image { sha256 } }
}`;

describe('the API on the s3 backend', () => {
  it('stores an upload in the bucket and serves it; an export is written to the bucket and any instance serves it', async () => {
    useDatabase(env.db);
    const yoga = createDermasetYoga({ ...env.config, storage });
    const annotator = (await createToken('s3 annotator', 'ANNOTATOR')).token;
    const viewer = (await createToken('s3 viewer', 'VIEWER')).token;
    const bytes = await lesion(11, { width: 96, height: 72, exif: false });
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: ACQUIRE, variables: { file: null, record: record() } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new File([new Uint8Array(bytes)], 'lesion.jpg', { type: 'image/jpeg' }));
    const res = await yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { authorization: `Bearer ${annotator}` },
      body: form,
    });
    const body = (await res.json()) as {
      data?: { createInitialAnnotation: { outcome: string; image: { sha256: string } | null } };
      errors?: unknown;
    };
    expect(body.errors).toBeUndefined();
    expect(body.data?.createInitialAnnotation.outcome).toBe('ACCEPTED');
    const imageSha = body.data?.createInitialAnnotation.image?.sha256 ?? '';
    const row = await env.db.image.findUniqueOrThrow({ where: { sha256: imageSha } });
    expect(await store.has(row.storageKey)).toBe(true);
    expect(existsSync(join(env.dataDir, 'blobs'))).toBe(false);

    const fetched = await yoga.fetch(`http://test/images/${imageSha}/original`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(fetched.status).toBe(200);
    const served = Buffer.from(await fetched.arrayBuffer());
    expect(sha(served)).toBe(imageSha);
    expect(fetched.headers.get('content-length')).toBe(String(served.byteLength));
    expect((await readAll(store.read(row.storageKey))).equals(served)).toBe(true);

    // the export: written locally, handed to the bucket, the local file gone
    const started = await yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { startExport(format: "jsonl") { id } }' }),
    });
    const id = ((await started.json()) as { data: { startExport: { id: string } } }).data.startExport.id;
    let done: { status: string; sha256: string | null } | null = null;
    for (let i = 0; i < 600 && done?.status !== 'DONE'; i++) {
      done = await env.db.export.findUniqueOrThrow({ where: { id }, select: { status: true, sha256: true } });
      if (done.status === 'FAILED') throw new Error('the export failed');
      if (done.status !== 'DONE') await new Promise((r) => setTimeout(r, 50));
    }
    expect(done?.status).toBe('DONE');
    expect(readdirSync(join(env.dataDir, 'exports')).filter((n) => n.startsWith(id))).toEqual([]);
    expect(existsSync(objectFile(`exports/${id}.jsonl`))).toBe(true);

    // another instance: its own (empty) data folder, the same database and bucket
    const otherDir = mkdtempSync(join(tmpdir(), 'dermaset-other-instance-'));
    try {
      const other = createDermasetYoga({
        ...loadConfig({
          DATABASE_URL: env.url,
          DATA_DIR: otherDir,
          DERMASET_PSEUDONYM_KEY: TEST_KEY,
          DERMASET_STORAGE: 's3',
          DERMASET_S3_BUCKET: BUCKET,
          DERMASET_S3_ENDPOINT: storage.endpoint ?? '',
        }),
        storage,
      });
      const download = await other.fetch(`http://test/exports/${id}/file`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(download.status).toBe(200);
      const file = Buffer.from(await download.arrayBuffer());
      expect(sha(file)).toBe(done?.sha256);
      expect(file.toString('utf8').trim().split('\n')).toHaveLength(await env.db.image.count());
      const image = await other.fetch(`http://test/images/${imageSha}/thumbnail`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/webp');
      // a blob gone from the bucket is 404 BLOB_MISSING: the store answers, the object is not there
      await store.remove(row.thumbnailKey);
      const gone = await other.fetch(`http://test/images/${imageSha}/thumbnail`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(gone.status).toBe(404);
      expect(((await gone.json()) as { code: string }).code).toBe('BLOB_MISSING');
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
