// One subset per request (issue 13): a croissant(split:) query, a croissant export of a split and the
// metadata route resolve the split once and hand the resolved subset down; nothing reads the split
// row again. Counted at the driver adapter (test/helpers/database.ts onQuery).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';
import { gql } from './helpers/privacy.ts';

let env: TestEnv;
let api: Api;
let splitId = '';
let statements: string[] = [];

beforeAll(async () => {
  env = await createCohortEnv({ onQuery: (sql) => statements.push(sql) });
  api = await createApi(env);
  const created = await gql<{ createSplit: { id: string } }>(
    api,
    'VIEWER',
    `mutation($input: CreateSplitInput!) { createSplit(input: $input) { id } }`,
    { input: { policy: 'nine-class', seed: 7, fractions: { train: 0.7, validation: 0.15, test: 0.15 } } },
  );
  splitId = created.data?.createSplit.id ?? '';
  if (!splitId) throw new Error(JSON.stringify(created.errors));
}, 300_000);
afterAll(() => env?.dispose());

/** Statements that read the split table itself (not its assignments). */
const splitReads = () => statements.filter((s) => /\bfrom\s+(?:["`]\w+["`]\.)?["`]split["`](?:\s|$)/i.test(s));
const settingReads = () => statements.filter((s) => /\bfrom\s+(?:["`]\w+["`]\.)?["`]setting["`](?:\s|$)/i.test(s));

describe('the split row is read once', () => {
  it('by a croissant(split:) query', async () => {
    statements = [];
    const res = await gql<{ croissant: { recordSet: { '@id': string }[] } }>(
      api,
      'VIEWER',
      `query($split: SplitSelection) { croissant(split: $split) }`,
      { split: { id: splitId, part: 'TEST' } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.croissant.recordSet.map((r) => r['@id'])).toEqual(['splits', 'records']);
    expect(statements.length).toBeGreaterThan(0);
    expect(splitReads()).toHaveLength(1);
    // the split's policy is named by the split: the active-policy setting is not read
    expect(settingReads()).toHaveLength(0);
  });

  it('by the metadata route a Croissant document lists', async () => {
    statements = [];
    const res = await api.yoga.fetch(
      `http://test/croissant/metadata.jsonl?policy=nine-class&split=${splitId}&part=TEST`,
      {
        headers: api.headers('VIEWER'),
      },
    );
    expect(res.status).toBe(200);
    expect((await res.text()).trim().split('\n').length).toBeGreaterThan(0);
    expect(splitReads()).toHaveLength(1);
  });

  it('by a croissant export of a split, from its start to its end', async () => {
    statements = [];
    const started = await gql<{ startExport: { id: string } }>(
      api,
      'VIEWER',
      `mutation($split: SplitSelection) { startExport(format: "croissant", split: $split) { id } }`,
      { split: { id: splitId, part: 'VALIDATION' } },
    );
    if (started.errors) throw new Error(JSON.stringify(started.errors));
    const id = started.data?.startExport.id ?? '';
    let status = 'RUNNING';
    for (let i = 0; i < 600 && status === 'RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const e = await gql<{ export: { status: string } }>(
        api,
        'VIEWER',
        `query($id: String!) { export(id: $id) { status } }`,
        {
          id,
        },
      );
      status = e.data?.export.status ?? 'MISSING';
    }
    expect(status).toBe('DONE');
    expect(splitReads()).toHaveLength(1);
  });
});
