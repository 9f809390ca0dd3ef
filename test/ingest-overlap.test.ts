// The pipeline's work done at once rather than one step after another (issue 15): the pixel hash on
// the thread pool beside the derivatives, both blobs written together, multi-valued fields in one
// INSERT each, a lesion found or created. What is stored must be what the one-step-at-a-time
// pipeline stored, on SQLite and PostgreSQL alike.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, pixelHash, pixelHashOffThread } from '../src/ingest/analyse.ts';
import { type AcquisitionPipeline, createPipeline, type IngestResult } from '../src/ingest/pipeline.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { listFiles } from './helpers/files.ts';
import { lesion, record } from './helpers/images.ts';

let env: TestEnv;
let pipeline: AcquisitionPipeline;
const blobs = () => listFiles(join(env.dataDir, 'blobs'));

beforeAll(async () => {
  env = await createTestEnv();
  pipeline = createPipeline(env.config, env.db);
});
afterAll(() => env.dispose());

function accepted(r: IngestResult) {
  expect(r.outcome, JSON.stringify(r)).toBe('ACCEPTED');
  return r as Extract<IngestResult, { outcome: 'ACCEPTED' }>;
}

describe('the pixel hash off the event loop', () => {
  it('is the same SHA-256 as the synchronous one, for 3 and for 4 channels', async () => {
    const limits = env.config.ingest;
    const rgb = await decode(await lesion(801), limits);
    expect(rgb.channels).toBe(3);
    // a real alpha channel: the left half transparent
    const { width, height } = rgb;
    const alpha = Buffer.alloc(width * height, 255);
    for (let y = 0; y < height; y++) alpha.fill(0, y * width, y * width + Math.floor(width / 2));
    const rgbaPng = await sharp(rgb.pixels, { raw: { width, height, channels: 3 } })
      .joinChannel(alpha, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer();
    const rgba = await decode(rgbaPng, limits);
    expect(rgba.channels).toBe(4);
    for (const d of [rgb, rgba]) {
      const hash = await pixelHashOffThread(d);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).toBe(pixelHash(d));
    }
    expect(await pixelHashOffThread(rgb)).not.toBe(await pixelHashOffThread(rgba));
  });

  it('is the hash stored with the image, and an exact duplicate in another container is still found', async () => {
    const jpeg = await lesion(802);
    const stored = accepted(
      await pipeline.ingest({ bytes: jpeg, record: record({ lesion_id: 'OV-1' }), fileName: 'a.jpg', source: 'test' }),
    );
    const row = await env.db.image.findUniqueOrThrow({ where: { id: stored.imageId } });
    expect(row.pixelHash).toBe(pixelHash(await decode(jpeg, env.config.ingest)));
    // the same decoded pixels, losslessly re-saved as PNG: a DUPLICATE of the stored image
    const { pixels } = await decode(jpeg, env.config.ingest);
    const png = await sharp(pixels, { raw: { width: row.width, height: row.height, channels: 3 } })
      .png()
      .toBuffer();
    const again = await pipeline.ingest({
      bytes: png,
      record: record({ lesion_id: 'OV-1b' }),
      fileName: 'b.png',
      source: 'test',
    });
    expect(again).toMatchObject({ outcome: 'DUPLICATE', duplicateOfId: stored.imageId });
  });
});

