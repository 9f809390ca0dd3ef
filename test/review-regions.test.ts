// Expert structure regions through the API: submitReview(regions) stores polygons and masks with the
// review (a mask re-encoded as a 1-channel 0/255 PNG through the blob store); ExpertReview.regions is
// blind until the consensus even to a co-reviewer who sees the review itself; a bad region refuses
// the whole review, naming it, and leaves no row and no blob; structureAgreement's kappa and IoU on
// a constructed case, checked by hand.
import { encodeGlobalID } from '@pothos/plugin-relay';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcquisitionPipeline, createPipeline } from '../src/ingest/pipeline.ts';
import { prepareRegions } from '../src/resolvers/regions.ts';
import { createToken } from '../src/resolvers/tokens.ts';
import { recordConsensus, submitReview } from '../src/resolvers/verification.ts';
import { blobStore } from '../src/storage/open.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';
import { snapshot } from './helpers/snapshot.ts';

let env: TestEnv;
/** SQL statements sent while `counting` (the statement bound of a page's regions). */
let counting = false;
const statements: string[] = [];
let api: Api;
let pipeline: AcquisitionPipeline;
/** Three reviewers with their own tokens. */
const reviewers: string[] = [];

beforeAll(async () => {
  env = await createTestEnv(
    { DERMASET_MIN_SIDE: '32' },
    {
      onQuery: (sql) => {
        if (counting) statements.push(sql);
      },
    },
  );
  api = await createApi(env);
  pipeline = createPipeline(env.config, env.db);
  for (const n of [1, 2, 3]) reviewers.push((await createToken(`regions reviewer ${n}`, 'REVIEWER')).token);
});
afterAll(() => env.dispose());

type Who = number | 'ADMIN' | 'VIEWER' | 'REVIEWER' | null;
const headers = (who: Who): Record<string, string> =>
  typeof who === 'number' ? { authorization: `Bearer ${reviewers[who]}` } : api.headers(who);

interface Answer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; argument?: string } }[];
}

async function gql<T>(who: Who, query: string, variables: Record<string, unknown> = {}): Promise<Answer<T>> {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers(who) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Answer<T>;
}

/** A multipart request: `files` maps a variable path (`regions.1.mask`) to a PNG. */
async function upload<T>(who: Who, query: string, variables: Record<string, unknown>, files: Record<string, Buffer>) {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  const paths = Object.keys(files);
  form.append('map', JSON.stringify(Object.fromEntries(paths.map((p, i) => [String(i), [`variables.${p}`]]))));
  paths.forEach((p, i) => {
    form.append(String(i), new File([new Uint8Array(files[p] as Buffer)], 'mask.png', { type: 'image/png' }));
  });
  const res = await api.yoga.fetch('http://test/graphql', { method: 'POST', headers: headers(who), body: form });
  return (await res.json()) as Answer<T>;
}

const SUBMIT = `mutation Submit($image: ID!, $v: Int!, $structures: [DermoscopicStructure!]!, $regions: [StructureRegionInput!]) {
  submitReview(image: $image, expectedVersion: $v, diagnosisClass: NEVUS, structures: $structures, regions: $regions) { version }
}`;
const REGIONS = `query Regions($id: ID!) {
  node(id: $id) { ... on Image { reviews { structures regions { structure polygons maskUrl } } } }
}`;

let drawn = 500;
async function newImage(): Promise<{ row: number; id: string }> {
  drawn += 1;
  const r = await pipeline.ingest({
    bytes: await lesion(drawn, { width: 96, height: 72 }),
    record: record({ lesion_id: `RR${drawn}`, clinical_diagnosis: 'nevus' }),
    fileName: `${drawn}.jpg`,
    source: 'test',
  });
  if (r.outcome !== 'ACCEPTED') throw new Error(`acquisition: ${r.outcome}`);
  return { row: r.imageId, id: encodeGlobalID('Image', r.imageId) };
}

const version = async (row: number) =>
  (await env.db.image.findUniqueOrThrow({ where: { id: row }, select: { version: true } })).version;

