// Exports have an owner (issue 12 §4): the token that started one reads, lists and downloads it,
// admins see every export, anyone else gets NOT_FOUND exactly as for an unknown id. The history
// names the maker by the staff code the trail uses. Interrupted exports (§6): a run whose instance
// died (kill -9) is marked FAILED at the next start and its partial file removed, while another live
// instance's run, whose heartbeat is fresh, is left alone.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../src/ingest/pipeline.ts';
import {
  INTERRUPTED,
  MAX_EXPORTS,
  recoverInterruptedExports,
  runningExports,
  STALE_AFTER_MS,
  startExport,
} from '../src/resolvers/exports.ts';
import { requestScope } from '../src/resolvers/subset.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { exportAs, gql, seedPeople } from './helpers/privacy.ts';

let env: TestEnv;
let api: Api;
let reviewers: { id: string; file: Buffer };
let viewers: { id: string };

const ONE = `query One($id: String!) { export(id: $id) { id status profile createdBy } }`;
const LIST = `{ exports { id } }`;

beforeAll(async () => {
  env = await createTestEnv();
  await seedPeople(env, 950);
  api = await createApi(env);
  reviewers = await exportAs(api, 'REVIEWER', { format: 'jsonl' });
  viewers = await exportAs(api, 'VIEWER', { format: 'isic-csv' });
}, 120_000);
afterAll(() => env?.dispose());