describe('what one transaction writes', () => {
  it('stores every value of the multi-valued fields (one INSERT each), and none when there are none', async () => {
    const many = accepted(
      await pipeline.ingest({
        bytes: await lesion(803),
        record: record({
          lesion_id: 'OV-2',
          dominant_colors: 'light_brown;dark_brown;blue_gray',
          dermoscopic_structures: 'pigment_network_typical;dots_globules_regular;milia_like_cysts',
        }),
        fileName: 'many.jpg',
        source: 'test',
      }),
    );
    const none = accepted(
      await pipeline.ingest({
        bytes: await lesion(804),
        record: record({ lesion_id: 'OV-3', dominant_colors: '', dermoscopic_structures: '' }),
        fileName: 'none.jpg',
        source: 'test',
      }),
    );
    const read = (id: number) =>
      env.db.image.findUniqueOrThrow({
        where: { id },
        select: {
          colors: { select: { color: true }, orderBy: { color: 'asc' } },
          structures: { select: { structure: true }, orderBy: { structure: 'asc' } },
          initialAnnotation: { select: { structures: { select: { structure: true }, orderBy: { structure: 'asc' } } } },
        },
      });
    const m = await read(many.imageId);
    expect(m.colors.map((c) => c.color).sort()).toEqual(['BLUE_GRAY', 'DARK_BROWN', 'LIGHT_BROWN']);
    const structures = ['DOTS_GLOBULES_REGULAR', 'MILIA_LIKE_CYSTS', 'PIGMENT_NETWORK_TYPICAL'];
    expect(m.structures.map((s) => s.structure).sort()).toEqual(structures);
    expect(m.initialAnnotation?.structures.map((s) => s.structure).sort()).toEqual(structures);
    const n = await read(none.imageId);
    expect(n).toEqual({ colors: [], structures: [], initialAnnotation: { structures: [] } });
  });

  it('finds the lesion a second image of it names, and creates one only for a new lesion', async () => {
    const before = await env.db.lesion.count();
    const first = accepted(
      await pipeline.ingest({
        bytes: await lesion(805),
        record: record({ lesion_id: 'OV-4' }),
        fileName: 'l1.jpg',
        source: 'test',
      }),
    );
    const second = accepted(
      await pipeline.ingest({
        bytes: await lesion(806),
        record: record({ lesion_id: 'OV-4' }),
        fileName: 'l2.jpg',
        source: 'test',
      }),
    );
    expect(await env.db.lesion.count()).toBe(before + 1);
    const [a, b] = await Promise.all(
      [first.imageId, second.imageId].map((id) =>
        env.db.image.findUniqueOrThrow({ where: { id }, select: { lesionId: true } }),
      ),
    );
    expect(a?.lesionId).toBe(b?.lesionId);
  });

  it('ingests several images at once, each with its own rows, blobs and intake row', async () => {
    const bytes = await Promise.all([807, 808, 809, 810, 811, 812].map((n) => lesion(n)));
    const results = await Promise.all(
      bytes.map((b, i) =>
        pipeline.ingest({ bytes: b, record: record({ lesion_id: `OV-P${i}` }), fileName: `p${i}.jpg`, source: 'test' }),
      ),
    );
    const ids = results.map((r) => accepted(r).imageId);
    expect(new Set(ids).size).toBe(6);
    const rows = await env.db.image.findMany({
      where: { id: { in: ids } },
      select: { storageKey: true, thumbnailKey: true, intakeRecords: { select: { outcome: true } } },
    });
    for (const r of rows) {
      expect(r.intakeRecords).toEqual([{ outcome: 'ACCEPTED' }]);
      expect(existsSync(join(env.dataDir, 'blobs', r.storageKey))).toBe(true);
      expect(existsSync(join(env.dataDir, 'blobs', r.thumbnailKey))).toBe(true);
    }
  });
});

describe('both blobs written at once', () => {
  it('removes the original again when the thumbnail cannot be written, and records nothing', async () => {
    const bytes = await lesion(820);
    const thumbnails = join(env.dataDir, 'blobs', 'thumbnails');
    const images = await env.db.image.count();
    const intake = await env.db.intakeRecord.count();
    const before = blobs().filter((f) => f.startsWith('originals/'));
    // a file where the thumbnails folder must be: the thumbnail's write fails, the original's succeeds
    rmSync(thumbnails, { recursive: true, force: true });
    writeFileSync(thumbnails, 'not a folder');
    try {
      await expect(
        pipeline.ingest({ bytes, record: record({ lesion_id: 'OV-5' }), fileName: 'fault.jpg', source: 'test' }),
      ).rejects.toThrow();
      expect(blobs().filter((f) => f.startsWith('originals/'))).toEqual(before);
      expect(await env.db.image.count()).toBe(images);
      expect(await env.db.intakeRecord.count()).toBe(intake);
    } finally {
      rmSync(thumbnails, { force: true });
      mkdirSync(thumbnails, { recursive: true });
    }
    // the same attempt goes through once the store can be written again
    accepted(
      await pipeline.ingest({ bytes, record: record({ lesion_id: 'OV-5' }), fileName: 'fault.jpg', source: 'test' }),
    );
  });
});