/** A mask PNG of w × h, inside where `inside(x, y)`; RGB by default (the server keeps one channel). */
const maskPng = (w: number, h: number, inside: (x: number, y: number) => boolean, channels: 1 | 3 = 3) => {
  const data = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) if (inside(x, y)) data.fill(200, (y * w + x) * channels, (y * w + x + 1) * channels);
  return sharp(data, { raw: { width: w, height: h, channels } })
    .withMetadata({ exif: { IFD0: { Copyright: 'someone' } } })
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

type RegionsAnswer = {
  node: {
    reviews: {
      structures: string[];
      regions: { structure: string; polygons: number[][][] | null; maskUrl: string | null }[];
    }[];
  };
};
const regionsSeen = async (who: Who, id: string) => {
  const res = await gql<RegionsAnswer>(who, REGIONS, { id });
  expect(res.errors).toBeUndefined();
  return (res.data?.node.reviews ?? []).map((r) => r.regions.map((x) => x.structure).sort());
};

describe('submitReview with regions, and who sees them', () => {
  let image: { row: number; id: string };

  beforeAll(async () => {
    image = await newImage();
    // reviewer 0: polygons for the veil; reviewer 1: a mask for the milia-like cysts
    const a = await gql(0, SUBMIT, {
      image: image.id,
      v: await version(image.row),
      structures: ['BLUE_WHITISH_VEIL'],
      regions: [{ structure: 'BLUE_WHITISH_VEIL', polygons: LEFT_HALF }],
    });
    expect(a.errors).toBeUndefined();
    const b = await upload(
      1,
      SUBMIT,
      {
        image: image.id,
        v: await version(image.row),
        structures: ['MILIA_LIKE_CYSTS', 'BLUE_WHITISH_VEIL'],
        regions: [
          { structure: 'MILIA_LIKE_CYSTS', mask: null },
          { structure: 'BLUE_WHITISH_VEIL', mask: null },
        ],
      },
      // two masks in one multipart request
      {
        'regions.0.mask': await maskPng(40, 30, (x) => x >= 20),
        'regions.1.mask': await maskPng(40, 30, (_x, y) => y < 10),
      },
    );
    expect(b.errors).toBeUndefined();
  });

  it('stores polygons as given and the mask as a 1-channel 0/255 PNG without metadata', async () => {
    const rows = await env.db.reviewRegion.findMany({
      where: { review: { imageId: image.row } },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((r) => [r.structure, r.polygons !== null, r.maskKey !== null])).toEqual([
      ['BLUE_WHITISH_VEIL', true, false],
      ['MILIA_LIKE_CYSTS', false, true],
      ['BLUE_WHITISH_VEIL', false, true],
    ]);
    expect(JSON.parse(rows[0]?.polygons ?? 'null')).toEqual(LEFT_HALF);
    const opened = await blobStore(env.dataDir).open(rows[1]?.maskKey as string);
    const chunks: Buffer[] = [];
    for await (const c of opened.stream) chunks.push(c as Buffer);
    const png = Buffer.concat(chunks);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.channels, meta.width, meta.height, meta.exif]).toEqual(['png', 1, 40, 30, undefined]);
    const { data } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(new Set(data)).toEqual(new Set([0, 255]));
    expect(data.filter((v) => v === 255).length).toBe(20 * 30);
  });

  it('before the consensus: the author and admins see the regions, a co-reviewer and a viewer do not', async () => {
    // reviewer 0 sees both reviews (their own is in) but only their own regions
    expect(await regionsSeen(0, image.id)).toEqual([['BLUE_WHITISH_VEIL'], []]);
    expect(await regionsSeen(1, image.id)).toEqual([[], ['BLUE_WHITISH_VEIL', 'MILIA_LIKE_CYSTS']]);
    // reviewer 2 has not reviewed: sees no review at all; a viewer neither
    expect(await regionsSeen(2, image.id)).toEqual([]);
    expect(await regionsSeen('VIEWER', image.id)).toEqual([]);
    expect(await regionsSeen('ADMIN', image.id)).toEqual([
      ['BLUE_WHITISH_VEIL'],
      ['BLUE_WHITISH_VEIL', 'MILIA_LIKE_CYSTS'],
    ]);
  });

  it('after the consensus: whoever sees the reviews sees the regions, a mask by signed URL', async () => {
    await submitReview({ imageId: image.row, reviewerCode: 'E-3', diagnosisClass: 'NEVUS', structures: [] });
    await recordConsensus({ imageId: image.row, diagnosisClass: 'NEVUS', structures: [], decidedBy: 'E-3' });
    for (const who of [0, 1, 2, 'VIEWER', 'ADMIN'] as const)
      expect([who, await regionsSeen(who, image.id)]).toEqual([
        who,
        [['BLUE_WHITISH_VEIL'], ['BLUE_WHITISH_VEIL', 'MILIA_LIKE_CYSTS'], []],
      ]);
    const res = await gql<RegionsAnswer>('VIEWER', REGIONS, { id: image.id });
    const [veil, veilMask, cysts] = (res.data?.node.reviews ?? []).flatMap((r) => r.regions);
    expect(veilMask?.maskUrl).toMatch(/^http:\/\/test\/regions\/\d+\/mask\.png\?/);
    expect(veil?.polygons).toEqual(LEFT_HALF);
    expect(veil?.maskUrl).toBeNull();
    expect(cysts?.polygons).toBeNull();
    expect(cysts?.maskUrl).toMatch(/^http:\/\/test\/regions\/\d+\/mask\.png\?/);
  });
});

