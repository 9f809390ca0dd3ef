// The web surface of issue 12 §5: CORS for configured origins only, a strict CSP on every HTML
// response, production mode by default (no stack traces, no paths), and one upload limit.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { useDatabase } from '../src/db/current.ts';
import { contentSecurityPolicy } from '../src/server/use-web-security.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';
import { snapshot } from './helpers/snapshot.ts';

let env: TestEnv;
let api: Api;
beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  api = await createApi(env);
});
afterAll(() => env.dispose());

const STATS = JSON.stringify({ query: '{ stats { total } }' });

async function post(a: Api, headers: Record<string, string>, body = STATS) {
  return a.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...a.headers('ADMIN'), ...headers },
    body,
  });
}

describe('mode', () => {
  it('is production unless development is asked for', () => {
    expect(loadConfig({}).api.production).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).api.production).toBe(true);
    expect(loadConfig({ DERMASET_MODE: 'development' }).api.production).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).api.production).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development', DERMASET_MODE: 'production' }).api.production).toBe(true);
    expect(() => loadConfig({ DERMASET_MODE: 'debug' })).toThrow(/DERMASET_MODE/);
  });

  it('masks an unexpected failure in production: no stack, no file path, no SQL', async () => {
    const broken = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
    try {
      const prod = await createApi(broken);
      const dev = await createApi(broken, { production: false });
      // a database fault the caller did nothing to cause
      await broken.db.$executeRawUnsafe('DROP TABLE split_assignment');
      await broken.db.$executeRawUnsafe('DROP TABLE split');
      const query = JSON.stringify({ query: '{ splits { id } }' });
      const masked = await (await post(prod, {}, query)).text();
      expect(masked).toContain('Unexpected error.');
      expect(masked).not.toMatch(/stack|"split"|`split`|main\.split|\/work\/|node_modules|\.ts:\d+/);
      const shown = await (await post(dev, {}, query)).text();
      expect(shown).toMatch(/split|stack/);
    } finally {
      await broken.dispose();
      useDatabase(env.db); // the rest of the file reads through the ambient database again
    }
  });
});

describe('CORS', () => {
  const allowOrigin = (r: Response) => r.headers.get('access-control-allow-origin');

  it('gives no CORS headers to any origin by default (production)', async () => {
    for (const origin of ['https://evil.example', 'http://localhost:3000', 'null']) {
      const res = await post(api, { origin });
      expect(res.status).toBe(200);
      expect(allowOrigin(res)).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      const preflight = await api.yoga.fetch('http://test/graphql', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      expect(allowOrigin(preflight)).toBeNull();
    }
    for (const path of ['/health', '/datasheet.html', '/images/abc']) {
      const res = await api.yoga.fetch(`http://test${path}`, { headers: { origin: 'https://evil.example' } });
      expect(allowOrigin(res)).toBeNull();
    }
  });

  it('allows exactly the configured origins, with credentials', async () => {
    const origins = loadConfig({ DERMASET_CORS_ORIGINS: 'https://app.example.org, http://127.0.0.1:5173' }).api
      .corsOrigins;
    const withOrigins = await createApi(env, { corsOrigins: origins });
    const ok = await post(withOrigins, { origin: 'https://app.example.org' });
    expect(allowOrigin(ok)).toBe('https://app.example.org');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const preflight = await withOrigins.yoga.fetch('http://test/graphql', {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'POST' },
    });
    expect(allowOrigin(preflight)).toBe('http://127.0.0.1:5173');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    for (const origin of ['https://app.example.org.evil.example', 'http://app.example.org', 'https://evil.example']) {
      expect(allowOrigin(await post(withOrigins, { origin }))).toBeNull();
    }
  });

  it('allows loopback origins in development only', async () => {
    const dev = await createApi(env, { corsOrigins: loadConfig({ DERMASET_MODE: 'development' }).api.corsOrigins });
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:5173']) {
      expect(allowOrigin(await post(dev, { origin }))).toBe(origin);
    }
    for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'http://10.0.0.2:3000']) {
      expect(allowOrigin(await post(dev, { origin }))).toBeNull();
    }
  });

  it('refuses a malformed origin list at start', () => {
    expect(() => loadConfig({ DERMASET_CORS_ORIGINS: 'https://app.example.org/path' })).toThrow(
      /DERMASET_CORS_ORIGINS/,
    );
    expect(() => loadConfig({ DERMASET_CORS_ORIGINS: '*' })).toThrow(/scheme:\/\/host/);
  });
});

