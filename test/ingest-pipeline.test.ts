import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, pixelHash } from '../src/ingest/analyse.ts';
import { type AcquisitionPipeline, createPipeline, type IngestResult } from '../src/ingest/pipeline.ts';
import { stripJpeg } from '../src/ingest/strip-metadata.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { listFiles } from './helpers/files.ts';
import { lesion, record, toPng, toWebpLossless } from './helpers/images.ts';

/** The same compressed JPEG data behind other metadata segments (an XMP packet and a comment). */
function withOtherMetadata(jpeg: Buffer): Buffer {
  const segment = (marker: number, payload: string) => {
    const body = Buffer.from(payload, 'latin1');
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(body.length + 2, 2);
    return Buffer.concat([head, body]);
  };
  const bare = stripJpeg(jpeg);
  return Buffer.concat([
    bare.subarray(0, 2),
    segment(0xe1, 'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><dc:creator>Clinic 7</dc:creator></x:xmpmeta>'),
    segment(0xfe, 'uploaded again by the ward'),
    bare.subarray(2),
  ]);
}

let env: TestEnv;
let pipeline: AcquisitionPipeline;
const blobs = () => listFiles(join(env.dataDir, 'blobs'));

beforeAll(async () => {
  env = await createTestEnv();
  pipeline = createPipeline(env.config, env.db);
});
afterAll(() => env.dispose());

function expectOutcome<O extends IngestResult['outcome']>(
  r: IngestResult,
  outcome: O,
): Extract<IngestResult, { outcome: O }> {
  expect(r.outcome, JSON.stringify(r)).toBe(outcome);
  return r as Extract<IngestResult, { outcome: O }>;
}

async function counts() {
  const [images, intake, patients, lesions] = await Promise.all([
    env.db.image.count(),
    env.db.intakeRecord.count(),
    env.db.patient.count(),
    env.db.lesion.count(),
  ]);
  return { images, intake, patients, lesions, blobs: blobs().length };
}

