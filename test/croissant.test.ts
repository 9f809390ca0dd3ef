// The Croissant document says what the dataset is: licence and creator as configured or as the
// datasheet states them (else "not stated"), a dataset version (never the policy), and a metadata
// file whose contentUrl serves that very file, with as many records as the export counts.
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { graphql } from '../src/gql/index.ts';
import { decide } from '../src/plugins/evaluate.ts';
import { registry } from '../src/plugins/index.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';
import { awaitExport } from './helpers/exports.ts';

let env: TestEnv;
let api: Api;
beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
}, 300_000);
afterAll(() => env?.dispose());
afterEach(() => {
  vi.unstubAllEnvs();
});

const Croissant = graphql(
  `query CroissantDoc($filter: ImageFilter, $policy: String, $split: SplitSelection) { croissant(filter: $filter, policy: $policy, split: $split) }`,
);
const StartCroissantExport = graphql(
  `mutation StartCroissantExport($policy: String) { startExport(format: "croissant", policy: $policy) { id } }`,
);

interface Doc {
  license: unknown;
  creator: unknown;
  version: unknown;
  description: string;
  distribution: { '@id': string; contentUrl: string; sha256: string; contentSize?: string }[];
  [k: string]: unknown;
}
async function doc(vars: Record<string, unknown> = {}): Promise<Doc> {
  const res = await api.as('VIEWER', Croissant, vars as never);
  expect(res.errors).toBeUndefined();
  return res.data?.croissant as Doc;
}
const metadataOf = (d: Doc) => {
  const file = d.distribution.find((f) => f['@id'] === 'metadata.jsonl');
  if (!file) throw new Error('no metadata.jsonl');
  return file;
};
async function fetchLines(url: string, role: 'VIEWER' | null = 'VIEWER') {
  const res = await api.yoga.fetch(url, { headers: api.headers(role) });
  const body = Buffer.from(await res.arrayBuffer());
  return { res, body, lines: body.toString('utf8').split('\n').filter(Boolean) };
}

/** Images with a label under a policy, counted from the database: the reference. */
async function labelled(policyId: string, where: object = {}) {
  const policy = registry.policy(policyId);
  if (!policy) throw new Error(policyId);
  const images = await env.db.image.findMany({
    where,
    select: { diagnosisClass: true, diagnosisTerm: true, clinicalStatus: true, verificationStage: true },
  });
  return images.filter((i) => decide(policy, i).kind === 'mapped').length;
}

describe('licence and creator', () => {
  it('come from the datasheet’s distribution answers: the demo’s, from the paper (not public)', async () => {
    const d = await doc();
    expect(String(d.license)).toMatch(/non-public/);
    expect(String(d.license)).toMatch(/^Demo cohort/);
    expect(d.license).not.toMatch(/creativecommons|CC-BY/i);
    expect(d.creator).toMatchObject({ '@type': 'sc:Organization', name: expect.stringMatching(/Ivannikov/) });
    expect(JSON.stringify(d.creator)).not.toBe(JSON.stringify({ '@type': 'sc:Organization', name: 'dermaset' }));
  });

  it('come from DERMASET_LICENSE and DERMASET_CREATOR when set, over the datasheet', async () => {
    vi.stubEnv('DERMASET_LICENSE', 'https://creativecommons.org/licenses/by/4.0/');
    vi.stubEnv('DERMASET_CREATOR', 'Clinic 7 dermatology department');
    const d = await doc();
    expect(d.license).toBe('https://creativecommons.org/licenses/by/4.0/');
    expect(d.creator).toEqual({ '@type': 'sc:Organization', name: 'Clinic 7 dermatology department' });
  });

  it('say "not stated" when neither the configuration nor the datasheet states them', async () => {
    const kept = await env.db.datasheetText.findMany({
      where: { key: { in: ['distribution.license', 'distribution.creator'] } },
    });
    await env.db.datasheetText.deleteMany({ where: { key: { in: kept.map((k) => k.key) } } });
    try {
      const d = await doc();
      expect(d.license).toBe('not stated');
      expect(d.creator).toBe('not stated');
    } finally {
      for (const k of kept) await env.db.datasheetText.create({ data: k });
    }
  });
});

describe('version', () => {
  it('is a dataset version derived from the image set, not the policy', async () => {
    const a = await doc({ policy: 'ham10000' });
    const b = await doc({ policy: 'nine-class', filter: { sex: ['FEMALE'] } });
    expect(a.version).toMatch(/^0\.0\.0\+\d{8}\.[0-9a-f]{8}$/);
    expect(a.version).not.toContain('ham10000');
    // one dataset, one version, whatever the subset or policy described
    expect(b.version).toBe(a.version);
    const images = await env.db.image.findMany({ select: { sha256: true, acquiredAt: true } });
    const hash = createHash('sha256')
      .update(
        images
          .map((i) => i.sha256)
          .sort()
          .join('\n'),
      )
      .digest('hex')
      .slice(0, 8);
    const latest = new Date(Math.max(...images.map((i) => i.acquiredAt?.getTime() ?? 0)));
    expect(a.version).toBe(`0.0.0+${latest.toISOString().slice(0, 10).replaceAll('-', '')}.${hash}`);
  });

  it('is DERMASET_DATASET_VERSION when set', async () => {
    vi.stubEnv('DERMASET_DATASET_VERSION', '1.2.0');
    expect((await doc()).version).toBe('1.2.0');
  });
});