describe('GET /regions/<id>/mask.png', () => {
  let image: { row: number; id: string };
  let maskRegion = 0;
  const get = (path: string, who: Who) => api.yoga.fetch(`http://test${path}`, { headers: headers(who) });

  beforeAll(async () => {
    image = await newImage();
    const res = await upload(
      0,
      SUBMIT,
      {
        image: image.id,
        v: await version(image.row),
        structures: ['MILIA_LIKE_CYSTS'],
        regions: [{ structure: 'MILIA_LIKE_CYSTS', mask: null }],
      },
      { 'regions.0.mask': await maskPng(12, 12, (x, y) => x + y < 12) },
    );
    expect(res.errors).toBeUndefined();
    maskRegion = (await env.db.reviewRegion.findFirstOrThrow({ where: { review: { imageId: image.row } } })).id;
  });

  it('before the consensus: the author and admins get the PNG, everyone else 404 as for no region', async () => {
    const path = `/regions/${maskRegion}/mask.png`;
    const mine = await get(path, 0);
    expect([mine.status, mine.headers.get('content-type')]).toEqual([200, 'image/png']);
    const meta = await sharp(Buffer.from(await mine.arrayBuffer())).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([12, 12, 1]);
    expect((await get(path, 'ADMIN')).status).toBe(200);
    for (const who of [1, 'VIEWER', 'REVIEWER'] as const) {
      const res = await get(path, who);
      expect([who, res.status, ((await res.json()) as { code: string }).code]).toEqual([who, 404, 'NOT_FOUND']);
    }
    expect((await get('/regions/999999/mask.png', 'ADMIN')).status).toBe(404);
    expect((await get(path, null)).status).toBe(401);
    const post = await api.yoga.fetch(`http://test${path}`, { method: 'POST', headers: headers('ADMIN') });
    expect(post.status).toBe(405);
  });

  it('after the consensus: a viewer opens maskUrl without a header (signed)', async () => {
    for (const who of ['E-2', 'E-3'])
      await submitReview({ imageId: image.row, reviewerCode: who, diagnosisClass: 'NEVUS', structures: [] });
    await recordConsensus({ imageId: image.row, diagnosisClass: 'NEVUS', structures: [], decidedBy: 'E-2' });
    const res = await gql<RegionsAnswer>('VIEWER', REGIONS, { id: image.id });
    const url = (res.data?.node.reviews ?? []).flatMap((r) => r.regions)[0]?.maskUrl ?? '';
    expect(url).toContain(`/regions/${maskRegion}/mask.png?`);
    const opened = await api.yoga.fetch(url);
    expect(opened.status).toBe(200);
    const tampered = await api.yoga.fetch(url.replace(`/regions/${maskRegion}/`, `/regions/${maskRegion + 1}/`));
    expect(tampered.status).toBe(403);
  });
});

