// Bad GraphQL calls outside the workflow, privacy and limits suites, on a copy of the demo cohort:
// credentials, roles below the one an admin mutation needs, arguments that name nothing, and
// requests that are not GraphQL over HTTP at all. Each is refused with its extensions.code (and its
// HTTP status where the request never reaches execution) and changes no table, blob or export file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.ts';
import { createToken, revokeToken } from '../../src/resolvers/tokens.ts';
import { type Api, createApi } from '../helpers/api.ts';
import { errorCode, GRAPHQL_RESPONSE, postGraphQL, type RawResponse, StateChain, send } from '../helpers/bad-input.ts';
import { createCohortEnv } from '../helpers/cohort.ts';
import type { TestEnv } from '../helpers/database.ts';

let env: TestEnv;
let api: Api;
let state: StateChain;
let revoked: string;
/** A split stored by the admin: another caller may not delete it. */
let adminSplit: string;

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  const gone = await createToken('revoked admin', 'ADMIN');
  await revokeToken(gone.id);
  revoked = gone.token;
  const res = await postGraphQL(
    api.yoga,
    { query: 'mutation { createSplit(input: { folds: 2, name: "admin split" }) { id } }' },
    api.headers('ADMIN'),
  );
  const id = (res.json as { data?: { createSplit?: { id: string } } }).data?.createSplit?.id;
  if (!id) throw new Error(res.text);
  adminSplit = id;
  state = new StateChain(env);
});
afterAll(() => env.dispose());

const as = (who: Role | null): Record<string, string> => api.headers(who);

/** A refusal with its code (and status, when given) that leaves every table and file as it was. */
async function expectRefused(request: () => Promise<RawResponse>, code: string, status?: number) {
  const before = await state.before();
  const res = await request();
  expect(errorCode(res), res.text).toBe(code);
  if (status !== undefined) expect(res.status, res.text).toBe(status);
  const data = (res.json as { data?: Record<string, unknown> | null } | undefined)?.data;
  for (const value of Object.values(data ?? {})) expect(value).toBeNull();
  const after = await state.after();
  expect(after).toEqual(before);
  state.passed(after);
  return res;
}

const SET_POLICY = 'mutation Switch($id: String!) { setActivePolicy(id: $id) { id } }';
const EDIT_DATASHEET =
  'mutation Edit($key: String!, $text: String!) { updateDatasheetText(key: $key, text: $text) { key } }';

describe('admin mutations refuse every role below admin, and anonymous callers', () => {
  it.each<[string, Role | null, string, Record<string, unknown>, string]>([
    ['a viewer switches the policy', 'VIEWER', SET_POLICY, { id: 'nine-class' }, 'FORBIDDEN'],
    ['an annotator switches the policy', 'ANNOTATOR', SET_POLICY, { id: 'nine-class' }, 'FORBIDDEN'],
    ['a reviewer switches the policy', 'REVIEWER', SET_POLICY, { id: 'nine-class' }, 'FORBIDDEN'],
    ['an anonymous caller switches the policy', null, SET_POLICY, { id: 'nine-class' }, 'UNAUTHENTICATED'],
    ['a viewer edits the datasheet', 'VIEWER', EDIT_DATASHEET, { key: 'uses.avoid', text: 'anything' }, 'FORBIDDEN'],
    [
      'an annotator edits the datasheet',
      'ANNOTATOR',
      EDIT_DATASHEET,
      { key: 'uses.avoid', text: 'anything' },
      'FORBIDDEN',
    ],
    [
      'a reviewer edits the datasheet',
      'REVIEWER',
      EDIT_DATASHEET,
      { key: 'uses.avoid', text: 'anything' },
      'FORBIDDEN',
    ],
    [
      'an anonymous caller edits the datasheet',
      null,
      EDIT_DATASHEET,
      { key: 'uses.avoid', text: 'anything' },
      'UNAUTHENTICATED',
    ],
    [
      'an anonymous caller starts an export',
      null,
      'mutation { startExport(format: "jsonl") { id } }',
      {},
      'UNAUTHENTICATED',
    ],
    [
      'an anonymous caller creates a split',
      null,
      'mutation { createSplit(input: { folds: 2 }) { id } }',
      {},
      'UNAUTHENTICATED',
    ],
    ['a viewer reads the intake log', 'VIEWER', 'query { intakeLog(first: 1) { totalCount } }', {}, 'FORBIDDEN'],
    ['an anonymous caller reads the summary', null, 'query { datasetSummary { images } }', {}, 'UNAUTHENTICATED'],
  ])('%s', async (_what, who, query, variables, code) => {
    await expectRefused(() => postGraphQL(api.yoga, { query, variables }, as(who)), code);
  });

  it('a viewer deletes the admin’s split: FORBIDDEN, the split stays', async () => {
    await expectRefused(
      () => postGraphQL(api.yoga, { query: `mutation { deleteSplit(id: "${adminSplit}") }` }, as('VIEWER')),
      'FORBIDDEN',
    );
  });
});

