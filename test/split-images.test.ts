// Splits over real images taken in through the acquisition pipeline, each scenario in installations
// of its own: the same images and seed give the same manifest on two installations with different
// pseudonym keys (images taken in in another order, so other database ids too); a chain of
// near-duplicate images, each within the distance of the next only, does not become one cluster that
// wrecks the split, and the links it leaves across parts are reported; a clique of near duplicates
// too large for the fractions is refused, named, unless allowOversizedUnits.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { toolActor } from '../src/domain/actor.ts';
import { Random } from '../src/domain/random.ts';
import { graphql } from '../src/gql/index.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { createSplit } from '../src/resolvers/splits.ts';
import { requestScope } from '../src/resolvers/subset.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record, TEST_SEED } from './helpers/images.ts';

const FRACTIONS = { train: 0.7, validation: 0.15, test: 0.15 };
const SMALL = { DERMASET_MIN_SIDE: '32' };

interface Upload {
  bytes: Buffer;
  record: Record<string, unknown>;
  fileName: string;
}

async function ingestAll(env: TestEnv, uploads: readonly Upload[]) {
  const pipeline = createPipeline(env.config, env.db);
  for (const u of uploads) {
    const r = await pipeline.ingest({ bytes: u.bytes, record: u.record, fileName: u.fileName, source: 'test' });
    expect(r.outcome, u.fileName).toBe('ACCEPTED');
  }
}

/**
 * A 216×192 PNG whose difference hash is exactly `bits`: a 9×8 grid of 24 px grey cells, each row
 * stepping up for a 1 and down for a 0 (at most 256 px, so the pipeline hashes it without resizing).
 */
