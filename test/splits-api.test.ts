// Stored splits through the API on the demo cohort: createSplit (fractions, folds, stratifiers,
// extension), split(id).images(part:, fold:), the leak certificate, the largest unit, the manifest
// hash recomputed from the connection, auditSplit, and refusals that store nothing (among them a
// patient too large for the fractions, which allowOversizedUnits accepts).
import { createHash } from 'node:crypto';
import { tableFromIPC } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
import jsonld from 'jsonld';
import { readParquet } from 'parquet-wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../src/db/current.ts';
import type { SplitImagesQuery, SplitImagesQueryVariables } from '../src/gql/graphql.ts';
import { graphql } from '../src/gql/index.ts';
import { missingRequired } from '../src/resolvers/croissant.ts';
import { createToken } from '../src/resolvers/tokens.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';
import { awaitExport } from './helpers/exports.ts';
import { execute } from './helpers/graphql.ts';
import { unzip } from './helpers/zip.ts';

let env: TestEnv;
let api: Api;

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
}, 300_000);
afterAll(() => env?.dispose());

const CreateSplit = graphql(`
  mutation CreateSplit($input: CreateSplitInput!) {
    createSplit(input: $input) {
      id name policyId policyVersion seed folds stratifyBy partNames imageCount patientCount excluded kept moved
      manifestHash
      fractions { train validation test }
      whole { images patients labels { label count share } }
      parts { name part fold images patients deviation labels { label count share } }
      largestUnit { kind key images patients share part }
      oversizedUnit { kind key images patients share part }
      certificate { clean patients lesions nearDuplicateClusters nearDuplicatePairs leaks { kind group parts images } }
    }
  }
`);

const SplitImages = graphql(`
  query SplitImages($id: String!, $part: SplitPart, $fold: Int, $after: String) {
    split(id: $id) {
      images(part: $part, fold: $fold, first: 200, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          part
          node {
            id sha256 patient { code } lesion { code }
            demographic { sex }
            label(policy: "three-tier") { label }
          }
        }
      }
    }
  }
`);

const Audit = graphql(`
  query Audit($assignments: [SplitAssignmentInput!]!) {
    auditSplit(assignments: $assignments) {
      clean patients lesions nearDuplicateClusters unknown conflicting
      parts { name images patients }
      leaks { kind group parts images }
    }
  }
`);

type Row = { id: string; sha256: string; patient: string; lesion: string; sex: string | null; part: string };

async function imagesOf(id: string, part?: 'TRAIN' | 'VALIDATION' | 'TEST', fold?: number): Promise<Row[]> {
  const rows: Row[] = [];
  let after: string | null = null;
  for (;;) {
    const res: Awaited<ReturnType<typeof api.as<SplitImagesQuery, SplitImagesQueryVariables>>> = await api.as(
      'VIEWER',
      SplitImages,
      { id, part, fold, after },
    );
    expect(res.errors).toBeUndefined();
    const page = res.data?.split?.images;
    if (!page) throw new Error('no page');
    for (const e of page.edges)
      rows.push({
        id: e.node.id,
        sha256: e.node.sha256,
        patient: e.node.patient.code,
        lesion: e.node.lesion.code,
        sex: e.node.demographic.sex ?? null,
        part: e.part,
      });
    if (!page.pageInfo.hasNextPage) {
      expect(rows).toHaveLength(page.totalCount);
      return rows;
    }
    after = page.pageInfo.endCursor ?? null;
  }
}

/** createSplit as a viewer (a notebook's token); inputs are loose so that refusals can be sent. */
const create = (input: Record<string, unknown>) => api.as('VIEWER', CreateSplit, { input } as never);

const FRACTIONS = { train: 0.7, validation: 0.15, test: 0.15 };