describe('credentials that identify no one: 401 UNAUTHENTICATED before anything runs', () => {
  it.each<[string, () => string]>([
    ['an unknown token', () => 'Bearer dst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a revoked admin token', () => `Bearer ${revoked}`],
    ['Basic credentials', () => 'Basic YWRtaW46YWRtaW4='],
    ['"Bearer" and nothing else', () => 'Bearer '],
    ['a token without the Bearer scheme', () => api.tokens.ADMIN],
    ['an admin token with a character changed', () => `Bearer ${api.tokens.ADMIN.slice(0, -1)}x`],
  ])('%s', async (_what, authorization) => {
    await expectRefused(
      () =>
        postGraphQL(
          api.yoga,
          { query: SET_POLICY, variables: { id: 'nine-class' } },
          { authorization: authorization() },
        ),
      'UNAUTHENTICATED',
      401,
    );
  });
});

describe('arguments that name nothing: BAD_USER_INPUT (NOT_FOUND for an unknown split), nothing recorded', () => {
  it.each<[string, string, string]>([
    ['an unknown policy id', 'mutation { setActivePolicy(id: "no-such-policy") { id } }', 'BAD_USER_INPUT'],
    ['an empty policy id', 'mutation { setActivePolicy(id: "") { id } }', 'BAD_USER_INPUT'],
    [
      'a datasheet question that does not exist',
      'mutation { updateDatasheetText(key: "composition.secrets", text: "x") { key } }',
      'BAD_USER_INPUT',
    ],
    ['an export format that does not exist', 'mutation { startExport(format: "xlsx") { id } }', 'BAD_USER_INPUT'],
    [
      'an export under an unknown policy',
      'mutation { startExport(format: "jsonl", policy: "no-such-policy") { id } }',
      'BAD_USER_INPUT',
    ],
    [
      'an export option the exporter does not have',
      'mutation { startExport(format: "jsonl", options: { shell: "rm -rf /" }) { id } }',
      'BAD_USER_INPUT',
    ],
    [
      'split fractions that do not add up to 1',
      'mutation { createSplit(input: { fractions: { train: 0.8, validation: 0.3, test: 0.1 } }) { id } }',
      'BAD_USER_INPUT',
    ],
    ['a split of one fold', 'mutation { createSplit(input: { folds: 1 }) { id } }', 'BAD_USER_INPUT'],
    [
      'both fractions and folds',
      'mutation { createSplit(input: { folds: 3, fractions: { train: 0.8, validation: 0.1, test: 0.1 } }) { id } }',
      'BAD_USER_INPUT',
    ],
    ['deleting a split that does not exist', 'mutation { deleteSplit(id: "no-such-split") }', 'NOT_FOUND'],
  ])('%s', async (_what, query, code) => {
    await expectRefused(() => postGraphQL(api.yoga, { query }, as('ADMIN')), code);
  });

  it('a datasheet answer over 20,000 characters', async () => {
    await expectRefused(
      () =>
        postGraphQL(
          api.yoga,
          { query: EDIT_DATASHEET, variables: { key: 'uses.avoid', text: 'x'.repeat(20_001) } },
          as('ADMIN'),
        ),
      'BAD_USER_INPUT',
    );
  });
});

