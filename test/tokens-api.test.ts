// Tokens through GraphQL (admins): tokens, createToken (the secret once), revokeToken, over the same
// services as `dermaset token …` (listTokens shows what the API made). Refusals are typed and write
// nothing (a snapshot of every table and file before and after); a token revoked through the API
// stops its bearer requests, its session and its signed URLs at once. On a copy of the demo cohort.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/roles.ts';
import { listTokens } from '../src/resolvers/tokens.ts';
import { type Api, createApi } from './helpers/api.ts';
import { errorCode, errorExtensions, postGraphQL, type RawResponse, StateChain, send } from './helpers/bad-input.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';
import { snapshot } from './helpers/snapshot.ts';

let env: TestEnv;
let api: Api;
let state: StateChain;

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  state = new StateChain(env);
});
afterAll(() => env?.dispose());

const TOKEN_FIELDS = 'id label role prefix createdAt revokedAt';
const LIST = `{ tokens { ${TOKEN_FIELDS} } }`;
const CREATE = `mutation Create($input: CreateTokenInput!) {
  createToken(input: $input) { secret token { ${TOKEN_FIELDS} } }
}`;
const REVOKE = `mutation Revoke($id: Int!) { revokeToken(id: $id) { ${TOKEN_FIELDS} } }`;

interface TokenJson {
  id: number;
  label: string;
  role: Role;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

const as = (who: Role | null) => api.headers(who);
const gql = (query: string, variables: Record<string, unknown>, headers: Record<string, string>) =>
  postGraphQL(api.yoga, { query, variables }, headers);

function dataOf<T>(res: RawResponse): T {
  const body = res.json as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(res.text);
  return body.data;
}

async function create(label: string, role: Role): Promise<{ secret: string; token: TokenJson }> {
  return dataOf<{ createToken: { secret: string; token: TokenJson } }>(
    await gql(CREATE, { input: { label, role } }, as('ADMIN')),
  ).createToken;
}

/** A refusal with its code that leaves every table and file as it was. */
async function expectRefused(request: () => Promise<RawResponse>, code: string) {
  const before = await state.before();
  const res = await request();
  expect(errorCode(res), res.text).toBe(code);
  const data = (res.json as { data?: Record<string, unknown> | null } | undefined)?.data;
  for (const value of Object.values(data ?? {})) expect(value).toBeNull();
  const after = await state.after();
  expect(after).toEqual(before);
  state.passed(after);
  return res;
}

describe('createToken and tokens', () => {
  it('creates a token whose secret is shown once and works at its role; the list (and the CLI’s) shows it, never a secret', async () => {
    const made = await create('  gallery frontend  ', 'REVIEWER');
    expect(made.secret).toMatch(/^dst_[A-Za-z0-9_-]{43}$/);
    expect(made.token).toMatchObject({ label: 'gallery frontend', role: 'REVIEWER', revokedAt: null });
    expect(made.secret.startsWith(made.token.prefix)).toBe(true);
    expect(made.token.prefix.length).toBe(10);

    // the secret is a bearer token of its role: a reviewer reads the intake log, but not the token list
    const reviewer = { authorization: `Bearer ${made.secret}` };
    expect(dataOf<{ intakeLog: { totalCount: number } }>(await gql('{ intakeLog { totalCount } }', {}, reviewer)));
    expect(errorCode(await gql(LIST, {}, reviewer))).toBe('FORBIDDEN');

    // listed by the API and by the service `dermaset token list` prints, the same record
    const listed = dataOf<{ tokens: TokenJson[] }>(await gql(LIST, {}, as('ADMIN'))).tokens;
    expect(listed.find((t) => t.id === made.token.id)).toEqual(made.token);
    const cli = await listTokens();
    expect(listed.map((t) => [t.id, t.label, t.role, t.prefix, t.revokedAt])).toEqual(
      cli.map((t) => [t.id, t.name, t.role, t.prefix, t.revokedAt?.toISOString() ?? null]),
    );
    expect(listed.map((t) => t.id)).toEqual([...listed.map((t) => t.id)].sort((a, b) => a - b));

    // neither the secret nor its stored hash is anywhere in the list
    const raw = (await gql(LIST, {}, as('ADMIN'))).text;
    const stored = await env.db.apiToken.findUniqueOrThrow({ where: { id: made.token.id } });
    expect(raw).not.toContain(made.secret);
    expect(raw).not.toContain(stored.tokenHash);
    expect(stored.tokenHash).not.toContain(made.secret);
  });

  it('a list read again after a change shows the change (never an answer the response cache kept)', async () => {
    const ids = async () => dataOf<{ tokens: TokenJson[] }>(await gql(LIST, {}, as('ADMIN'))).tokens;
    const before = await ids();
    const made = await create('listed at once', 'VIEWER');
    const after = await ids();
    expect(after.map((t) => t.id)).toEqual([...before.map((t) => t.id), made.token.id]);
    await gql(REVOKE, { id: made.token.id }, as('ADMIN'));
    expect((await ids()).find((t) => t.id === made.token.id)?.revokedAt).toBeTypeOf('string');
  });

  it('takes a label of exactly 100 characters and every role', async () => {
    const label = 'x'.repeat(100);
    for (const role of ['VIEWER', 'ANNOTATOR', 'REVIEWER', 'ADMIN'] as const) {
      const made = await create(label, role);
      expect(made.token).toMatchObject({ label, role });
      const session = await send(api.yoga, '/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: made.secret }),
      });
      expect(session.status, session.text).toBe(204);
    }
  });
});

