// Bad requests to the routes that serve records (the Croissant metadata file, exports, split
// manifests) that would walk around the de-identification profiles or the API's bounds: a profile a
// role may not ask for or that does not exist, a filter too deep or too large to coerce, a method
// the route does not serve, someone else's export. Each is a typed JSON refusal `{code, message}`,
// and no table, blob or export file changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.ts';
import { type Api, createApi } from '../helpers/api.ts';
import { errorCode, type RawResponse, StateChain, send } from '../helpers/bad-input.ts';
import { createTestEnv, type TestEnv } from '../helpers/database.ts';
import { exportAs, gql, seedPeople } from '../helpers/privacy.ts';

let env: TestEnv;
let api: Api;
let state: StateChain;
/** The admin's finished export and a stored split of the five patients. */
let exportId: string;
let splitId: string;

beforeAll(async () => {
  env = await createTestEnv();
  await seedPeople(env);
  api = await createApi(env);
  exportId = (await exportAs(api, 'ADMIN', { format: 'jsonl', profile: 'limited' })).id;
  const made = await gql<{ createSplit: { id: string } }>(
    api,
    'ADMIN',
    'mutation { createSplit(input: { policy: "nine-class", folds: 2, allowOversizedUnits: true }) { id } }',
  );
  if (made.errors) throw new Error(JSON.stringify(made.errors));
  splitId = made.data?.createSplit.id ?? '';
  state = new StateChain(env);
}, 120_000);
afterAll(() => env?.dispose());

const METADATA = '/croissant/metadata.jsonl?policy=nine-class';
const deepNot = (levels: number) => `${'{"NOT":'.repeat(levels)}{"ageAtExam":{"min":104}}${'}'.repeat(levels)}`;
const manyOr = (n: number) =>
  JSON.stringify({ OR: Array.from({ length: n }, (_, i) => ({ ageAtExam: { min: i % 100 } })) });
const withFilter = (json: string) => `${METADATA}&filter=${encodeURIComponent(json)}`;

/** A typed JSON refusal `{code, message}` with the status, and the state unchanged. */
async function expectRefused(request: () => Promise<RawResponse>, status: number, code: string) {
  const before = await state.before();
  const res = await request();
  expect(res.status, res.text).toBe(status);
  expect(res.contentType ?? '').toMatch(/^application\/json/);
  expect(errorCode(res), res.text).toBe(code);
  expect(Object.keys(res.json as object).sort(), res.text).toEqual(['code', 'message']);
  // no record leaks into a refusal: no age over 89, no exact day
  expect(res.text).not.toMatch(/\b(104|95)\b|2021-05-17/);
  const after = await state.after();
  expect(after).toEqual(before);
  state.passed(after);
  return res;
}

describe('the Croissant metadata route: profiles', () => {
  it.each<[string, string, Role, number, string]>([
    ['limited asked by a viewer', `${METADATA}&profile=limited`, 'VIEWER', 403, 'FORBIDDEN'],
    ['limited asked by an annotator', `${METADATA}&profile=limited`, 'ANNOTATOR', 403, 'FORBIDDEN'],
    ['limited asked by a reviewer', `${METADATA}&profile=limited`, 'REVIEWER', 403, 'FORBIDDEN'],
    ['limited for a stored split, by a viewer', `${METADATA}&profile=limited&split=@split`, 'VIEWER', 403, 'FORBIDDEN'],
    ['an unknown profile', `${METADATA}&profile=hipaa`, 'ADMIN', 400, 'BAD_USER_INPUT'],
    ['a profile in other case', `${METADATA}&profile=LIMITED`, 'ADMIN', 400, 'BAD_USER_INPUT'],
    ['a prototype key as a profile', `${METADATA}&profile=__proto__`, 'ADMIN', 400, 'BAD_USER_INPUT'],
    ['an empty profile', `${METADATA}&profile=`, 'VIEWER', 400, 'BAD_USER_INPUT'],
  ])('%s', async (_what, path, who, status, code) => {
    const res = await expectRefused(
      () => send(api.yoga, path.replace('@split', splitId), { headers: api.headers(who) }),
      status,
      code,
    );
    if (code === 'BAD_USER_INPUT') expect((res.json as { message: string }).message).toMatch(/safe-harbor/);
  });
});

