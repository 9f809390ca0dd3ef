// GET /metrics through yoga.fetch: who may read it (the bearer token DERMASET_METRICS_TOKEN, else a
// direct loopback connection only), and that the series move: GraphQL requests and errors per
// operation, the pipeline after an upload, the intake and the verification queues, exports; the
// operation label is bounded; no token or patient data in the text.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_LABELS } from '../src/server/use-metrics.ts';
import { createDermasetYoga } from '../src/server/yoga.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
let env: TestEnv;
let api: Api;

beforeAll(async () => {
  env = await createTestEnv({
    DERMASET_MIN_SIDE: '32',
    DERMASET_METRICS_TOKEN: METRICS_TOKEN,
    // the figures read at every scrape, so that two scrapes around an upload differ
    DERMASET_METRICS_REFRESH: '0',
  });
  api = await createApi(env);
});
afterAll(() => env?.dispose());

async function scrape(): Promise<string> {
  const res = await api.yoga.fetch('http://test/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
}

/** The value of one series (name and exact label set as Prometheus prints them), 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const post = (query: string, role: 'VIEWER' | 'ADMIN' = 'VIEWER', operationName?: string) =>
  api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { ...api.headers(role), 'content-type': 'application/json' },
    body: JSON.stringify({ query, ...(operationName ? { operationName } : {}) }),
  });

describe('who may read /metrics', () => {
  it('asks for the metrics token: none, a wrong one or an API token is 401', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789abcdef', `Bearer ${api.tokens.ADMIN}`]) {
      const res = await api.yoga.fetch('http://test/metrics', { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    }
    expect((await api.yoga.fetch('http://test/metrics', { method: 'POST' })).status).toBe(405);
  });

  it('without a token: direct loopback connections only, not one through a proxy, not yoga.fetch', async () => {
    const open = createDermasetYoga({
      ...env.config,
      operations: { ...env.config.operations, metricsToken: undefined },
    });
    expect((await open.fetch('http://test/metrics')).status).toBe(403);
    const server = createServer(open);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      const direct = await fetch(url);
      expect(direct.status).toBe(200);
      expect(await direct.text()).toContain('process_cpu_user_seconds_total');
      expect((await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(403);
      expect((await fetch(url, { headers: { forwarded: 'for=203.0.113.9' } })).status).toBe(403);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('the series', () => {
  it('count GraphQL requests and errors per operation', async () => {
    const before = await scrape();
    // three different pages: an answer from the response cache executes nothing
    for (let i = 1; i <= 3; i++)
      expect((await post(`query MetricsProbe { images(first: ${i}) { totalCount } }`)).status).toBe(200);
    await post('query MetricsBroken { images(first: 1) { noSuchField } }');
    await post('mutation MetricsRefused { startExport(format: "no-such-format") { id } }');
    const after = await scrape();
    const series = 'graphql_envelop_request{operationName="MetricsProbe",operationType="query"}';
    expect(value(after, series) - value(before, series)).toBe(3);
    expect(
      value(after, 'graphql_envelop_request_duration_count{operationName="MetricsProbe",operationType="query"}'),
    ).toBe(3);
    expect(
      value(
        after,
        'graphql_envelop_error_result{operationName="MetricsBroken",operationType="query",phase="validate",code="none"}',
      ),
    ).toBe(1);
    expect(
      value(
        after,
        'graphql_envelop_error_result{operationName="MetricsRefused",operationType="mutation",phase="execute",code="BAD_USER_INPUT"}',
      ),
    ).toBe(1);
    expect(after).toMatch(
      /graphql_yoga_http_duration_count\{operationName="MetricsProbe",operationType="query",method="POST",statusCode="200"\} 3/,
    );
    expect(after).toContain('nodejs_heap_size_used_bytes');
  });

  it('bound the operation names a caller can make into series', async () => {
    for (let i = 0; i < OPERATION_LABELS + 5; i++) await post(`query Many${i} { images(first: 1) { totalCount } }`);
    const text = await scrape();
    const names = new Set(
      [...text.matchAll(/^graphql_envelop_request\{operationName="([^"]+)"/gm)].map((m) => m[1] ?? ''),
    );
    expect(names.size).toBeLessThanOrEqual(OPERATION_LABELS + 1);
    expect(names.has('other')).toBe(true);
  });

  it('move with an upload: acquisitions by outcome, the intake, the stages and the review queue; exports', async () => {
    const before = await scrape();
    const form = new FormData();
    const query = `mutation Upload($file: File!, $record: JSONObject!) { createInitialAnnotation(file: $file, record: $record) { outcome } }`;
    const patient = record({ patient_id: 'METRICS-PATIENT-7731' });
    form.append('operations', JSON.stringify({ query, variables: { file: null, record: patient } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    const bytes = await lesion(3, { width: 96, height: 72, exif: false });
    form.append('0', new File([new Uint8Array(bytes)], 'lesion.jpg', { type: 'image/jpeg' }));
    const res = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: api.headers('ANNOTATOR'),
      body: form,
    });
    expect(((await res.json()) as { data?: { createInitialAnnotation: { outcome: string } } }).data).toEqual({
      createInitialAnnotation: { outcome: 'ACCEPTED' },
    });
    const started = await post('mutation { startExport(format: "jsonl") { id } }');
    const exportId = ((await started.json()) as { data: { startExport: { id: string } } }).data.startExport.id;
    for (let i = 0; i < 600; i++) {
      const row = await env.db.export.findUniqueOrThrow({ where: { id: exportId } });
      if (row.status !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = await scrape();
    const moved = (series: string) => value(after, series) - value(before, series);
    expect(moved('dermaset_pipeline_acquisitions_total{outcome="ACCEPTED"}')).toBe(1);
    expect(value(after, 'dermaset_pipeline_in_flight')).toBe(0);
    expect(moved('dermaset_intake_records{outcome="ACCEPTED"}')).toBe(1);
    expect(moved('dermaset_images{stage="INITIAL"}')).toBe(1);
    expect(moved('dermaset_verification_queue{queue="review"}')).toBe(1);
    expect(value(after, 'dermaset_verification_queue{queue="consensus"}')).toBe(0);
    expect(moved('dermaset_exports{status="DONE"}')).toBe(1);
    expect(moved('dermaset_export_rows')).toBe(await env.db.image.count());
    expect(value(after, 'dermaset_exports_running_here')).toBe(0);
    // counts and timings only
    for (const secret of [METRICS_TOKEN, api.tokens.ADMIN, api.tokens.VIEWER, 'METRICS-PATIENT-7731'])
      expect(after).not.toContain(secret);
  });
});

describe('the data figures', () => {
  it('are read again only after DERMASET_METRICS_REFRESH: a scrape in between reports the figures it has', async () => {
    const slow = createDermasetYoga({ ...env.config, operations: { ...env.config.operations, metricsRefreshS: 3600 } });
    const read = async () =>
      (await slow.fetch('http://test/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    const first = await read();
    const images = value(first, 'dermaset_images{stage="INITIAL"}');
    expect(images).toBe(await env.db.image.count({ where: { verificationStage: 'INITIAL' } }));
    const { createPipeline } = await import('../src/ingest/pipeline.ts');
    const result = await createPipeline(env.config, env.db).ingest({
      bytes: await lesion(9, { width: 96, height: 72, exif: false }),
      record: record(),
      source: 'test',
    });
    expect(result.outcome).toBe('ACCEPTED');
    const second = await read();
    expect(value(second, 'dermaset_images{stage="INITIAL"}')).toBe(images);
    expect(second).toMatch(/^dermaset_data_figures_age_seconds \d/m);
  });
});