describe('an export belongs to its maker', () => {
  it('a viewer holding a reviewer’s export id cannot read or download it: NOT_FOUND, as an unknown id', async () => {
    const read = await gql(api, 'VIEWER', ONE, { id: reviewers.id });
    expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(read.data?.export ?? null).toBeNull();
    const unknown = await gql(api, 'VIEWER', ONE, { id: randomUUID() });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    for (const path of ['file', 'manifest.json']) {
      const res = await api.yoga.fetch(`http://test/exports/${reviewers.id}/${path}`, {
        headers: api.headers('VIEWER'),
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('its maker and admins read and download it', async () => {
    for (const role of ['REVIEWER', 'ADMIN'] as const) {
      const read = await gql<{ export: { id: string } }>(api, role, ONE, { id: reviewers.id });
      expect(read.errors).toBeUndefined();
      expect(read.data?.export.id).toBe(reviewers.id);
      const res = await api.yoga.fetch(`http://test/exports/${reviewers.id}/file`, { headers: api.headers(role) });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(reviewers.file)).toBe(true);
    }
  });

  it('lists: each token its own exports, admins every one', async () => {
    const ids = async (role: 'VIEWER' | 'ANNOTATOR' | 'REVIEWER' | 'ADMIN') =>
      ((await gql<{ exports: { id: string }[] }>(api, role, LIST)).data?.exports ?? []).map((e) => e.id).sort();
    expect(await ids('VIEWER')).toEqual([viewers.id]);
    expect(await ids('REVIEWER')).toEqual([reviewers.id]);
    expect(await ids('ANNOTATOR')).toEqual([]);
    expect(await ids('ADMIN')).toEqual([reviewers.id, viewers.id].sort());
  });

  it('anonymous readers under public read see none', async () => {
    const open = await createApi(env, { publicRead: true });
    expect((await gql(open, null, ONE, { id: viewers.id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await gql<{ exports: unknown[] }>(open, null, LIST)).data?.exports).toEqual([]);
    const res = await open.yoga.fetch(`http://test/exports/${viewers.id}/file`);
    expect(res.status).toBe(404);
  });

  it('the history names the maker by the staff code the trail uses, not "token:<id> <name>"', async () => {
    const token = await env.db.apiToken.findFirstOrThrow({ where: { name: 'test reviewer' } });
    const code = createPipeline(env.config, env.db).deps.pseudonyms.code('examiner', `token:${token.id}`);
    const row = await env.db.export.findUniqueOrThrow({ where: { id: reviewers.id } });
    expect(row.createdBy).toBe(code);
    expect(row.ownerTokenId).toBe(token.id);
    expect(row.createdBy).not.toMatch(/token|test reviewer/);
    const read = await gql<{ export: { createdBy: string } }>(api, 'ADMIN', ONE, { id: reviewers.id });
    expect(read.data?.export.createdBy).toBe(code);
  });
});

describe('recoverInterruptedExports', () => {
  /** An export row left as a killed instance leaves it, with its partial file on disk. */
  async function runningRow(heartbeatAgoMs: number | null, owner: number | null = null) {
    const id = randomUUID();
    const now = Date.now();
    await env.db.export.create({
      data: {
        id,
        format: 'jsonl',
        exporterVersion: '2.0.0',
        policyId: 'nine-class',
        policyVersion: '1.0.0',
        filter: '{}',
        options: '{}',
        status: 'RUNNING',
        createdBy: 'test',
        ownerTokenId: owner,
        heartbeatAt: heartbeatAgoMs === null ? null : new Date(now - heartbeatAgoMs),
        createdAt: new Date(now - 10 * STALE_AFTER_MS),
      },
    });
    mkdirSync(join(env.dataDir, 'exports'), { recursive: true });
    const partial = join(env.dataDir, 'exports', `${id}.jsonl.partial`);
    writeFileSync(partial, Buffer.alloc(4096, 1));
    return { id, partial };
  }

  it('fails a run whose heartbeat went stale (its instance was killed) and removes its partial file', async () => {
    const admin = await env.db.apiToken.findFirstOrThrow({ where: { name: 'test admin' } });
    const killed = await runningRow(5 * STALE_AFTER_MS, admin.id);
    const legacy = await runningRow(null); // from before heartbeats: old enough to be stale
    const live = await runningRow(1_000); // another instance is writing it right now
    // a partial file of an export that is no longer running (its run failed, the file stayed)
    const orphan = `${viewers.id}.csv.partial`;
    writeFileSync(join(env.dataDir, 'exports', orphan), 'x');

    // before: the download answers 409 forever
    const before = await api.yoga.fetch(`http://test/exports/${killed.id}/file`, { headers: api.headers('ADMIN') });
    expect(before.status).toBe(409);

    // two instances starting at once: each stale run is failed once
    const [a, b] = await Promise.all([recoverInterruptedExports(env.dataDir), recoverInterruptedExports(env.dataDir)]);
    expect([...a.failed, ...b.failed].sort()).toEqual([killed.id, legacy.id].sort());

    for (const id of [killed.id, legacy.id]) {
      const row = await env.db.export.findUniqueOrThrow({ where: { id } });
      expect(row.status).toBe('FAILED');
      expect(row.error).toBe(INTERRUPTED);
    }
    expect(existsSync(killed.partial)).toBe(false);
    expect(existsSync(legacy.partial)).toBe(false);
    expect(existsSync(join(env.dataDir, 'exports', orphan))).toBe(false);
    // the live instance's run keeps going
    expect((await env.db.export.findUniqueOrThrow({ where: { id: live.id } })).status).toBe('RUNNING');
    expect(existsSync(live.partial)).toBe(true);
    // the finished exports are untouched
    expect((await env.db.export.findUniqueOrThrow({ where: { id: reviewers.id } })).status).toBe('DONE');

    const after = await api.yoga.fetch(`http://test/exports/${killed.id}/file`, { headers: api.headers('ADMIN') });
    expect(after.status).toBe(409);
    expect(await after.json()).toMatchObject({ code: 'EXPORT_FAILED', message: INTERRUPTED });
    const read = await gql<{ export: { status: string } }>(api, 'ADMIN', ONE, { id: killed.id });
    expect(read.data?.export.status).toBe('FAILED');
  });

  it('a running export keeps a heartbeat from its start', async () => {
    const started = await gql<{ startExport: { id: string } }>(
      api,
      'VIEWER',
      'mutation { startExport(format: "jsonl") { id } }',
    );
    const row = await env.db.export.findUniqueOrThrow({ where: { id: started.data?.startExport.id ?? '' } });
    expect(row.heartbeatAt).not.toBeNull();
  });
});

describe('progress and the list of exports', () => {
  const PROGRESS = `query P($id: String!) { export(id: $id) { status rowCount progress { rowsDone rowsTotal fraction } } }`;

  it('a run counts its rows first, tells onProgress (monotone, throttled) and ends with rowsDone = rowCount', async () => {
    const admin = await env.db.apiToken.findFirstOrThrow({ where: { name: 'test admin' } });
    const calls: [number, number | null][] = [];
    const t0 = Date.now();
    const row = await startExport(
      requestScope(),
      { format: 'isic-zip', policy: 'nine-class' },
      { actor: 'test', tokenId: admin.id, role: 'ADMIN', dataDir: env.dataDir, origin: 'http://test' },
      { onProgress: (done, total) => calls.push([done, total]) },
    );
    expect(row.rowsDone).toBe(0);
    await runningExports.get(row.id);
    const elapsed = Date.now() - t0;
    const done = await env.db.export.findUniqueOrThrow({ where: { id: row.id } });
    expect(done.status).toBe('DONE');
    expect(done.rowCount).toBeGreaterThan(0);
    // the count made before the rows were read is the number of rows written
    expect(done.rowsTotal).toBe(done.rowCount);
    expect(done.rowsDone).toBe(done.rowCount);
    expect(calls[0]).toEqual([0, done.rowCount]);
    expect(calls.at(-1)).toEqual([done.rowCount, done.rowCount]);
    // isic-zip reads its rows twice: progress counts both passes as one, so it never passes the total
    for (let i = 1; i < calls.length; i++) {
      expect(calls[i]?.[0]).toBeGreaterThanOrEqual(calls[i - 1]?.[0] ?? 0);
      expect(calls[i]?.[0]).toBeLessThanOrEqual(done.rowCount ?? 0);
    }
    // throttled: the first call, one per 200 ms at most, the last
    expect(calls.length).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 200));
    const read = await gql<{ export: { progress: { rowsDone: number; rowsTotal: number; fraction: number } } }>(
      api,
      'ADMIN',
      PROGRESS,
      { id: row.id },
    );
    expect(read.data?.export.progress).toEqual({ rowsDone: done.rowCount, rowsTotal: done.rowCount, fraction: 1 });
  });

  it('a running export shows rowsTotal null until its run counted, then a fraction below 1', async () => {
    const admin = await env.db.apiToken.findFirstOrThrow({ where: { name: 'test admin' } });
    const id = randomUUID();
    await env.db.export.create({
      data: {
        id,
        format: 'jsonl',
        exporterVersion: '3.0.0',
        policyId: 'nine-class',
        policyVersion: '1.0.0',
        filter: '{}',
        options: '{}',
        status: 'RUNNING',
        createdBy: 'test',
        ownerTokenId: admin.id,
        heartbeatAt: new Date(),
      },
    });
    const before = await gql<{ export: { progress: unknown } }>(api, 'ADMIN', PROGRESS, { id });
    expect(before.data?.export.progress).toEqual({ rowsDone: 0, rowsTotal: null, fraction: null });
    await env.db.export.update({ where: { id }, data: { rowsDone: 3, rowsTotal: 12 } });
    const after = await gql<{ export: { progress: unknown } }>(api, 'ADMIN', PROGRESS, { id });
    expect(after.data?.export.progress).toEqual({ rowsDone: 3, rowsTotal: 12, fraction: 0.25 });
    await env.db.export.update({ where: { id }, data: { status: 'FAILED', error: 'test' } });
  });

  it('lists newest first, pages by first/after without gaps or repeats, filters by status', async () => {
    const all = await env.db.export.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
    expect(all.length).toBeGreaterThanOrEqual(4);
    const Q = `query L($first: Int, $after: String, $status: ExportStatus) { exports(first: $first, after: $after, status: $status) { id status } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { id: string }[] =
        (await gql<{ exports: { id: string }[] }>(api, 'ADMIN', Q, { first: 2, after })).data?.exports ?? [];
      seen.push(...page.map((e) => e.id));
      if (page.length < 2) break;
      after = page.at(-1)?.id ?? null;
    }
    expect(seen).toEqual(all.map((e) => e.id));
    const failed = (await gql<{ exports: { status: string }[] }>(api, 'ADMIN', Q, { status: 'FAILED' })).data?.exports;
    expect(failed?.length).toBe(all.filter((e) => e.status === 'FAILED').length);
    expect(failed?.every((e) => e.status === 'FAILED')).toBe(true);
  });

  it('refuses first outside 1–100 and an after that is not the caller’s, with BAD_USER_INPUT', async () => {
    const Q = `query L($first: Int, $after: String) { exports(first: $first, after: $after) { id } }`;
    for (const first of [0, MAX_EXPORTS + 1, -3]) {
      const res = await gql(api, 'VIEWER', Q, { first });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    }
    // the reviewer's export id, asked by a viewer, is refused like an unknown id
    for (const id of [reviewers.id, randomUUID()]) {
      const res = await gql(api, 'VIEWER', Q, { after: id });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
      expect(res.errors?.[0]?.message).toBe(`after: no export ${id} of yours`);
    }
  });
});
