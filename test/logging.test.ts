// The JSON log (pino): a request id on every response and on the log lines of the request (the
// caller's x-request-id when sane, else a new UUID), a route's fault answered under the same id, no
// token in the log, and LOG_LEVEL checked by loadConfig.
import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { useLogDestination } from '../src/server/logger.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

let env: TestEnv;
let api: Api;
let written = '';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => {
    written += d.toString();
  });
  useLogDestination(sink, 'debug');
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  api = await createApi(env);
});
afterAll(async () => {
  useLogDestination(process.stderr, 'info');
  await env?.dispose();
});

const lines = () =>
  written
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const query = (headers: Record<string, string>) =>
  api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { ...api.headers('VIEWER'), 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ images(first: 1) { totalCount } }' }),
  });

describe('request ids and the log', () => {
  it("keeps a sane x-request-id, echoes it, and writes it on the request's log line", async () => {
    const res = await query({ 'x-request-id': 'lb-7f3a.2:9' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('lb-7f3a.2:9');
    const line = lines().find((l) => l.requestId === 'lb-7f3a.2:9' && l.msg === 'request');
    // yoga's own lines written while the request is handled carry the id too
    expect(lines().filter((l) => l.requestId === 'lb-7f3a.2:9').length).toBeGreaterThan(1);
    expect(line).toMatchObject({ level: 'debug', msg: 'request', method: 'POST', path: '/graphql', status: 200 });
    expect(line?.service).toBe('dermaset');
    expect(typeof line?.time).toBe('string');
  });

  it.each([
    ['spaces and quotes', 'a b "c"'],
    ['a JSON fragment', '{"level":"fatal"}'],
    ['an over-long value', 'x'.repeat(129)],
  ])('replaces %s with a new UUID', async (_what, sent) => {
    const res = await query({ 'x-request-id': sent });
    const id = res.headers.get('x-request-id') ?? '';
    expect(id).toMatch(UUID);
    expect(lines().some((l) => l.requestId === id)).toBe(true);
    expect(written).not.toContain(sent);
  });

  it('answers a route fault under the request id the response carries, logged as a failed request', async () => {
    const image = await env.db.image.findFirst();
    let sha = image?.sha256;
    if (!sha) {
      const { createPipeline } = await import('../src/ingest/pipeline.ts');
      const r = await createPipeline(env.config, env.db).ingest({
        bytes: await lesion(5, { width: 96, height: 72, exif: false }),
        record: record(),
        source: 'test',
      });
      if (r.outcome !== 'ACCEPTED') throw new Error(r.outcome);
      sha = r.sha256;
    }
    const row = await env.db.image.findUniqueOrThrow({ where: { sha256: sha } });
    const blobs = join(env.dataDir, 'blobs');
    renameSync(blobs, `${blobs}.aside`);
    try {
      const res = await api.yoga.fetch(`http://test/images/${sha}/original`, { headers: api.headers('VIEWER') });
      expect(res.status).toBe(503);
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(UUID);
      expect(((await res.json()) as { requestId: string }).requestId).toBe(id);
      expect(lines().find((l) => l.requestId === id)).toMatchObject({
        level: 'warn',
        msg: 'request failed',
        status: 503,
      });
    } finally {
      renameSync(`${blobs}.aside`, blobs);
    }
    expect(row.storageKey).toMatch(/^originals\//);
  });

  it('writes no token into the log', async () => {
    const secret = `dst_${randomBytes(24).toString('base64url')}`;
    await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ images(first: 1) { totalCount } }' }),
    });
    await query({});
    expect(written.length).toBeGreaterThan(0);
    for (const token of [secret, ...Object.values(api.tokens)]) expect(written).not.toContain(token);
  });
});

describe('LOG_LEVEL', () => {
  it('takes the pino levels and refuses anything else in one line', () => {
    expect(loadConfig({ LOG_LEVEL: 'warn' }).operations.logLevel).toBe('warn');
    expect(loadConfig({}).operations.logLevel).toBe('info');
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
});
