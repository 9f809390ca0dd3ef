// Signed, expiring URLs (issue 16 §2): domain/signed-url.ts as a pure rule, then through yoga.fetch
// on a real database: Image.url, Export.downloadUrl/manifestUrl and Query.datasheetUrl give URLs
// that open the image, export, datasheet, split-manifest and metadata routes without a header or a
// cookie, for one path only, until they expire or their signer's token is revoked. Also GraphiQL's
// example query and the README's frontend recipe, checked against the schema as served.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { useDatabase } from '../src/db/current.ts';
import {
  deriveKeys,
  expiryOf,
  readSession,
  sessionValue,
  signPath,
  URL_LIFETIME,
  urlLifetime,
  verifySignedUrl,
} from '../src/domain/signed-url.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { createToken, revokeToken, SIGNING_KEY_SETTING, TokenResolver } from '../src/resolvers/tokens.ts';
import { schema } from '../src/schema/index.ts';
import { GRAPHIQL_EXAMPLE } from '../src/server/yoga.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

const KEYS = deriveKeys('a-test-secret-of-at-least-thirty-two-characters');
const NOW = Date.UTC(2026, 0, 1, 12, 3, 20);

describe('domain/signed-url', () => {
  const at = (path: string) => new URL(path, 'http://x');

  it('verifies its own signature and names the signer', () => {
    const expires = expiryOf(NOW, 3600);
    const path = signPath(KEYS, '/images/abc/thumbnail', 7, expires);
    expect(path).toMatch(/^\/images\/abc\/thumbnail\?expires=\d+&signature=7\.[A-Za-z0-9_-]{43}$/);
    expect(verifySignedUrl(KEYS, at(path), NOW)).toEqual({ ok: true, tokenId: 7, expires });
    // the query of the path is signed with it, in any order it comes back
    const sheet = signPath(KEYS, '/datasheet.html?policy=ham10000&compare=x', 7, expires);
    const reordered = new URL(sheet, 'http://x');
    const params = [...reordered.searchParams].reverse();
    expect(verifySignedUrl(KEYS, new URL(`/datasheet.html?${new URLSearchParams(params)}`, 'http://x'), NOW).ok).toBe(
      true,
    );
  });

  it('refuses another path, another query, another signer, another expiry, another key', () => {
    const expires = expiryOf(NOW, 3600);
    const path = signPath(KEYS, '/datasheet.html?policy=ham10000', 7, expires);
    const sig = new URL(path, 'http://x').searchParams.get('signature') ?? '';
    const tampered = [
      path.replace('/datasheet.html', '/datasheet.md'),
      path.replace('policy=ham10000', 'policy=nine-class'),
      `${path}&extra=1`,
      path.replace(`signature=7.`, 'signature=8.'),
      path.replace(`expires=${expires}`, `expires=${expires + 600}`),
      path.replace(sig, `7.${'A'.repeat(43)}`),
      '/datasheet.html?policy=ham10000',
      `/datasheet.html?policy=ham10000&expires=${expires}&signature=nonsense`,
    ];
    for (const p of tampered)
      expect(verifySignedUrl(KEYS, at(p), NOW), p).toMatchObject({ ok: false, reason: 'invalid' });
    expect(verifySignedUrl(deriveKeys('another-secret-of-at-least-thirty-two-chars'), at(path), NOW).ok).toBe(false);
  });

  it('expires, and refuses an expiry further ahead than a URL can be signed for', () => {
    const expires = expiryOf(NOW, 60);
    const path = signPath(KEYS, '/images/abc/original', 1, expires);
    expect(verifySignedUrl(KEYS, at(path), expires * 1000 - 1).ok).toBe(true);
    const late = verifySignedUrl(KEYS, at(path), expires * 1000);
    expect(late).toMatchObject({ ok: false, reason: 'expired' });
    expect(late.ok ? '' : late.message).toContain(new Date(expires * 1000).toISOString());
    const far = Math.floor(NOW / 1000) + URL_LIFETIME.maxS + URL_LIFETIME.windowS + 1;
    expect(verifySignedUrl(KEYS, at(signPath(KEYS, '/images/abc/original', 1, far)), NOW)).toMatchObject({ ok: false });
  });

  it('rounds expiries to windows: one URL per window, at least the lifetime asked, at most a window more', () => {
    const start = Math.floor(NOW / 1000 / 600) * 600 * 1000;
    for (const lifetime of [60, 3600, 7 * 24 * 3600]) {
      const e = expiryOf(start, lifetime);
      expect(expiryOf(start + 599_999, lifetime)).toBe(e);
      expect(expiryOf(start + 600_000, lifetime)).toBe(e + 600);
      for (const t of [start, start + 1, start + 599_999]) {
        expect(e - t / 1000).toBeGreaterThanOrEqual(lifetime);
        expect(e - t / 1000).toBeLessThanOrEqual(lifetime + 600);
      }
    }
  });

  it('bounds the lifetime a caller asks for', () => {
    expect(urlLifetime(undefined)).toBe(3600);
    expect(urlLifetime(null)).toBe(3600);
    expect(urlLifetime(60)).toBe(60);
    expect(urlLifetime(604_800)).toBe(604_800);
    for (const bad of [59, 0, -1, 604_801, 1.5]) expect(urlLifetime(bad)).toMatchObject({ argument: 'expiresIn' });
  });

  it('keeps session values apart from URL signatures', () => {
    const value = sessionValue(KEYS, 3, 2_000_000_000);
    expect(readSession(KEYS, value, NOW)).toEqual({ tokenId: 3, expires: 2_000_000_000 });
    expect(readSession(KEYS, value.replace(/^3\./, '4.'), NOW)).toBeNull();
    expect(readSession(KEYS, value, 2_000_000_000_000)).toBeNull();
    // a URL signature's MAC is not a session's, nor the other way round
    const mac = value.split('.')[2] ?? '';
    expect(verifySignedUrl(KEYS, at(`/s?expires=2000000000&signature=3.${mac}`), NOW).ok).toBe(false);
  });
});

