// The frame every HTTP route beside GraphQL shares (src/server/route.ts useRoute): the path match,
// 405 with Allow, the access check (the caller identified once and handed to the handler), and one
// answer to a throw: a typed error is its status, anything else 500 with a request id and no detail.
// Through yoga.fetch on a real test database: a route of the test's own, and the four real ones.
import { createGraphQLError, createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createToken, TokenResolver } from '../src/resolvers/tokens.ts';
import { useRoute } from '../src/server/route.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';

let env: TestEnv;
let api: Api;
let viewer: string;
let yoga: ReturnType<typeof createYoga>;
/** What the handler was last handed of the caller. */
let seen: { tokenId: number | null; role: string } | undefined;

const SECRET = '/very/secret/path/of/the/server';

beforeAll(async () => {
  env = await createTestEnv();
  api = await createApi(env);
  const made = await createToken('route frame viewer', 'VIEWER');
  viewer = made.token;
  const access = { dataDir: env.dataDir, publicRead: false };
  yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }),
    landingPage: false,
    plugins: [
      useRoute(
        {
          match: (url) => (url.pathname.startsWith('/frame/') ? url.pathname.slice('/frame/'.length) : null),
          reads: 'frames are read',
          what: 'a frame',
          async handle({ match, identity, role, fetchAPI, json }) {
            seen = { tokenId: identity?.tokenId ?? null, role };
            if (match === 'ok') return new fetchAPI.Response('fine', { headers: { 'content-type': 'text/plain' } });
            if (match === 'refused') return json(404, 'NOT_FOUND', 'no such frame');
            if (match === 'bad')
              throw createGraphQLError('part must be TRAIN', { extensions: { code: 'BAD_USER_INPUT', argument: 'x' } });
            if (match === 'forbidden') throw createGraphQLError('admins only', { extensions: { code: 'FORBIDDEN' } });
            throw new Error(`ENOENT: ${SECRET}`);
          },
        },
        new TokenResolver(() => env.db),
        access,
      ),
    ],
  });
});
afterAll(() => env.dispose());

const get = async (path: string, init: RequestInit = {}) => {
  const res = await yoga.fetch(`http://test${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
};
const bearer = () => ({ authorization: `Bearer ${viewer}` });

describe('the route frame', () => {
  it('leaves other paths alone', async () => {
    const res = await get('/elsewhere', { headers: bearer() });
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('a frame');
  });

  it('answers any method but GET or HEAD 405 with Allow, before the access check', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await get('/frame/ok', { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(JSON.parse(res.text)).toEqual({
        code: 'METHOD_NOT_ALLOWED',
        message: `frames are read with GET or HEAD, not ${method}`,
      });
    }
  });

  it('answers 401 without a token when public read is off, and with an unknown one', async () => {
    seen = undefined;
    const none = await get('/frame/ok');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toEqual({ code: 'UNAUTHENTICATED', message: 'a frame needs a bearer token' });
    const unknown = await get('/frame/ok', { headers: { authorization: 'Bearer dst_unknown' } });
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.text)).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'the bearer token is unknown or revoked',
    });
    expect(seen).toBeUndefined();
  });

  it('hands the handler the caller it identified', async () => {
    const res = await get('/frame/ok', { headers: bearer() });
    expect([res.status, res.text]).toEqual([200, 'fine']);
    expect(seen).toEqual({ tokenId: expect.any(Number), role: 'VIEWER' });
    const refused = await get('/frame/refused', { headers: bearer() });
    expect([refused.status, JSON.parse(refused.text)]).toEqual([404, { code: 'NOT_FOUND', message: 'no such frame' }]);
  });

  it('answers a thrown typed error with its status, code and message', async () => {
    const bad = await get('/frame/bad', { headers: bearer() });
    expect([bad.status, JSON.parse(bad.text)]).toEqual([
      400,
      { code: 'BAD_USER_INPUT', message: 'part must be TRAIN' },
    ]);
    const forbidden = await get('/frame/forbidden', { headers: bearer() });
    expect([forbidden.status, JSON.parse(forbidden.text)]).toEqual([
      403,
      { code: 'FORBIDDEN', message: 'admins only' },
    ]);
  });

  it('answers an unexpected throw 500 with a request id, the cause in the log only', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const fresh = await get('/frame/boom', { headers: bearer() });
      expect(fresh.status).toBe(500);
      expect(fresh.headers.get('content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(fresh.text) as { code: string; message: string; requestId: string };
      expect(body).toEqual({
        code: 'INTERNAL_SERVER_ERROR',
        message: '/frame/boom could not be made',
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(fresh.text).not.toContain(SECRET);
      expect(String(log.mock.calls.at(-1)?.[0])).toContain(`request ${body.requestId}: /frame/boom failed`);
      expect(String(log.mock.calls.at(-1)?.[1])).toContain(SECRET);

      // the caller's id when it is sane (server/logger.ts), else a new one: an over-long id is not cut, it is replaced
      const sane = await get('/frame/boom', { headers: { ...bearer(), 'x-request-id': 'lb-4711' } });
      expect((JSON.parse(sane.text) as { requestId: string }).requestId).toBe('lb-4711');
      const given = await get('/frame/boom', { headers: { ...bearer(), 'x-request-id': `r${'x'.repeat(200)}` } });
      expect((JSON.parse(given.text) as { requestId: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      log.mockRestore();
    }
  });
});

describe('the routes keep the frame', () => {
  const routes = [
    { path: `/images/${'a'.repeat(64)}/original`, reads: 'image bytes are read', what: 'image bytes' },
    { path: '/exports/00000000-0000-4000-8000-000000000000/file', reads: 'exports are read', what: 'an export' },
    {
      path: '/splits/00000000-0000-4000-8000-000000000000/manifest.csv',
      reads: 'split manifests are read',
      what: 'a split manifest',
    },
    { path: '/datasheet.html', reads: '/datasheet.html is read', what: 'the datasheet' },
    { path: '/datasheet.md', reads: '/datasheet.md is read', what: 'the datasheet' },
    { path: '/croissant/metadata.jsonl', reads: '/croissant/metadata.jsonl is read', what: 'the metadata file' },
    { path: '/evaluations/none.html', reads: 'evaluation reports are read', what: 'an evaluation report' },
    { path: '/regions/1/mask.png', reads: 'region masks are read', what: 'a region mask' },
    {
      path: `/models/1/images/${'a'.repeat(64)}/saliency.png`,
      reads: 'saliency maps are read',
      what: 'a saliency map',
    },
  ];

  it.each(routes)('$path: 405 with Allow, 401 without a token', async ({ path, reads, what }) => {
    const put = await api.yoga.fetch(`http://test${path}`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');
    expect(await put.json()).toEqual({ code: 'METHOD_NOT_ALLOWED', message: `${reads} with GET or HEAD, not PUT` });
    const anonymous = await api.yoga.fetch(`http://test${path}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ code: 'UNAUTHENTICATED', message: `${what} needs a bearer token` });
  });
});
