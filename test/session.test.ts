// The web console's sign-in (issue 16 §1): POST /session turns a bearer token into an HttpOnly,
// SameSite=Strict cookie whose value names the token under the server's HMAC; identify() takes the
// cookie where no Authorization header is sent, for /graphql and the HTTP routes; a revoked token's
// session stops at once; the response cache keeps callers apart; and a cross-site write carrying
// the cookie is refused (CSRF). Through yoga.fetch on a real, migrated database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { sessionValue } from '../src/domain/signed-url.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { createToken, revokeToken, TokenResolver } from '../src/resolvers/tokens.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

let env: TestEnv;
let api: Api;
let sha: string;

beforeAll(async () => {
  env = await createTestEnv();
  useDatabase(env.db);
  const r = await createPipeline(env.config, env.db).ingest({
    bytes: await lesion(31),
    record: record(),
    fileName: 's.jpg',
    source: 'test',
  });
  if (r.outcome !== 'ACCEPTED') throw new Error(r.outcome);
  sha = (await env.db.image.findUniqueOrThrow({ where: { id: r.imageId } })).sha256;
  api = await createApi(env);
});
afterAll(() => env.dispose());

const fetchOf = (a: Api, path: string, init: RequestInit = {}, base = 'http://test') =>
  a.yoga.fetch(`${base}${path}`, init);

async function signIn(token: string, a = api, base = 'http://test') {
  return fetchOf(
    a,
    '/session',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) },
    base,
  );
}

/** The `name=value` of a Set-Cookie, to send back as a Cookie header. */
const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

async function graphqlWith(headers: Record<string, string>, query: string, variables?: Record<string, unknown>) {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] };
}

const INTAKE = '{ intakeLog(first: 1) { totalCount } }';

describe('POST /session', () => {
  it('answers 204 with an HttpOnly, SameSite=Strict cookie that is not the token', async () => {
    const res = await signIn(api.tokens.ADMIN);
    expect(res.status).toBe(204);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^dermaset_session=\d+\.\d+\.[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain(`Max-Age=${12 * 3600}`);
    expect(setCookie).not.toContain('Secure');
    expect(setCookie).not.toContain(api.tokens.ADMIN.slice(4));
  });

  it('marks the cookie Secure over https, and lasts DERMASET_SESSION_HOURS', async () => {
    expect((await signIn(api.tokens.VIEWER, api, 'https://test')).headers.get('set-cookie')).toMatch(/; Secure$/);
    // TLS ended at a proxy that says so
    const proxied0 = await fetchOf(api, '/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ token: api.tokens.VIEWER }),
    });
    expect(proxied0.headers.get('set-cookie')).toMatch(/; Secure$/);
    const proxied = await createApi(env, { publicUrl: 'https://dermaset.example', sessionLifetimeS: 3600 });
    const res = await signIn(proxied.tokens.VIEWER, proxied);
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=3600; Secure$/);
    useDatabase(env.db);
  });

  it('refuses a bad body with 400 and an unknown or revoked token with 401, setting no cookie', async () => {
    const gone = await createToken('session gone', 'ADMIN');
    await revokeToken(gone.id);
    const cases: [RequestInit, number][] = [
      [{ body: 'not json', headers: { 'content-type': 'application/json' } }, 400],
      [{ body: JSON.stringify({ tok: 'x' }), headers: { 'content-type': 'application/json' } }, 400],
      [{ body: JSON.stringify({ token: 42 }), headers: { 'content-type': 'application/json' } }, 400],
      [{ body: JSON.stringify({ token: api.tokens.ADMIN }), headers: { 'content-type': 'text/plain' } }, 400],
      [{ body: JSON.stringify({ token: 'x'.repeat(5000) }), headers: { 'content-type': 'application/json' } }, 400],
      [{ body: JSON.stringify({ token: 'dst_unknown' }), headers: { 'content-type': 'application/json' } }, 401],
      [{ body: JSON.stringify({ token: gone.token }), headers: { 'content-type': 'application/json' } }, 401],
    ];
    for (const [init, status] of cases) {
      const res = await fetchOf(api, '/session', { method: 'POST', ...init });
      expect(res.status, String(init.body).slice(0, 40)).toBe(status);
      expect(res.headers.get('set-cookie')).toBeNull();
      const body = (await res.json()) as { error?: unknown };
      expect(typeof body.error).toBe('string');
    }
    // a body past the bound is refused by its size, whatever it holds
    const big = await fetchOf(api, '/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: api.tokens.ADMIN, pad: 'x'.repeat(5000) }),
    });
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: string }).error).toMatch(/at most 4096 bytes/);
  });

  it('answers other methods 405 with Allow', async () => {
    const res = await fetchOf(api, '/session', { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST, DELETE');
  });
});

