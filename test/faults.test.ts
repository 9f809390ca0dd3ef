// Faults leave nothing behind: the blob sweep (temporary files and unreferenced blobs left by
// interrupted uploads and imports, only after a grace period) as a library call, as
// `dermaset blobs sweep` and at start; and a database out of reach at start is one line and a
// non-zero exit.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { startServer } from '../src/server/start.ts';
import { LocalBlobStore as BlobStore } from '../src/storage/blob-store.ts';
import { parseDuration, sweepBlobs } from '../src/storage/sweep.ts';
import { CLI_TIMEOUT, dermaset } from './helpers/cli.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

const HOUR = 3_600_000;
let env: TestEnv;
let blobs: string;
let referenced: { original: string; thumbnail: string };

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  blobs = join(env.dataDir, 'blobs');
  const result = await createPipeline(env.config, env.db).ingest({
    bytes: await lesion(1, { width: 96, height: 72, exif: false }),
    record: record(),
    source: 'test',
  });
  if (result.outcome !== 'ACCEPTED') throw new Error(JSON.stringify(result));
  const image = await env.db.image.findUniqueOrThrow({ where: { id: result.imageId } });
  referenced = { original: image.storageKey, thumbnail: image.thumbnailKey };
}, CLI_TIMEOUT);
afterAll(() => env?.dispose());

/** Sets a file's modification time to `ageMs` ago. */
const age = (path: string, ageMs: number) => {
  const t = new Date(Date.now() - ageMs);
  utimesSync(path, t, t);
};

/** A file in the blob folder, `ageMs` old: a blob under a valid key, or a temporary file beside one. */
function plant(kind: 'originals' | 'thumbnails', what: 'blob' | 'tmp', ageMs: number, size = 1000): string {
  const sha = randomBytes(32).toString('hex');
  const key = BlobStore.keyFor(kind, sha, kind === 'originals' ? 'jpg' : 'webp');
  const rel = what === 'blob' ? key : `${key}.${randomBytes(6).toString('hex')}.tmp`;
  const path = join(blobs, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, randomBytes(size));
  age(path, ageMs);
  return rel;
}

const present = (rel: string) => existsSync(join(blobs, rel));