describe('the signing key', () => {
  it('is DERMASET_URL_SIGNING_KEY (at least 32 characters), else one stored once and shared', async () => {
    expect(() => loadConfig({ DERMASET_URL_SIGNING_KEY: 'short' })).toThrow(/at least 32 characters/);
    expect(loadConfig({ DERMASET_URL_SIGNING_KEY: 'k'.repeat(32) }).api.urlSigningKey).toBe('k'.repeat(32));
    expect(() => loadConfig({ DERMASET_SESSION_HOURS: '169' })).toThrow(/DERMASET_SESSION_HOURS/);
    expect(loadConfig({}).api.sessionLifetimeS).toBe(12 * 3600);
    const own = await createTestEnv();
    try {
      // two resolvers (two instances) on one database agree on a key they create at the same time
      const [a, b] = await Promise.all([
        new TokenResolver(() => own.db).keys(),
        new TokenResolver(() => own.db).keys(),
      ]);
      expect(a.url.equals(b.url)).toBe(true);
      const stored = await own.db.setting.findUniqueOrThrow({ where: { key: SIGNING_KEY_SETTING } });
      expect(stored.value.length).toBeGreaterThanOrEqual(43);
      expect(deriveKeys(stored.value).url.equals(a.url)).toBe(true);
      const configured = await new TokenResolver(() => own.db, undefined, 'c'.repeat(40)).keys();
      expect(configured.url.equals(a.url)).toBe(false);
    } finally {
      await own.dispose();
    }
  });
});

let env: TestEnv;
let api: Api;
let shas: string[];

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  useDatabase(env.db);
  const pipeline = createPipeline(env.config, env.db);
  shas = [];
  for (let i = 0; i < 6; i++) {
    const r = await pipeline.ingest({
      bytes: await lesion(50 + i, { width: 96, height: 72 }),
      record: record({ patient_id: `MRN-S${i}`, lesion_id: `L${i}` }),
      fileName: `${i}.jpg`,
      source: 'test',
    });
    if (r.outcome !== 'ACCEPTED') throw new Error(r.outcome);
    shas.push((await env.db.image.findUniqueOrThrow({ where: { id: r.imageId } })).sha256);
  }
  api = await createApi(env);
});
afterAll(() => env.dispose());

