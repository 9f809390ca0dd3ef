// The web surface beside GraphQL: URLs in the datasheet's prose (no live script link in the HTML
// or in the Markdown), the image routes when a blob is gone or the store is unreachable (clean JSON,
// no path, logged under a request id), /health's database and blob checks, and the histories that
// name who acted by staff code rather than by token; the export and split routes (405 with Allow
// for other methods, {code, message} refusals, a missing export file 404 without a path).
import { existsSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createYoga } from 'graphql-yoga';
import { Marked, type Token } from 'marked';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { Pseudonymizer } from '../src/ingest/pseudonym.ts';
import { exportPath } from '../src/resolvers/exports.ts';
import { schema } from '../src/schema/index.ts';
import { useHealth } from '../src/server/use-health.ts';
import type { Readiness } from '../src/server/use-readiness.ts';
import { type Api, createApi } from './helpers/api.ts';
import { postGraphQL, send } from './helpers/bad-input.ts';
import { createTestEnv, TEST_KEY, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';
import { exportAs } from './helpers/privacy.ts';

let env: TestEnv;
let api: Api;
/** The two stored images: sha256, original and thumbnail keys. */
let images: { sha256: string; storageKey: string; thumbnailKey: string }[];

beforeAll(async () => {
  env = await createTestEnv();
  api = await createApi(env);
  const pipeline = createPipeline(env.config, env.db);
  await pipeline.ingest({ bytes: await lesion(1), record: record(), fileName: 'a.jpg', source: 'test' });
  await pipeline.ingest({
    bytes: await lesion(2, { cls: 'MELANOMA' }),
    record: record({ patient_id: 'MRN-2', lesion_id: 'X', clinical_diagnosis: 'melanoma' }),
    fileName: 'b.jpg',
    source: 'test',
  });
  images = await env.db.image.findMany({
    orderBy: { id: 'asc' },
    select: { sha256: true, storageKey: true, thumbnailKey: true },
  });
  expect(images).toHaveLength(2);
});
afterAll(() => env.dispose());
afterEach(() => vi.restoreAllMocks());

interface GraphQLBody<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}
async function gql<T>(role: 'VIEWER' | 'REVIEWER' | 'ADMIN', query: string, variables?: unknown) {
  const res = await postGraphQL(api.yoga, { query, variables }, api.headers(role));
  return res.json as GraphQLBody<T>;
}
const UPDATE = 'mutation ($key: String!, $text: String!) { updateDatasheetText(key: $key, text: $text) { key } }';