describe('createSplit', () => {
  it('splits the demo cohort by patient, keeps label shares within 0.02 of the whole, and certifies it', async () => {
    const res = await create({ name: 'demo 70/15/15', policy: 'three-tier', seed: 7, fractions: FRACTIONS });
    expect(res.errors).toBeUndefined();
    const s = res.data?.createSplit;
    if (!s) throw new Error('no split');
    expect(s.partNames).toEqual(['train', 'validation', 'test']);
    expect(s.policyId).toBe('three-tier');
    expect(s.imageCount).toBe(1026);
    expect(s.patientCount).toBe(443);
    expect(s.certificate).toMatchObject({ clean: true, patients: 443, leaks: [] });
    expect(s.certificate.nearDuplicateClusters).toBeGreaterThan(0);
    expect(s.certificate.nearDuplicatePairs).toBe(await db().nearDuplicate.count());
    for (const p of s.parts) expect(p.deviation, p.name).toBeLessThanOrEqual(0.02);
    expect(s.parts.map((p) => p.part)).toEqual(['TRAIN', 'VALIDATION', 'TEST']);
    expect(s.parts.reduce((a, p) => a + p.images, 0)).toBe(1026);
    expect((s.parts[0]?.images ?? 0) / 1026).toBeGreaterThan(0.65);

    const rows = await imagesOf(s.id);
    expect(rows).toHaveLength(1026);
    // no patient and no lesion in two parts, read back from the connection
    for (const key of ['patient', 'lesion'] as const) {
      const partsOf = new Map<string, Set<string>>();
      for (const r of rows) partsOf.set(r[key], (partsOf.get(r[key]) ?? new Set()).add(r.part));
      expect([...partsOf.values()].filter((p) => p.size > 1)).toEqual([]);
    }
    // the largest unit is the patient with the most images (the demo's near duplicates are each
    // within one patient's lesion), and no unit kept a part off its target
    const perPatient = new Map<string, Row[]>();
    for (const r of rows) perPatient.set(r.patient, [...(perPatient.get(r.patient) ?? []), r]);
    const most = Math.max(...[...perPatient.values()].map((p) => p.length));
    expect(s.largestUnit).toMatchObject({ kind: 'PATIENT', images: most, patients: 1, share: most / 1026 });
    expect(perPatient.get(s.largestUnit?.key ?? '')?.length).toBe(most);
    expect(perPatient.get(s.largestUnit?.key ?? '')?.[0]?.part).toBe(s.largestUnit?.part);
    expect(s.oversizedUnit).toBeNull();
    // the manifest hash is the documented hash of the manifest the connection returns
    const lines = rows.map((r) => `${r.sha256}\t${r.part}\n`).sort();
    expect(s.manifestHash).toBe(createHash('sha256').update(lines.join('')).digest('hex'));
    // counts per part equal the connection's
    const test = await imagesOf(s.id, 'TEST');
    expect(test.length).toBe(s.parts[2]?.images);
    expect(new Set(test.map((r) => r.part))).toEqual(new Set(['test']));
    const counted = (part: string, label: string) =>
      s.parts.find((p) => p.name === part)?.labels.find((l) => l.label === label)?.count;
    const byLabel = await api.as(
      'VIEWER',
      graphql(`query CountMalignant { images(filter: { clinicalStatus: [MALIGNANT] }) { totalCount } }`),
      {},
    );
    expect(s.parts.reduce((a, p) => a + (counted(p.name, 'malignant') ?? 0), 0)).toBe(byLabel.data?.images.totalCount);
  });

  it('gives the same manifest hash for the same seed, another for another seed', async () => {
    const a = await create({ policy: 'three-tier', seed: 11, fractions: FRACTIONS });
    const b = await create({ policy: 'three-tier', seed: 11, fractions: FRACTIONS });
    const c = await create({ policy: 'three-tier', seed: 12, fractions: FRACTIONS });
    expect(a.data?.createSplit.id).not.toBe(b.data?.createSplit.id);
    expect(b.data?.createSplit.manifestHash).toBe(a.data?.createSplit.manifestHash);
    expect(c.data?.createSplit.manifestHash).not.toBe(a.data?.createSplit.manifestHash);
  });

  it('makes k folds: fold f with TRAIN is every other fold, and folds are disjoint by patient', async () => {
    const res = await create({ policy: 'screening-binary', seed: 3, folds: 5 });
    expect(res.errors).toBeUndefined();
    const s = res.data?.createSplit;
    if (!s) throw new Error('no split');
    expect(s.partNames).toEqual(['fold-1', 'fold-2', 'fold-3', 'fold-4', 'fold-5']);
    expect(s.parts.map((p) => p.fold)).toEqual([1, 2, 3, 4, 5]);
    for (const p of s.parts) {
      expect(p.images / s.imageCount).toBeGreaterThan(0.15);
      expect(p.deviation, p.name).toBeLessThanOrEqual(0.03);
    }
    const held = await imagesOf(s.id, 'TEST', 2);
    const train = await imagesOf(s.id, 'TRAIN', 2);
    expect(held.length + train.length).toBe(s.imageCount);
    expect(new Set(held.map((r) => r.part))).toEqual(new Set(['fold-2']));
    const heldPatients = new Set(held.map((r) => r.patient));
    expect(train.filter((r) => heldPatients.has(r.patient))).toEqual([]);
    expect((await imagesOf(s.id, undefined, 2)).map((r) => r.id)).toEqual(held.map((r) => r.id));
  });

  it('balances sex too when asked', async () => {
    const res = await create({ policy: 'three-tier', seed: 5, fractions: FRACTIONS, stratifyBy: ['SEX'] });
    const s = res.data?.createSplit;
    if (!s) throw new Error(JSON.stringify(res.errors));
    expect(s.stratifyBy).toEqual(['SEX']);
    const rows = await imagesOf(s.id);
    const share = (rs: Row[]) => rs.filter((r) => r.sex === 'FEMALE').length / rs.length;
    for (const part of s.partNames) {
      expect(Math.abs(share(rows.filter((r) => r.part === part)) - share(rows)), part).toBeLessThanOrEqual(0.03);
    }
  });

  it('balances verification stage and Fitzpatrick type when asked, still without leaks', async () => {
    const res = await create({ seed: 8, folds: 3, stratifyBy: ['VERIFICATION_STAGE', 'FITZPATRICK_TYPE'] });
    const s = res.data?.createSplit;
    if (!s) throw new Error(JSON.stringify(res.errors));
    expect(s.stratifyBy).toEqual(['FITZPATRICK_TYPE', 'VERIFICATION_STAGE']);
    expect(s.certificate.clean).toBe(true);
    const byStage = async (fold: number) =>
      (
        await api.as(
          'VIEWER',
          graphql(`query FoldStage($filter: ImageFilter) { images(filter: $filter, first: 1) { totalCount } }`),
          { filter: { split: { id: s.id, fold }, verificationStage: ['HISTOLOGY'] } },
        )
      ).data?.images.totalCount ?? 0;
    // the 39 histology-verified images spread over the folds like the whole
    const histology = [await byStage(1), await byStage(2), await byStage(3)];
    expect(histology.reduce((a, b) => a + b, 0)).toBe(39);
    for (const [i, n] of histology.entries())
      expect(Math.abs(n / (s.parts[i]?.images ?? 1) - 39 / 1026), `fold ${i + 1}`).toBeLessThanOrEqual(0.02);
  });

  it('extends an earlier split: its images keep their part, new patients are placed', async () => {
    // the last instant of 2025: a viewer's date bounds widen to whole years (safe-harbor)
    const cutoff = '2025-12-31T23:59:59.999Z';
    const first = (
      await create({ policy: 'three-tier', seed: 9, fractions: FRACTIONS, filter: { acquiredAt: { max: cutoff } } })
    ).data?.createSplit;
    if (!first) throw new Error('no first split');
    expect(first.imageCount).toBeGreaterThan(300);
    expect(first.imageCount).toBeLessThan(1026);
    const grown = await create({ policy: 'three-tier', seed: 9, fractions: FRACTIONS, extend: first.id });
    const s = grown.data?.createSplit;
    if (!s) throw new Error(JSON.stringify(grown.errors));
    expect(s.imageCount).toBe(1026);
    expect(s.kept).toBe(first.imageCount);
    expect(s.moved).toBe(0);
    expect(s.certificate.clean).toBe(true);
    const before = new Map((await imagesOf(first.id)).map((r) => [r.id, r.part]));
    const after = new Map((await imagesOf(s.id)).map((r) => [r.id, r.part]));
    for (const [id, part] of before) expect(after.get(id)).toBe(part);
    for (const p of s.parts) expect(p.deviation, p.name).toBeLessThanOrEqual(0.03);
  });

  it.each([
    ['both fractions and folds', { fractions: FRACTIONS, folds: 5 }, 'either fractions or folds'],
    ['neither', {}, 'either fractions or folds'],
    ['fractions not adding up to 1', { fractions: { train: 0.7, validation: 0.2, test: 0.2 } }, 'add up to 1'],
    ['a negative fraction', { fractions: { train: 1.1, validation: -0.1, test: 0 } }, 'between 0 and 1'],
    ['one part only', { fractions: { train: 1, validation: 0, test: 0 } }, 'at least two parts'],
    ['one fold', { folds: 1 }, 'from 2 to 20'],
    ['an unknown policy', { folds: 3, policy: 'no-such-policy' }, 'unknown policy'],
    ['an unknown extended split', { folds: 3, extend: 'nope' }, 'no split nope'],
    ['a filter matching nothing', { folds: 3, filter: { patientCode: ['nobody'] } }, 'no image matches'],
    ['more folds than patients', { folds: 20, filter: { diagnosisClass: ['MELANOMA'] } }, 'would be empty'],
    ['a long name', { folds: 3, name: 'x'.repeat(201) }, 'longer than 200'],
  ])('refuses %s with BAD_USER_INPUT and stores nothing', async (_name, input, message) => {
    const before = await db().split.count();
    const assignments = await db().splitAssignment.count();
    const res = await create(input);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain(message);
    expect(await db().split.count()).toBe(before);
    expect(await db().splitAssignment.count()).toBe(assignments);
  });

  it('refuses a patient too large for the fractions, naming it; allowOversizedUnits stores the split with it', async () => {
    const counts = await db().image.groupBy({ by: ['patientId'], _count: { _all: true } });
    const sorted = [...counts].sort((a, b) => b._count._all - a._count._all || a.patientId - b.patientId);
    const big = sorted[0];
    const singles = sorted.filter((c) => c._count._all === 1).slice(0, 2);
    if (!big || singles.length < 2) throw new Error('the demo cohort has a large patient and single-image ones');
    const codes = await db().patient.findMany({
      where: { id: { in: [big.patientId, ...singles.map((c) => c.patientId)] } },
      select: { id: true, code: true },
    });
    const codeOf = (id: number) => codes.find((c) => c.id === id)?.code ?? '';
    const n = big._count._all;
    const total = n + 2;
    // the big patient alone is over 70 % + 5 % of the images: wherever it goes, a part misses its target
    expect(n / total).toBeGreaterThan(0.75);
    const input = {
      policy: 'nine-class',
      fractions: FRACTIONS,
      filter: { patientCode: codes.map((c) => c.code) },
    };
    const before = await db().split.count();
    const refused = await create(input);
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toContain(
      `a unit is too large for the fractions: patient ${codeOf(big.patientId)} holds ${n} of the ${total} images`,
    );
    expect(refused.errors?.[0]?.message).toContain('allowOversizedUnits: true');
    expect(await db().split.count()).toBe(before);

    const res = await create({ ...input, allowOversizedUnits: true });
    expect(res.errors).toBeUndefined();
    const s = res.data?.createSplit;
    const unit = {
      kind: 'PATIENT',
      key: codeOf(big.patientId),
      images: n,
      patients: 1,
      share: n / total,
      part: 'train',
    };
    expect(s?.largestUnit).toEqual(unit);
    expect(s?.oversizedUnit).toEqual(unit);
    expect(s?.certificate.clean).toBe(true);
    expect(s?.parts.map((p) => p.images)).toEqual([n, 1, 1]);
  });

  it('refuses extending a split with other parts', async () => {
    const folds = (await create({ folds: 3 })).data?.createSplit;
    const res = await create({ fractions: FRACTIONS, extend: folds?.id });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain('give the same parts');
  });

  it('refuses a fold on a train/validation/test split and a missing part', async () => {
    const s = (await create({ fractions: { train: 0.8, validation: 0, test: 0.2 } })).data?.createSplit;
    expect(s?.partNames).toEqual(['train', 'test']);
    const id = s?.id ?? '';
    for (const vars of [
      { id, fold: 1 },
      { id, part: 'VALIDATION' as const },
    ]) {
      const res = await api.as('VIEWER', SplitImages, vars);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('deleteSplit', () => {
  const Delete = graphql(`mutation DeleteSplit($id: String!) { deleteSplit(id: $id) }`);

  it('lets the maker or an admin delete a split and its manifest, nobody else', async () => {
    const other = (await createToken('another notebook', 'VIEWER')).token;
    const mine = (await create({ folds: 2, seed: 99 })).data?.createSplit.id ?? '';
    const rows = await db().splitAssignment.count({ where: { splitId: mine } });
    expect(rows).toBe(1026);
    const refused = await execute(api.yoga, Delete, { id: mine }, { authorization: `Bearer ${other}` });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await db().splitAssignment.count({ where: { splitId: mine } })).toBe(rows);
    expect((await api.as('VIEWER', Delete, { id: mine })).data?.deleteSplit).toBe(mine);
    expect(await db().split.count({ where: { id: mine } })).toBe(0);
    expect(await db().splitAssignment.count({ where: { splitId: mine } })).toBe(0);
    expect((await api.as('VIEWER', Delete, { id: mine })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const theirs = (await api.as('REVIEWER', CreateSplit, { input: { folds: 2 } } as never)).data?.createSplit.id ?? '';
    expect((await api.as('ADMIN', Delete, { id: theirs })).data?.deleteSplit).toBe(theirs);
  });
});

describe('auditSplit', () => {
  let rows: Row[];
  beforeAll(async () => {
    const s = (await create({ policy: 'three-tier', seed: 1, fractions: FRACTIONS })).data?.createSplit;
    rows = await imagesOf(s?.id ?? '');
  });

  it('certifies a stored split’s own manifest as clean (by sha256 and by image id)', async () => {
    const bySha = await api.as('VIEWER', Audit, { assignments: rows.map((r) => ({ sha256: r.sha256, part: r.part })) });
    expect(bySha.errors).toBeUndefined();
    expect(bySha.data?.auditSplit).toMatchObject({ clean: true, leaks: [], unknown: [], conflicting: [] });
    expect(bySha.data?.auditSplit.patients).toBe(443);
    const byId = await api.as('VIEWER', Audit, { assignments: rows.map((r) => ({ image: r.id, part: r.part })) });
    expect(byId.data?.auditSplit).toMatchObject({ clean: true, patients: 443 });
    expect(byId.data?.auditSplit.parts.map((p) => p.name)).toEqual(['test', 'train', 'validation']);
  });

  it('reports a patient and a lesion moved across parts, unknown images and conflicting entries', async () => {
    // a lesion imaged more than once: move one of its images to another part
    const byLesion = new Map<string, Row[]>();
    for (const r of rows) byLesion.set(r.lesion, [...(byLesion.get(r.lesion) ?? []), r]);
    const twice = [...byLesion.values()].find((l) => l.length > 1);
    if (!twice?.[0]) throw new Error('no lesion with two images');
    const moved = twice[0];
    const other = moved.part === 'train' ? 'test' : 'train';
    const assignments = rows.map((r) => ({ sha256: r.sha256, part: r.sha256 === moved.sha256 ? other : r.part }));
    assignments.push({ sha256: 'f'.repeat(64), part: 'train' });
    const second = rows.find((r) => r.sha256 !== moved.sha256);
    assignments.push({ sha256: second?.sha256 ?? '', part: second?.part === 'test' ? 'train' : 'test' });
    const res = await api.as('VIEWER', Audit, { assignments });
    const audit = res.data?.auditSplit;
    expect(audit?.clean).toBe(false);
    expect(audit?.unknown).toEqual(['f'.repeat(64)]);
    expect(audit?.conflicting).toEqual([second?.sha256]);
    expect(audit?.leaks).toContainEqual({
      kind: 'PATIENT',
      group: moved.patient,
      parts: [moved.part, other].sort(),
      images: rows
        .filter((r) => r.patient === moved.patient)
        .map((r) => r.sha256)
        .sort(),
    });
    expect(audit?.leaks.some((l) => l.kind === 'LESION' && l.group === moved.lesion)).toBe(true);
  });

  it('reports a near-duplicate cluster split across parts', async () => {
    const pair = await db().nearDuplicate.findFirst({
      select: { image: { select: { sha256: true } }, twin: { select: { sha256: true } } },
    });
    if (!pair) throw new Error('the demo cohort has near duplicates');
    const res = await api.as('VIEWER', Audit, {
      assignments: [
        { sha256: pair.image.sha256, part: 'train' },
        { sha256: pair.twin.sha256, part: 'test' },
      ],
    });
    expect(res.data?.auditSplit.leaks.some((l) => l.kind === 'NEAR_DUPLICATE_CLUSTER')).toBe(true);
    expect(res.data?.auditSplit.nearDuplicateClusters).toBe(1);
  });

  it.each([
    ['neither image nor sha256', [{ part: 'train' }], 'either image or sha256'],
    ['both', [{ image: 'SW1hZ2U6MQ==', sha256: 'a'.repeat(64), part: 'train' }], 'either image or sha256'],
    ['an unusable part name', [{ sha256: 'a'.repeat(64), part: 'train/../x' }], 'part must be'],
    ['a Patient id', [{ image: Buffer.from('Patient:1').toString('base64'), part: 'train' }], 'expected an Image id'],
    [
      'a malformed Image id',
      [{ image: Buffer.from('Image:abc').toString('base64'), part: 'train' }],
      'not an Image id',
    ],
    [
      'an Image id past the integer range',
      [{ image: Buffer.from('Image:3000000000').toString('base64'), part: 'train' }],
      'not an Image id',
    ],
  ])('refuses %s with BAD_USER_INPUT', async (_name, assignments, message) => {
    const res = await api.as('VIEWER', Audit, { assignments });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain(message);
  });
});

describe('a split in exports, Croissant and filters', () => {
  let split: {
    id: string;
    manifestHash: string;
    imageCount: number;
    parts: { name: string; images: number; labels: { label: string; count: number }[] }[];
  };
  let rows: Row[];
  beforeAll(async () => {
    const s = (await create({ name: 'export me', policy: 'three-tier', seed: 21, fractions: FRACTIONS })).data
      ?.createSplit;
    if (!s) throw new Error('no split');
    split = s;
    rows = await imagesOf(s.id);
  });
  const partOf = () => new Map(rows.map((r) => [r.sha256, r.part]));
  const Start = graphql(`
    mutation StartSplitExport($format: String!, $split: SplitSelection, $policy: String) {
      startExport(format: $format, split: $split, policy: $policy) { id }
    }
  `);
  const start = async (format: string, sel: Record<string, unknown>, policy?: string) => {
    const res = await api.as('VIEWER', Start, { format, split: sel as never, policy });
    expect(res.errors).toBeUndefined();
    return awaitExport(api, res.data?.startExport.id ?? '');
  };

  it('jsonl: every image of the split once, with its part; the manifest names the split', async () => {
    const { body, manifest, export: e } = await start('jsonl', { id: split.id });
    const records = body
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sha256: string; split: string; label: { policy: string } });
    expect(records).toHaveLength(split.imageCount);
    const parts = partOf();
    for (const r of records) expect(r.split, r.sha256).toBe(parts.get(r.sha256));
    expect(records[0]?.label.policy).toBe('three-tier');
    expect(manifest.split).toEqual({
      id: split.id,
      parts: ['train', 'validation', 'test'],
      manifest_hash: split.manifestHash,
    });
    expect(e.policyId).toBe('three-tier');
    expect(e.split).toMatchObject({ id: split.id, manifestHash: split.manifestHash });
  });

  it('parquet: one part only, with a split column', async () => {
    const { body } = await start('parquet', { id: split.id, part: 'TEST' });
    const table = tableFromIPC(readParquet(new Uint8Array(body)).intoIPCStream());
    expect(table.numRows).toBe(split.parts.find((p) => p.name === 'test')?.images);
    expect(new Set(table.getChild('split')?.toArray() as string[])).toEqual(new Set(['test']));
  });

  it('imagefolder: each image in its part’s folder', async () => {
    const { body } = await start('imagefolder', { id: split.id });
    const all = await unzip(body);
    // each part's folder has its metadata file (Hugging Face reads the parts as splits)
    for (const p of split.parts) expect(all.some((e) => e.name === `${p.name}/metadata.parquet`)).toBe(true);
    const entries = all.filter(
      (e) => !e.name.endsWith('/metadata.parquet') && !e.name.endsWith('.json') && e.name !== 'LICENSES',
    );
    expect(entries).toHaveLength(split.imageCount);
    const parts = partOf();
    for (const e of entries) {
      const [folder, , file] = e.name.split('/');
      expect(folder, e.name).toBe(parts.get(file?.split('.')[0] ?? ''));
    }
  });

  it.each([
    ['an unknown split', { id: 'nope' }, undefined, 'no split nope'],
    ['a part the split does not have', { id: 'SPLIT', fold: 2 }, undefined, 'has no folds'],
    ['another policy', { id: 'SPLIT' }, 'ham10000', 'was made under three-tier'],
  ])('refuses %s (BAD_USER_INPUT) and records no export', async (_name, sel, policy, message) => {
    const before = await db().export.count();
    const res = await api.as('VIEWER', Start, {
      format: 'jsonl',
      split: { ...sel, id: sel.id === 'SPLIT' ? split.id : sel.id } as never,
      policy,
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain(message);
    expect(await db().export.count()).toBe(before);
  });

  it('Croissant: a cr:Split record set, a split field referencing it, the split’s files only', async () => {
    const Croissant = graphql(`query SplitCroissant($split: SplitSelection) { croissant(split: $split) }`);
    const res = await api.as('VIEWER', Croissant, { split: { id: split.id } });
    expect(res.errors).toBeUndefined();
    const doc = res.data?.croissant as {
      distribution: unknown[];
      recordSet: {
        '@id': string;
        dataType?: string;
        data?: unknown[];
        field: { name: string; references?: unknown }[];
      }[];
    };
    expect(doc.distribution).toHaveLength(1 + split.imageCount);
    const splits = doc.recordSet.find((r) => r['@id'] === 'splits');
    expect(splits?.dataType).toBe('cr:Split');
    expect(splits?.data).toEqual([
      { 'splits/name': 'train', 'splits/url': 'cr:TrainingSplit' },
      { 'splits/name': 'validation', 'splits/url': 'cr:ValidationSplit' },
      { 'splits/name': 'test', 'splits/url': 'cr:TestSplit' },
    ]);
    const field = doc.recordSet.find((r) => r['@id'] === 'records')?.field.find((f) => f.name === 'split');
    expect(field?.references).toEqual({ field: { '@id': 'splits/name' } });
    const expanded = (await jsonld.expand(doc as jsonld.JsonLdDocument)) as Record<string, unknown>[];
    expect(missingRequired(expanded)).toEqual([]);
    // dataType expands to Croissant's Split class (the data rows stay JSON literals, as the specification has them)
    expect(JSON.stringify(expanded).includes('"http://mlcommons.org/croissant/Split"')).toBe(true);
  });

  it('serves the manifest as CSV: every image with its part and label, one part on request', async () => {
    const get = (path: string, role: 'VIEWER' | null = 'VIEWER') =>
      api.yoga.fetch(`http://test${path}`, { headers: api.headers(role) });
    const res = await get(`/splits/${split.id}/manifest.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = parse(Buffer.from(await res.arrayBuffer()), { columns: true }) as Record<string, string>[];
    expect(lines).toHaveLength(split.imageCount);
    const parts = partOf();
    for (const l of lines) expect(l.part, l.sha256).toBe(parts.get(l.sha256 ?? ''));
    expect(lines[0]?.url).toBe(`http://test/images/${lines[0]?.sha256}/original`);
    // the labels are the split's: their counts per part are the stored ones
    for (const p of split.parts)
      for (const l of p.labels)
        expect(lines.filter((x) => x.part === p.name && x.label === l.label).length, `${p.name} ${l.label}`).toBe(
          l.count,
        );
    const test = parse(Buffer.from(await (await get(`/splits/${split.id}/manifest.csv?part=test`)).arrayBuffer()), {
      columns: true,
    }) as Record<string, string>[];
    expect(test.length).toBe(split.parts.find((p) => p.name === 'test')?.images);
    expect(new Set(test.map((l) => l.part))).toEqual(new Set(['test']));
    expect((await get(`/splits/${split.id}/manifest.csv?fold=2`)).status).toBe(400);
    expect((await get(`/splits/${split.id}/manifest.csv?part=dev`)).status).toBe(400);
    expect((await get(`/splits/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}/manifest.csv`)).status).toBe(404);
    expect((await get(`/splits/${split.id}/manifest.csv`, null)).status).toBe(401);
  });

  it('ImageFilter.split selects a part for images and stats', async () => {
    const Q = graphql(`
      query SplitFilter($filter: ImageFilter) {
        images(filter: $filter, first: 1) { totalCount }
        stats(filter: $filter, policy: "three-tier") { images patients }
      }
    `);
    const test = (await api.as('VIEWER', Q, { filter: { split: { id: split.id, part: 'TEST' } } })).data;
    expect(test?.images.totalCount).toBe(split.parts.find((p) => p.name === 'test')?.images);
    expect(test?.stats.images).toBe(test?.images.totalCount);
    expect(test?.stats.patients).toBe(new Set(rows.filter((r) => r.part === 'test').map((r) => r.patient)).size);
    // the split's policy is the default: the test part's labels are the ones it was stratified by
    const Labels = graphql(
      `query SplitLabels($filter: ImageFilter) { stats(filter: $filter) { policyId labels { label count } } }`,
    );
    const labels = (await api.as('VIEWER', Labels, { filter: { split: { id: split.id, part: 'TEST' } } })).data?.stats;
    expect(labels?.policyId).toBe('three-tier');
    const counted = Object.fromEntries(
      (split.parts.find((p) => p.name === 'test')?.labels ?? []).map((l) => [l.label, l.count]),
    );
    expect(Object.fromEntries(labels?.labels.map((l) => [l.label, l.count]) ?? [])).toEqual(counted);
    // a selection the split does not have is refused, never read as the whole split or as nothing
    for (const sel of [
      { id: 'nope' },
      { id: split.id, fold: 1, part: 'TRAIN' },
      { id: split.id, part: 'VALIDATION', fold: 2 },
    ]) {
      const res = await api.as('VIEWER', Q, { filter: { split: sel as never } });
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(sel)).toBe('BAD_USER_INPUT');
    }
  });
});
