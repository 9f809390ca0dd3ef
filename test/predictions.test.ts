// Models and their predictions through the API (registerModel, importPredictions, models, model):
// what each refuses and that a refusal changes nothing, per-row refusals beside stored rows, a
// repeated import that writes nothing (not even the data versions), predictions that never change,
// owner-only imports, and saliency maps stored as single-channel PNGs without metadata.
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataVersions } from '../src/db/data-version.ts';
import { toolActor } from '../src/domain/actor.ts';
import { checkScores, parseImageRef } from '../src/domain/predictions.ts';
import { importPredictions, registerModel } from '../src/resolvers/models.ts';
import { resolvePolicy } from '../src/resolvers/policies.ts';
import { blobStore } from '../src/storage/open.ts';
import { sweepBlobs } from '../src/storage/sweep.ts';
import { type Api, createApi } from './helpers/api.ts';
import { multipart, postMultipart } from './helpers/bad-input.ts';
import { createTestEnv, type TestEnv, testProvider } from './helpers/database.ts';
import { bareImageRow } from './helpers/images.ts';
import { snapshot } from './helpers/snapshot.ts';
import { requestWork } from './helpers/statements.ts';

let env: TestEnv;
let api: Api;
/** SQL statements sent, counted at the driver adapter. */
let statements = 0;
const images: { id: number; sha256: string; gid: string }[] = [];

const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
const hex = (n: number, c: string) => `${c}${String(n).padStart(63, '0')}`;

beforeAll(async () => {
  env = await createTestEnv({}, { onQuery: (sql) => (requestWork(sql) ? statements++ : 0) });
  api = await createApi(env);
  // a dozen image rows (predictions name images; their bytes are not read)
  const own = await env.db.collection.findUniqueOrThrow({ where: { slug: 'own' } });
  for (let n = 1; n <= 1012; n++) {
    const p = await env.db.patient.create({ data: { code: `P-pred-${n}` } });
    const l = await env.db.lesion.create({ data: { code: `L-pred-${n}`, patientId: p.id } });
    const i = await env.db.image.create({
      data: bareImageRow({
        patientId: p.id,
        lesionId: l.id,
        collectionId: own.id,
        sha256: hex(n, 'a'),
        pixelHash: hex(n, 'b'),
        key: String(n),
      }),
    });
    images.push({ id: i.id, sha256: i.sha256, gid: gid('Image', i.id) });
  }
});
afterAll(() => env?.dispose());

interface Gql {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; argument?: string } }[];
}

async function gql(role: Parameters<Api['headers']>[0], query: string, variables: Record<string, unknown> = {}) {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...api.headers(role) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Gql;
}

const codeOf = (r: Gql) => r.errors?.[0]?.extensions?.code;

const REGISTER = `mutation R($input: RegisterModelInput!) {
  registerModel(input: $input) { id name version labels trainingNotes predictionCount policy { id version } }
}`;

const IMPORT = `mutation I($model: ID!, $predictions: [PredictionInput!]!) {
  importPredictions(model: $model, predictions: $predictions) {
    received stored unchanged refused refusals { row image code message }
  }
}`;

interface Report {
  received: number;
  stored: number;
  unchanged: number;
  refused: number;
  refusals: { row: number; image: string | null; code: string; message: string }[];
}

const binary = (malignant: number) => [
  { label: 'benign', score: 1 - malignant },
  { label: 'malignant', score: malignant },
];

async function register(role: Parameters<Api['headers']>[0], input: Record<string, unknown>) {
  const r = await gql(role, REGISTER, { input });
  return { r, model: r.data?.registerModel as { id: string; labels: string[]; policy: { id: string } } | undefined };
}

async function importAs(role: Parameters<Api['headers']>[0], model: string, predictions: unknown[]) {
  const r = await gql(role, IMPORT, { model, predictions });
  return { r, report: r.data?.importPredictions as Report | undefined };
}

