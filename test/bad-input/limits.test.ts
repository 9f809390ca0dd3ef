// Requests past the API's limits, written in the query and passed as variables: the query limits
// (cost, depth, aliases, tokens, directives), lists and nesting inside arguments (filters, nodes,
// auditSplit), paging arguments, node ids, absurd ranges and variables that do not coerce. Each is
// refused with a typed code naming the argument, never an internal error or HTTP 500, and leaves
// every table, blob and export file as it was.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPipeline } from '../../src/ingest/pipeline.ts';
import { type Api, createApi } from '../helpers/api.ts';
import { errorCode, errorExtensions, postGraphQL, type RawResponse, StateChain } from '../helpers/bad-input.ts';
import { createTestEnv, type TestEnv } from '../helpers/database.ts';
import { lesion, record } from '../helpers/images.ts';

let env: TestEnv;
let api: Api;
let state: StateChain;

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  const pipeline = createPipeline(env.config, env.db);
  for (let i = 0; i < 3; i++) {
    const r = await pipeline.ingest({
      bytes: await lesion(300 + i, { width: 160, height: 120 }),
      record: record({ patient_id: `MRN-LIMITS-${i}` }),
      fileName: `${i}.jpg`,
      source: 'test',
    });
    if (r.outcome !== 'ACCEPTED') throw new Error(r.outcome);
  }
  api = await createApi(env);
  state = new StateChain(env);
});
afterAll(() => env.dispose());

const b64 = (text: string) => Buffer.from(text).toString('base64');
const image = (id: number) => b64(`Image:${id}`);
/** A filter nested `levels` deep in NOT. */
const nestedNot = (levels: number): Record<string, unknown> => {
  let f: Record<string, unknown> = { sex: ['FEMALE'] };
  for (let i = 0; i < levels; i++) f = { NOT: f };
  return f;
};
/** The same nesting written in the query. */
const nestedNotLiteral = (levels: number) => `${'{ NOT: '.repeat(levels)}{ sex: [FEMALE] }${' }'.repeat(levels)}`;
const sexes = (n: number) => Array.from({ length: n }, () => ({ sex: ['FEMALE'] }));
const diameters = (n: number) => Array.from({ length: n }, (_, i) => ({ lesionDiameterMm: { min: i } }));

/** 15 aliases × a page of images × a page of each image's patient's images. */
const viewerQuery = (page: string, head = '') =>
  `query Wide${head} { ${Array.from(
    { length: 15 },
    (_, i) =>
      `a${i}: images(first: ${page}) { edges { node { sha256 patient { images(first: ${page}) { edges { node { sha256 url } } } } } } }`,
  ).join(' ')} }`;

const COUNT = 'query Count($f: ImageFilter) { images(first: 1, filter: $f) { totalCount } }';
const count = (filter: string) => `{ images(first: 1, filter: ${filter}) { totalCount } }`;
const SPLIT = 'mutation Split($f: ImageFilter) { createSplit(input: { folds: 2, filter: $f }) { id } }';
const AUDIT = 'query Audit($a: [SplitAssignmentInput!]!) { auditSplit(assignments: $a) { clean } }';

interface Case {
  query: string;
  variables?: Record<string, unknown>;
  code: string;
  /** extensions.argument, where the refusal names one */
  argument?: string;
  /** a text the message must hold (the bound) */
  message?: RegExp;
}

