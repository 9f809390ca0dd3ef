// interpretability(input) on constructed saliency maps: a model with predictions whose saliency PNGs
// this test stores itself (blob store + prediction rows), decided images whose reviews marked a
// structure (polygons and a mask), and the pointing game, energy share and top-k IoU per structure
// and per true label worked out by hand; images without a consensus or a map are left out; the
// bootstrap is seeded (the same answer twice); refusals are typed.
import { encodeGlobalID } from '@pothos/plugin-relay';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcquisitionPipeline, createPipeline } from '../src/ingest/pipeline.ts';
import { recordConsensus, submitReview } from '../src/resolvers/verification.ts';
import { blobStore } from '../src/storage/open.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

let env: TestEnv;
let api: Api;
let pipeline: AcquisitionPipeline;
let modelId = '';
let modelRow = 0;

interface Answer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; argument?: string } }[];
}
async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<Answer<T>> {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...api.headers('VIEWER'),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Answer<T>;
}

/** A 10 × 10 saliency map (one channel), zero but for the given pixels [x, y, value]. */
const saliency = (pixels: [number, number, number][]) => {
  const data = Buffer.alloc(100);
  for (const [x, y, v] of pixels) data[y * 10 + x] = v;
  return sharp(data, { raw: { width: 10, height: 10, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
};

const LEFT_HALF = [
  [
    [0, 0],
    [0.5, 0],
    [0.5, 1],
    [0, 1],
  ],
];

let drawn = 800;
async function decidedImage(opts: {
  diagnosis: 'nevus' | 'melanoma';
  cls: 'NEVUS' | 'MELANOMA';
  patient: string;
  map: Buffer | null;
  regions?: { polygons?: number[][][]; mask?: Buffer }[];
  decided?: boolean;
}): Promise<number> {
  drawn += 1;
  const r = await pipeline.ingest({
    bytes: await lesion(drawn, { width: 96, height: 72 }),
    record: record({ lesion_id: `IP${drawn}`, patient_id: opts.patient, clinical_diagnosis: opts.diagnosis }),
    fileName: `${drawn}.jpg`,
    source: 'test',
  });
  if (r.outcome !== 'ACCEPTED') throw new Error(`acquisition: ${r.outcome}`);
  const store = blobStore(env.dataDir);
  // three reviewers; the first two mark the veil (their regions are united)
  for (const [k, who] of ['E-1', 'E-2', 'E-3'].entries()) {
    const region = opts.regions?.[k];
    await submitReview({
      imageId: r.imageId,
      reviewerCode: who,
      diagnosisClass: opts.cls,
      structures: region ? ['BLUE_WHITISH_VEIL'] : [],
      regions: region
        ? {
            regions: [
              {
                structure: 'BLUE_WHITISH_VEIL',
                polygons: region.polygons ?? null,
                mask: region.mask ? new File([new Uint8Array(region.mask)], 'mask.png', { type: 'image/png' }) : null,
              },
            ],
            dataDir: env.dataDir,
          }
        : null,
    });
  }
  if (opts.decided !== false)
    await recordConsensus({ imageId: r.imageId, diagnosisClass: opts.cls, structures: [], decidedBy: 'E-1' });
  const put = opts.map ? await store.put('originals', opts.map, 'png') : null;
  const melanoma = opts.cls === 'MELANOMA' ? 0.8 : 0.1;
  await env.db.prediction.create({
    data: {
      modelId: modelRow,
      imageId: r.imageId,
      scores: JSON.stringify([1 - melanoma, melanoma]),
      saliencyKey: put?.key ?? null,
      saliencySha256: put?.sha256 ?? null,
    },
  });
  return r.imageId;
}

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  api = await createApi(env);
  pipeline = createPipeline(env.config, env.db);
  const model = await env.db.model.create({
    data: {
      name: 'saliency-test',
      version: '1',
      policyId: 'screening-binary',
      policyVersion: '1.0.0',
      labels: JSON.stringify(['benign', 'malignant']),
      createdBy: 'test',
    },
  });
  modelRow = model.id;
  modelId = encodeGlobalID('Model', model.id);
  // a mask of the left half, 4 × 2 (resized to the 10 × 10 map by nearest neighbour: columns 0–4)
  const leftMask = await sharp(Buffer.from([255, 255, 0, 0, 255, 255, 0, 0]), {
    raw: { width: 4, height: 2, channels: 1 },
  })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  // image 1 (nevus, patient A): peak inside (2, 5); mass 200 inside, 50 outside → 0.8
  await decidedImage({
    diagnosis: 'nevus',
    cls: 'NEVUS',
    patient: 'P-A',
    map: await saliency([
      [2, 5, 200],
      [8, 5, 50],
    ]),
    regions: [{ polygons: LEFT_HALF }],
  });
  // image 2 (melanoma, patient B): peak outside (9, 0), 100 inside, 100 outside → 0.5; the region
  // is the union of a mask (left half) and a polygon (the top-left quarter): still the left half
  await decidedImage({
    diagnosis: 'melanoma',
    cls: 'MELANOMA',
    patient: 'P-B',
    map: await saliency([
      [9, 0, 100],
      [0, 9, 100],
    ]),
    regions: [
      { mask: leftMask },
      {
        polygons: [
          [
            [0, 0],
            [0.5, 0],
            [0.5, 0.5],
            [0, 0.5],
          ],
        ],
      },
    ],
  });
  // image 3 (nevus, patient A): no region marked → left out of the veil's rows
  await decidedImage({ diagnosis: 'nevus', cls: 'NEVUS', patient: 'P-A', map: await saliency([[1, 1, 9]]) });
  // image 4: marked, but no consensus → left out
  await decidedImage({
    diagnosis: 'nevus',
    cls: 'NEVUS',
    patient: 'P-C',
    map: await saliency([[1, 1, 9]]),
    regions: [{ polygons: LEFT_HALF }],
    decided: false,
  });
  // image 5: marked and decided, but the prediction has no saliency map → left out
  await decidedImage({
    diagnosis: 'nevus',
    cls: 'NEVUS',
    patient: 'P-D',
    map: null,
    regions: [{ polygons: LEFT_HALF }],
  });
  // image 6: an all-zero map → left out (no saliency to point with)
  await decidedImage({
    diagnosis: 'nevus',
    cls: 'NEVUS',
    patient: 'P-E',
    map: await saliency([]),
    regions: [{ polygons: LEFT_HALF }],
  });
});
afterAll(() => env.dispose());

const QUERY = `query I($input: InterpretabilityInput!) {
  interpretability(input: $input) {
    structure label images
    pointingGame { value lower upper }
    energyShare { value lower upper }
    topKIoU { value lower upper }
  }
}`;
type Est = { value: number | null; lower: number | null; upper: number | null };
type Row = {
  structure: string;
  label: string | null;
  images: number;
  pointingGame: Est;
  energyShare: Est;
  topKIoU: Est;
};

const ask = (input: Record<string, unknown>) =>
  gql<{ interpretability: Row[] }>(QUERY, { input: { model: modelId, subset: { filter: {} }, ...input } });

describe('interpretability', () => {
  it('per structure and per true label, by hand', async () => {
    const res = await ask({ topK: 0.02 });
    expect(res.errors).toBeUndefined();
    const rows = res.data?.interpretability ?? [];
    expect(rows.map((r) => [r.structure, r.label, r.images])).toEqual([
      ['BLUE_WHITISH_VEIL', null, 2],
      ['BLUE_WHITISH_VEIL', 'benign', 1],
      ['BLUE_WHITISH_VEIL', 'malignant', 1],
    ]);
    const [all, benign, malignant] = rows as [Row, Row, Row];
    // top 2 % = 2 pixels of 100: image 1 → (2,5) inside and (8,5) outside: 1 / (50 + 1) = 1/51;
    // image 2 → (9,0) outside and (0,9) inside: 1 / 51
    expect(benign.pointingGame.value).toBe(1);
    expect(benign.energyShare.value).toBeCloseTo(0.8, 12);
    expect(benign.topKIoU.value).toBeCloseTo(1 / 51, 12);
    expect(malignant.pointingGame.value).toBe(0);
    expect(malignant.energyShare.value).toBeCloseTo(0.5, 12);
    expect(malignant.topKIoU.value).toBeCloseTo(1 / 51, 12);
    expect(all.pointingGame.value).toBe(0.5);
    expect(all.energyShare.value).toBeCloseTo(0.65, 12);
    // two patients: every resample draws A twice, B twice, or one of each → the interval spans [0, 1]
    expect([all.pointingGame.lower, all.pointingGame.upper]).toEqual([0, 1]);
    expect(all.energyShare.lower).toBeCloseTo(0.5, 12);
    expect(all.energyShare.upper).toBeCloseTo(0.8, 12);
    // one image: every resample is that image
    expect([benign.energyShare.lower, benign.energyShare.upper].map((v) => v?.toFixed(12))).toEqual(
      [0.8, 0.8].map((v) => v.toFixed(12)),
    );
  });

  it('top-k by default 10 %: 10 pixels, ties at the cut in row-major order', async () => {
    // image 1: the 2 non-zero pixels, then the first 8 zeros: row 0, columns 0–7 (columns 0–4 inside)
    // → top = {(2,5), (8,5), (0..7,0)}: inside (2,5) + 5 = 6; region 50; union 50 + 4 = 54 → 6/54
    const rows = (await ask({})).data?.interpretability ?? [];
    const benign = rows.find((r) => r.label === 'benign');
    expect(benign?.topKIoU.value).toBeCloseTo(6 / 54, 12);
  });

  it('is deterministic (a seeded bootstrap)', async () => {
    expect(await ask({ topK: 0.3 })).toEqual(await ask({ topK: 0.3 }));
  });

  it('reads labels under another policy when asked', async () => {
    const rows = (await ask({ policy: 'nine-class' })).data?.interpretability ?? [];
    // the policy's label order (nine-class lists nevus before melanoma)
    expect(rows.map((r) => r.label)).toEqual([null, 'nevus', 'melanoma']);
  });

  it('refuses an unknown model, another type’s id, a bad topK and a bad subset', async () => {
    const code = async (input: Record<string, unknown>) => (await ask(input)).errors?.[0]?.extensions;
    expect(await code({ model: encodeGlobalID('Model', 9999) })).toMatchObject({ code: 'NOT_FOUND' });
    expect(await code({ model: encodeGlobalID('Image', 1) })).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'input.model',
    });
    expect(await code({ topK: 0 })).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.topK' });
    expect(await code({ topK: 1.5 })).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.topK' });
    expect(await code({ subset: {} })).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.subset' });
  });
});