describe('a page of images with their reviews’ regions', () => {
  it('reads the regions of a page’s reviews in one statement, for 1 image as for all', async () => {
    const PAGE = `query P($n: Int!) { images(first: $n) { edges { node { reviews { regions { structure polygons } } } } } }`;
    const count = async (n: number) => {
      statements.length = 0;
      counting = true;
      const res = await gql<{ images: { edges: { node: { reviews: { regions: unknown[] }[] } }[] } }>('ADMIN', PAGE, {
        n,
      });
      counting = false;
      expect(res.errors).toBeUndefined();
      const regions = (res.data?.images.edges ?? []).flatMap((e) => e.node.reviews.flatMap((r) => r.regions)).length;
      return { statements: statements.filter((q) => q.includes('review_region')).length, regions };
    };
    // the first request of a token reads it once; each count below is a new request (the response cache has none)
    await count(2);
    const one = await count(1);
    const all = await count(100);
    expect(all.regions).toBeGreaterThan(one.regions);
    // the regions of a page's reviews: one statement, for 1 image as for all of them
    expect([one.statements, all.statements]).toEqual([1, 1]);
  });
});

describe('a bad region refuses the whole review and changes nothing', () => {
  let image: { row: number; id: string };
  beforeAll(async () => {
    image = await newImage();
  });

  const square = [
    [0.1, 0.1],
    [0.5, 0.1],
    [0.5, 0.5],
  ];

  const cases: [string, unknown[], string][] = [
    [
      'a coordinate past 1',
      [{ structure: 'BLUE_WHITISH_VEIL', polygons: [[...square, [1.2, 0.3]]] }],
      'regions.0.polygons.0.3',
    ],
    [
      'a structure the review does not list',
      [{ structure: 'MILIA_LIKE_CYSTS', polygons: [square] }],
      'regions.0.structure',
    ],
    ['two points', [{ structure: 'BLUE_WHITISH_VEIL', polygons: [square.slice(0, 2)] }], 'regions.0.polygons.0'],
    ['21 polygons', [{ structure: 'BLUE_WHITISH_VEIL', polygons: new Array(21).fill(square) }], 'regions.0.polygons'],
    ['31 regions', new Array(31).fill({ structure: 'BLUE_WHITISH_VEIL', polygons: [square] }), 'regions'],
    ['neither polygons nor mask', [{ structure: 'BLUE_WHITISH_VEIL' }], 'regions.0'],
  ];
  for (const [what, regions, argument] of cases) {
    it(`${what}: BAD_USER_INPUT naming ${argument}`, async () => {
      const before = await snapshot(env);
      const res = await gql(0, SUBMIT, {
        image: image.id,
        v: await version(image.row),
        structures: ['BLUE_WHITISH_VEIL'],
        regions,
      });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      expect(await snapshot(env)).toEqual(before);
    });
  }

  const maskCases: [string, () => Promise<Buffer>, RegExp][] = [
    [
      'a mask over 5 MB',
      async () => {
        // random RGB noise does not compress: 1,400 × 1,400 × 3 bytes ≈ 5.9 MB
        const noise = Buffer.alloc(1400 * 1400 * 3);
        let s = 12345;
        for (let i = 0; i < noise.length; i++) {
          s = (s * 1103515245 + 12345) >>> 0;
          noise[i] = s >>> 24;
        }
        return sharp(noise, { raw: { width: 1400, height: 1400, channels: 3 } })
          .png({ compressionLevel: 0 })
          .toBuffer();
      },
      /at most 5 MB/,
    ],
    ['a mask over 4096 pixels wide', () => maskPng(4097, 2, () => true, 1), /4097 × 2 pixels: at most 4096 × 4096/],
    [
      'a JPEG mask',
      () =>
        sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
          .jpeg()
          .toBuffer(),
      /give a PNG/,
    ],
    ['an empty mask', () => maskPng(8, 8, () => false), /marks no pixel/],
    ['bytes that are no image', async () => Buffer.from('not a png at all'), /not a readable PNG/],
  ];
  for (const [what, bytes, message] of maskCases) {
    it(`${what}: BAD_USER_INPUT naming regions.0.mask, no row, no blob`, async () => {
      const png = await bytes();
      const before = await snapshot(env);
      const res = await upload(
        0,
        SUBMIT,
        {
          image: image.id,
          v: await version(image.row),
          structures: ['BLUE_WHITISH_VEIL'],
          regions: [{ structure: 'BLUE_WHITISH_VEIL', mask: null }],
        },
        { 'regions.0.mask': png },
      );
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'regions.0.mask' });
      expect(res.errors?.[0]?.message).toMatch(message);
      expect(await snapshot(env)).toEqual(before);
    });
  }

  it('a refused review (a second one by the same reviewer) stores no mask', async () => {
    const first = await gql(2, SUBMIT, { image: image.id, v: await version(image.row), structures: [] });
    expect(first.errors).toBeUndefined();
    const before = await snapshot(env);
    const res = await upload(
      2,
      SUBMIT,
      {
        image: image.id,
        v: await version(image.row),
        structures: ['BLUE_WHITISH_VEIL'],
        regions: [{ structure: 'BLUE_WHITISH_VEIL', mask: null }],
      },
      { 'regions.0.mask': await maskPng(16, 16, (x, y) => x < y) },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('DUPLICATE_REVIEW');
    expect(await snapshot(env)).toEqual(before);
  });
});