describe(`registerModel on ${testProvider}`, () => {
  it('registers under the active policy by default, with its labels in order; the caller owns it', async () => {
    const { r, model } = await register('VIEWER', { name: 'resnet', version: '1.0', trainingNotes: '  ISIC 2019  ' });
    expect(r.errors).toBeUndefined();
    expect(model).toMatchObject({
      name: 'resnet',
      version: '1.0',
      labels: ['benign', 'malignant'],
      trainingNotes: 'ISIC 2019',
      predictionCount: 0,
      policy: { id: 'screening-binary' },
    });
    const row = await env.db.model.findFirstOrThrow({ where: { name: 'resnet' } });
    const viewer = await env.db.apiToken.findFirstOrThrow({ where: { role: 'VIEWER' } });
    expect(row.ownerTokenId).toBe(viewer.id);
    expect(row.createdBy).toMatch(/^[A-Z]+-[0-9a-f]+$|^\S+$/);
    expect(row.createdBy).not.toContain('token:');

    const ham = await register('VIEWER', { name: 'resnet', version: '1.0-ham', policy: 'ham10000' });
    expect(ham.model?.labels).toEqual(['nv', 'mel', 'bkl', 'bcc', 'akiec', 'vasc', 'df']);
    expect(ham.model?.policy.id).toBe('ham10000');
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      'a name and version registered already',
      { name: 'resnet', version: '1.0' },
      'BAD_USER_INPUT',
      /resnet@1\.0 is registered already/,
    ],
    ['an unknown policy', { name: 'x', version: '1', policy: 'no-such' }, 'BAD_USER_INPUT', /unknown policy "no-such"/],
    ['an empty name', { name: '  ', version: '1' }, 'BAD_USER_INPUT', /name is 1–100 characters/],
    ['a name of 101 characters', { name: 'n'.repeat(101), version: '1' }, 'BAD_USER_INPUT', /name is 1–100/],
    ['a version of 51 characters', { name: 'x', version: 'v'.repeat(51) }, 'BAD_USER_INPUT', /version is 1–50/],
    ['a version holding @', { name: 'x', version: '1@2' }, 'BAD_USER_INPUT', /may not hold @/],
    ['a control character', { name: 'x\u0007', version: '1' }, 'BAD_USER_INPUT', /control characters/],
    [
      'notes over 10,000 characters',
      { name: 'x', version: '1', trainingNotes: 'n'.repeat(10_001) },
      'BAD_USER_INPUT',
      /at most 10,000/,
    ],
  ])('refuses %s, writing nothing', async (_what, input, code, message) => {
    const before = await snapshot(env);
    const { r } = await register('VIEWER', input);
    expect(codeOf(r)).toBe(code);
    expect(r.errors?.[0]?.message).toMatch(message);
    expect(await snapshot(env)).toEqual(before);
  });

  it('refuses an anonymous caller', async () => {
    const before = await snapshot(env);
    const { r } = await register(null, { name: 'anon', version: '1' });
    expect(codeOf(r)).toBe('UNAUTHENTICATED');
    expect(await snapshot(env)).toEqual(before);
  });
});