const cases: [string, Case][] = [
  // the query limits: each its own code
  [
    'a cost past the limit, page sizes written in',
    { query: viewerQuery('200'), code: 'QUERY_TOO_COMPLEX', message: /limit of 150000/ },
  ],
  [
    'the same cost, page sizes passed as variables',
    {
      query: viewerQuery('$n', '($n: Int!)'),
      variables: { n: 200 },
      code: 'QUERY_TOO_COMPLEX',
      message: /limit of 150000/,
    },
  ],
  [
    'a nested connection without first (its default page of 20 counts)',
    {
      query: '{ patients(first: 200) { edges { node { images { edges { node { sha256 } } } } } } }',
      code: 'QUERY_TOO_COMPLEX',
    },
  ],
  [
    'splits(limit:) multiplying a page of images',
    {
      query: 'query($l: Int) { splits(limit: $l) { images(first: 200) { edges { node { sha256 url } } } } }',
      variables: { l: 200 },
      code: 'QUERY_TOO_COMPLEX',
    },
  ],
  [
    'a query nested 12 deep',
    {
      query:
        '{ images(first: 1) { edges { node { patient { images(first: 1) { edges { node { patient { images(first: 1) { edges { node { sha256 } } } } } } } } } } } }',
      code: 'QUERY_TOO_DEEP',
      message: /limit of 10/,
    },
  ],
  [
    '16 aliases',
    {
      query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: diagnosisClasses { code }`).join(' ')} }`,
      code: 'TOO_MANY_ALIASES',
      message: /limit of 15/,
    },
  ],
  [
    'a document of 3,100 tokens',
    {
      query: `{ diagnosisClasses { ${Array.from({ length: 3100 }, () => 'code').join(' ')} } }`,
      code: 'TOO_MANY_TOKENS',
      message: /limit of 3000/,
    },
  ],
  [
    '21 directives',
    {
      query: `{ diagnosisClasses { ${Array.from({ length: 21 }, () => 'code @include(if: true)').join(' ')} } }`,
      code: 'TOO_MANY_DIRECTIVES',
      message: /limit of 20/,
    },
  ],
  [
    'a NOT nested 3,000 deep written in (more tokens than the limit)',
    { query: count(nestedNotLiteral(3000)), code: 'TOO_MANY_TOKENS' },
  ],
  // variables that do not coerce
  [
    'an Int variable given "abc"',
    { query: 'query($n: Int) { images(first: $n) { totalCount } }', variables: { n: 'abc' }, code: 'BAD_USER_INPUT' },
  ],
  [
    'a required variable left out',
    { query: 'query($n: Int!) { images(first: $n) { totalCount } }', code: 'BAD_USER_INPUT' },
  ],
  [
    'a filter variable with a field ImageFilter does not have',
    { query: COUNT, variables: { f: { colour: ['BLUE'] } }, code: 'BAD_USER_INPUT' },
  ],
  // filters: depth, size, lists
  [
    'NOT nested 9 deep, written in',
    { query: count(nestedNotLiteral(9)), code: 'BAD_USER_INPUT', argument: 'filter', message: /8 levels/ },
  ],
  [
    'NOT nested 9 deep, as a variable',
    { query: COUNT, variables: { f: nestedNot(9) }, code: 'BAD_USER_INPUT', argument: 'filter', message: /8 levels/ },
  ],
  [
    'NOT nested 300 deep, as a variable',
    { query: COUNT, variables: { f: nestedNot(300) }, code: 'BAD_USER_INPUT', argument: '$f' },
  ],
  [
    'NOT nested 3,000 deep, as a variable',
    { query: COUNT, variables: { f: nestedNot(3000) }, code: 'BAD_USER_INPUT', argument: '$f', message: /64 levels/ },
  ],
  [
    'an OR of 101 conditions, written in',
    {
      query: count(
        `{ OR: [${Array.from({ length: 101 }, (_, i) => `{ lesionDiameterMm: { min: ${i} } }`).join(', ')}] }`,
      ),
      code: 'BAD_USER_INPUT',
      argument: 'filter',
      message: /100 conditions/,
    },
  ],
  [
    'an OR of 20,000 conditions, as a variable',
    { query: COUNT, variables: { f: { OR: sexes(20_000) } }, code: 'BAD_USER_INPUT', argument: 'filter' },
  ],
  [
    'ORs of ANDs adding up to 109 conditions',
    {
      query: COUNT,
      variables: { f: { OR: Array.from({ length: 3 }, () => ({ AND: diameters(35) })) } },
      code: 'BAD_USER_INPUT',
      argument: 'filter',
      message: /100 conditions/,
    },
  ],
  [
    '31 filters testing the patient (each a join)',
    {
      query: COUNT,
      variables: { f: { OR: sexes(31) } },
      code: 'BAD_USER_INPUT',
      argument: 'filter',
      message: /at most 30/,
    },
  ],
  [
    'a patientCode list of 501 codes',
    {
      query: COUNT,
      variables: { f: { patientCode: Array.from({ length: 501 }, (_, i) => `P${i}`) } },
      code: 'BAD_USER_INPUT',
      argument: 'filter',
      message: /at most 500 values/,
    },
  ],
  [
    'lists adding up to 600 values',
    {
      query: COUNT,
      variables: {
        f: { OR: Array.from({ length: 2 }, () => ({ patientCode: Array.from({ length: 300 }, () => 'P') })) },
      },
      code: 'BAD_USER_INPUT',
      argument: 'filter',
      message: /500 values/,
    },
  ],
  [
    'an intakeLog outcome list of 501 values',
    {
      query: 'query($o: [IntakeOutcome!]) { intakeLog(first: 1, outcome: $o) { totalCount } }',
      variables: { o: Array.from({ length: 501 }, () => 'ACCEPTED') },
      code: 'BAD_USER_INPUT',
      argument: 'outcome',
      message: /at most 500/,
    },
  ],
  [
    'a split over a filter nested 9 deep (a mutation)',
    { query: SPLIT, variables: { f: nestedNot(9) }, code: 'BAD_USER_INPUT', argument: 'input.filter' },
  ],
  [
    'facets over an OR of 101 conditions',
    {
      query: 'query($f: ImageFilter) { facets(filter: $f) { total } }',
      variables: { f: { OR: diameters(101) } },
      code: 'BAD_USER_INPUT',
      argument: 'filter',
    },
  ],
  // absurd ranges
  [
    'an age of -5',
    {
      query: count('{ ageAtExam: { min: -5 } }'),
      code: 'BAD_USER_INPUT',
      argument: 'filter.ageAtExam',
      message: /0–120/,
    },
  ],
  [
    'an age of 500, as a variable',
    {
      query: COUNT,
      variables: { f: { ageAtExam: { max: 500 } } },
      code: 'BAD_USER_INPUT',
      argument: 'filter.ageAtExam',
      message: /0–120/,
    },
  ],
  [
    'quality scores 0..99',
    {
      query: count('{ imageQualityScore: { min: 0, max: 99 } }'),
      code: 'BAD_USER_INPUT',
      argument: 'filter.imageQualityScore',
      message: /1–5/,
    },
  ],
  [
    'a negative diameter under NOT',
    {
      query: count('{ NOT: { lesionDiameterMm: { min: -1 } } }'),
      code: 'BAD_USER_INPUT',
      argument: 'filter.NOT.lesionDiameterMm',
      message: /0 or more/,
    },
  ],
  [
    'a split of ages up to 500 (a mutation that would store one)',
    { query: SPLIT, variables: { f: { ageAtExam: { max: 500 } } }, code: 'BAD_USER_INPUT' },
  ],
  // paging
  [
    'after: "garbage"',
    { query: '{ images(first: 1, after: "garbage") { totalCount } }', code: 'BAD_USER_INPUT', argument: 'after' },
  ],
  [
    'a before cursor that is base64 but no cursor of this API, as a variable',
    {
      query: 'query($c: String) { patients(last: 1, before: $c) { totalCount } }',
      variables: { c: b64('GPC:S:x') },
      code: 'BAD_USER_INPUT',
      argument: 'before',
    },
  ],
  ['first: -1', { query: '{ images(first: -1) { totalCount } }', code: 'BAD_USER_INPUT', argument: 'first' }],
  [
    'last: -1 on a nested connection, as a variable',
    {
      query: 'query($n: Int) { patients(first: 1) { edges { node { images(last: $n) { totalCount } } } } }',
      variables: { n: -1 },
      code: 'BAD_USER_INPUT',
      argument: 'last',
    },
  ],
  [
    'first and last together',
    { query: '{ images(first: 1, last: 1) { totalCount } }', code: 'BAD_USER_INPUT', argument: 'last' },
  ],
  [
    'a page of 201 in a queue the resolvers did not check',
    { query: '{ reviewQueue(first: 201) { edges { cursor } } }', code: 'BAD_USER_INPUT', argument: 'first' },
  ],
  ['splits(limit: -5)', { query: '{ splits(limit: -5) { id } }', code: 'BAD_USER_INPUT', argument: 'limit' }],
  [
    'splits(limit: 201), as a variable',
    {
      query: 'query($l: Int) { splits(limit: $l) { id } }',
      variables: { l: 201 },
      code: 'BAD_USER_INPUT',
      argument: 'limit',
    },
  ],
  // node ids
  ['node(id: "xyz")', { query: '{ node(id: "xyz") { id } }', code: 'BAD_USER_INPUT', argument: 'id' }],
  [
    'node of a Split',
    { query: `{ node(id: "${b64('Split:abc')}") { id } }`, code: 'BAD_USER_INPUT', argument: 'id', message: /Node/ },
  ],
  [
    'node of an Export, as a variable',
    {
      query: 'query($id: ID!) { node(id: $id) { id } }',
      variables: { id: b64('Export:00000000-0000-4000-8000-000000000000') },
      code: 'BAD_USER_INPUT',
      argument: 'id',
    },
  ],
  [
    'node(id: Image:abc)',
    { query: `{ node(id: "${b64('Image:abc')}") { id } }`, code: 'BAD_USER_INPUT', argument: 'id' },
  ],
  [
    'nodes with one malformed id among good ones',
    {
      query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      variables: { ids: [image(1), '%%%', image(2)] },
      code: 'BAD_USER_INPUT',
      argument: 'ids.1',
    },
  ],
  [
    'nodes with 101 ids',
    {
      query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      variables: { ids: Array.from({ length: 101 }, (_, i) => image(i + 1)) },
      code: 'BAD_USER_INPUT',
      argument: 'ids',
      message: /at most 100/,
    },
  ],
  [
    'nodes with 101 ids written in',
    {
      query: `{ nodes(ids: [${Array.from({ length: 101 }, (_, i) => `"${image(i + 1)}"`).join(', ')}]) { id } }`,
      code: 'BAD_USER_INPUT',
      argument: 'ids',
    },
  ],
  // auditSplit
  [
    'auditSplit with 10,001 entries',
    {
      query: AUDIT,
      variables: { a: Array.from({ length: 10_001 }, (_, i) => ({ sha256: String(i), part: 't' })) },
      code: 'BAD_USER_INPUT',
      argument: 'assignments',
      message: /at most 10000/,
    },
  ],
  [
    'auditSplit naming an image by a malformed id',
    {
      query: AUDIT,
      variables: { a: [{ image: 'not-an-id', part: 'train' }] },
      code: 'BAD_USER_INPUT',
      argument: 'assignments.0.image',
    },
  ],
];

it.each(cases)('%s', async (_name, c) => {
  const before = await state.before();
  const res: RawResponse = await postGraphQL(
    api.yoga,
    { query: c.query, variables: c.variables },
    api.headers('VIEWER'),
  );
  expect(res.status, res.text.slice(0, 300)).toBeLessThan(500);
  expect(errorCode(res), res.text.slice(0, 300)).toBe(c.code);
  if (c.argument) expect(errorExtensions(res)?.argument).toBe(c.argument);
  if (c.message) expect((res.json as { errors: { message: string }[] }).errors[0]?.message).toMatch(c.message);
  // nothing ran (no data, or the refused field null) and the answer is a few errors, not a page of results
  const data = (res.json as { data?: Record<string, unknown> | null }).data ?? {};
  expect(Object.values(data).filter((v) => v !== null)).toEqual([]);
  expect(res.text.length).toBeLessThan(4_000);
  const after = await state.after();
  expect(after).toEqual(before);
  state.passed(after);
});