describe('the Croissant metadata route: a filter held to its bounds before it is coerced', () => {
  // each refusal names the bound that caught it: the depth of the JSON or the filter's size, checked
  // before graphql-js coerces the filter (a deep NOT overflowed its recursion; a mistyped 20,000th
  // condition was reported only after 20,000 were coerced)
  it.each<[string, () => string, RegExp]>([
    ['NOT nested 5,000 deep', () => withFilter(deepNot(5_000)), /more than 64 levels/],
    ['NOT nested 65 deep (past the variable depth)', () => withFilter(deepNot(65)), /more than 64 levels/],
    [
      'a list nested 200 deep in a condition',
      () => withFilter(`{"diagnosisClass":${'['.repeat(200)}${']'.repeat(200)}}`),
      /more than 64 levels/,
    ],
    [
      'an OR of 20,000 conditions, the last one mistyped',
      () => {
        const filter = JSON.parse(manyOr(20_000)) as { OR: unknown[] };
        filter.OR[19_999] = { ageAtExam: { min: 'old' } };
        return withFilter(JSON.stringify(filter));
      },
      /at most 100 conditions/,
    ],
  ])('%s: 400 BAD_USER_INPUT', async (_what, path, message) => {
    const res = await expectRefused(
      () => send(api.yoga, path(), { headers: api.headers('VIEWER') }),
      400,
      'BAD_USER_INPUT',
    );
    expect((res.json as { message: string }).message).toMatch(message);
    expect(res.text).not.toMatch(/Maximum call stack|RangeError/);
  });
});

describe('the export and split routes', () => {
  it.each<[string, string, () => string, Role]>([
    ['DELETE of an export file by its maker', 'DELETE', () => `/exports/${exportId}/file`, 'ADMIN'],
    ['POST to an export manifest', 'POST', () => `/exports/${exportId}/manifest.json`, 'ADMIN'],
    ['PUT over a split manifest', 'PUT', () => `/splits/${splitId}/manifest.csv`, 'ADMIN'],
    [
      'PATCH of a split manifest under limited',
      'PATCH',
      () => `/splits/${splitId}/manifest.csv?profile=limited`,
      'ADMIN',
    ],
    ['DELETE of another’s export by a viewer', 'DELETE', () => `/exports/${exportId}/file`, 'VIEWER'],
  ])('%s: 405 METHOD_NOT_ALLOWED with Allow', async (_what, method, path, who) => {
    const res = await expectRefused(
      () => send(api.yoga, path(), { method, headers: api.headers(who) }),
      405,
      'METHOD_NOT_ALLOWED',
    );
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it.each<[string, () => string, Role, number, string]>([
    [
      'another’s export (a viewer asks for the admin’s limited file)',
      () => `/exports/${exportId}/file`,
      'VIEWER',
      404,
      'NOT_FOUND',
    ],
    [
      'another’s export manifest, by a reviewer',
      () => `/exports/${exportId}/manifest.json`,
      'REVIEWER',
      404,
      'NOT_FOUND',
    ],
    [
      'a split manifest under limited, by a viewer',
      () => `/splits/${splitId}/manifest.csv?profile=limited`,
      'VIEWER',
      403,
      'FORBIDDEN',
    ],
    [
      'a split manifest under an unknown profile',
      () => `/splits/${splitId}/manifest.csv?profile=exact`,
      'ADMIN',
      400,
      'BAD_USER_INPUT',
    ],
  ])('%s', async (_what, path, who, status, code) => {
    await expectRefused(() => send(api.yoga, path(), { headers: api.headers(who) }), status, code);
  });
});