describe('requests that are not GraphQL over HTTP: refused before execution', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    postGraphQL(api.yoga, body, { ...as('ADMIN'), ...headers });
  const json = JSON.stringify;
  it.each<[string, () => Promise<RawResponse>, string, number]>([
    ['a body that is not JSON', () => post('{"query": "mutation {'), 'BAD_REQUEST', 400],
    [
      'a batch (a JSON array)',
      () => post(json([{ query: SET_POLICY, variables: { id: 'nine-class' } }])),
      'BAD_REQUEST',
      400,
    ],
    ['a JSON string', () => post(json(SET_POLICY)), 'BAD_REQUEST', 400],
    ['no query', () => post(json({ variables: { id: 'nine-class' } })), 'BAD_REQUEST', 400],
    ['a query that is a number', () => post(json({ query: 42 })), 'BAD_REQUEST', 400],
    ['an empty query', () => post(json({ query: '' })), 'GRAPHQL_PARSE_FAILED', 400],
    [
      'a syntax error',
      () => post(json({ query: 'mutation { setActivePolicy(id: "nine-class" { id } }' })),
      'GRAPHQL_PARSE_FAILED',
      400,
    ],
    [
      'a field that does not exist',
      () => post(json({ query: 'mutation { dropDatabase }' })),
      'GRAPHQL_VALIDATION_FAILED',
      400,
    ],
    [
      'an unknown operation name',
      () => post(json({ query: SET_POLICY, operationName: 'Other', variables: { id: 'nine-class' } })),
      'OPERATION_RESOLUTION_FAILURE',
      400,
    ],
    [
      'two operations and no operation name',
      () => post(json({ query: `${SET_POLICY}\nquery Read { activePolicy { id } }`, variables: { id: 'nine-class' } })),
      'OPERATION_RESOLUTION_FAILURE',
      400,
    ],
    [
      'variables as a string',
      () => post(json({ query: SET_POLICY, variables: '{"id":"nine-class"}' })),
      'BAD_REQUEST',
      400,
    ],
    [
      'a variable of the wrong type',
      () => post(json({ query: SET_POLICY, variables: { id: 5 } })),
      'BAD_USER_INPUT',
      400,
    ],
    ['a required variable left out', () => post(json({ query: SET_POLICY })), 'BAD_USER_INPUT', 400],
    [
      'a mutation sent with GET',
      () =>
        send(
          api.yoga,
          `/graphql?query=${encodeURIComponent('mutation { setActivePolicy(id: "nine-class") { id } }')}`,
          {
            method: 'GET',
            headers: { ...as('ADMIN'), accept: GRAPHQL_RESPONSE },
          },
        ),
      'BAD_REQUEST',
      405,
    ],
    [
      'PUT',
      () =>
        send(api.yoga, '/graphql', {
          method: 'PUT',
          headers: { ...as('ADMIN'), 'content-type': 'application/json', accept: GRAPHQL_RESPONSE },
          body: json({ query: SET_POLICY, variables: { id: 'nine-class' } }),
        }),
      'BAD_REQUEST',
      405,
    ],
    [
      'a body over the request limit (DERMASET_MAX_REQUEST_BYTES, 1 MiB)',
      () => post(json({ query: EDIT_DATASHEET, variables: { key: 'uses.avoid', text: 'x'.repeat(1_100_000) } })),
      'REQUEST_ENTITY_TOO_LARGE',
      413,
    ],
  ])('%s', async (_what, request, code, status) => {
    await expectRefused(request, code, status);
  });

  it('a body that is not JSON, declared as text/plain: 415, nothing run', async () => {
    const before = await state.before();
    const res = await send(api.yoga, '/graphql', {
      method: 'POST',
      headers: { ...as('ADMIN'), 'content-type': 'text/plain', accept: GRAPHQL_RESPONSE },
      body: JSON.stringify({ query: SET_POLICY, variables: { id: 'nine-class' } }),
    });
    expect(res.status).toBe(415);
    const after = await state.after();
    expect(after).toEqual(before);
    state.passed(after);
  });
});