describe('URLs in the datasheet prose', () => {
  // what a browser reads from an attribute value: character references decoded, then (WHATWG URL)
  // C0 controls and spaces stripped at the ends and tabs and newlines removed anywhere
  const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", colon: ':' };
  const decode = (value: string) =>
    value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (whole, ref: string) => {
      if (ref[0] !== '#') return NAMED[ref.toLowerCase()] ?? whole;
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return String.fromCodePoint(code);
    });
  const schemeOf = (value: string) => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what a URL parser strips
    const ends = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;
    const url = decode(value)
      .replace(ends, '')
      .replace(/[\t\n\r]/g, '');
    return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? null;
  };
  const harmless = (value: string) => {
    const scheme = schemeOf(value);
    return scheme === null || ['http', 'https', 'mailto'].includes(scheme);
  };
  /** Every href/src attribute of a page that a browser would follow to anything but http, https, mailto or a relative URL. */
  const liveUrls = (html: string) =>
    [...html.matchAll(/\s(?:xlink:)?(?:href|src|action|formaction)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)]
      .map((m) => m[1] ?? m[2] ?? m[3] ?? '')
      .filter((v) => !harmless(v));
  /** Every link, image and reference definition of a Markdown text whose URL is not harmless. */
  const liveMarkdownUrls = (markdown: string) => {
    const md = new Marked();
    const found: string[] = [];
    md.walkTokens(md.lexer(markdown), (t: Token) => {
      if ((t.type === 'link' || t.type === 'image' || t.type === 'def') && !harmless(t.href)) found.push(t.href);
    });
    return found;
  };

  const HOSTILE: readonly [string, string][] = [
    ['a javascript: link', '[click](javascript:alert(1))'],
    ['mixed case', '[click](JaVaScRiPt:alert(1))'],
    ['vbscript:', '[click](vbscript:msgbox(1))'],
    ['a data: link', '[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
    ['a tab as a character reference', '[click](java&#x09;script:alert(1))'],
    ['the first letter as a character reference', '[click](&#x6A;avascript:alert(1))'],
    ['the colon as a named reference', '[click](javascript&colon;alert(1))'],
    ['a leading tab', '[click](\tjavascript:alert(1))'],
    ['leading spaces and a control character', '[click](  \u0001javascript:alert(1))'],
    ['a destination in angle brackets', '[click](<javascript:alert(1)>)'],
    ['a title after it', '[click](javascript:alert(1) "a title")'],
    ['a reference-style link', '[click][ref]\n\n[ref]: javascript:alert(1)'],
    ['a reference definition with a title', '[click][r2]\n\n[r2]: <javascript:alert(1)> "t"'],
    ['an image', '![pic](javascript:alert(1))'],
    ['an image inside a link, both hostile', '[![pic](javascript:alert(1))](javascript:alert(2))'],
    ['a link with a comment URL', '[click](javascript://%0Aalert(1))'],
    ['an autolink', '<javascript:alert(1)>'],
    ['a link in a list and a table', '- [a](javascript:alert(1))\n\n| x |\n|---|\n| [b](vbscript:x) |'],
  ];

  it('renders no hostile prose as a live link (html, md, GraphQL), and keeps http, https, mailto and relative links', async () => {
    const live: [string, string, string[]][] = [];
    for (const [what, text] of HOSTILE) {
      const written = await gql('ADMIN', UPDATE, { key: 'uses.avoid', text });
      expect(written.errors, what).toBeUndefined();
      const page = await send(api.yoga, '/datasheet.html', { headers: api.headers('VIEWER') });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy') ?? '', what).toContain("script-src 'none'");
      const markdown = (await send(api.yoga, '/datasheet.md', { headers: api.headers('VIEWER') })).text;
      const sheet = await gql<{
        datasheet: { html: string; sections: { entries: { key: string; answer: string }[] }[] };
      }>('VIEWER', '{ datasheet { html sections { entries { key answer } } } }');
      const answer = sheet.data?.datasheet.sections.flatMap((s) => s.entries).find((e) => e.key === 'uses.avoid');
      for (const [where, urls] of [
        ['html', liveUrls(page.text)],
        ['GraphQL html', liveUrls(sheet.data?.datasheet.html ?? '')],
        ['md', liveMarkdownUrls(markdown)],
        ['GraphQL answer', liveMarkdownUrls(answer?.answer ?? '')],
      ] as const) {
        if (urls.length > 0) live.push([what, where, urls]);
      }
      // the words stay: only the URL goes
      if (what === 'a javascript: link') expect(page.text).toContain('<p>click</p>');
    }
    expect(live).toEqual([]);

    // and the links a datasheet needs stay live: http, https, mailto, relative and fragment URLs
    const text =
      'See [the site](https://example.org/data?x=1), [the old site](http://example.org/), ' +
      '[write to us](mailto:data@example.org), [the uses](#uses) and [the docs](docs/datasheet.md).';
    expect((await gql('ADMIN', UPDATE, { key: 'uses.avoid', text })).errors).toBeUndefined();
    const html = (await send(api.yoga, '/datasheet.html', { headers: api.headers('VIEWER') })).text;
    for (const link of [
      '<a href="https://example.org/data?x=1">the site</a>',
      '<a href="http://example.org/">the old site</a>',
      '<a href="mailto:data@example.org">write to us</a>',
      '<a href="#uses">the uses</a>',
      '<a href="docs/datasheet.md">the docs</a>',
    ]) {
      expect(html).toContain(link);
    }
    const markdown = (await send(api.yoga, '/datasheet.md', { headers: api.headers('VIEWER') })).text;
    expect(markdown).toContain('[write to us](mailto:data@example.org)');
  });
});

