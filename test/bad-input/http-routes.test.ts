// Bad requests to the HTTP routes beside GraphQL (image bytes, exports, split manifests, the
// datasheet and Croissant metadata, /health) on a copy of the demo cohort: each is answered with
// its status and, on a route that answers JSON, a JSON body with a `code`; none changes a table, a
// blob or an export file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.ts';
import { createToken, revokeToken } from '../../src/resolvers/tokens.ts';
import { type Api, createApi } from '../helpers/api.ts';
import { errorCode, postGraphQL, type RawResponse, StateChain, send } from '../helpers/bad-input.ts';
import { createCohortEnv } from '../helpers/cohort.ts';
import type { TestEnv } from '../helpers/database.ts';

let env: TestEnv;
let api: Api;
let state: StateChain;
let revoked: string;
/** An image, a finished export and a stored split of the cohort copy, for routes that need a real one. */
let sha: string;
let exportId: string;
let splitId: string;

const UNKNOWN_SHA = 'f'.repeat(64);
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

async function adminGraphQL<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await postGraphQL(api.yoga, { query, variables }, api.headers('ADMIN'));
  const body = res.json as { data?: T; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(res.text);
  return body.data;
}

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  const gone = await createToken('revoked viewer', 'VIEWER');
  await revokeToken(gone.id);
  revoked = gone.token;
  sha = (await env.db.image.findFirstOrThrow({ orderBy: { id: 'asc' }, select: { sha256: true } })).sha256;
  const started = await adminGraphQL<{ startExport: { id: string } }>(
    'mutation { startExport(format: "jsonl") { id } }',
  );
  exportId = started.startExport.id;
  for (let i = 0; ; i++) {
    const { export: e } = await adminGraphQL<{ export: { status: string } }>(
      'query Poll($id: String!) { export(id: $id) { status } }',
      { id: exportId },
    );
    if (e.status === 'DONE') break;
    if (e.status === 'FAILED' || i > 1200) throw new Error(`the export did not finish: ${e.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  splitId = (
    await adminGraphQL<{ createSplit: { id: string } }>('mutation { createSplit(input: { folds: 2 }) { id } }')
  ).createSplit.id;
  state = new StateChain(env);
});
afterAll(() => env.dispose());

type Headers = Record<string, string>;
const viewer = (): Headers => api.headers('VIEWER');
const admin = (): Headers => api.headers('ADMIN');
const get = (path: string, headers: Headers = viewer()) => send(api.yoga, path, { method: 'GET', headers });

/** A route's typed refusal: the status, a JSON body with the code, and nothing changed. */
async function expectRefused(request: () => Promise<RawResponse>, status: number, code: string | null) {
  const before = await state.before();
  const res = await request();
  expect(res.status, res.text).toBe(status);
  if (code !== null) {
    expect(res.contentType ?? '').toMatch(/^application\/json/);
    expect(errorCode(res), res.text).toBe(code);
  }
  const after = await state.after();
  expect(after).toEqual(before);
  state.passed(after);
  return res;
}

describe('credentials: every route refuses a caller without a valid bearer token (401 UNAUTHENTICATED)', () => {
  const routes = () => [
    `/images/${sha}/original`,
    `/exports/${exportId}/file`,
    `/splits/${splitId}/manifest.csv`,
    '/datasheet.html',
    '/croissant/metadata.jsonl',
  ];
  it.each<[string, () => Headers]>([
    ['no Authorization header', () => ({})],
    ['an unknown token', () => ({ authorization: 'Bearer dst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })],
    ['a revoked token', () => ({ authorization: `Bearer ${revoked}` })],
    ['Basic credentials', () => ({ authorization: 'Basic YWRtaW46YWRtaW4=' })],
    ['"Bearer" with no token', () => ({ authorization: 'Bearer' })],
    ['two tokens in one header', () => ({ authorization: `Bearer ${api.tokens.VIEWER} ${api.tokens.ADMIN}` })],
    ['a token quoting SQL', () => ({ authorization: "Bearer ' OR '1'='1" })],
  ])('%s', async (_what, headers) => {
    // one state check around the five routes: a snapshot of the cohort copy is the slow part
    const before = await state.before();
    for (const path of routes()) {
      const res = await get(path, headers());
      expect(res.status, `${path}: ${res.text}`).toBe(401);
      expect(res.contentType ?? '').toMatch(/^application\/json/);
      expect(errorCode(res), path).toBe('UNAUTHENTICATED');
    }
    const after = await state.after();
    expect(after).toEqual(before);
    state.passed(after);
  });
});

describe('paths that name nothing: 404 NOT_FOUND, and no file outside the store is read', () => {
  it.each<[string, () => string, Role]>([
    ['an unknown image sha256', () => `/images/${UNKNOWN_SHA}/original`, 'VIEWER'],
    ['a sha256 one digit short', () => `/images/${sha.slice(1)}/original`, 'VIEWER'],
    ['a sha256 that is not hex', () => `/images/${'z'.repeat(64)}/thumbnail`, 'VIEWER'],
    ['an unknown image variant', () => `/images/${sha}/full`, 'VIEWER'],
    [
      'an image path climbing out of the store (encoded slashes)',
      () => '/images/..%2f..%2fdermaset.db/original',
      'VIEWER',
    ],
    ['an image path with an encoded NUL', () => `/images/${sha}%00/original`, 'VIEWER'],
    ['an unknown export id', () => `/exports/${UNKNOWN_UUID}/file`, 'ADMIN'],
    ['a malformed export id', () => '/exports/123/file', 'ADMIN'],
    ['an unknown file of an export', () => `/exports/${exportId}/secrets.txt`, 'ADMIN'],
    ['an export path climbing out (encoded slashes)', () => `/exports/${exportId}/..%2f..%2fdermaset.db`, 'ADMIN'],
    ['another token’s export (a viewer asks for the admin’s)', () => `/exports/${exportId}/file`, 'VIEWER'],
    ['another token’s export manifest', () => `/exports/${exportId}/manifest.json`, 'REVIEWER'],
    ['an unknown split id', () => `/splits/${UNKNOWN_UUID}/manifest.csv`, 'VIEWER'],
    ['a malformed split id', () => '/splits/1;DROP TABLE split/manifest.csv', 'VIEWER'],
  ])('%s', async (_what, path, who) => {
    const res = await expectRefused(() => get(path(), api.headers(who)), 404, 'NOT_FOUND');
    expect(res.text).not.toMatch(/SQLite format|PGDMP/);
  });

  it.each<[string, string]>([
    ['dot segments out of /images/', '/images/../../dermaset.db'],
    ['encoded dot segments out of /images/', '/images/%2e%2e/%2e%2e/dermaset.db'],
    ['dot segments out of /exports/', '/exports/%2E%2E/%2E%2E/pseudonym.key'],
  ])('%s: not found, nothing read', async (_what, path) => {
    const res = await expectRefused(() => get(path, admin()), 404, null);
    expect(res.text).not.toMatch(/SQLite format|PGDMP|[0-9a-f]{64}/);
  });
});

describe('query parameters the routes cannot use: 400 BAD_USER_INPUT', () => {
  it.each<[string, () => string]>([
    ['a split part that does not exist', () => `/splits/${splitId}/manifest.csv?part=HOLDOUT`],
    ['a fold that is not a number', () => `/splits/${splitId}/manifest.csv?fold=abc`],
    ['a datasheet under an unknown policy', () => '/datasheet.md?policy=no-such-policy'],
    ['metadata with a filter that is not JSON', () => '/croissant/metadata.jsonl?filter=%7B'],
    [
      'metadata with a filter of the wrong type',
      () => `/croissant/metadata.jsonl?filter=${encodeURIComponent('{"ageAtExam":"old"}')}`,
    ],
    ['metadata of an unknown split', () => `/croissant/metadata.jsonl?split=${UNKNOWN_UUID}&part=TRAIN`],
  ])('%s', async (_what, path) => {
    await expectRefused(() => get(path()), 400, 'BAD_USER_INPUT');
  });
});

describe('methods the routes do not serve: 405 METHOD_NOT_ALLOWED with Allow, nothing served or removed', () => {
  it.each<[string, string, () => string]>([
    ['POST', 'an image', () => `/images/${sha}/original`],
    ['DELETE', 'an image', () => `/images/${sha}/thumbnail`],
    ['DELETE', 'an export file', () => `/exports/${exportId}/file`],
    ['POST', 'an export manifest', () => `/exports/${exportId}/manifest.json`],
    ['PUT', 'a split manifest', () => `/splits/${splitId}/manifest.csv`],
    ['POST', 'the datasheet', () => '/datasheet.html'],
    ['DELETE', 'the Croissant metadata', () => '/croissant/metadata.jsonl'],
    ['POST', '/health', () => '/health'],
  ])('%s %s', async (method, _what, path) => {
    const res = await expectRefused(
      () => send(api.yoga, path(), { method, headers: admin() }),
      405,
      'METHOD_NOT_ALLOWED',
    );
    expect(res.headers.get('allow') ?? '').toMatch(/\bGET\b/);
  });
});