function gridPng(bits: bigint): Promise<Buffer> {
  const cell = 24;
  const [w, h] = [9 * cell, 8 * cell];
  const grid = new Uint8Array(72);
  for (let y = 0; y < 8; y++) {
    let v = 128;
    grid[y * 9] = v;
    for (let x = 0; x < 8; x++) {
      v += (bits >> BigInt(63 - (y * 8 + x))) & 1n ? 12 : -12;
      grid[y * 9 + x + 1] = v;
    }
  }
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      rgb.fill(grid[Math.floor(y / cell) * 9 + Math.floor(x / cell)] ?? 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

/** A grid image of its own patient, named `<name>-<i>.png` with patient `<NAME>-<i>`. */
async function gridUpload(name: string, i: number, bits: bigint): Promise<Upload> {
  return {
    bytes: await gridPng(bits),
    fileName: `${name}-${i}.png`,
    record: record({ patient_id: `${name.toUpperCase()}-${i}`, lesion_id: 'L1' }),
  };
}

const randomBits = (rnd: Random) => (BigInt(rnd.int(0, 2 ** 32 - 1)) << 32n) | BigInt(rnd.int(0, 2 ** 32 - 1));

describe('two installations with different pseudonym keys', () => {
  let a: TestEnv;
  let b: TestEnv;
  let uploads: Upload[];

  beforeAll(async () => {
    a = await createTestEnv({ ...SMALL, DERMASET_PSEUDONYM_KEY: 'installation-a-key-0123456789' });
    b = await createTestEnv({ ...SMALL, DERMASET_PSEUDONYM_KEY: 'installation-b-key-9876543210' });
    // 48 lesion images of 16 patients (1–3 lesions each), some of them re-saved as near duplicates
    uploads = [];
    const jpegs: Buffer[] = [];
    for (let n = 0; n < 48; n++) {
      const previous = jpegs[n - 1];
      // every ninth image is the previous one saved again at a lower quality: a near duplicate
      const bytes =
        n % 9 === 4 && previous
          ? await sharp(previous).jpeg({ quality: 60 }).toBuffer()
          : await lesion(n, { width: 96, height: 72, cls: n % 7 === 0 ? 'MELANOMA' : 'NEVUS' });
      jpegs.push(bytes);
      uploads.push({
        bytes,
        fileName: `img-${n}.jpg`,
        record: record({
          patient_id: `MRN-${n % 16}`,
          lesion_id: `L${n % 3}`,
          clinical_diagnosis: n % 7 === 0 ? 'melanoma' : 'nevus',
          sex: n % 2 ? 'female' : 'male',
        }),
      });
    }
    await ingestAll(a, uploads);
    await ingestAll(b, [...uploads].reverse());
  }, 300_000);
  afterAll(async () => {
    await a?.dispose();
    await b?.dispose();
  });

  it('hold the same images under other patient codes and other ids', async () => {
    const rows = (env: TestEnv) =>
      env.db.image.findMany({ select: { id: true, sha256: true, patient: { select: { code: true } } } });
    const [ra, rb] = [await rows(a), await rows(b)];
    expect(new Set(rb.map((r) => r.sha256))).toEqual(new Set(ra.map((r) => r.sha256)));
    expect(new Set(rb.map((r) => r.patient.code))).not.toEqual(new Set(ra.map((r) => r.patient.code)));
    const idOf = new Map(ra.map((r) => [r.sha256, r.id]));
    expect(rb.filter((r) => idOf.get(r.sha256) !== r.id).length).toBeGreaterThan(40);
    expect(await a.db.nearDuplicate.count()).toBeGreaterThan(0);
  });

  it.each([
    ['70/15/15, seed 42', { seed: 42, fractions: FRACTIONS }],
    ['70/15/15 stratified by sex, seed 7', { seed: 7, fractions: FRACTIONS, stratifyBy: ['SEX' as const] }],
    ['5 folds, seed 3', { seed: 3, folds: 5 }],
  ])('give the same manifest hash for %s', async (_name, input) => {
    const hashIn = async (env: TestEnv) => {
      useDatabase(env.db);
      const id = await createSplit(requestScope(), { policy: 'nine-class', ...input }, toolActor('test'));
      return (await env.db.split.findUniqueOrThrow({ where: { id } })).manifestHash;
    };
    expect(await hashIn(b)).toBe(await hashIn(a));
  });
});

describe('a chain of near-duplicate images', () => {
  let env: TestEnv;
  let api: Api;
  const CHAIN = 41;
  const OTHERS = 8;

  beforeAll(async () => {
    env = await createTestEnv(SMALL);
    api = await createApi(env);
    const rnd = new Random(TEST_SEED);
    // image i differs from image i+1 in 3 hash bits and from image i+2 in 6: with the near-duplicate
    // distance at 4, each image is linked to its neighbours only (21 disjoint triples of bits, flipped
    // one after another and then back, so that the 41 images stay distinct)
    const base = randomBits(rnd);
    const triple = (t: number) => 7n << BigInt(3 * t);
    const uploads: Upload[] = [];
    for (let i = 0; i < CHAIN; i++) {
      let mask = 0n;
      for (let t = Math.max(0, i - 21); t < Math.min(i, 21); t++) mask |= triple(t);
      uploads.push(await gridUpload('chain', i, base ^ mask));
    }
    for (let i = 0; i < OTHERS; i++) uploads.push(await gridUpload('other', i, randomBits(rnd)));
    await ingestAll(env, uploads);
  }, 300_000);
  afterAll(() => env?.dispose());

  const CreateChainSplit = graphql(`
    mutation CreateChainSplit($input: CreateSplitInput!) {
      createSplit(input: $input) {
        id imageCount manifestHash
        parts { name images }
        largestUnit { kind key images patients share part }
        oversizedUnit { kind key images patients share part }
        certificate { clean nearDuplicateClusters nearDuplicatePairs leaks { kind group parts images } }
      }
    }
  `);
  const AuditChain = graphql(`
    query AuditChain($assignments: [SplitAssignmentInput!]!) {
      auditSplit(assignments: $assignments) { clean nearDuplicateClusters nearDuplicatePairs leaks { kind group parts images } }
    }
  `);

  /** The stored links as sorted sha256 pairs, read straight from the table. */
  const links = async () =>
    (
      await env.db.nearDuplicate.findMany({
        select: { image: { select: { sha256: true } }, twin: { select: { sha256: true } } },
      })
    ).map((l) => [l.image.sha256, l.twin.sha256].sort() as [string, string]);

  it('is linked image to image, as the pipeline found it', async () => {
    expect(await env.db.image.count()).toBe(CHAIN + OTHERS);
    expect(await env.db.nearDuplicate.count()).toBe(CHAIN - 1);
  });

  it('does not become one cluster: a 70/15/15 split keeps every part within 5 % of the images of its target', async () => {
    const res = await api.as('VIEWER', CreateChainSplit, {
      input: { policy: 'nine-class', seed: 1, fractions: FRACTIONS },
    });
    expect(res.errors).toBeUndefined();
    const s = res.data?.createSplit;
    if (!s) throw new Error('no split');
    expect(s.imageCount).toBe(CHAIN + OTHERS);
    const target = { train: 0.7, validation: 0.15, test: 0.15 } as Record<string, number>;
    for (const p of s.parts)
      expect(Math.abs(p.images - (target[p.name] ?? 0) * s.imageCount), `${p.name} ${p.images}`).toBeLessThanOrEqual(
        Math.max(0.05 * s.imageCount, 1),
      );
    expect(s.oversizedUnit).toBeNull();
    expect(s.largestUnit?.images).toBeLessThanOrEqual(2);

    // the certificate is honest about the links the bounded clusters let apart: exactly the links
    // whose two images are in different parts, each named by its pair
    const parts = new Map(
      (
        await env.db.splitAssignment.findMany({
          where: { splitId: s.id },
          select: { part: true, image: { select: { sha256: true } } },
        })
      ).map((r) => [r.image.sha256, r.part]),
    );
    const crossing = (await links())
      .filter(([x, y]) => parts.get(x) !== parts.get(y))
      .map(([x, y]) => ({
        kind: 'NEAR_DUPLICATE_PAIR',
        group: x,
        parts: [parts.get(x), parts.get(y)].sort(),
        images: [x, y],
      }));
    expect(crossing.length).toBeGreaterThan(0);
    expect(s.certificate.nearDuplicatePairs).toBe(CHAIN - 1);
    expect(s.certificate.leaks.filter((l) => l.kind !== 'NEAR_DUPLICATE_PAIR')).toEqual([]);
    expect([...s.certificate.leaks].sort((x, y) => (x.group < y.group ? -1 : 1))).toEqual(
      crossing.sort((x, y) => (x.group < y.group ? -1 : 1)),
    );
    expect(s.certificate.clean).toBe(false);
  });

  it('is cut into clusters of at most two images, the links between them checked pair by pair', async () => {
    // every image in a part of its own: every cluster and every link between clusters leaks
    const shas = (await env.db.image.findMany({ select: { sha256: true } })).map((r) => r.sha256);
    const res = await api.as('VIEWER', AuditChain, {
      assignments: shas.map((sha256, i) => ({ sha256, part: `p${i}` })),
    });
    expect(res.errors).toBeUndefined();
    const audit = res.data?.auditSplit;
    const clusters = audit?.leaks.filter((l) => l.kind === 'NEAR_DUPLICATE_CLUSTER') ?? [];
    const pairs = audit?.leaks.filter((l) => l.kind === 'NEAR_DUPLICATE_PAIR') ?? [];
    expect(clusters.length).toBe(audit?.nearDuplicateClusters);
    expect(clusters.length).toBeGreaterThanOrEqual(14);
    for (const c of clusters) expect(c.images).toHaveLength(2);
    // each link is inside a cluster or between two: together, all of them
    expect(clusters.length + pairs.length).toBe(CHAIN - 1);
    expect(audit?.nearDuplicatePairs).toBe(CHAIN - 1);
    const all = new Set((await links()).map((l) => l.join(' ')));
    for (const l of [...clusters, ...pairs]) expect(all.has(l.images.join(' ')), l.images.join(' ')).toBe(true);
  });
});

describe('a clique of near-duplicate images too large for the fractions', () => {
  let env: TestEnv;
  let api: Api;
  const CLIQUE = 35;
  const OTHERS = 8;
  let first = '';

  beforeAll(async () => {
    env = await createTestEnv(SMALL);
    api = await createApi(env);
    // a picture and 34 copies each one hash bit off it: every two of them are near duplicates
    const rnd = new Random(TEST_SEED + 1);
    const base = randomBits(rnd);
    const uploads: Upload[] = [];
    for (let i = 0; i < CLIQUE; i++)
      uploads.push(await gridUpload('clique', i, i === 0 ? base : base ^ (1n << BigInt(i - 1))));
    for (let i = 0; i < OTHERS; i++) uploads.push(await gridUpload('other', i, randomBits(rnd)));
    await ingestAll(env, uploads);
    const clique = await env.db.image.findMany({
      where: { OR: [{ nearDuplicates: { some: {} } }, { nearDuplicateOf: { some: {} } }] },
      select: { sha256: true },
      orderBy: { sha256: 'asc' },
    });
    expect(clique).toHaveLength(CLIQUE);
    first = clique[0]?.sha256 ?? '';
  }, 300_000);
  afterAll(() => env?.dispose());

  const CreateCliqueSplit = graphql(`
    mutation CreateCliqueSplit($input: CreateSplitInput!) {
      createSplit(input: $input) {
        id imageCount
        parts { name images }
        largestUnit { kind key images patients share part }
        oversizedUnit { kind key images patients share part }
        certificate { clean nearDuplicateClusters nearDuplicatePairs leaks { kind } }
      }
    }
  `);

  it('is one cluster, as the pipeline linked every two of its images', async () => {
    expect(await env.db.nearDuplicate.count()).toBe((CLIQUE * (CLIQUE - 1)) / 2);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is refused with BAD_USER_INPUT naming the unit and its size, and nothing is stored', async () => {
    const res = await api.as('VIEWER', CreateCliqueSplit, {
      input: { policy: 'nine-class', seed: 1, fractions: FRACTIONS },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const message = res.errors?.[0]?.message ?? '';
    expect(message).toContain('a unit is too large for the fractions');
    expect(message).toContain(`a unit of ${CLIQUE} patients linked by near-duplicate images (first image ${first})`);
    expect(message).toContain(`holds ${CLIQUE} of the ${CLIQUE + OTHERS} images`);
    expect(message).toContain('allowOversizedUnits: true');
    expect(await env.db.split.count()).toBe(0);
    expect(await env.db.splitAssignment.count()).toBe(0);
  });

  it('is stored with allowOversizedUnits, reporting the unit as the largest and the oversized one', async () => {
    const res = await api.as('VIEWER', CreateCliqueSplit, {
      input: { policy: 'nine-class', seed: 1, fractions: FRACTIONS, allowOversizedUnits: true },
    });
    expect(res.errors).toBeUndefined();
    const s = res.data?.createSplit;
    if (!s) throw new Error('no split');
    const unit = {
      kind: 'LINKED_PATIENTS',
      key: first,
      images: CLIQUE,
      patients: CLIQUE,
      share: CLIQUE / (CLIQUE + OTHERS),
      part: 'train',
    };
    expect(s.largestUnit).toEqual(unit);
    expect(s.oversizedUnit).toEqual(unit);
    expect(s.parts.find((p) => p.name === 'train')?.images).toBeGreaterThanOrEqual(CLIQUE);
    // the clique stays whole: nothing leaks, however lopsided the parts
    expect(s.certificate).toEqual({
      clean: true,
      nearDuplicateClusters: 1,
      nearDuplicatePairs: (CLIQUE * (CLIQUE - 1)) / 2,
      leaks: [],
    });
  });
});
