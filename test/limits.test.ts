// The limits hold however a request is written: the query cost counts page sizes passed as variables
// as it counts literal ones (armor's model, so the README's figures hold), filter bounds are the
// same written in or as variables, and node(id:)/nodes(ids:) answer null for an id with no record.
// (Each refusal's code and unchanged state: test/bad-input/limits.test.ts.)

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { type DocumentNode, parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { buildFacetIndex, setFacetIndexEnabled } from '../src/resolvers/facet-index.ts';
import { schema } from '../src/schema/index.ts';
import { operationOf } from '../src/server/use-input-bounds.ts';
import { queryCost } from '../src/server/use-query-cost.ts';
import { LIMITS } from '../src/server/yoga.ts';
import { type Api, createApi } from './helpers/api.ts';
import { postGraphQL } from './helpers/bad-input.ts';
import { createTestEnv, type TestEnv, testProvider } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

let env: TestEnv;
let api: Api;
/** Global ids of the three images and their patients, in id order. */
let images: string[];
let patients: string[];

const b64 = (text: string) => Buffer.from(text).toString('base64');

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  const pipeline = createPipeline(env.config, env.db);
  for (let i = 0; i < 3; i++) {
    const r = await pipeline.ingest({
      bytes: await lesion(200 + i, { width: 160, height: 120 }),
      record: record({ patient_id: `MRN-COST-${i}` }),
      fileName: `${i}.jpg`,
      source: 'test',
    });
    if (r.outcome !== 'ACCEPTED') throw new Error(r.outcome);
  }
  const rows = await env.db.image.findMany({ orderBy: { id: 'asc' }, select: { id: true, patientId: true } });
  images = rows.map((r) => b64(`Image:${r.id}`));
  patients = rows.map((r) => b64(`Patient:${r.patientId}`));
  api = await createApi(env);
});
afterAll(() => env.dispose());

interface Body {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}
async function ask(query: string, variables?: Record<string, unknown>) {
  const res = await postGraphQL(api.yoga, { query, variables }, api.headers('VIEWER'));
  return { status: res.status, body: res.json as Body, bytes: res.text.length };
}

/** 15 aliases × a page of images × a page of each image's patient's images: the probe that ran 16 s. */
const wide = (page: string, head = '') =>
  `query Wide${head} { ${Array.from(
    { length: 15 },
    (_, i) =>
      `a${i}: images(first: ${page}) { edges { node { sha256 patient { images(first: ${page}) { edges { node { sha256 url } } } } } } }`,
  ).join(' ')} }`;

/** armor's own cost of a document (its validation rule, told to accept anything and report the figure). */
function armorCost(document: DocumentNode): number {
  let cost = Number.NaN;
  const rule = costLimitRule({
    maxCost: Number.POSITIVE_INFINITY,
    onAccept: [(_ctx, { n }) => (cost = n)],
  });
  expect(validate(schema, document, [rule])).toEqual([]);
  return cost;
}
const ourCost = (document: DocumentNode, variables: Record<string, unknown> = {}) => {
  const operation = operationOf(document);
  if (!operation) throw new Error('no operation');
  return queryCost(schema, document, operation, variables);
};

describe('the query cost counts page sizes passed as variables', () => {
  it('gives a query the same cost and the same refusal with its page sizes written in or passed as variables', async () => {
    const literal = await ask(wide('200'));
    const variable = await ask(wide('$n', '($n: Int!)'), { n: 200 });
    for (const res of [literal, variable]) {
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: LIMITS.maxCost });
      expect(res.body.data ?? null).toBeNull();
      // refused before it ran: a few hundred bytes where 4.4 MB came back
      expect(res.bytes).toBeLessThan(1_000);
    }
    const cost = literal.body.errors?.[0]?.extensions?.cost;
    expect(cost).toBeGreaterThan(LIMITS.maxCost);
    expect(variable.body.errors?.[0]?.extensions?.cost).toBe(cost);
    expect(variable.body.errors?.[0]?.message).toBe(literal.body.errors?.[0]?.message);
    expect(literal.body.errors?.[0]?.message).toContain(`${cost}`);
    // small pages: the same answer either way
    const small = await ask(wide('2'));
    expect(small.body.errors).toBeUndefined();
    expect((await ask(wide('$n', '($n: Int!)'), { n: 2 })).body).toEqual(small.body);
  });

  it('is armor’s model for page sizes written in (the README’s figures), and the same with variables', () => {
    const dir = join(import.meta.dirname, '..', 'examples', 'queries');
    const figures: Record<string, number> = {};
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.graphql'))) {
      const text = readFileSync(join(dir, file), 'utf8');
      const literal = parse(
        text
          .replace(/\$first: Int!,?\s*/, '')
          .replace(/\(\s*\)/, '')
          .replaceAll('$first', '200'),
      );
      figures[file] = ourCost(literal);
      expect(figures[file], file).toBe(armorCost(literal));
      expect(ourCost(parse(text), { first: 200 }), file).toBe(figures[file]);
    }
    // the README rounds them
    expect(Object.fromEntries(Object.entries(figures).map(([f, c]) => [f, Math.round(c)]))).toMatchObject({
      'gallery.graphql': 72_044,
      'notebook.graphql': 27_831,
      'admin.graphql': 6_293,
    });
    // where armor counted a variable as 1: the gallery page with $first
    const gallery = parse(readFileSync(join(dir, 'gallery.graphql'), 'utf8'));
    expect(Math.round(armorCost(gallery))).toBe(360);
    expect(ourCost(gallery, { first: 200 })).toBe(figures['gallery.graphql']);
  });

  it('counts a connection asked without first or last as its default page of 20', async () => {
    const query = '{ patients(first: 200) { edges { node { images { edges { node { sha256 } } } } } } }';
    const twenty = '{ patients(first: 200) { edges { node { images(first: 20) { edges { node { sha256 } } } } } } }';
    expect(ourCost(parse(query))).toBe(ourCost(parse(twenty)));
    expect(ourCost(parse(query))).toBeGreaterThan(LIMITS.maxCost);
    expect((await ask(query)).body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });
});