describe('image bytes whose blob is gone', () => {
  const logged = () => {
    const spy = vi.spyOn(console, 'error');
    return () => spy.mock.calls.map((c) => c.map(String).join(' ')).join('\n');
  };

  it('answers 404 BLOB_MISSING as JSON without a path when one file is missing, and logs the key under the request id', async () => {
    const [image] = images;
    if (!image) throw new Error('no image');
    const file = join(env.dataDir, 'blobs', image.storageKey);
    const aside = `${file}.aside`;
    renameSync(file, aside);
    try {
      const log = logged();
      for (const method of ['GET', 'HEAD']) {
        const res = await send(api.yoga, `/images/${image.sha256}/original`, {
          method,
          headers: { ...api.headers('VIEWER'), 'x-request-id': `req-missing-${method}` },
        });
        expect(res.status).toBe(404);
        if (method === 'HEAD') continue;
        expect(res.contentType).toMatch(/^application\/json/);
        expect(res.json).toEqual({
          code: 'BLOB_MISSING',
          message: 'the original of this image is not stored on this server',
          requestId: 'req-missing-GET',
        });
        expect(res.text).not.toContain(env.dataDir);
        expect(res.text).not.toMatch(/blobs|originals|ENOENT|\bat\s/);
      }
      expect(log()).toMatch(new RegExp(`request req-missing-GET: .*${image.storageKey}.*BLOB_MISSING`));
      // the thumbnail is still there and still served
      const thumb = await send(api.yoga, `/images/${image.sha256}/thumbnail`, { headers: api.headers('VIEWER') });
      expect(thumb.status).toBe(200);
    } finally {
      renameSync(aside, file);
    }
    expect((await send(api.yoga, `/images/${image.sha256}/original`, { headers: api.headers('VIEWER') })).status).toBe(
      200,
    );
  });

  it('answers the same for a missing thumbnail, with a request id of its own when none is sent', async () => {
    const image = images[1];
    if (!image) throw new Error('no image');
    const file = join(env.dataDir, 'blobs', image.thumbnailKey);
    const aside = `${file}.aside`;
    renameSync(file, aside);
    try {
      const log = logged();
      const res = await send(api.yoga, `/images/${image.sha256}/thumbnail`, { headers: api.headers('VIEWER') });
      expect(res.status).toBe(404);
      const body = res.json as { code: string; requestId: string };
      expect(body.code).toBe('BLOB_MISSING');
      expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(log()).toContain(
        `request ${body.requestId}: the thumbnail of image ${image.sha256} (blob ${image.thumbnailKey})`,
      );
    } finally {
      renameSync(aside, file);
    }
  });

  it.each<[string, (blobs: string) => void]>([
    ['the blob folder is gone (an unmounted share)', () => {}],
    ['a file stands where the blob folder was', (blobs) => writeFileSync(blobs, 'not a folder')],
    ['the blob folder is a link to nowhere', (blobs) => symlinkSync(join(env.dataDir, 'no-such-share'), blobs)],
  ])('answers 503 BLOB_UNAVAILABLE when %s', async (_what, breakStore) => {
    const blobs = join(env.dataDir, 'blobs');
    const aside = join(env.dataDir, 'blobs.aside');
    renameSync(blobs, aside);
    try {
      breakStore(blobs);
      logged();
      for (const variant of ['original', 'thumbnail']) {
        const res = await send(api.yoga, `/images/${images[0]?.sha256}/${variant}`, {
          headers: api.headers('VIEWER'),
        });
        expect(res.status).toBe(503);
        expect(res.json).toMatchObject({
          code: 'BLOB_UNAVAILABLE',
          message: 'the image store is unavailable; try again later',
        });
        expect(res.text).not.toContain(env.dataDir);
      }
    } finally {
      rmSync(blobs, { recursive: true, force: true });
      renameSync(aside, blobs);
    }
  });
});