describe('refusals: typed, and nothing is written', () => {
  it.each<[string, Role | null, string, Record<string, unknown>, string]>([
    ['a viewer lists tokens', 'VIEWER', LIST, {}, 'FORBIDDEN'],
    ['an annotator lists tokens', 'ANNOTATOR', LIST, {}, 'FORBIDDEN'],
    ['a reviewer lists tokens', 'REVIEWER', LIST, {}, 'FORBIDDEN'],
    ['an anonymous caller lists tokens', null, LIST, {}, 'UNAUTHENTICATED'],
    ['a viewer creates a token', 'VIEWER', CREATE, { input: { label: 'x', role: 'VIEWER' } }, 'FORBIDDEN'],
    ['an annotator creates a token', 'ANNOTATOR', CREATE, { input: { label: 'x', role: 'ADMIN' } }, 'FORBIDDEN'],
    ['a reviewer creates an admin token', 'REVIEWER', CREATE, { input: { label: 'x', role: 'ADMIN' } }, 'FORBIDDEN'],
    ['an anonymous caller creates a token', null, CREATE, { input: { label: 'x', role: 'ADMIN' } }, 'UNAUTHENTICATED'],
    ['a reviewer revokes the admin token', 'REVIEWER', REVOKE, { id: 4 }, 'FORBIDDEN'],
    ['a viewer revokes a token', 'VIEWER', REVOKE, { id: 1 }, 'FORBIDDEN'],
    ['an anonymous caller revokes a token', null, REVOKE, { id: 1 }, 'UNAUTHENTICATED'],
    ['an empty label', 'ADMIN', CREATE, { input: { label: '', role: 'VIEWER' } }, 'BAD_USER_INPUT'],
    ['a label of spaces', 'ADMIN', CREATE, { input: { label: '   ', role: 'VIEWER' } }, 'BAD_USER_INPUT'],
    [
      'a label of 101 characters',
      'ADMIN',
      CREATE,
      { input: { label: 'y'.repeat(101), role: 'VIEWER' } },
      'BAD_USER_INPUT',
    ],
    ['a label with a newline', 'ADMIN', CREATE, { input: { label: 'a\nb', role: 'VIEWER' } }, 'BAD_USER_INPUT'],
    ['a role that is not one', 'ADMIN', CREATE, { input: { label: 'root', role: 'ROOT' } }, 'BAD_USER_INPUT'],
    ['a role in lower case', 'ADMIN', CREATE, { input: { label: 'x', role: 'admin' } }, 'BAD_USER_INPUT'],
    ['no role', 'ADMIN', CREATE, { input: { label: 'x' } }, 'BAD_USER_INPUT'],
    ['an id no token has', 'ADMIN', REVOKE, { id: 999_999 }, 'NOT_FOUND'],
    ['id 0', 'ADMIN', REVOKE, { id: 0 }, 'NOT_FOUND'],
    ['a negative id', 'ADMIN', REVOKE, { id: -3 }, 'NOT_FOUND'],
    ['an id that is not an Int', 'ADMIN', REVOKE, { id: '1' }, 'BAD_USER_INPUT'],
  ])('%s', async (_what, who, query, variables, code) => {
    const res = await expectRefused(() => gql(query, variables, as(who)), code);
    if (code === 'NOT_FOUND') expect(errorExtensions(res)?.argument).toBe('id');
    if (code === 'BAD_USER_INPUT' && query === CREATE && typeof variables.input === 'object') {
      expect(JSON.stringify(res.json)).toMatch(/label|role/);
    }
  });

  it('names the bound of a label that is too long', async () => {
    const res = await expectRefused(
      () => gql(CREATE, { input: { label: 'z'.repeat(150), role: 'VIEWER' } }, as('ADMIN')),
      'BAD_USER_INPUT',
    );
    expect(errorExtensions(res)?.argument).toBe('input.label');
    expect(JSON.stringify(res.json)).toContain('at most 100');
  });
});

