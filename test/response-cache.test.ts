// The response cache (src/server/use-response-cache.ts): a repeated query is answered from memory
// for one statement (the data versions), and never after a write, by any instance, has changed
// what it read; callers never share answers; exports' progress is never cached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { facetIndexSettled } from '../src/resolvers/facet-index.ts';
import { createDermasetYoga } from '../src/server/yoga.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';
import { requestWork } from './helpers/statements.ts';

let env: TestEnv;
let api: Api;
const statements: string[] = [];

beforeAll(async () => {
  env = await createCohortEnv({ onQuery: (sql) => (requestWork(sql) ? statements.push(sql) : 0) });
  api = await createApi(env);
}, 300_000);
afterAll(() => env?.dispose());

const PAGE = `query Page($first: Int!) {
  images(first: $first) { totalCount edges { node { id version diagnostic { diagnosisClass { code } } reviews { diagnosisClass { code } } } } }
}`;

async function post(
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
  yoga = api.yoga,
) {
  statements.length = 0;
  const res = await yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as {
    data?: {
      images: {
        totalCount: number;
        edges: {
          node: {
            id: string;
            version: number;
            diagnostic: { diagnosisClass: { code: string } | null };
            reviews: unknown[];
          };
        }[];
      };
    };
    errors?: { extensions?: { code?: string } }[];
  };
  return { status: res.status, body, statements: statements.length, etag: res.headers.get('etag') };
}

describe('the response cache', () => {
  it('answers a repeated query from memory, for the one statement reading the data versions', async () => {
    const first = await post(PAGE, { first: 7 }, api.headers('VIEWER'));
    expect(first.body.errors).toBeUndefined();
    expect(first.statements).toBeGreaterThan(1);
    await facetIndexSettled(); // the counts' index builds in the background once: not this request's
    const again = await post(PAGE, { first: 7 }, api.headers('VIEWER'));
    expect(again.body).toEqual(first.body);
    expect(again.statements, statements.join('\n')).toBe(1);
  });

  it('never serves an answer after a write changed what it read, on this instance or another', async () => {
    const before = await post(PAGE, { first: 3 }, api.headers('ADMIN'));
    const node = before.body.data?.images.edges[0]?.node;
    if (!node) throw new Error('no image');
    const target = node.diagnostic.diagnosisClass?.code === 'MELANOMA' ? 'NEVUS' : 'MELANOMA';
    // a second instance over the same database makes the write
    const other = createDermasetYoga(env.config);
    const fix = await post(
      `mutation Fix($image: ID!, $v: Int!, $c: DiagnosisClass!) {
        correctLabel(image: $image, expectedVersion: $v, diagnosisClass: $c, reason: "cache test") { __typename }
      }`,
      { image: node.id, v: node.version, c: target },
      api.headers('ADMIN'),
      other,
    );
    expect(fix.body.errors).toBeUndefined();
    const after = await post(PAGE, { first: 3 }, api.headers('ADMIN'));
    expect(after.statements).toBeGreaterThan(1);
    expect(after.body.data?.images.edges[0]?.node.diagnostic.diagnosisClass?.code).toBe(target);
    expect(after.body.data?.images.edges[0]?.node.version).toBe(node.version + 1);
  });

  it('does not share answers between callers, and refuses an unknown token as before', async () => {
    const admin = await post(PAGE, { first: 5 }, api.headers('ADMIN'));
    const viewer = await post(PAGE, { first: 5 }, api.headers('VIEWER'));
    expect(viewer.statements).toBeGreaterThan(1);
    // blind review: a viewer sees the reviews of decided images only, an admin all of them
    const count = (r: typeof admin) => r.body.data?.images.edges.reduce((n, e) => n + e.node.reviews.length, 0);
    expect(count(admin)).toBeGreaterThanOrEqual(count(viewer) ?? 0);
    const stranger = await post(PAGE, { first: 5 }, { authorization: 'Bearer dst_unknown-token-0000000000' });
    expect(stranger.status).toBe(401);
    expect(stranger.body.data).toBeUndefined();
    // a bare If-None-Match is no way around the token check
    const res = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'if-none-match': admin.etag ?? 'x' },
      body: JSON.stringify({ query: PAGE, variables: { first: 5 } }),
    });
    expect(res.status).not.toBe(304);
    expect(((await res.json()) as { data?: { images?: unknown } }).data?.images ?? null).toBeNull();
  });

  it('never caches exports (their progress is not in the data versions)', async () => {
    const q = 'query { exports { id status } }';
    await post(q, {}, api.headers('ADMIN'));
    const again = await post(q, {}, api.headers('ADMIN'));
    expect(again.statements).toBeGreaterThan(1);
  });

  it('is off with DERMASET_RESPONSE_CACHE_ENTRIES=0', async () => {
    const off = createDermasetYoga({ ...env.config, api: { ...env.config.api, responseCacheEntries: 0 } });
    await post(PAGE, { first: 4 }, api.headers('VIEWER'), off);
    const again = await post(PAGE, { first: 4 }, api.headers('VIEWER'), off);
    expect(again.statements).toBeGreaterThan(1);
  });
});