describe(`importPredictions on ${testProvider}`, () => {
  let model = '';
  let modelRow = 0;
  beforeAll(async () => {
    const { model: m } = await register('ANNOTATOR', { name: 'effnet', version: '2' });
    model = m?.id ?? '';
    modelRow = (await env.db.model.findFirstOrThrow({ where: { name: 'effnet' } })).id;
  });

  it('stores good rows named by global id or SHA-256 (any case) and lists them with their labels', async () => {
    const i = images;
    const { r, report } = await importAs('ANNOTATOR', model, [
      { image: i[0]?.gid, scores: binary(0.25) },
      {
        image: i[1]?.sha256.toUpperCase(),
        scores: [
          { label: 'MALIGNANT', score: 0.5 },
          { label: 'Benign', score: 0.5 },
        ],
      },
    ]);
    expect(r.errors).toBeUndefined();
    expect(report).toEqual({ received: 2, stored: 2, unchanged: 0, refused: 0, refusals: [] });
    const listed = await gql(
      'VIEWER',
      `query M($name: String!) { model(name: $name, version: "2") {
      predictionCount predictions(first: 1) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { image { id sha256 } scores { label score } saliencyUrl } } } } }`,
      { name: 'effnet' },
    );
    expect(listed.errors).toBeUndefined();
    const m = listed.data?.model as {
      predictionCount: number;
      predictions: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: { node: unknown }[];
      };
    };
    expect(m.predictionCount).toBe(2);
    expect(m.predictions.totalCount).toBe(2);
    expect(m.predictions.pageInfo.hasNextPage).toBe(true);
    expect(m.predictions.edges[0]?.node).toEqual({
      image: { id: i[0]?.gid, sha256: i[0]?.sha256 },
      scores: [
        { label: 'benign', score: 0.75 },
        { label: 'malignant', score: 0.25 },
      ],
      saliencyUrl: null,
    });
    const next = await gql(
      'VIEWER',
      `query M($after: String) { model(name: "effnet", version: "2") {
      predictions(first: 5, after: $after) { edges { node { image { sha256 } scores { score } } } } } }`,
      {
        after: m.predictions.pageInfo.endCursor,
      },
    );
    expect(next.errors).toBeUndefined();
    expect((next.data?.model as { predictions: { edges: unknown[] } } | undefined)?.predictions.edges).toEqual([
      { node: { image: { sha256: i[1]?.sha256 }, scores: [{ score: 0.5 }, { score: 0.5 }] } },
    ]);
    const listing = await gql('VIEWER', '{ models(first: 10) { totalCount edges { node { name version } } } }');
    expect(listing.data?.models).toEqual({
      totalCount: 3,
      edges: [
        { node: { name: 'resnet', version: '1.0' } },
        { node: { name: 'resnet', version: '1.0-ham' } },
        { node: { name: 'effnet', version: '2' } },
      ],
    });
  });

  it('refuses each bad row with its code and stores the good ones beside them', async () => {
    const i = images;
    const before = await env.db.prediction.count();
    const { r, report } = await importAs('ANNOTATOR', model, [
      { image: i[2]?.gid, scores: binary(0.9) }, // 0 good
      { image: '12', scores: binary(0.1) }, // 1 a bare row id is not a reference
      { image: 'f'.repeat(64), scores: binary(0.1) }, // 2 no such image
      { image: gid('Image', 999_999), scores: binary(0.1) }, // 3 no such image
      { image: i[3]?.gid, scores: [...binary(0.1), { label: 'atypical', score: 0 }] }, // 4
      { image: i[4]?.gid, scores: [{ label: 'benign', score: 1 }] }, // 5
      { image: i[5]?.gid, scores: binary(1.2) }, // 6 outside [0, 1]
      {
        image: i[6]?.gid,
        scores: [
          { label: 'benign', score: 0.5 },
          { label: 'malignant', score: 0.3 },
        ],
      }, // 7 sum
      { image: i[2]?.sha256, scores: binary(0.9) }, // 8 the image of row 0 again
      { image: i[0]?.gid, scores: binary(0.3) }, // 9 another prediction is stored
      { image: i[7]?.gid, scores: [...binary(0.2), { label: 'benign', score: 0.8 }] }, // 10 twice
      { image: i[8]?.sha256, scores: binary(0.4) }, // 11 good
    ]);
    expect(r.errors).toBeUndefined();
    expect(report?.refusals.map((x) => [x.row, x.code])).toEqual([
      [1, 'UNKNOWN_IMAGE'],
      [2, 'UNKNOWN_IMAGE'],
      [3, 'UNKNOWN_IMAGE'],
      [4, 'UNKNOWN_LABEL'],
      [5, 'MISSING_LABEL'],
      [6, 'NOT_A_PROBABILITY'],
      [7, 'NOT_A_PROBABILITY'],
      [8, 'DUPLICATE_IMAGE'],
      [9, 'CONFLICTS_WITH_STORED'],
      [10, 'UNKNOWN_LABEL'],
    ]);
    expect(report).toMatchObject({ received: 12, stored: 2, unchanged: 0, refused: 10 });
    expect(report?.refusals[0]).toEqual({
      row: 1,
      image: '12',
      code: 'UNKNOWN_IMAGE',
      message: '"12" is neither an Image global id nor a SHA-256 (64 hex digits)',
    });
    expect(report?.refusals.find((x) => x.row === 7)?.message).toMatch(/sum to 0\.8/);
    expect(await env.db.prediction.count()).toBe(before + 2);
    const stored = await env.db.prediction.findMany({ where: { modelId: modelRow }, orderBy: { imageId: 'asc' } });
    expect(stored.map((p) => [p.imageId, JSON.parse(p.scores)])).toEqual([
      [i[0]?.id, [0.75, 0.25]],
      [i[1]?.id, [0.5, 0.5]],
      [i[2]?.id, [0.09999999999999998, 0.9]],
      [i[8]?.id, [0.6, 0.4]],
    ]);
    expect((await env.db.model.findUniqueOrThrow({ where: { id: modelRow } })).predictionCount).toBe(4);
  });

  it('an identical re-import is a no-op: all unchanged, nothing written, no data version raised', async () => {
    const i = images;
    const before = await snapshot(env);
    const versions = await dataVersions();
    const { report } = await importAs('ANNOTATOR', model, [
      { image: i[0]?.sha256, scores: binary(0.25) },
      { image: i[2]?.gid, scores: binary(0.9) },
      { image: i[8]?.gid, scores: binary(0.4) },
    ]);
    expect(report).toEqual({ received: 3, stored: 0, unchanged: 3, refused: 0, refusals: [] });
    expect(await dataVersions()).toEqual(versions);
    expect(await snapshot(env)).toEqual(before);
  });

  it('a stored prediction never changes: a different one is refused, the rest of the batch stored once', async () => {
    const i = images;
    const versions = await dataVersions();
    const { report } = await importAs('ANNOTATOR', model, [
      { image: i[0]?.gid, scores: binary(0.26) },
      { image: i[9]?.gid, scores: binary(0.7) },
    ]);
    expect(report?.refusals.map((x) => x.code)).toEqual(['CONFLICTS_WITH_STORED']);
    expect(report?.refusals[0]?.message).toMatch(/register a new version/);
    expect(report?.stored).toBe(1);
    const p = await env.db.prediction.findUniqueOrThrow({
      where: { modelId_imageId: { modelId: modelRow, imageId: i[0]?.id ?? 0 } },
    });
    expect(JSON.parse(p.scores)).toEqual([0.75, 0.25]);
    const after = await dataVersions();
    // the model's row is updated once in the import's transaction (SQLite's triggers fire per row)
    expect(after.settings).toBeGreaterThan(versions.settings);
    expect(after.records).toBe(versions.records);
  });

  it('only the owner or an admin imports; an unknown model is NOT_FOUND; nothing changes', async () => {
    const i = images;
    const before = await snapshot(env);
    const row = [{ image: i[10]?.gid, scores: binary(0.5) }];
    expect(codeOf((await importAs('REVIEWER', model, row)).r)).toBe('FORBIDDEN');
    expect(codeOf((await importAs('VIEWER', model, row)).r)).toBe('FORBIDDEN');
    expect(codeOf((await importAs(null, model, row)).r)).toBe('UNAUTHENTICATED');
    expect(codeOf((await importAs('ANNOTATOR', gid('Model', 999_999), row)).r)).toBe('NOT_FOUND');
    expect(codeOf((await importAs('ANNOTATOR', images[0]?.gid ?? '', row)).r)).toBe('BAD_USER_INPUT');
    expect(await snapshot(env)).toEqual(before);
    const { report } = await importAs('ADMIN', model, row);
    expect(report?.stored).toBe(1);
  });

  it('refuses a batch over 1,000 rows as a whole, storing nothing', async () => {
    const before = await snapshot(env);
    const rows = Array.from({ length: 1001 }, () => ({ image: images[11]?.gid, scores: binary(0.5) }));
    const { r } = await importAs('ANNOTATOR', model, rows);
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(/predictions has 1001 values|predictions has 1001 rows/);
    expect(await snapshot(env)).toEqual(before);
    // the service holds the bound whatever calls it
    await expect(
      importPredictions(blobStore(env.dataDir), toolActor('t'), modelRow, rows as { image: string; scores: [] }[]),
    ).rejects.toThrow(/at most 1,000 a batch/);
  });
});

