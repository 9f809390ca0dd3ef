// One request, one resolution of its subset (resolvers/subset.ts): whatever a request asks of one
// subset — a page, its totalCount, labels, facets, stats — the split row and the active policy are
// read once, counted at the driver adapter (every SQL statement the database receives).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

let env: TestEnv;
let api: Api;
const sql: string[] = [];
let splitId = '';

/** Statements reading a table (`split`, not `split_assignment`), as Prisma writes them on either database. */
const reads = (table: string) =>
  sql.filter((s) => new RegExp(`FROM\\s+[\`"]\\w+[\`"]\\.[\`"]${table}[\`"]`).test(s)).length;

async function post(query: string, variables: Record<string, unknown> = {}) {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...api.headers('ANNOTATOR') },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data ?? {};
}

/** Runs a request with the statement log cleared (the token lookup is cached by then). */
async function counted(query: string, variables: Record<string, unknown> = {}) {
  sql.length = 0;
  const data = await post(query, variables);
  return { data, split: reads('split'), setting: reads('setting') };
}

beforeAll(async () => {
  env = await createCohortEnv({ onQuery: (s) => sql.push(s) });
  api = await createApi(env);
  const made = await post(
    `mutation { createSplit(input: { policy: "nine-class", seed: 1, fractions: { train: 0.7, validation: 0.15, test: 0.15 } }) { id } }`,
  );
  splitId = (made.createSplit as { id: string }).id;
  await post('{ activePolicy { id } }'); // the token lookup, cached from here on
}, 300_000);
afterAll(() => env?.dispose());

describe('a request resolves its subset once', () => {
  it('images(filter: {split, label}) with totalCount and labels: the split row once, the policy setting once', async () => {
    const r = await counted(
      `query($f: ImageFilter) {
        images(filter: $f, first: 20) { totalCount edges { node { label { label policyId } } } }
      }`,
      { f: { split: { id: splitId, part: 'TRAIN' }, label: ['nevus', 'melanoma'] } },
    );
    const images = r.data.images as { totalCount: number; edges: { node: { label: { policyId: string } } }[] };
    expect(images.totalCount).toBeGreaterThan(0);
    expect(images.edges.length).toBeGreaterThan(0);
    expect(r.split).toBe(1);
    // Image.label reads the active policy (its default); the filter reads the split's: the setting once
    expect(r.setting).toBe(1);
  });

  it('images, facets and stats of one split part in one request: the split row once', async () => {
    const r = await counted(
      `query($f: ImageFilter) {
        images(filter: $f, first: 5) { totalCount }
        facets(filter: $f) { total }
        stats(filter: $f) { images policyId }
      }`,
      { f: { split: { id: splitId, part: 'TEST' } } },
    );
    const total = (r.data.images as { totalCount: number }).totalCount;
    expect((r.data.facets as { total: number }).total).toBe(total);
    expect((r.data.stats as { images: number; policyId: string }).images).toBe(total);
    // the split's policy labels the stats: no active-policy read is needed
    expect((r.data.stats as { policyId: string }).policyId).toBe('nine-class');
    expect(r.split).toBe(1);
    expect(r.setting).toBe(0);
  });

  it('a page without labels reads neither the split nor the policy setting', async () => {
    const r = await counted('{ images(first: 5) { totalCount edges { node { sha256 } } } }');
    expect((r.data.images as { totalCount: number }).totalCount).toBeGreaterThan(0);
    expect(r.split).toBe(0);
    expect(r.setting).toBe(0);
  });
});