describe('a transaction that fails after the mask was stored', () => {
  it('removes the blob it created and leaves no row', async () => {
    const image = await newImage();
    const { id: reviewId } = await submitReview({
      imageId: image.row,
      reviewerCode: 'E-9',
      diagnosisClass: 'NEVUS',
      structures: [],
    });
    const write = await prepareRegions(
      {
        regions: [
          {
            structure: 'BLUE_WHITISH_VEIL',
            mask: new File([new Uint8Array(await maskPng(9, 9, (x) => x === 4))], 'm.png'),
          },
        ],
        dataDir: env.dataDir,
      },
      ['BLUE_WHITISH_VEIL'],
    );
    const before = await snapshot(env);
    let stored = '';
    const failing = env.db.$transaction(async (tx) => {
      await write.save(tx, reviewId);
      const row = await tx.reviewRegion.findFirstOrThrow({ where: { reviewId } });
      stored = row.maskKey ?? '';
      expect(await blobStore(env.dataDir).has(stored)).toBe(true);
      throw new Error('a fault after the mask was stored');
    });
    await expect(write.settle(failing)).rejects.toThrow('a fault after the mask was stored');
    expect(stored).not.toBe('');
    expect(await blobStore(env.dataDir).has(stored)).toBe(false);
    expect(await snapshot(env)).toEqual(before);
  });
});