describe('filter bounds are the same written in or passed as variables', () => {
  const COUNT = 'query Count($f: ImageFilter) { images(first: 1, filter: $f) { totalCount } }';
  const nested = (levels: number): Record<string, unknown> => {
    let f: Record<string, unknown> = { sex: ['FEMALE'] };
    for (let i = 0; i < levels; i++) f = { NOT: f };
    return f;
  };
  const written = (levels: number) =>
    `{ images(first: 1, filter: ${'{ NOT: '.repeat(levels)}{ sex: [FEMALE] }${' }'.repeat(levels)}) { totalCount } }`;

  it('runs NOT nested 8 deep and refuses 9, with the same answer both ways', async () => {
    for (const levels of [8, 9]) {
      const literal = await ask(written(levels));
      const variable = await ask(COUNT, { f: nested(levels) });
      expect(variable.body).toEqual(literal.body);
      expect(variable.status).toBe(literal.status);
    }
    expect((await ask(written(8))).body.data).toEqual({ images: { totalCount: 3 } });
    expect((await ask(written(9))).body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('at most 8 levels'),
      extensions: { code: 'BAD_USER_INPUT', argument: 'filter' },
    });
  });

  it('runs an OR of 100 conditions in all and refuses 101, with the same answer both ways', async () => {
    // the top filter counts: an OR of 99 is 100 conditions
    for (const [n, ok] of [
      [99, true],
      [100, false],
    ] as const) {
      const literal = await ask(
        `{ images(first: 1, filter: { OR: [${Array.from({ length: n }, (_, i) => `{ lesionDiameterMm: { min: ${i + 100} } }`).join(', ')}] }) { totalCount } }`,
      );
      const list = Array.from({ length: n }, (_, i) => ({ lesionDiameterMm: { min: i + 100 } }));
      const variable = await ask(COUNT, { f: { OR: list } });
      expect(variable.body).toEqual(literal.body);
      if (ok) expect(literal.body.data).toEqual({ images: { totalCount: 0 } });
      else expect(literal.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('runs 30 filters on the patient’s fields (a join each) and refuses 31, never a database error', async () => {
    // one filter with every patient condition is one join
    const all = {
      sex: ['FEMALE'],
      fitzpatrickType: ['II'],
      sunburnHistory: true,
      patientCode: ['none'],
      missing: ['SEX'],
    };
    const ok = await ask(COUNT, { f: { OR: Array.from({ length: 30 }, () => all) } });
    expect(ok.body).toEqual({ data: { images: { totalCount: 0 } } });
    const sexes = (n: number) => Array.from({ length: n }, () => ({ sex: ['FEMALE'] }));
    expect((await ask(COUNT, { f: { OR: sexes(30) } })).body).toEqual({ data: { images: { totalCount: 3 } } });
    const refused = await ask(COUNT, { f: { OR: sexes(31) } });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter' });
  });

  it('answers a filter too large for the database’s query with BAD_USER_INPUT, not an internal error', async () => {
    // 99 filters of labels (each asks a label and its absence: none matches), a few (class, stage)
    // parameters each: past SQLite's 999 bound parameters
    const labels = Array.from({ length: 99 }, () => ({ label: ['benign', 'malignant'], missing: ['LABEL'] }));
    const query =
      'query L($f: ImageFilter) { images(first: 1, filter: $f, policy: "screening-binary") { totalCount } }';
    // the SQL path (the facet index, when built, answers such a filter from memory: below)
    setFacetIndexEnabled(false);
    const res = await ask(query, { f: { OR: labels } }).finally(() => setFacetIndexEnabled(true));
    if (testProvider === 'sqlite') {
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter' });
    } else {
      // PostgreSQL takes 32,767 parameters: the same filter runs
      expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
    }
    await buildFacetIndex();
    const indexed = await ask(query, { f: { OR: labels } });
    expect(indexed.body).toEqual({ data: { images: { totalCount: 0 } } });
  });

  it('answers a NOT nested 3,000 deep as a variable with a typed 400, never a stack overflow', async () => {
    const res = await ask(COUNT, { f: nested(3000) });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: '$f' });
    // and the server still answers
    expect((await ask(COUNT, { f: nested(2) })).body.data).toEqual({ images: { totalCount: 3 } });
  });
});

describe('node(id:) and nodes(ids:)', () => {
  const NODES = 'query N($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }';

  it('answer null for a well-formed id with no record, and keep the other entries', async () => {
    const missing = [b64('Image:99999'), b64('Patient:99999'), b64('Image:99999999999'), b64('Lesion:0')];
    for (const id of missing) {
      const res = await ask('query One($id: ID!) { node(id: $id) { id } }', { id });
      expect(res.body, Buffer.from(id, 'base64').toString()).toEqual({ data: { node: null } });
    }
    const ids = [images[0], missing[0], patients[1], missing[1], images[2]];
    const res = await ask(NODES, { ids });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.nodes).toEqual([
      { __typename: 'Image', id: images[0] },
      null,
      { __typename: 'Patient', id: patients[1] },
      null,
      { __typename: 'Image', id: images[2] },
    ]);
  });

  it('load a record’s fields through the node as before', async () => {
    const res = await ask('query One($id: ID!) { node(id: $id) { ... on Image { sha256 patient { id } } } }', {
      id: images[1],
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.node).toMatchObject({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      patient: { id: patients[1] },
    });
  });
});