describe('revokeToken', () => {
  const URL_OF = '{ images(first: 1) { edges { node { url(variant: THUMBNAIL) } } } }';

  it('stops the token’s bearer requests, its session and its signed URLs at once; revoking again changes nothing', async () => {
    const made = await create('revoked through the API', 'ANNOTATOR');
    const bearer = { authorization: `Bearer ${made.secret}` };
    const signIn = await api.yoga.fetch('http://test/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: made.secret }),
    });
    expect(signIn.status).toBe(204);
    const cookie = { cookie: (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
    const signed = dataOf<{ images: { edges: { node: { url: string } }[] } }>(await gql(URL_OF, {}, bearer)).images
      .edges[0]?.node.url as string;
    expect(new URL(signed).searchParams.get('signature')).toBeTruthy();
    // all three work before
    expect(dataOf<{ intakeLog: unknown }>(await gql('{ intakeLog { totalCount } }', {}, cookie))).toBeTruthy();
    expect((await api.yoga.fetch(signed)).status).toBe(200);
    expect((await send(api.yoga, '/session', { headers: cookie })).status).toBe(200);

    const revoked = dataOf<{ revokeToken: TokenJson }>(
      await gql(REVOKE, { id: made.token.id }, as('ADMIN')),
    ).revokeToken;
    expect(revoked).toMatchObject({ id: made.token.id, label: made.token.label, role: 'ANNOTATOR' });
    expect(revoked.revokedAt).not.toBeNull();
    expect((await listTokens()).find((t) => t.id === made.token.id)?.revokedAt?.toISOString()).toBe(revoked.revokedAt);

    // the very next request of each is refused
    const byBearer = await gql('{ intakeLog { totalCount } }', {}, bearer);
    expect(byBearer.status).toBe(401);
    expect(errorCode(byBearer)).toBe('UNAUTHENTICATED');
    expect(errorCode(await gql('{ intakeLog { totalCount } }', {}, cookie))).toBe('UNAUTHENTICATED');
    expect((await send(api.yoga, '/session', { headers: cookie })).status).toBe(401);
    const byUrl = await send(api.yoga, signed.replace(/^https?:\/\/[^/]+/, ''));
    expect(byUrl.status).toBe(401);
    expect(errorCode(byUrl)).toBe('UNAUTHENTICATED');

    // revoking it again: the same record, its first revokedAt, nothing written
    const before = await snapshot(env);
    const again = dataOf<{ revokeToken: TokenJson }>(await gql(REVOKE, { id: made.token.id }, as('ADMIN'))).revokeToken;
    expect(again).toEqual(revoked);
    expect(await snapshot(env)).toEqual(before);
  });
});