describe('Content-Security-Policy', () => {
  const hashOf = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

  it('allows a page only its own inline scripts, by hash', () => {
    const csp = contentSecurityPolicy('<p>x</p><script>alert(1)</script><script src="/a.js"></script>');
    expect(csp).toContain(`script-src 'self' ${hashOf('alert(1)')}`);
    expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
    expect(contentSecurityPolicy('<p>no scripts</p>')).toContain("script-src 'none'");
    for (const directive of ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "default-src 'self'"]) {
      expect(csp).toContain(directive);
    }
  });

  it('is sent on every HTML response: GraphiQL and the datasheet', async () => {
    const graphiql = await api.yoga.fetch('http://test/graphql', { headers: { accept: 'text/html' } });
    expect(graphiql.headers.get('content-type')).toContain('text/html');
    const html = await graphiql.text();
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(graphiql.headers.get('content-security-policy')).toContain(hashOf(script));
    const datasheet = await api.yoga.fetch('http://test/datasheet.html', { headers: api.headers('VIEWER') });
    expect(datasheet.headers.get('content-type')).toContain('text/html');
    expect(datasheet.headers.get('content-security-policy')).toContain("script-src 'none'");
  });

  it('sends no-sniff and no-framing headers everywhere', async () => {
    for (const res of [await post(api, {}), await api.yoga.fetch('http://test/health')]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toBeNull();
    }
  });
});

describe('request and upload size', () => {
  const Acquire = `mutation ($file: File!, $record: JSONObject!) { createInitialAnnotation(file: $file, record: $record) { outcome } }`;
  const upload = (a: Api, bytes: Uint8Array) => {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: Acquire, variables: { file: null, record: record() } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new File([new Uint8Array(bytes)], 'lesion.jpg', { type: 'image/jpeg' }));
    return a.yoga.fetch('http://test/graphql', { method: 'POST', headers: a.headers('ANNOTATOR'), body: form });
  };

  it('has one upload limit: DERMASET_MAX_BYTES, refused 413 before the file is read, nothing stored', async () => {
    const small = await createApi({
      ...env,
      config: { ...env.config, ingest: { ...env.config.ingest, maxBytes: 20_000 } },
    } as TestEnv);
    const before = await snapshot(env);
    const res = await upload(small, new Uint8Array(await lesion(1, { width: 600, height: 450 })).subarray(0, 20_001));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
      'REQUEST_ENTITY_TOO_LARGE',
    );
    expect(await snapshot(env)).toEqual(before);
  });

  it('reads files beyond 25 MB when the limit allows them (the pipeline decides, not the parser)', async () => {
    const big = new Uint8Array(30 * 1024 * 1024).fill(7);
    const before = await snapshot(env);
    const res = await upload(api, big);
    const body = (await res.json()) as { errors?: { extensions: { code: string } }[] };
    expect(res.status).not.toBe(413);
    expect(body.errors?.[0]?.extensions.code).not.toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(await snapshot(env)).toEqual(before);
  });

  it('refuses a JSON body over DERMASET_MAX_REQUEST_BYTES with 413 and a code', async () => {
    const query = JSON.stringify({ query: `{ stats { total } } # ${'x'.repeat(1024 * 1024)}` });
    const res = await post(api, {}, query);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(loadConfig({}).api.maxRequestBytes).toBe(1024 * 1024);
  });
});