describe('export and split routes', () => {
  let exportId: string;
  let splitId: string;
  beforeAll(async () => {
    exportId = (await exportAs(api, 'VIEWER', { format: 'jsonl' })).id;
    const made = await gql<{ createSplit: { id: string } }>(
      'VIEWER',
      'mutation { createSplit(input: { folds: 2, allowOversizedUnits: true }) { id } }',
    );
    splitId = made.data?.createSplit.id ?? '';
    expect(splitId).not.toBe('');
  });

  it.each([
    ['POST', () => `/exports/${exportId}/file`],
    ['DELETE', () => `/exports/${exportId}/file`],
    ['PUT', () => `/exports/${exportId}/manifest.json`],
    ['PATCH', () => `/splits/${splitId}/manifest.csv`],
    ['DELETE', () => `/splits/${splitId}/manifest.csv`],
  ])('%s %s is 405 METHOD_NOT_ALLOWED as JSON with Allow: GET, HEAD, and serves nothing', async (method, path) => {
    const res = await send(api.yoga, path(), { method, headers: api.headers('VIEWER') });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.json).toMatchObject({ code: 'METHOD_NOT_ALLOWED', message: expect.stringContaining(method) });
    expect(res.text).not.toContain('"records"');
    // nothing was removed: the file is still served
    const again = await send(api.yoga, path(), { headers: api.headers('VIEWER') });
    expect(again.status).toBe(200);
  });

  it('refuses with {code, message} bodies, nothing else', async () => {
    for (const path of [
      '/exports/00000000-0000-4000-8000-000000000000/file',
      `/splits/${'0'.repeat(8)}-0000-4000-8000-000000000000/manifest.csv`,
      `/splits/${splitId}/manifest.csv?part=HOLDOUT`,
      `/splits/${splitId}/manifest.csv?profile=limited`,
    ]) {
      const res = await send(api.yoga, path, { headers: api.headers('VIEWER') });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(Object.keys(res.json as object).sort(), path).toEqual(['code', 'message']);
    }
  });

  it('HEAD of an export file gives its length and no body', async () => {
    const get = await send(api.yoga, `/exports/${exportId}/file`, { headers: api.headers('VIEWER') });
    const head = await send(api.yoga, `/exports/${exportId}/file`, { method: 'HEAD', headers: api.headers('VIEWER') });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(get.text)));
    expect(head.text).toBe('');
  });

  it('answers a finished export whose file is gone 404 EXPORT_FILE_MISSING as JSON without a path, and logs it', async () => {
    const file = exportPath(env.dataDir, exportId, 'jsonl');
    const aside = `${file}.aside`;
    renameSync(file, aside);
    try {
      const spy = vi.spyOn(console, 'error');
      const res = await send(api.yoga, `/exports/${exportId}/file`, {
        headers: { ...api.headers('VIEWER'), 'x-request-id': 'req-export-gone' },
      });
      expect(res.status).toBe(404);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(res.json).toEqual({
        code: 'EXPORT_FILE_MISSING',
        message: 'the file of this export is not stored on this server',
        requestId: 'req-export-gone',
      });
      expect(res.text).not.toContain(env.dataDir);
      expect(res.text).not.toMatch(/exports\/|ENOENT|\bat\s/);
      const log = spy.mock.calls.map((c) => c.map(String).join(' ')).join('\n');
      expect(log).toMatch(new RegExp(`request req-export-gone: .*${exportId}.*ENOENT`));
      // its manifest is in the database and still served
      const manifest = await send(api.yoga, `/exports/${exportId}/manifest.json`, { headers: api.headers('VIEWER') });
      expect(manifest.status).toBe(200);
    } finally {
      renameSync(aside, file);
    }
    expect((await send(api.yoga, `/exports/${exportId}/file`, { headers: api.headers('VIEWER') })).status).toBe(200);
  });
});