/** The blobs under the data folder's saliency kind (originals/…/*.png). */
function pngBlobs(): string[] {
  const out: string[] = [];
  const root = join(env.dataDir, 'blobs', 'originals');
  const walk = (dir: string) => {
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.png')) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

describe(`saliency maps on ${testProvider}`, () => {
  let model = '';
  let modelRow = 0;
  beforeAll(async () => {
    const { model: m } = await register('ANNOTATOR', { name: 'cam', version: '1' });
    model = m?.id ?? '';
    modelRow = (await env.db.model.findFirstOrThrow({ where: { name: 'cam' } })).id;
  });

  /** A 40×30 RGBA PNG with a gradient and metadata (EXIF, ICC). */
  const colourPng = () =>
    sharp(Buffer.from(Array.from({ length: 40 * 30 * 4 }, (_, k) => (k % 4 === 3 ? 200 : (k * 7) % 256))), {
      raw: { width: 40, height: 30, channels: 4 },
    })
      .withMetadata({ exif: { IFD0: { Copyright: 'secret clinic' } } })
      .png()
      .toBuffer();

  async function upload(row: Record<string, unknown>, file: { bytes: Buffer; name: string; type: string }) {
    const form = multipart({
      operations: { query: IMPORT, variables: { model, predictions: [{ ...row, saliency: null }] } },
      map: { 0: ['variables.predictions.0.saliency'] },
      files: [file],
    });
    const res = await postMultipart(api.yoga, form, api.headers('ANNOTATOR'));
    return res.json as Gql;
  }

  it('stores a saliency map as a single-channel 8-bit PNG without metadata, behind a signed URL', async () => {
    const given = await colourPng();
    expect((await sharp(given).metadata()).exif).toBeDefined();
    const r = await upload(
      { image: images[0]?.gid, scores: binary(0.5) },
      { bytes: given, name: 's.png', type: 'image/png' },
    );
    expect(r.errors).toBeUndefined();
    expect((r.data?.importPredictions as Report | undefined)?.stored).toBe(1);
    const p = await env.db.prediction.findUniqueOrThrow({
      where: { modelId_imageId: { modelId: modelRow, imageId: images[0]?.id ?? 0 } },
    });
    expect(p.saliencySha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.saliencyKey).toMatch(/^originals\/[0-9a-f]{2}\/[0-9a-f]{64}\.png$/);
    const kept = readFileSync(join(env.dataDir, 'blobs', p.saliencyKey ?? ''));
    const meta = await sharp(kept).metadata();
    expect(meta).toMatchObject({ format: 'png', channels: 1, depth: 'uchar', width: 40, height: 30 });
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(meta.hasAlpha).toBe(false);
    const listed = await gql(
      'VIEWER',
      '{ model(name: "cam", version: "1") { predictions { edges { node { saliencyUrl } } } } }',
    );
    const url = (listed.data?.model as { predictions: { edges: { node: { saliencyUrl: string } }[] } } | undefined)
      ?.predictions.edges[0]?.node.saliencyUrl;
    expect(url).toMatch(new RegExp(`/models/${modelRow}/images/${images[0]?.sha256}/saliency\\.png\\?`));
    // the signed URL serves the stored PNG; the path without a signature needs a token
    const served = await api.yoga.fetch(url ?? '');
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(kept);
    const path = new URL(url ?? '').pathname;
    expect((await api.yoga.fetch(`http://test${path}`)).status).toBe(401);
    expect((await api.yoga.fetch(`http://test${path}`, { headers: api.headers('VIEWER') })).status).toBe(200);
    const other = `http://test/models/${modelRow}/images/${images[5]?.sha256}/saliency.png`;
    expect((await api.yoga.fetch(other, { headers: api.headers('VIEWER') })).status).toBe(404);

    // the same file again: unchanged; without it: another prediction
    const again = await upload(
      { image: images[0]?.sha256, scores: binary(0.5) },
      { bytes: given, name: 's.png', type: 'image/png' },
    );
    expect((again.data?.importPredictions as Report | undefined)?.unchanged).toBe(1);
    const bare = await importAs('ANNOTATOR', model, [{ image: images[0]?.gid, scores: binary(0.5) }]);
    expect(bare.report?.refusals.map((x) => x.code)).toEqual(['CONFLICTS_WITH_STORED']);
  });

  // needs the sweep to count prediction.saliency_key as a reference (/tmp/h/predictions-proposal/sweep.patch)
  it('the blob sweep keeps stored saliency maps', async () => {
    const keys = (await env.db.prediction.findMany({ where: { saliencyKey: { not: null } } })).map(
      (p) => p.saliencyKey,
    );
    expect(keys.length).toBeGreaterThan(0);
    const report = await sweepBlobs(env.db, blobStore(env.dataDir), { graceMs: 0, dryRun: true });
    expect(report.removed.filter((k) => keys.includes(k))).toEqual([]);
  });

  it.each<[string, () => Promise<Buffer>]>([
    ['text that is no image', async () => Buffer.from('not a picture at all')],
    [
      'a frame over 4096 pixels wide',
      () =>
        sharp({ create: { width: 4097, height: 2, channels: 3, background: '#000' } })
          .png()
          .toBuffer(),
    ],
    ['a truncated PNG', async () => (await colourPng()).subarray(0, 120)],
    [
      'a WebP',
      () =>
        sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
          .webp()
          .toBuffer(),
    ],
  ])('refuses %s as BAD_SALIENCY, leaving no row and no blob', async (_what, make) => {
    const blobs = pngBlobs();
    const before = await snapshot(env);
    const r = await upload(
      { image: images[1]?.gid, scores: binary(0.5) },
      { bytes: await make(), name: 's.png', type: 'image/png' },
    );
    expect(r.errors).toBeUndefined();
    expect((r.data?.importPredictions as Report | undefined)?.refusals.map((x) => x.code)).toEqual(['BAD_SALIENCY']);
    expect(await snapshot(env)).toEqual(before);
    expect(pngBlobs()).toEqual(blobs);
  });

  it('a mixed batch with maps (the service, as the CLI calls it): good rows stored, refused rows leave no blob', async () => {
    const good = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const other = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#1e1e1e' } })
      .png()
      .toBuffer();
    const file = (b: Buffer) => ({ size: b.length, arrayBuffer: async () => new Uint8Array(b).buffer });
    const blobs = pngBlobs();
    const report = await importPredictions(blobStore(env.dataDir), toolActor('t'), modelRow, [
      { image: images[2]?.gid ?? '', scores: binary(0.2), saliency: file(good) },
      { image: images[0]?.gid ?? '', scores: binary(0.9), saliency: file(other) }, // conflicts
      { image: images[3]?.gid ?? '', scores: binary(2), saliency: file(other) }, // not a probability
      {
        image: images[4]?.gid ?? '',
        scores: binary(0.5),
        saliency: { size: 6 * 1024 * 1024, arrayBuffer: async () => new ArrayBuffer(0) },
      },
    ]);
    expect(report.refusals.map((x) => [x.row, x.code])).toEqual([
      [1, 'CONFLICTS_WITH_STORED'],
      [2, 'NOT_A_PROBABILITY'],
      [3, 'BAD_SALIENCY'],
    ]);
    expect(report.stored).toBe(1);
    const added = pngBlobs().filter((b) => !blobs.includes(b));
    expect(added).toHaveLength(1);
    const p = await env.db.prediction.findUniqueOrThrow({
      where: { modelId_imageId: { modelId: modelRow, imageId: images[2]?.id ?? 0 } },
    });
    expect(join(env.dataDir, 'blobs', p.saliencyKey ?? '')).toBe(added[0]);
    expect((await sharp(readFileSync(added[0] ?? '')).metadata()).channels).toBe(1);
  });
});

describe(`SQL statements and bounds on ${testProvider}`, () => {
  let model = '';
  beforeAll(async () => {
    const { model: m } = await register('ANNOTATOR', { name: 'bulk', version: '1' });
    model = m?.id ?? '';
  });
  const rows = (from: number, n: number, malignant = 0.5) =>
    images.slice(from, from + n).map((i) => ({ image: i.sha256, scores: binary(malignant) }));

  it('an import of 500 rows costs the statements of 5 rows but for the insert, which the driver cuts by its parameter limit', async () => {
    statements = 0;
    const small = await importAs('ANNOTATOR', model, rows(12, 5));
    const few = statements;
    expect(small.report?.stored).toBe(5);
    statements = 0;
    const large = await importAs('ANNOTATOR', model, rows(17, 495).concat(rows(12, 5)));
    expect(large.r.errors).toBeUndefined();
    expect(large.report).toMatchObject({ received: 500, stored: 495, unchanged: 5, refused: 0 });
    // one image lookup, one read of the stored rows, the insert (SQLite: 999 parameters a statement,
    // so ~200 rows), the model's count: never a statement per row
    expect(statements).toBeGreaterThanOrEqual(few);
    expect(statements).toBeLessThanOrEqual(few + 3);
  });

  it('a page of predictions with their images and scores costs as many statements for 2 as for 200', async () => {
    const page = async (first: number) => {
      statements = 0;
      const r = await gql(
        'VIEWER',
        `query P($first: Int) { model(name: "bulk", version: "1") {
        predictions(first: $first) { totalCount edges { node { image { id sha256 } scores { label score } saliencyUrl } } } } }`,
        { first },
      );
      expect(r.errors).toBeUndefined();
      const m = r.data?.model as { predictions: { totalCount: number; edges: unknown[] } } | undefined;
      expect(m?.predictions.edges).toHaveLength(first);
      expect(m?.predictions.totalCount).toBe(500);
      return statements;
    };
    const two = await page(2);
    expect(await page(200)).toBe(two);
    expect(two).toBeLessThanOrEqual(6);
  });

  it('a model is a Node: node(id:) loads it', async () => {
    const r = await gql(
      'VIEWER',
      'query N($id: ID!) { node(id: $id) { ... on Model { name version predictionCount } } }',
      {
        id: model,
      },
    );
    expect(r.data?.node).toEqual({ name: 'bulk', version: '1', predictionCount: 500 });
  });

  // needs 'Mutation.importPredictions(predictions:)': 1000 in the input bounds' listBounds (server/yoga.ts),
  // which otherwise hold every list to 500 values
  it('takes a batch of 1,000 rows', async () => {
    const { model: m } = await register('ANNOTATOR', { name: 'bulk', version: '2' });
    const { r, report } = await importAs('ANNOTATOR', m?.id ?? '', rows(12, 1000, 0.25));
    expect(r.errors).toBeUndefined();
    expect(report?.stored).toBe(1000);
  });
});

describe('the row checks (domain/predictions.ts)', () => {
  it('names images by global id or SHA-256 only', () => {
    expect(parseImageRef(gid('Image', 7))).toEqual({ kind: 'id', id: 7 });
    expect(parseImageRef(` ${'AB'.repeat(32)} `)).toEqual({ kind: 'sha256', sha256: 'ab'.repeat(32) });
    for (const bad of ['7', gid('Patient', 7), gid('Image', 0), 'x'.repeat(300), '', 'ab'.repeat(31)])
      expect(parseImageRef(bad)).toMatchObject({ code: 'UNKNOWN_IMAGE' });
  });

  it('holds scores to the labels, [0, 1], finite, and a sum of 1 ± 0.01', () => {
    const labels = ['benign', 'malignant'];
    expect(checkScores(labels, binary(0.3))).toEqual([0.7, 0.3]);
    expect(
      checkScores(labels, [
        { label: 'malignant', score: 0.505 },
        { label: 'benign', score: 0.505 },
      ]),
    ).toEqual([0.505, 0.505]);
    expect(
      checkScores(labels, [
        { label: 'malignant', score: 0.506 },
        { label: 'benign', score: 0.505 },
      ]),
    ).toMatchObject({ code: 'NOT_A_PROBABILITY' });
    expect(checkScores(labels, binary(Number.NaN))).toMatchObject({ code: 'NOT_A_PROBABILITY' });
    expect(
      checkScores(labels, [
        { label: 'benign', score: -0 },
        { label: 'malignant', score: 1 },
      ]),
    ).toEqual([-0, 1]);
    expect(checkScores(labels, [])).toMatchObject({ code: 'MISSING_LABEL', message: 'no score for benign, malignant' });
  });

  it('registers through the service as the CLI does (the CLI actor owns nothing: admins import)', async () => {
    const m = await registerModel(
      toolActor('dermaset-cli'),
      { name: 'svc', version: '1', policy: 'nine-class' },
      (id) => resolvePolicy(id),
    );
    expect(m.ownerTokenId).toBeNull();
    expect(JSON.parse(m.labels)).toHaveLength(9);
  });
});