type Answer = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
async function gql(a: Api, headers: Record<string, string>, query: string, variables?: Record<string, unknown>) {
  const res = await a.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Answer;
}
/** A field of an answer's data, which must be there. */
function pick<T>(answer: Answer, name: string): T {
  const value = answer.data?.[name];
  if (value === undefined || value === null) throw new Error(`no ${name} in ${JSON.stringify(answer).slice(0, 500)}`);
  return value as T;
}
/** A URL the API gave, fetched with no header and no cookie, as `<img src>` or pandas would. */
const bare = (a: Api, url: string) => a.yoga.fetch(url);
const sha256 = (b: ArrayBuffer) => createHash('sha256').update(Buffer.from(b)).digest('hex');

const URLS = `query U($sha: String!, $ttl: Int) {
  image(sha256: $sha) { original: url thumb: url(variant: THUMBNAIL, expiresIn: $ttl) }
}`;

describe('Image.url', () => {
  it('is a signed URL that loads without a header, the same within a window', async () => {
    const res = await gql(api, api.headers('VIEWER'), URLS, { sha: shas[0] });
    const { original, thumb } = pick<{ original: string; thumb: string }>(res, 'image');
    expect(original).toMatch(
      new RegExp(`^http://test/images/${shas[0]}/original\\?expires=(\\d+)&signature=\\d+\\.[\\w-]{43}$`),
    );
    const expires = Number(new URL(original).searchParams.get('expires'));
    const now = Date.now() / 1000;
    expect(expires).toBeGreaterThanOrEqual(now + 3600 - 1);
    expect(expires).toBeLessThanOrEqual(now + 3600 + 600);
    expect(expires % 600).toBe(0);
    const image = await bare(api, original);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(sha256(await image.arrayBuffer())).toBe(shas[0]);
    const t = await bare(api, thumb);
    expect(t.status).toBe(200);
    expect(t.headers.get('content-type')).toBe('image/webp');
    // asked again (from the response cache or not): the same URLs
    expect((await gql(api, api.headers('VIEWER'), URLS, { sha: shas[0] })).data).toEqual(res.data);
    // without its signature the same path opens nothing
    expect((await bare(api, `http://test/images/${shas[0]}/original`)).status).toBe(401);
  });

  it('takes expiresIn from 60 s to 7 days; out of bounds is BAD_USER_INPUT', async () => {
    for (const ttl of [60, 604_800]) {
      const res = await gql(api, api.headers('VIEWER'), URLS, { sha: shas[0], ttl });
      const thumb = pick<{ thumb: string }>(res, 'image').thumb;
      const expires = Number(new URL(thumb).searchParams.get('expires'));
      expect(expires - Date.now() / 1000).toBeGreaterThanOrEqual(ttl - 1);
      expect(expires - Date.now() / 1000).toBeLessThanOrEqual(ttl + 600);
      expect((await bare(api, thumb)).status).toBe(200);
    }
    for (const ttl of [59, 604_801]) {
      const res = await gql(api, api.headers('VIEWER'), URLS, { sha: shas[0], ttl });
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toMatch(/60 to 604800/);
    }
  });

  it('opens its own path only; expired or tampered URLs are refused with a clear message', async () => {
    const res = await gql(api, api.headers('VIEWER'), URLS, { sha: shas[0] });
    const { original } = pick<{ original: string }>(res, 'image');
    for (const other of [
      original.replace(shas[0] as string, shas[1] as string),
      original.replace('/original?', '/thumbnail?'),
      original.replace(/expires=\d+/, (m) => `expires=${Number(m.slice(8)) + 600}`),
      original.replace(/signature=(\d+)\./, (_m, id) => `signature=${Number(id) + 1}.`),
      `${original}&x=1`,
    ]) {
      const r = await bare(api, other);
      expect(r.status, other).toBe(403);
      expect(await r.json()).toMatchObject({ code: 'SIGNATURE_INVALID', message: expect.stringMatching(/signature/) });
    }
    const viewer = await new TokenResolver(() => env.db).resolve(api.tokens.VIEWER);
    const keys = await new TokenResolver(() => env.db).keys();
    const old = signPath(keys, `/images/${shas[0]}/original`, viewer?.tokenId ?? 0, Math.floor(Date.now() / 1000) - 1);
    const expired = await bare(api, `http://test${old}`);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({
      code: 'SIGNATURE_EXPIRED',
      message: expect.stringMatching(/expired/),
    });
  });

  it('stops opening when its signer’s token is revoked', async () => {
    const made = await createToken('signer', 'VIEWER');
    const res = await gql(api, { authorization: `Bearer ${made.token}` }, URLS, { sha: shas[2] });
    const { original } = pick<{ original: string }>(res, 'image');
    expect((await bare(api, original)).status).toBe(200);
    await revokeToken(made.id);
    const after = await bare(api, original);
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/revoked/) });
  });

  it('is the plain URL for an anonymous caller under public read', async () => {
    const open = await createApi(env, { publicRead: true });
    const res = await gql(open, {}, URLS, { sha: shas[0] });
    expect(res.data?.image).toEqual({
      original: `http://test/images/${shas[0]}/original`,
      thumb: `http://test/images/${shas[0]}/thumbnail`,
    });
    expect((await bare(open, `http://test/images/${shas[0]}/thumbnail`)).status).toBe(200);
    useDatabase(env.db);
  });
});