describe('/health', () => {
  const ready = (): Readiness => ({ state: 'ready' });
  /** A server with the health plugin over the test database and the given blob folder. */
  const healthOf = (blobs: string, db = env.db, readiness = ready) =>
    createYoga({ schema, healthCheckEndpoint: '/livez', plugins: [useHealth(() => db, readiness, { blobs })] });
  const health = async (yoga: ReturnType<typeof healthOf>) => {
    const res = await yoga.fetch('http://test/health');
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const blobs = () => join(env.dataDir, 'blobs');

  it('is ok when the database answers and the blob folder is readable and writable, leaving no probe behind', async () => {
    expect(await health(healthOf(blobs()))).toEqual({
      status: 200,
      body: { status: 'ok', checks: { database: { ok: true }, blobs: { ok: true } } },
    });
    expect(existsSync(join(blobs(), '.health-probe'))).toBe(false);
  });

  it.each<[string, (folder: string) => void, string]>([
    ['the blob folder is gone while images are stored', () => {}, 'ENOENT'],
    ['a file stands where the blob folder was', (folder) => writeFileSync(folder, 'x'), 'ENOTDIR'],
    [
      'the blob folder is a link to nowhere',
      (folder) => symlinkSync(join(env.dataDir, 'no-such-share'), folder),
      'ENOENT',
    ],
  ])('answers 503 unavailable when %s', async (_what, breakStore, reason) => {
    const aside = join(env.dataDir, 'blobs.aside');
    renameSync(blobs(), aside);
    try {
      breakStore(blobs());
      const res = await health(healthOf(blobs()));
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        status: 'unavailable',
        checks: { database: { ok: true }, blobs: { ok: false, reason } },
      });
    } finally {
      rmSync(blobs(), { recursive: true, force: true });
      renameSync(aside, blobs());
    }
  });

  it('is ok with no blob folder yet while no image is stored (the first upload creates it)', async () => {
    const empty = await createTestEnv();
    try {
      const res = await health(healthOf(join(empty.dataDir, 'blobs'), empty.db));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: 'ok',
        checks: { database: { ok: true }, blobs: { ok: true, reason: 'empty' } },
      });
    } finally {
      await empty.dispose();
    }
  });

  it('names the database failure by its class and code, never its host, user or password', async () => {
    const unreachable = openDatabase('postgresql://dermaset:s3cret-pw@127.0.0.1:1/nowhere');
    try {
      const res = await health(healthOf(blobs(), unreachable.db));
      expect(res.status).toBe(503);
      const checks = res.body.checks as { database: { ok: boolean; reason: string }; blobs: { ok: boolean } };
      expect(res.body.status).toBe('unavailable');
      expect(checks.blobs).toEqual({ ok: true });
      expect(checks.database.ok).toBe(false);
      expect(checks.database.reason).toMatch(/DatabaseNotReachable|ECONNREFUSED/);
      expect(JSON.stringify(res.body)).not.toMatch(/s3cret|dermaset:|127\.0\.0\.1|nowhere/);
    } finally {
      await unreachable.close();
    }
  });

  it('still reports the seed’s progress, with the checks', async () => {
    const seeding = (): Readiness => ({ state: 'seeding', phase: 'acquisition', done: 3, total: 10 });
    expect(await health(healthOf(blobs(), env.db, seeding))).toEqual({
      status: 503,
      body: {
        status: 'seeding',
        checks: { database: { ok: true }, blobs: { ok: true } },
        seed: { phase: 'acquisition', done: 3, total: 10 },
      },
    });
  });

  it('is served by the application with the database check', async () => {
    const res = await api.yoga.fetch('http://test/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', checks: { database: { ok: true } } });
  });
});

describe('histories name who acted by staff code', () => {
  const codeOf = async (name: string) => {
    const token = await env.db.apiToken.findFirstOrThrow({ where: { name }, select: { id: true } });
    return new Pseudonymizer(TEST_KEY).code('examiner', `token:${token.id}`);
  };

  it('records a policy switch with the admin’s staff code, not the token’s id or name', async () => {
    const SET = 'mutation ($id: String!) { setActivePolicy(id: $id) { id } }';
    expect((await gql('ADMIN', SET, { id: 'three-tier' })).errors).toBeUndefined();
    expect((await gql('ADMIN', SET, { id: 'screening-binary' })).errors).toBeUndefined();
    const history = await gql<{ policyHistory: { from: string; to: string; actor: string }[] }>(
      'REVIEWER',
      '{ policyHistory { from to actor } }',
    );
    const code = await codeOf('test admin');
    expect(code).toMatch(/^E-[0-9A-Z]{13}$/);
    expect(history.data?.policyHistory.slice(0, 2)).toEqual([
      { from: 'three-tier', to: 'screening-binary', actor: code },
      { from: 'screening-binary', to: 'three-tier', actor: code },
    ]);
    expect(JSON.stringify(history)).not.toMatch(/token|test admin/);
  });

  it('records a datasheet edit with the admin’s staff code, in the history and as the answer’s author', async () => {
    const text = 'Independent evaluation only.';
    expect((await gql('ADMIN', UPDATE, { key: 'motivation.funding', text })).errors).toBeUndefined();
    const res = await gql<{
      datasheetTextHistory: { key: string; actor: string; newText: string }[];
    }>('REVIEWER', '{ datasheetTextHistory { key actor newText } }');
    const code = await codeOf('test admin');
    expect(res.data?.datasheetTextHistory[0]).toEqual({ key: 'motivation.funding', actor: code, newText: text });
    const row = await env.db.datasheetText.findUniqueOrThrow({ where: { key: 'motivation.funding' } });
    expect(row.updatedBy).toBe(code);
    const changes = await env.db.datasheetTextChange.findMany({ select: { actor: true } });
    expect(changes.every((c) => c.actor === code)).toBe(true);
  });
});
