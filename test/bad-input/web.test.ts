// Bad inputs to the web surface that is not an upload: datasheet prose edits (who may write, which
// keys exist, how long an answer may be), active-policy switches, and requests to the image, the
// datasheet and the health routes that name nothing or use a method they do not serve. Each is
// refused with a typed code and leaves every table, blob and file as it was.
// (Hostile URLs in admin prose are not refused: the admin's text is stored as written and made
// harmless when rendered; test/web-surface.test.ts holds those.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../../src/ingest/pipeline.ts';
import { MAX_PROSE_LENGTH } from '../../src/resolvers/datasheet.ts';
import { type Api, createApi } from '../helpers/api.ts';
import { postGraphQL, type RawResponse, send } from '../helpers/bad-input.ts';
import { createTestEnv, type TestEnv } from '../helpers/database.ts';
import { lesion, record } from '../helpers/images.ts';
import { snapshot } from '../helpers/snapshot.ts';

let env: TestEnv;
let api: Api;
/** The one stored image, for routes that need a real one. */
let sha: string;

beforeAll(async () => {
  env = await createTestEnv();
  api = await createApi(env);
  await createPipeline(env.config, env.db).ingest({
    bytes: await lesion(1),
    record: record(),
    fileName: 'a.jpg',
    source: 'test',
  });
  sha = (await env.db.image.findFirstOrThrow({ select: { sha256: true } })).sha256;
  // one written answer, so that a refused edit has something to leave alone
  const res = await postGraphQL(
    api.yoga,
    { query: UPDATE, variables: { key: 'uses.intended', text: 'Evaluation of classifiers.' } },
    api.headers('ADMIN'),
  );
  expect(res.text).not.toContain('errors');
});
afterAll(() => env.dispose());

type Role = 'VIEWER' | 'ANNOTATOR' | 'REVIEWER' | 'ADMIN' | null;
const UPDATE = 'mutation ($key: String!, $text: String!) { updateDatasheetText(key: $key, text: $text) { key } }';
const SET_POLICY = 'mutation ($id: String!) { setActivePolicy(id: $id) { id } }';

/** The code of a refusal: a GraphQL error's extensions.code, or a route's JSON `code`. */
function codeOf(res: RawResponse): unknown {
  const body = res.json as { errors?: { extensions?: { code?: unknown } }[]; code?: unknown } | undefined;
  return body?.errors ? body.errors[0]?.extensions?.code : body?.code;
}

async function expectRefused(request: () => Promise<RawResponse>, code: string, status?: number) {
  const before = await snapshot(env);
  const res = await request();
  expect(codeOf(res), res.text).toBe(code);
  if (status !== undefined) expect(res.status, res.text).toBe(status);
  const data = (res.json as { data?: Record<string, unknown> | null } | undefined)?.data;
  for (const value of Object.values(data ?? {})) expect(value).toBeNull();
  expect(await snapshot(env)).toEqual(before);
  return res;
}

describe('datasheet prose edits: refused, nothing written, no history row', () => {
  const edit =
    (role: Role, key: string, text = 'Any text.') =>
    () =>
      postGraphQL(api.yoga, { query: UPDATE, variables: { key, text } }, role ? api.headers(role) : {});

  it.each<[string, () => Promise<RawResponse>, string]>([
    ['an anonymous caller', edit(null, 'uses.intended'), 'UNAUTHENTICATED'],
    ['a viewer', edit('VIEWER', 'uses.intended'), 'FORBIDDEN'],
    ['an annotator', edit('ANNOTATOR', 'uses.intended'), 'FORBIDDEN'],
    ['a reviewer', edit('REVIEWER', 'uses.avoid'), 'FORBIDDEN'],
    ['an unknown key', edit('ADMIN', 'uses.everything'), 'BAD_USER_INPUT'],
    ['an empty key', edit('ADMIN', ''), 'BAD_USER_INPUT'],
    ['a key in other case', edit('ADMIN', 'USES.INTENDED'), 'BAD_USER_INPUT'],
    ['a key with a leading space', edit('ADMIN', ' uses.intended'), 'BAD_USER_INPUT'],
    ['the key __proto__', edit('ADMIN', '__proto__'), 'BAD_USER_INPUT'],
    ['the key constructor', edit('ADMIN', 'constructor'), 'BAD_USER_INPUT'],
    ['the key toString', edit('ADMIN', 'toString'), 'BAD_USER_INPUT'],
    ['a key with a path in it', edit('ADMIN', 'uses.intended/../../motivation.purpose'), 'BAD_USER_INPUT'],
    [
      'a text one character over the cap',
      edit('ADMIN', 'uses.intended', 'x'.repeat(MAX_PROSE_LENGTH + 1)),
      'BAD_USER_INPUT',
    ],
    ['a text of 500,000 characters', edit('ADMIN', 'uses.avoid', 'é'.repeat(500_000)), 'BAD_USER_INPUT'],
  ])('%s', async (_what, request, code) => {
    const res = await expectRefused(request, code);
    // the refusal names the field and the rule, never the value
    expect(res.text).not.toContain('Any text.');
  });
});

describe('active-policy switches: refused, the policy and its history unchanged', () => {
  const switchTo = (role: Role, id: string) => () =>
    postGraphQL(api.yoga, { query: SET_POLICY, variables: { id } }, role ? api.headers(role) : {});

  it.each<[string, () => Promise<RawResponse>, string]>([
    ['a reviewer', switchTo('REVIEWER', 'strict-binary'), 'FORBIDDEN'],
    ['an unknown policy', switchTo('ADMIN', 'five-class'), 'BAD_USER_INPUT'],
    ['the policy __proto__', switchTo('ADMIN', '__proto__'), 'BAD_USER_INPUT'],
    ['a policy id in other case', switchTo('ADMIN', 'STRICT-BINARY'), 'BAD_USER_INPUT'],
  ])('%s', async (_what, request, code) => {
    await expectRefused(request, code);
  });
});

describe('image, datasheet and health routes: typed JSON refusals, nothing read or changed', () => {
  const get =
    (path: () => string, method = 'GET') =>
    () =>
      send(api.yoga, path(), { method, headers: api.headers('ADMIN') });

  it.each<[string, () => Promise<RawResponse>, number, string]>([
    ['the thumbnail of an unknown image', get(() => `/images/${'a'.repeat(64)}/thumbnail`), 404, 'NOT_FOUND'],
    ['a sha256 in upper case', get(() => `/images/${sha.toUpperCase()}/original`), 404, 'NOT_FOUND'],
    ['an image path with a trailing slash', get(() => `/images/${sha}/original/`), 404, 'NOT_FOUND'],
    ['a thumbnail with a file extension', get(() => `/images/${sha}/thumbnail.webp`), 404, 'NOT_FOUND'],
    ['an image path with no variant', get(() => `/images/${sha}`), 404, 'NOT_FOUND'],
    ['PUT of an image', get(() => `/images/${sha}/original`, 'PUT'), 405, 'METHOD_NOT_ALLOWED'],
    ['PATCH of the datasheet Markdown', get(() => '/datasheet.md', 'PATCH'), 405, 'METHOD_NOT_ALLOWED'],
    ['the datasheet under the policy __proto__', get(() => '/datasheet.html?policy=__proto__'), 400, 'BAD_USER_INPUT'],
    ['DELETE of /health', get(() => '/health', 'DELETE'), 405, 'METHOD_NOT_ALLOWED'],
  ])('%s', async (_what, request, status, code) => {
    const res = await expectRefused(request, code, status);
    expect(res.contentType ?? '').toMatch(/^application\/json/);
    expect(res.text).not.toContain(env.dataDir);
  });
});