describe('metadata.jsonl', () => {
  it('is served at its contentUrl: the same bytes as its sha256, one line per record', async () => {
    const d = await doc({ policy: 'ham10000' });
    const file = metadataOf(d);
    expect(file.contentUrl).toMatch(/^http:\/\/test\/croissant\/metadata\.jsonl\?policy=ham10000$/);
    expect(file.contentUrl).not.toMatch(/\/graphql/);
    const { res, body, lines } = await fetchLines(file.contentUrl);
    expect(res.status).toBe(200);
    expect(createHash('sha256').update(body).digest('hex')).toBe(file.sha256);
    expect(file.contentSize).toBe(`${body.length} B`);
    const records = await labelled('ham10000');
    expect(lines).toHaveLength(records);
    expect(d.description).toMatch(new RegExp(`^${records} clinically verified`));
    // an image file per record, none for images the policy leaves without a label
    expect(d.distribution).toHaveLength(1 + records);
    expect(JSON.parse(lines[0] ?? '{}').label.policy).toBe('ham10000');
  });

  it('serves a filtered subset and a split part from their URLs (filter as JSON, dates included)', async () => {
    const filter = {
      sex: ['FEMALE'],
      acquiredAt: { min: '2025-09-01T00:00:00.000Z' },
      verificationStageAtLeast: 'CONSENSUS',
    };
    const d = await doc({ filter, policy: 'three-tier' });
    const file = metadataOf(d);
    const { res, body, lines } = await fetchLines(file.contentUrl);
    expect(res.status).toBe(200);
    expect(createHash('sha256').update(body).digest('hex')).toBe(file.sha256);
    // the default profile, safe-harbor, shows dates to the year: the date bound selects whole years
    const expected = await labelled('three-tier', {
      patient: { sex: 'FEMALE' },
      acquiredAt: { gte: new Date('2025-01-01T00:00:00.000Z') },
    });
    expect(expected).toBeGreaterThan(0);
    expect(lines).toHaveLength(expected);

    const Create = graphql(`mutation CroissantSplit($input: CreateSplitInput!) { createSplit(input: $input) { id } }`);
    const created = await api.as('VIEWER', Create, {
      input: { policy: 'nine-class', seed: 7, fractions: { train: 0.7, validation: 0.15, test: 0.15 } },
    });
    const splitId = created.data?.createSplit.id;
    if (!splitId) throw new Error(JSON.stringify(created.errors ?? created.data));
    const part = await doc({ split: { id: splitId, part: 'TEST' } });
    const partFile = metadataOf(part);
    expect(partFile.contentUrl).toContain(`split=${splitId}`);
    const fetched = await fetchLines(partFile.contentUrl);
    expect(createHash('sha256').update(fetched.body).digest('hex')).toBe(partFile.sha256);
    const inTest = await env.db.splitAssignment.count({ where: { splitId, part: 'test' } });
    expect(inTest).toBeGreaterThan(0);
    expect(fetched.lines).toHaveLength(inTest);
    expect(fetched.lines.every((l) => JSON.parse(l).split === 'test')).toBe(true);
  });

  it('has the API’s access rules and refuses a bad subset with BAD_USER_INPUT', async () => {
    const url = metadataOf(await doc()).contentUrl;
    expect((await fetchLines(url, null)).res.status).toBe(401);
    for (const bad of [
      'http://test/croissant/metadata.jsonl?policy=five-class',
      'http://test/croissant/metadata.jsonl?policy=nine-class&filter=%7Bnot-json',
      `http://test/croissant/metadata.jsonl?policy=nine-class&filter=${encodeURIComponent('{"sex":["PURPLE"]}')}`,
    ]) {
      const res = await api.yoga.fetch(bad, { headers: api.headers('VIEWER') });
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('BAD_USER_INPUT');
    }
  });

  it('the croissant export counts its records: rowCount is the number of lines at contentUrl', async () => {
    const started = await api.as('VIEWER', StartCroissantExport, { policy: 'ham10000' });
    expect(started.errors).toBeUndefined();
    const { body, export: e, manifest } = await awaitExport(api, started.data?.startExport.id ?? '');
    const exported = JSON.parse(body.toString()) as Doc;
    const { lines } = await fetchLines(metadataOf(exported).contentUrl);
    expect(e.rowCount).toBeGreaterThan(0);
    expect(lines).toHaveLength(e.rowCount ?? -1);
    expect(manifest).toMatchObject({ exporter: { id: 'croissant', version: '5.0.0' }, row_count: e.rowCount });
  });
});
