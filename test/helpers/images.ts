// Real image bytes for tests, drawn with the demo's lesion synthesiser and encoded with sharp.
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