describe('structureAgreement', () => {
  const AGREEMENT = `query A($subset: EvaluationSubsetInput) {
    structureAgreement(subset: $subset) { structure images kappa iou iouPairs }
  }`;
  type Row = { structure: string; images: number; kappa: number | null; iou: number | null; iouPairs: number };
  const rect = (x0: number, y0: number, x1: number, y1: number) => [
    [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ],
  ];
  let images: { row: number; id: string }[] = [];

  beforeAll(async () => {
    // a collection of its own: three decided images and one undecided, reviewed through the service
    images = [await newImage(), await newImage(), await newImage(), await newImage()];
    const col = await env.db.collection.create({
      data: {
        slug: 'regions-agreement',
        name: 'Regions agreement',
        kind: 'own',
        license: 'CC-BY-4.0',
        attribution: 'test',
      },
    });
    for (const i of images) await env.db.image.update({ where: { id: i.row }, data: { collectionId: col.id } });
    const review = (row: number, who: string, structures: string[], regions: unknown[] = []) =>
      submitReview({
        imageId: row,
        reviewerCode: who,
        diagnosisClass: 'NEVUS',
        structures: structures as never,
        regions: regions.length ? { regions: regions as never, dataDir: env.dataDir } : null,
      });
    const [a, b, c, d] = images.map((i) => i.row) as [number, number, number, number];
    // image a: all three list the veil; X and Y mark it (left half vs left quarter: IoU 0.5)
    await review(a, 'X', ['BLUE_WHITISH_VEIL'], [{ structure: 'BLUE_WHITISH_VEIL', polygons: rect(0, 0, 0.5, 1) }]);
    await review(a, 'Y', ['BLUE_WHITISH_VEIL'], [{ structure: 'BLUE_WHITISH_VEIL', polygons: rect(0, 0, 0.25, 1) }]);
    await review(a, 'Z', ['BLUE_WHITISH_VEIL']);
    // image b: two of three list it; both mark the same half (IoU 1)
    await review(b, 'X', ['BLUE_WHITISH_VEIL'], [{ structure: 'BLUE_WHITISH_VEIL', polygons: rect(0.5, 0, 1, 1) }]);
    await review(b, 'Y', ['BLUE_WHITISH_VEIL'], [{ structure: 'BLUE_WHITISH_VEIL', polygons: rect(0.5, 0, 1, 1) }]);
    await review(b, 'Z', []);
    // image c: nobody lists it
    for (const who of ['X', 'Y', 'Z']) await review(c, who, []);
    for (const row of [a, b, c])
      await recordConsensus({ imageId: row, diagnosisClass: 'NEVUS', structures: [], decidedBy: 'X' });
    // image d: undecided, two reviews that both list and mark the veil far apart (IoU 0): admins only
    await review(d, 'X', ['BLUE_WHITISH_VEIL'], [{ structure: 'BLUE_WHITISH_VEIL', polygons: rect(0, 0, 0.25, 1) }]);
    await review(d, 'Y', ['BLUE_WHITISH_VEIL'], [{ structure: 'BLUE_WHITISH_VEIL', polygons: rect(0.75, 0, 1, 1) }]);
  });

  const veil = async (who: Who) => {
    const res = await gql<{ structureAgreement: Row[] }>(who, AGREEMENT, {
      subset: { collection: 'regions-agreement' },
    });
    expect(res.errors).toBeUndefined();
    return res.data?.structureAgreement.find((r) => r.structure === 'BLUE_WHITISH_VEIL');
  };

  it('for a viewer: the decided images only, kappa and IoU by hand', async () => {
    // items (raters, present): (3,3), (3,2), (3,0). P_i: 1, 1/3, 1 → P̄ = 7/9; p = 5/9,
    // P_e = 25/81 + 16/81 = 41/81; κ = (63/81 − 41/81) / (40/81) = 22/40 = 0.55
    // IoU: image a 0.5 (one pair), image b 1 (one pair) → 0.75 over 2 pairs
    const row = await veil('VIEWER');
    expect(row?.images).toBe(3);
    expect(row?.kappa).toBeCloseTo(0.55, 12);
    expect(row?.iou).toBeCloseTo(0.75, 12);
    expect(row?.iouPairs).toBe(2);
  });

  it('for an admin: the undecided image with two reviews too', async () => {
    // items (3,3), (3,2), (3,0), (2,2): P_i 1, 1/3, 1, 1 → P̄ = 5/6; p = 7/11,
    // P_e = (49 + 16)/121 = 65/121; κ = (5/6 − 65/121) / (56/121) = (605 − 390)/726 · 121/56
    const row = await veil('ADMIN');
    expect(row?.images).toBe(4);
    expect(row?.kappa).toBeCloseTo((5 / 6 - 65 / 121) / (56 / 121), 12);
    expect(row?.iou).toBeCloseTo((0.5 + 1 + 0) / 3, 12);
    expect(row?.iouPairs).toBe(3);
  });

  it('lists every structure of the vocabulary; one nobody calls has no kappa', async () => {
    const res = await gql<{ structureAgreement: Row[] }>('VIEWER', AGREEMENT, {
      subset: { collection: 'regions-agreement' },
    });
    const rows = res.data?.structureAgreement ?? [];
    expect(rows.length).toBeGreaterThan(20);
    const cysts = rows.find((r) => r.structure === 'MILIA_LIKE_CYSTS');
    expect(cysts).toEqual({ structure: 'MILIA_LIKE_CYSTS', images: 3, kappa: null, iou: null, iouPairs: 0 });
  });

  it('refuses an anonymous caller', async () => {
    const res = await gql<{ structureAgreement: Row[] }>(null, AGREEMENT, {});
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data?.structureAgreement ?? null).toBeNull();
  });

  it('refuses a subset naming two kinds', async () => {
    const res = await gql('VIEWER', AGREEMENT, { subset: { collection: 'regions-agreement', release: 'r' } });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