describe('GET and DELETE /session', () => {
  it('names the role, the examiner code and the expiry; 401 without a session or with a forged one', async () => {
    const before = Date.now();
    const cookie = cookieOf(await signIn(api.tokens.REVIEWER));
    const res = await fetchOf(api, '/session', { headers: { cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { role: string; code: string; expiresAt: string };
    expect(body.role).toBe('REVIEWER');
    expect(body.code).toMatch(/\S/);
    const expires = Date.parse(body.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 12 * 3600 * 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 12 * 3600 * 1000);
    // the same token signs in to the same staff code; another token to another
    const again = await (
      await fetchOf(api, '/session', { headers: { cookie: cookieOf(await signIn(api.tokens.REVIEWER)) } })
    ).json();
    expect((again as { code: string }).code).toBe(body.code);
    const admin = await (
      await fetchOf(api, '/session', { headers: { cookie: cookieOf(await signIn(api.tokens.ADMIN)) } })
    ).json();
    expect((admin as { code: string }).code).not.toBe(body.code);

    expect((await fetchOf(api, '/session')).status).toBe(401);
    const [name, value] = cookie.split('=') as [string, string];
    const [id, exp] = value.split('.');
    // another token id under the same MAC, a later expiry, a MAC of the wrong key: all refused
    for (const forged of [
      `${Number(id) + 1}.${exp}.${value.split('.')[2]}`,
      `${id}.${Number(exp) + 1}.${value.split('.')[2]}`,
    ]) {
      expect((await fetchOf(api, '/session', { headers: { cookie: `${name}=${forged}` } })).status).toBe(401);
    }
    const keys = await new TokenResolver(() => env.db).keys();
    const expired = sessionValue(keys, Number(id), Math.floor(Date.now() / 1000) - 1);
    expect((await fetchOf(api, '/session', { headers: { cookie: `${name}=${expired}` } })).status).toBe(401);
    const fresh = sessionValue(keys, Number(id), Math.floor(Date.now() / 1000) + 60);
    expect((await fetchOf(api, '/session', { headers: { cookie: `${name}=${fresh}` } })).status).toBe(200);
  });

  it('DELETE clears the cookie', async () => {
    const res = await fetchOf(api, '/session', { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(/^dermaset_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0/);
  });
});

describe('the cookie as a credential', () => {
  it('opens /graphql and the image route without a header; the header wins over the cookie', async () => {
    const cookie = cookieOf(await signIn(api.tokens.ADMIN));
    expect((await graphqlWith({}, INTAKE)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await graphqlWith({ cookie }, INTAKE)).data).toEqual({ intakeLog: { totalCount: 1 } });
    // an ADMIN's cookie beside a VIEWER's header: the header's role
    expect((await graphqlWith({ cookie, ...api.headers('VIEWER') }, INTAKE)).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    const image = await fetchOf(api, `/images/${sha}/thumbnail`, { headers: { cookie } });
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/webp');
    expect((await fetchOf(api, `/images/${sha}/thumbnail`)).status).toBe(401);
    expect((await fetchOf(api, '/datasheet.md', { headers: { cookie } })).status).toBe(200);
    const metadata = await fetchOf(api, '/croissant/metadata.jsonl', { headers: { cookie } });
    expect(metadata.status).toBe(200);
    expect((await metadata.text()).trim().split('\n')).toHaveLength(1);
    expect((await fetchOf(api, '/croissant/metadata.jsonl')).status).toBe(401);
  });

  it('keeps the response cache per caller: a cached admin answer is not a viewer cookie’s', async () => {
    const admin = cookieOf(await signIn(api.tokens.ADMIN));
    const viewer = cookieOf(await signIn(api.tokens.VIEWER));
    for (let i = 0; i < 2; i++) expect((await graphqlWith({ cookie: admin }, INTAKE)).data).toBeTruthy();
    expect((await graphqlWith({ cookie: viewer }, INTAKE)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('stops at once when the token is revoked: /graphql, the routes, GET /session (and cached answers)', async () => {
    const made = await createToken('session revoked', 'ADMIN');
    const cookie = cookieOf(await signIn(made.token));
    expect((await graphqlWith({ cookie }, INTAKE)).data).toEqual({ intakeLog: { totalCount: 1 } });
    expect((await fetchOf(api, `/images/${sha}/original`, { headers: { cookie } })).status).toBe(200);
    // revoked behind this server's back, in the table itself (as another instance's CLI would)
    await env.db.apiToken.update({ where: { id: made.id }, data: { revokedAt: new Date() } });
    expect((await graphqlWith({ cookie }, INTAKE)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await fetchOf(api, `/images/${sha}/original`, { headers: { cookie } })).status).toBe(401);
    expect((await fetchOf(api, '/session', { headers: { cookie } })).status).toBe(401);
  });
});

describe('cross-site request forgery', () => {
  const mutation = JSON.stringify({ query: 'mutation { setActivePolicy(id: "ham10000") { id } }' });
  const active = async () => (await env.db.setting.findUnique({ where: { key: 'active_policy' } }))?.value ?? null;

  it('refuses a cross-origin form POST carrying the cookie, and nothing changes', async () => {
    const cookie = cookieOf(await signIn(api.tokens.ADMIN));
    const before = await active();
    const forged: Record<string, string>[] = [
      { 'content-type': 'text/plain', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      { 'content-type': 'multipart/form-data; boundary=x', 'sec-fetch-site': 'same-site', origin: 'https://a.test' },
      { 'content-type': 'text/plain', origin: 'null' },
    ];
    for (const headers of forged) {
      const res = await fetchOf(api, '/graphql', { method: 'POST', headers: { cookie, ...headers }, body: mutation });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'CSRF_REFUSED' });
    }
    // a forged sign-in (login CSRF) and a forged sign-out are refused the same way
    const login = await fetchOf(api, '/session', {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: JSON.stringify({ token: api.tokens.VIEWER }),
    });
    expect(login.status).toBe(403);
    expect(login.headers.get('set-cookie')).toBeNull();
    expect(await active()).toBe(before);
  });

  it('lets our own origin, a non-simple content type and a bearer header through', async () => {
    const cookie = cookieOf(await signIn(api.tokens.ADMIN));
    const send = async (headers: Record<string, string>, id: string) => {
      const res = await fetchOf(api, '/graphql', {
        method: 'POST',
        headers: { cookie, accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify({ query: `mutation { setActivePolicy(id: "${id}") { id } }` }),
      });
      return (await res.json()) as { data?: { setActivePolicy?: { id: string } } };
    };
    // JSON is not a simple type: a page elsewhere would need a CORS preflight, which it does not pass
    expect(
      (await send({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, 'ham10000')).data,
    ).toEqual({
      setActivePolicy: { id: 'ham10000' },
    });
    expect(await active()).toBe('ham10000');
    // our own origin may send a simple type (the console's uploads are multipart)
    const ours = await fetchOf(api, '/graphql', {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/plain', origin: 'http://test' },
      body: mutation,
    });
    expect(ours.status).not.toBe(403);
    const sameOrigin = await fetchOf(api, '/graphql', {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/plain', 'sec-fetch-site': 'same-origin', origin: 'http://other' },
      body: mutation,
    });
    expect(sameOrigin.status).not.toBe(403);
    // a bearer header is no ambient credential: no CSRF check
    const bearer = await fetchOf(api, '/graphql', {
      method: 'POST',
      headers: { ...api.headers('ADMIN'), 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: mutation,
    });
    expect(bearer.status).not.toBe(403);
    expect((await send({ 'content-type': 'application/json' }, 'screening-binary')).data).toEqual({
      setActivePolicy: { id: 'screening-binary' },
    });
  });
});