describe('acquisition pipeline', () => {
  let original: Buffer;
  let firstId: number;

  it('accepts a valid image: one record, one intake row, the original and a thumbnail stored', async () => {
    original = await lesion(1, { exif: true });
    expect((await sharp(original).metadata()).exif).toBeDefined();
    const r = expectOutcome(
      await pipeline.ingest({ bytes: original, record: record(), fileName: 'IMG_0001.jpg', source: 'test' }),
      'ACCEPTED',
    );
    firstId = r.imageId;
    const image = await env.db.image.findUniqueOrThrow({
      where: { id: r.imageId },
      include: {
        patient: true,
        colors: true,
        structures: true,
        initialAnnotation: true,
        labelChanges: true,
        intakeRecords: true,
      },
    });
    expect(image).toMatchObject({
      width: 600,
      height: 450,
      format: 'jpeg',
      diagnosisClass: 'NEVUS',
      verificationStage: 'INITIAL',
      ageAtExam: 44,
      ageAtExamRaw: '44',
    });
    expect(image.colors.map((c) => c.color).sort()).toEqual(['DARK_BROWN', 'LIGHT_BROWN']);
    expect(image.structures.map((s) => s.structure)).toEqual(['PIGMENT_NETWORK_TYPICAL']);
    expect(image.initialAnnotation?.diagnosisClass).toBe('NEVUS');
    expect(image.labelChanges).toHaveLength(1);
    expect(image.intakeRecords.map((i) => i.outcome)).toEqual(['ACCEPTED']);
    expect(image.phash).toMatch(/^[0-9a-f]{16}$/);
    expect(image.sharpness).toBeGreaterThan(0);
    expect(blobs().sort()).toEqual([image.storageKey, image.thumbnailKey].sort());
    const thumb = await sharp(join(env.dataDir, 'blobs', image.thumbnailKey)).metadata();
    expect(Math.max(thumb.width ?? 0, thumb.height ?? 0)).toBe(256);
  });

  it('stores the original without EXIF, GPS or comments, and without recompressing it', async () => {
    const image = await env.db.image.findUniqueOrThrow({ where: { id: firstId } });
    const stored = readFileSync(join(env.dataDir, 'blobs', image.storageKey));
    const meta = await sharp(stored).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.iptc).toBeUndefined();
    for (const needle of ['Exif', 'GPS', 'DemoPhone', 'Ivan Petrov', 'Jane Roe']) {
      expect(stored.includes(Buffer.from(needle)), needle).toBe(false);
    }
    // same decoded pixels: the compressed image data was copied, not re-encoded
    expect(pixelHash(await decode(stored, env.config.ingest))).toBe(image.pixelHash);
    expect(stored.length).toBeLessThan(original.length);
    expect(image.byteSize).toBe(stored.length);
  });

  it('replaces the patient identifier by a keyed code and never stores it in clear', async () => {
    const patient = await env.db.patient.findFirstOrThrow();
    expect(patient.code).toMatch(/^P-[0-9A-Z]{13}$/);
    expect(patient.code).not.toContain('000123');
    const image = await env.db.image.findUniqueOrThrow({ where: { id: firstId } });
    expect(image.examinerCode).toMatch(/^E-/);
    if (env.provider === 'sqlite') {
      await env.db.$executeRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
      const file = readFileSync(env.url.replace(/^file:/, ''));
      expect(file.includes(Buffer.from('MRN-000123'))).toBe(false);
      expect(file.includes(Buffer.from('DERM-01'))).toBe(false);
    }
  });

  it('counts an SOP rejection (score 1–2) and stores nothing', async () => {
    const before = await counts();
    const r = expectOutcome(
      await pipeline.ingest({
        bytes: await lesion(2),
        record: record({ image_quality_score: '2' }),
        fileName: 'b.jpg',
        source: 'test',
      }),
      'REJECTED_QUALITY',
    );
    expect(r.score).toBe(2);
    expect(await counts()).toEqual({ ...before, intake: before.intake + 1 });
    const row = await env.db.intakeRecord.findUniqueOrThrow({ where: { id: r.intakeId } });
    expect(row).toMatchObject({ outcome: 'REJECTED_QUALITY', qualityScore: 2, imageId: null });
  });

  it.each([
    ['the same bytes under another name', async (b: Buffer) => b],
    ['a lossless PNG re-save', toPng],
    ['a lossless WebP re-save', toWebpLossless],
    ['the same JPEG data with other metadata', async (b: Buffer) => withOtherMetadata(b)],
  ])('links %s to the existing image as an exact duplicate, storing nothing', async (_name, transform) => {
    const before = await counts();
    const bytes = await transform(original);
    const r = expectOutcome(
      await pipeline.ingest({
        bytes,
        record: record({ examiner_id: 'DERM-02' }),
        fileName: `dup-${_name}`,
        source: 'test',
      }),
      'DUPLICATE',
    );
    expect(r.duplicateOfId).toBe(firstId);
    expect(await counts()).toEqual({ ...before, intake: before.intake + 1 });
    const row = await env.db.intakeRecord.findUniqueOrThrow({ where: { id: r.intakeId } });
    expect(row).toMatchObject({ outcome: 'DUPLICATE', duplicateOfId: firstId, imageId: null });
  });

  it('stores a near duplicate (another shot of the same lesion), flagged and linked to its twin', async () => {
    const { lesionJpeg } = await import('../prisma/demo/synthesize.ts');
    const { TEST_SEED } = await import('./helpers/images.ts');
    const drawing = { seed: TEST_SEED * 1000 + 1, diagnosisClass: 'NEVUS' as const, width: 600, height: 450 };
    const reshot = await lesionJpeg({ ...drawing, shot: { dx: 1, dy: 1, noiseSeed: 77 } });
    const r = expectOutcome(
      await pipeline.ingest({ bytes: reshot, record: record(), fileName: 'reshot.jpg', source: 'test' }),
      'ACCEPTED',
    );
    expect(r.nearDuplicates.map((m) => m.imageId)).toContain(firstId);
    const pairs = await env.db.nearDuplicate.findMany({ where: { imageId: r.imageId } });
    expect(pairs).toEqual([expect.objectContaining({ twinId: firstId })]);
    expect(pairs[0]?.distance).toBeLessThanOrEqual(env.config.ingest.nearDuplicateDistance);
    // an unrelated lesion is not flagged
    const other = expectOutcome(
      await pipeline.ingest({
        bytes: await lesion(3, { cls: 'HEMANGIOMA' }),
        record: record({ lesion_id: 'L2', clinical_diagnosis: 'hemangioma' }),
        fileName: 'c.jpg',
        source: 'test',
      }),
      'ACCEPTED',
    );
    expect(other.nearDuplicates).toEqual([]);
  });

  it('keeps an invalid age as raw input but leaves it out of the age field', async () => {
    const r = expectOutcome(
      await pipeline.ingest({
        bytes: await lesion(4),
        record: record({ lesion_id: 'L3', age_at_exam: '4O' }),
        fileName: 'd.jpg',
        source: 'test',
      }),
      'ACCEPTED',
    );
    const image = await env.db.image.findUniqueOrThrow({ where: { id: r.imageId } });
    expect(image).toMatchObject({ ageAtExamRaw: '4O', ageAtExam: null });
  });

  it('treats the very same attempt again as a no-op', async () => {
    const before = await counts();
    const r = await pipeline.ingest({ bytes: original, record: record(), fileName: 'IMG_0001.jpg', source: 'test' });
    expect(r).toMatchObject({ outcome: 'ALREADY_PROCESSED', previous: 'ACCEPTED' });
    expect(await counts()).toEqual(before);
  });

  describe('rejections name the problem, log the attempt and leave no blob and no record', () => {
    const cases: [string, () => Promise<Buffer>, Record<string, unknown>, string, RegExp][] = [
      [
        'a non-image',
        async () => Buffer.from('patient: Ivan Petrov\nnot an image at all'),
        {},
        'NOT_AN_IMAGE',
        /not a readable image/,
      ],
      ['a truncated JPEG', async () => (await lesion(10)).subarray(0, 9000), {}, 'TRUNCATED_IMAGE', /truncated/],
      [
        'a decompression bomb',
        () =>
          sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#c08060' } })
            .png({ compressionLevel: 9 })
            .toBuffer(),
        {},
        'IMAGE_TOO_LARGE',
        /exceeds the limit/,
      ],
      [
        'an image under the minimum resolution',
        () => lesion(11, { width: 320, height: 240 }),
        {},
        'RESOLUTION_TOO_LOW',
        /minimum resolution/,
      ],
      [
        'a GIF',
        async () =>
          sharp(await lesion(12))
            .gif()
            .toBuffer(),
        {},
        'UNSUPPORTED_FORMAT',
        /gif files are not accepted/,
      ],
      ['an unknown sex', () => lesion(13), { sex: 'x' }, 'INVALID_RECORD', /^sex: is not one of: female, male$/],
      ['a quality score of 7', () => lesion(14), { image_quality_score: '7' }, 'INVALID_RECORD', /image_quality_score/],
      ['a missing diagnosis', () => lesion(15), { clinical_diagnosis: '' }, 'INVALID_RECORD', /clinical_diagnosis/],
      [
        // "actinic keratosis" is a term of the vocabulary now (stored outside the 9): a text naming nothing
        'an unknown diagnosis',
        () => lesion(16),
        { clinical_diagnosis: 'flat grey macule of uncertain kind' },
        'INVALID_RECORD',
        /not one of the 9 classes, a known synonym or a term of the diagnosis vocabulary/,
      ],
      ['a missing patient', () => lesion(17), { patient_id: ' ' }, 'INVALID_RECORD', /patient_id: is required/],
      [
        'an impossible date',
        () => lesion(18),
        { acquisition_date: '2025-13-40' },
        'INVALID_RECORD',
        /acquisition_date/,
      ],
      [
        'an unknown structure',
        () => lesion(19),
        { dermoscopic_structures: 'pigment_network_typical;sparkles' },
        'INVALID_RECORD',
        // the field and the vocabulary, never the value (it could be an identifier typed in the wrong field)
        /^dermoscopic_structures: (?!.*sparkles)/,
      ],
      [
        'nevus-like formation with signs of malignancy',
        () => lesion(20),
        { clinical_diagnosis: 'benign nevus-like formation', border_regularity: 'irregular' },
        'INVALID_RECORD',
        /signs of malignancy/,
      ],
      [
        'facts that contradict the same patient',
        () => lesion(21),
        { sex: 'male', lesion_id: 'L9' },
        'CONFLICTING_PATIENT_FACTS',
        /sex/,
      ],
    ];
    it.each(cases)('%s', async (_name, bytes, over, code, message) => {
      const before = await counts();
      const r = expectOutcome(
        await pipeline.ingest({ bytes: await bytes(), record: record(over), fileName: `bad-${_name}`, source: 'test' }),
        'REJECTED_INVALID',
      );
      expect(r.error.code).toBe(code);
      expect(r.error.message).toMatch(message);
      expect(await counts()).toEqual({ ...before, intake: before.intake + 1 });
      const row = await env.db.intakeRecord.findUniqueOrThrow({ where: { id: r.intakeId } });
      expect(row).toMatchObject({ outcome: 'REJECTED_INVALID', errorCode: code, imageId: null });
    });
  });

  it('bakes a non-default EXIF orientation into the pixels and stores no EXIF', async () => {
    const rotated = await sharp(await lesion(30))
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    expect((await sharp(rotated).metadata()).orientation).toBe(6);
    const r = expectOutcome(
      await pipeline.ingest({
        bytes: rotated,
        record: record({ lesion_id: 'L30' }),
        fileName: 'rot.jpg',
        source: 'test',
      }),
      'ACCEPTED',
    );
    const image = await env.db.image.findUniqueOrThrow({ where: { id: r.imageId } });
    expect({ width: image.width, height: image.height }).toEqual({ width: 450, height: 600 });
    const meta = await sharp(join(env.dataDir, 'blobs', image.storageKey)).metadata();
    expect(meta.exif).toBeUndefined();
    expect({ width: meta.width, height: meta.height, orientation: meta.orientation }).toEqual({
      width: 450,
      height: 600,
      orientation: undefined,
    });
  });
});
