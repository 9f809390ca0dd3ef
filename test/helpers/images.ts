// Real image bytes for tests, drawn with the demo's lesion synthesiser and encoded with sharp.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { lesionJpeg } from '../../prisma/demo/synthesize.ts';
import type { DiagnosisClass } from '../../src/domain/enums.ts';

export const TEST_SEED = Number(process.env.DERMASET_TEST_SEED ?? 4242);
console.info(`image seed ${TEST_SEED} (set DERMASET_TEST_SEED to reproduce)`);

export function lesion(
  n: number,
  opts: { cls?: DiagnosisClass; exif?: boolean; width?: number; height?: number } = {},
) {
  return lesionJpeg(
    {
      seed: TEST_SEED * 1000 + n,
      diagnosisClass: opts.cls ?? 'NEVUS',
      width: opts.width ?? 600,
      height: opts.height ?? 450,
    },
    { exif: opts.exif ?? true },
  );
}

export const toPng = (bytes: Buffer) => sharp(bytes).png().toBuffer();
export const toWebpLossless = (bytes: Buffer) => sharp(bytes).webp({ lossless: true }).toBuffer();

/** A minimal valid record for one image. */
export function record(over: Record<string, unknown> = {}) {
  return {
    patient_id: 'MRN-000123',
    lesion_id: 'L1',
    acquisition_date: '2025-07-01',
    age_at_exam: '44',
    sex: 'female',
    fitzpatrick_type: 'II',
    sunburn_history: 'yes',
    personal_ca_history: 'no',
    anatomical_site: 'posterior torso',
    lesion_diameter_mm: '5.5',
    dominant_colors: 'light_brown;dark_brown',
    elevation: 'flat',
    border_regularity: 'regular',
    dermoscopic_structures: 'pigment_network_typical',
    clinical_diagnosis: 'nevus',
    examiner_id: 'DERM-01',
    image_quality_score: '4',
    ...over,
  };
}

/** A different 64×64 stand-in picture for every id (importer tests): 8×8 blocks of colours drawn from a seeded generator. */
export async function blockPicture(id: string, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  let s = (TEST_SEED ^ Number.parseInt(createHash('sha256').update(id).digest('hex').slice(0, 8), 16)) >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % 256;
  };
  const px = Buffer.alloc(64 * 64 * 3);
  for (let by = 0; by < 8; by++) {
    for (let bx = 0; bx < 8; bx++) {
      const rgb = [next(), next(), next()];
      for (let y = by * 8; y < by * 8 + 8; y++) {
        for (let x = bx * 8; x < bx * 8 + 8; x++) px.set(rgb, (y * 64 + x) * 3);
      }
    }
  }
  const img = sharp(px, { raw: { width: 64, height: 64, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 92 }).toBuffer();
}

/**
 * The data of an image row written straight to the table: a nevus of 64×48 px with no bytes behind
 * it (`k<key>` / `t<key>` blob keys that are never read), for tests that need rows, not pictures.
 */
export const bareImageRow = (r: {
  patientId: number;
  lesionId: number;
  collectionId: number;
  sha256: string;
  pixelHash: string;
  key: string;
}) => ({
  patientId: r.patientId,
  lesionId: r.lesionId,
  collectionId: r.collectionId,
  clinicalDiagnosisRaw: 'nevus',
  diagnosisClass: 'NEVUS' as const,
  diagnosisTerm: 'Benign:Benign melanocytic proliferations:Nevus',
  clinicalStatus: 'BENIGN' as const,
  sha256: r.sha256,
  pixelHash: r.pixelHash,
  phash: '0'.repeat(16),
  width: 64,
  height: 48,
  format: 'jpeg',
  byteSize: 1,
  storageKey: `k${r.key}`,
  thumbnailKey: `t${r.key}`,
  sharpness: 1,
  clippedShare: 0,
  glareShare: 0,
});
