// totalCount on every connection: the schema has none without it, and the work queues' counts are
// the rows their pages hold, checked against SQL written here. The queues page oldest first by
// default and newest first on request, the same rows reversed.

import { getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueOrder, QueuePagesQuery } from '../src/gql/graphql.ts';
import { graphql } from '../src/gql/index.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import { type TestEnv, testProvider } from './helpers/database.ts';
import type { GraphQLResponse } from './helpers/graphql.ts';

let env: TestEnv;
let api: Api;

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
}, 600_000);
afterAll(() => env?.dispose());

it('every connection type of the schema has totalCount: Int!', async () => {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...api.headers('ADMIN') },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  const { data } = (await res.json()) as { data: IntrospectionQuery };
  const connections = data.__schema.types.filter(
    (t) => t.kind === 'OBJECT' && t.name.endsWith('Connection') && t.fields.some((f) => f.name === 'edges'),
  );
  expect(connections.length).toBeGreaterThan(10);
  const without = connections.filter(
    (t) =>
      t.kind !== 'OBJECT' ||
      !t.fields.some(
        (f) =>
          f.name === 'totalCount' &&
          f.type.kind === 'NON_NULL' &&
          f.type.ofType.kind === 'SCALAR' &&
          f.type.ofType.name === 'Int',
      ),
  );
  expect(without.map((t) => t.name)).toEqual([]);
});

const Queues = graphql(`
  query QueuePages($orderBy: QueueOrder, $first: Int, $after: String) {
    reviewQueue(orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { sha256 } }
    }
    consensusQueue(orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { sha256 } }
    }
    pendingHistology(orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { sha256 } }
    }
  }
`);

const Review = graphql(`
  mutation QueueReview($image: ID!, $version: Int!) {
    submitReview(image: $image, expectedVersion: $version, diagnosisClass: NEVUS, structures: []) { id }
  }
`);

type Queue = 'reviewQueue' | 'consensusQueue' | 'pendingHistology';

/** Every image of a queue, paged 200 at a time, and the totalCount each page gave. */
async function walk(queue: Queue, orderBy: QueueOrder) {
  const shas: string[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  for (let pages = 0; pages < 20; pages++) {
    const res: GraphQLResponse<QueuePagesQuery> = await api.as('REVIEWER', Queues, { orderBy, first: 200, after });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const c: QueuePagesQuery[Queue] | undefined = res.data?.[queue];
    if (!c) throw new Error(`no ${queue}`);
    totals.add(c.totalCount);
    shas.push(...c.edges.map((e) => e.node.sha256));
    if (!c.pageInfo.hasNextPage) return { shas, totals: [...totals] };
    after = c.pageInfo.endCursor ?? null;
  }
  throw new Error('more than 20 pages');
}

describe(`the work queues on ${testProvider}`, () => {
  async function sqlShas(where: string) {
    const rows = await env.db.$queryRawUnsafe<{ sha256: string }[]>(
      `SELECT i.sha256 FROM image i WHERE ${where} ORDER BY i.id`,
    );
    return rows.map((r) => r.sha256);
  }
  const noConsensus = 'NOT EXISTS (SELECT 1 FROM consensus_decision c WHERE c.image_id = i.id)';

  beforeAll(async () => {
    // the demo cohort's trail decides every image and verifies every malignant one, leaving the three
    // queues empty: four benign images lose their consensus (two of them with 3 reviews, two with
    // fewer), and two malignant images lose their report, as before histology
    const decided = await env.db.image.findMany({
      where: { diagnosisClass: 'NEVUS', histopathology: null, consensus: { isNot: null } },
      orderBy: { id: 'desc' },
      take: 4,
      select: { id: true },
    });
    const ids = decided.map((i) => i.id);
    await env.db.consensusDecision.deleteMany({ where: { imageId: { in: ids } } });
    await env.db.image.updateMany({ where: { id: { in: ids.slice(0, 2) } }, data: { reviewCount: 3 } });
    await env.db.image.updateMany({ where: { id: { in: ids.slice(2) } }, data: { reviewCount: 1 } });
    const reported = await env.db.image.findMany({
      where: {
        diagnosisClass: { in: ['MELANOMA', 'BASAL_CELL_CARCINOMA'] },
        consensus: { isNot: null },
        histopathology: { isNot: null },
      },
      take: 2,
      select: { id: true },
    });
    await env.db.histopathologyReport.deleteMany({ where: { imageId: { in: reported.map((i) => i.id) } } });
  });

  it.each<[Queue, () => Promise<string>]>([
    [
      'reviewQueue',
      async () => {
        // the reviewer reviews the first image of their queue: it leaves their queue (and only theirs)
        const first = await api.as('REVIEWER', Queues, { first: 1 });
        expect(first.errors, JSON.stringify(first.errors)).toBeUndefined();
        const node = first.data?.reviewQueue.edges[0]?.node;
        const image = await env.db.image.findUniqueOrThrow({ where: { sha256: node?.sha256 ?? '' } });
        const res = await api.as('REVIEWER', Review, {
          image: Buffer.from(`Image:${image.id}`).toString('base64'),
          version: image.version,
        });
        expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
        const mine = await env.db.expertReview.findFirstOrThrow({
          where: { imageId: image.id },
          orderBy: { id: 'desc' },
        });
        return `${noConsensus} AND NOT EXISTS (SELECT 1 FROM expert_review r WHERE r.image_id = i.id AND r.reviewer_code = '${mine.reviewerCode}')`;
      },
    ],
    ['consensusQueue', async () => `${noConsensus} AND i.review_count >= 3`],
    [
      'pendingHistology',
      async () =>
        `i.diagnosis_class IN ('MELANOMA', 'BASAL_CELL_CARCINOMA', 'SQUAMOUS_CELL_CARCINOMA') AND NOT ${noConsensus}
         AND NOT EXISTS (SELECT 1 FROM histopathology_report h WHERE h.image_id = i.id)`,
    ],
  ])('%s: totalCount is the rows its pages hold, oldest or newest first', async (queue, where) => {
    const want = await sqlShas(await where());
    expect(want.length, 'the cohort has images in the queue').toBeGreaterThan(0);
    expect(await walk(queue, 'OLDEST_FIRST')).toEqual({ shas: want, totals: [want.length] });
    expect(await walk(queue, 'NEWEST_FIRST')).toEqual({ shas: [...want].reverse(), totals: [want.length] });
  });
});