describe('signed datasheet, export, split and metadata URLs', () => {
  it('datasheetUrl opens the datasheet under its policy, and no other', async () => {
    const res = await gql(
      api,
      api.headers('VIEWER'),
      `{ html: datasheetUrl(policy: "ham10000") md: datasheetUrl(format: MARKDOWN, expiresIn: 600) }`,
    );
    const { html, md } = res.data as { html: string; md: string };
    expect(html).toMatch(/^http:\/\/test\/datasheet\.html\?policy=ham10000&expires=\d+&signature=/);
    const page = await bare(api, html);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('ham10000');
    const markdown = await bare(api, md);
    expect(markdown.status).toBe(200);
    expect(markdown.headers.get('content-type')).toContain('text/markdown');
    expect((await bare(api, html.replace('policy=ham10000', 'policy=nine-class'))).status).toBe(403);
    expect((await bare(api, html.replace('/datasheet.html', '/datasheet.md'))).status).toBe(403);
    const unknown = await gql(api, api.headers('VIEWER'), '{ datasheetUrl(policy: "nope") }');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('Export.downloadUrl and manifestUrl open the finished export without a header', async () => {
    const started = await gql(api, api.headers('VIEWER'), 'mutation { startExport(format: "jsonl") { id } }');
    const id = pick<{ id: string }>(started, 'startExport').id;
    let e: { status: string; sha256: string; downloadUrl: string | null; manifestUrl: string | null } | undefined;
    for (let i = 0; i < 400 && e?.status !== 'DONE'; i++) {
      if (i) await new Promise((r) => setTimeout(r, 50));
      const polled = await gql(
        api,
        api.headers('VIEWER'),
        `query($id: String!) { export(id: $id) { status sha256 downloadUrl manifestUrl(expiresIn: 120) } }`,
        { id },
      );
      e = polled.data?.export as typeof e;
    }
    if (!e?.downloadUrl || !e.manifestUrl) throw new Error(`export ${id} did not finish`);
    expect(e.downloadUrl).toMatch(new RegExp(`^http://test/exports/${id}/file\\?expires=\\d+&signature=`));
    const file = await bare(api, e.downloadUrl);
    expect(file.status).toBe(200);
    expect(sha256(await file.arrayBuffer())).toBe(e.sha256);
    const manifest = await bare(api, e.manifestUrl);
    expect(manifest.status).toBe(200);
    expect(await manifest.json()).toBeTypeOf('object');
    // an export is its maker's: another viewer's signature does not open it (404, as for the header)
    const other = await createToken('another viewer', 'VIEWER');
    const keys = await new TokenResolver(() => env.db).keys();
    const theirs = signPath(keys, `/exports/${id}/file`, other.id, expiryOf(Date.now(), 3600));
    expect((await bare(api, `http://test${theirs}`)).status).toBe(404);
  });

  it('the split manifest and the metadata file open with a signature (pandas.read_csv(url))', async () => {
    const made = await gql(
      api,
      api.headers('VIEWER'),
      `mutation { createSplit(input: { name: "signed", seed: 3, fractions: { train: 0.5, validation: 0.25, test: 0.25 } }) { id } }`,
    );
    const splitId = (made.data?.createSplit as { id: string } | undefined)?.id;
    if (!splitId) throw new Error(JSON.stringify(made.errors));
    const viewer = await new TokenResolver(() => env.db).resolve(api.tokens.VIEWER);
    const keys = await new TokenResolver(() => env.db).keys();
    const sign = (path: string) =>
      `http://test${signPath(keys, path, viewer?.tokenId ?? 0, expiryOf(Date.now(), 3600))}`;
    const csv = await bare(api, sign(`/splits/${splitId}/manifest.csv?part=TRAIN`));
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.includes('TRAIN') || l.includes('train'))).toBe(true);
    expect((await bare(api, sign(`/splits/${splitId}/manifest.csv?part=TRAIN`).replace('TRAIN', 'TEST'))).status).toBe(
      403,
    );
    // Split.manifestUrl gives the same URL for one part (and the whole split), signed for the caller
    const given = await gql(
      api,
      api.headers('VIEWER'),
      `query($id: String!) { split(id: $id) { test: manifestUrl(part: TEST, expiresIn: 120) all: manifestUrl } }`,
      { id: splitId },
    );
    const urls = given.data?.split as { test: string; all: string };
    expect(urls.test).toMatch(
      new RegExp(`^http://test/splits/${splitId}/manifest\\.csv\\?part=TEST&expires=\\d+&signature=`),
    );
    const testPart = (await (await bare(api, urls.test)).text()).trim().split('\n');
    const whole = (await (await bare(api, urls.all)).text()).trim().split('\n');
    expect(testPart.length).toBeGreaterThan(1);
    expect(testPart.slice(1).every((l) => /\btest\b|\bTEST\b/.test(l))).toBe(true);
    expect(whole.length).toBeGreaterThan(testPart.length);
    expect((await bare(api, urls.test.replace('part=TEST', 'part=TRAIN'))).status).toBe(403);
    const jsonl = await bare(api, sign('/croissant/metadata.jsonl?policy=ham10000'));
    expect(jsonl.status).toBe(200);
    expect((await jsonl.text()).trim().split('\n')).toHaveLength(6);
  });
});