describe('blob sweep', () => {
  it('removes stale temporary files and unreferenced blobs, keeps referenced blobs and young files', async () => {
    // the referenced blobs are old too: they stay because a row names them
    age(join(blobs, referenced.original), 3 * HOUR);
    age(join(blobs, referenced.thumbnail), 3 * HOUR);
    const staleTmp = plant('originals', 'tmp', 2 * HOUR, 700);
    const staleOrphan = plant('originals', 'blob', 2 * HOUR, 1500);
    const staleThumb = plant('thumbnails', 'blob', 2 * HOUR, 300);
    const youngTmp = plant('originals', 'tmp', 60_000);
    const youngOrphan = plant('originals', 'blob', 60_000);

    const dry = await sweepBlobs(env.db, blobs, { dryRun: true });
    expect(dry.removed.sort()).toEqual([staleTmp, staleOrphan, staleThumb].sort());
    for (const rel of [staleTmp, staleOrphan, staleThumb]) expect(present(rel)).toBe(true);

    const report = await sweepBlobs(env.db, blobs);
    expect(report.tmp).toEqual({ files: 1, bytes: 700 });
    expect(report.orphans).toEqual({ files: 2, bytes: 1800 });
    expect(report.young).toBe(2);
    for (const rel of [staleTmp, staleOrphan, staleThumb]) expect(present(rel)).toBe(false);
    for (const rel of [referenced.original, referenced.thumbnail, youngTmp, youngOrphan])
      expect(present(rel)).toBe(true);
    // nothing is left under the names the sweep renames a blob to while it checks it
    const again = await sweepBlobs(env.db, blobs);
    expect(again.removed).toEqual([]);
  });

  it('a grace of 0 sweeps young files too, but never a referenced blob', async () => {
    const young = plant('originals', 'blob', 1000);
    const report = await sweepBlobs(env.db, blobs, { graceMs: 0 });
    expect(report.removed).toContain(young);
    expect(present(young)).toBe(false);
    expect(present(referenced.original)).toBe(true);
    expect(present(referenced.thumbnail)).toBe(true);
  });

  it('a stale unreferenced blob stored again (the same bytes uploaded) is refreshed and survives the sweep', async () => {
    const store = new BlobStore(blobs);
    const bytes = randomBytes(2000);
    const first = await store.put('originals', bytes, 'jpg');
    age(store.path(first.key), 2 * HOUR);
    // an upload in flight finds the blob already there: its row is not committed yet
    const again = await store.put('originals', bytes, 'jpg');
    expect(again).toMatchObject({ key: first.key, created: false });
    const report = await sweepBlobs(env.db, blobs);
    expect(report.removed).not.toContain(first.key);
    expect(present(first.key)).toBe(true);
    expect(statSync(store.path(first.key)).size).toBe(2000);
  });

  it('durations: 90s, 30m, 1h, 2d, 500ms and 0; anything else is undefined', () => {
    expect([parseDuration('90s'), parseDuration('30m'), parseDuration('1h'), parseDuration('2d')]).toEqual([
      90_000,
      1_800_000,
      HOUR,
      48 * HOUR,
    ]);
    expect([parseDuration('500ms'), parseDuration('0')]).toEqual([500, 0]);
    for (const bad of ['', 'h', '1', '-1h', '1.5h', '1 week', '1hh', 'abc']) expect(parseDuration(bad)).toBeUndefined();
  });

  it(
    '`dermaset blobs sweep` prints what it removed, counts and bytes; --dry-run removes nothing',
    async () => {
      const staleTmp = plant('originals', 'tmp', 3 * HOUR, 400);
      const staleOrphan = plant('thumbnails', 'blob', 3 * HOUR, 600);
      const youngOrphan = plant('originals', 'blob', 0);

      const dry = await dermaset(env, ['blobs', 'sweep', '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`would remove ${staleTmp}`);
      expect(dry.stdout).toContain(`would remove ${staleOrphan}`);
      expect(dry.stdout).toMatch(/would remove 1 temporary files \(400 B\) and 1 unreferenced blobs \(600 B\)/);
      expect(present(staleTmp) && present(staleOrphan)).toBe(true);

      // a grace longer than their age keeps them
      const kept = await dermaset(env, ['blobs', 'sweep', '--grace', '4h']);
      expect(kept.code, kept.stderr).toBe(0);
      expect(kept.stdout).toMatch(/removed 0 temporary files \(0 B\) and 0 unreferenced blobs \(0 B\)/);
      expect(present(staleTmp) && present(staleOrphan)).toBe(true);

      const swept = await dermaset(env, ['blobs', 'sweep', '--grace', '30m']);
      expect(swept.code, swept.stderr).toBe(0);
      expect(swept.stdout).toContain(`removed ${staleTmp}`);
      expect(swept.stdout).toMatch(/removed 1 temporary files \(400 B\) and 1 unreferenced blobs \(600 B\)/);
      expect(present(staleTmp) || present(staleOrphan)).toBe(false);
      expect(present(youngOrphan) && present(referenced.original) && present(referenced.thumbnail)).toBe(true);
    },
    CLI_TIMEOUT,
  );

  it(
    'runs at start, after the server listens, and removes what a killed import left',
    async () => {
      const staleTmp = plant('originals', 'tmp', 2 * HOUR, 100);
      const staleOrphan = plant('originals', 'blob', 2 * HOUR, 200);
      const youngOrphan = plant('thumbnails', 'blob', 0);
      const running = await startServer({ ...env.config, port: 0, host: '127.0.0.1', seedDemo: false });
      try {
        // the server answers while (or before) the sweep runs
        expect((await fetch(`${running.url}/livez`)).status).toBe(200);
        const report = await running.swept;
        expect(report?.removed).toEqual(expect.arrayContaining([staleTmp, staleOrphan]));
        expect(present(staleTmp) || present(staleOrphan)).toBe(false);
        expect(present(youngOrphan) && present(referenced.original)).toBe(true);
      } finally {
        await running.close();
      }
    },
    CLI_TIMEOUT,
  );
});

describe('interrupted exports at start', () => {
  it(
    'an export left RUNNING by a killed instance is FAILED after a start, and its partial file is gone',
    async () => {
      const id = '0b0e7c1d-5a7e-4c3b-9a1e-1f2e3d4c5b6a';
      const old = new Date(Date.now() - 2 * HOUR);
      await env.db.export.create({
        data: {
          id,
          format: 'jsonl',
          exporterVersion: '1.0.0',
          policyId: 'identity',
          policyVersion: '1.0.0',
          filter: '{}',
          options: '{}',
          status: 'RUNNING',
          createdBy: 'test',
          heartbeatAt: old,
          createdAt: old,
        },
      });
      const partial = join(env.dataDir, 'exports', `${id}.jsonl.partial`);
      mkdirSync(dirname(partial), { recursive: true });
      writeFileSync(partial, 'half a file');
      const running = await startServer({ ...env.config, port: 0, host: '127.0.0.1', seedDemo: false });
      try {
        const row = await env.db.export.findUniqueOrThrow({ where: { id } });
        expect(row.status).toBe('FAILED');
        expect(row.error).toMatch(/interrupted/);
        expect(existsSync(partial)).toBe(false);
      } finally {
        await running.close();
      }
    },
    CLI_TIMEOUT,
  );
});

describe('a database out of reach at start', () => {
  // a closed port on loopback; the password must never be printed
  const UNREACHABLE = 'postgresql://postgres:s3cret-pw@127.0.0.1:1/nope';

  it.each(['serve', 'migrate', 'token list', 'blobs sweep'])(
    '`dermaset %s` says in one line which host and why, and exits 1',
    async (command) => {
      const r = await dermaset(env, command.split(' '), {
        DATABASE_URL: UNREACHABLE,
        DERMASET_PSEUDONYM_KEY: 'k'.repeat(32),
      });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^dermaset: cannot reach PostgreSQL at 127\.0\.0\.1:1 \(database "nope"\): connection refused/,
      );
      expect(lines[0]).toContain('ECONNREFUSED');
      expect(r.stderr).not.toContain('s3cret-pw');
    },
    CLI_TIMEOUT,
  );
});