describe('GraphiQL', () => {
  it('opens on the dermaset example with a Bearer header template', async () => {
    const res = await api.yoga.fetch('http://test/graphql', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    // (booleans, not toContain: a failure would print GraphiQL's 9 MB page)
    const options = /"defaultQuery":("(?:[^"\\]|\\.)*")/.exec(html)?.[1];
    expect(options && JSON.parse(options)).toBe(GRAPHIQL_EXAMPLE);
    expect(GRAPHIQL_EXAMPLE).toContain('query GalleryWithFacets');
    expect(html.includes(JSON.stringify(JSON.stringify({ Authorization: 'Bearer <your token>' }, null, 2)))).toBe(true);
  });

  it('its example is valid against the schema and answers', async () => {
    expect(validate(schema, parse(GRAPHIQL_EXAMPLE)).map((e) => e.message)).toEqual([]);
    const res = await gql(api, api.headers('VIEWER'), GRAPHIQL_EXAMPLE);
    expect(res.errors).toBeUndefined();
    expect(pick<{ totalCount: number }>(res, 'images').totalCount).toBe(6);
  });
});

/** The query of the README's frontend recipe (README, "A frontend recipe"): kept in step below. */
const RECIPE_QUERY = `query Gallery($first: Int!, $after: String) {
  images(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        thumbnail: url(variant: THUMBNAIL)
        diagnostic { diagnosisClass { code name } }
      }
    }
  }
}`;

describe('the frontend recipe', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

  it.runIf(readme.includes('A frontend recipe'))('is the query the README shows', () => {
    expect(readme).toContain(RECIPE_QUERY);
  });

  it('is valid, and the thumbnails it returns load in <img> with no header, by token or by session', async () => {
    expect(validate(schema, parse(RECIPE_QUERY)).map((e) => e.message)).toEqual([]);
    const signIn = await api.yoga.fetch('http://test/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: api.tokens.VIEWER }),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    for (const headers of [api.headers('VIEWER'), { cookie }]) {
      const res = await gql(api, headers, RECIPE_QUERY, { first: 4 });
      const images = pick<{ edges: { node: { thumbnail: string } }[] }>(res, 'images');
      expect(images.edges).toHaveLength(4);
      for (const { node } of images.edges) {
        const img = await bare(api, node.thumbnail);
        expect(img.status).toBe(200);
        expect(img.headers.get('content-type')).toBe('image/webp');
      }
    }
  });
});
