// Two servers on one database (the same SQLite file, or the same PostgreSQL database): two real
// server processes race the workflow's optimistic writes. A lost race is CONFLICT, never an
// internal error, and writes to different images all succeed. On SQLite this is what
// src/db/busy.ts is for (BEGIN IMMEDIATE, asynchronous busy waits).

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { sqlitePath } from '../src/db/provider.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { createToken } from '../src/resolvers/tokens.ts';
import { useDbErrors } from '../src/server/use-db-errors.ts';
import { CLI_TIMEOUT, cliEnv, ROOT } from './helpers/cli.ts';
import { createTestEnv, type TestEnv, testProvider } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

const IMAGES = 6;
const ROUNDS = 30;
const CHAIN = 8;

let env: TestEnv;
let token: string;
const servers: { child: ChildProcess; url: string }[] = [];
const imageIds: number[] = [];

function serve(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'dermaset.mjs'), 'serve'], {
    cwd: ROOT,
    env: cliEnv(env, { PORT: '0', HOST: '127.0.0.1', DERMASET_SEED_DEMO: 'false', DERMASET_MIN_SIDE: '32' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /GraphQL at (http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(log);
      if (m?.[1]) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${log.slice(-600)}`)));
  });
}

const gid = (id: number) => Buffer.from(`Image:${id}`).toString('base64');

interface Outcome {
  version?: number;
  code?: string;
  message?: string;
}

async function correct(url: string, imageId: number, cls: string, expectedVersion: number): Promise<Outcome> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: `mutation ($image: ID!, $cls: DiagnosisClass!, $v: Int!) {
        correctLabel(image: $image, diagnosisClass: $cls, expectedVersion: $v, reason: "race test") { version }
      }`,
      variables: { image: gid(imageId), cls, v: expectedVersion },
    }),
  });
  const json = (await res.json()) as {
    data?: { correctLabel?: { version: number } | null } | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  const error = json.errors?.[0];
  if (error) return { code: error.extensions?.code ?? 'NONE', message: error.message };
  return { version: json.data?.correctLabel?.version ?? -1 };
}

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  useDatabase(env.db); // the services below read the ambient database
  const pipeline = createPipeline(env.config, env.db);
  for (let n = 0; n < IMAGES; n++) {
    const result = await pipeline.ingest({
      bytes: await lesion(n, { width: 96, height: 72, exif: false }),
      record: record({ patient_id: `P-${n}`, lesion_id: `L-${n}` }),
      source: 'test',
    });
    if (result.outcome !== 'ACCEPTED') throw new Error(`image ${n}: ${JSON.stringify(result)}`);
    imageIds.push(result.imageId);
  }
  token = (await createToken('race admin', 'ADMIN')).token;
  servers.push(await serve(), await serve());
}, CLI_TIMEOUT);

afterAll(async () => {
  for (const s of servers) s.child.kill('SIGTERM');
  await Promise.all(
    servers.map((s) => new Promise((r) => (s.child.exitCode === null ? s.child.once('exit', r) : r(null)))),
  );
  await env?.dispose();
});

const [a, b] = [0, 1];

describe('two server processes on one database', () => {
  it(
    'of two writes racing with the same expected version, one wins and the other is CONFLICT',
    async () => {
      const codes: Record<string, number> = {};
      for (let round = 0; round < ROUNDS; round++) {
        const imageId = imageIds[round % IMAGES] as number;
        const { version } = await env.db.image.findUniqueOrThrow({ where: { id: imageId }, select: { version: true } });
        const results = await Promise.all([
          correct(servers[a]?.url ?? '', imageId, 'MELANOMA', version),
          correct(servers[b]?.url ?? '', imageId, 'NEVUS', version),
        ]);
        for (const r of results) {
          const key = r.code ?? 'OK';
          codes[key] = (codes[key] ?? 0) + 1;
        }
        // exactly one winner per round; the loser is told to reload, whichever server it asked
        expect(results.filter((r) => r.code === undefined)).toHaveLength(1);
        expect(results.filter((r) => r.code !== undefined).map((r) => r.code)).toEqual(['CONFLICT']);
        const after = await env.db.image.findUniqueOrThrow({ where: { id: imageId }, select: { version: true } });
        expect(after.version).toBe(version + 1);
      }
      expect(codes).toEqual({ OK: ROUNDS, CONFLICT: ROUNDS });
    },
    CLI_TIMEOUT,
  );

  it(
    'writes to different images from both servers at once all succeed',
    async () => {
      // each server corrects its own half of the images, every image a chain of writes in a row
      const chain = async (url: string, imageId: number) => {
        let { version } = await env.db.image.findUniqueOrThrow({ where: { id: imageId }, select: { version: true } });
        const failures: Outcome[] = [];
        for (let i = 0; i < CHAIN; i++) {
          const r = await correct(url, imageId, i % 2 === 0 ? 'DYSPLASTIC_NEVUS' : 'NEVUS', version);
          if (r.code !== undefined || r.version === undefined) failures.push(r);
          else version = r.version;
        }
        return failures;
      };
      const failures = (
        await Promise.all(imageIds.map((id, i) => chain((i < IMAGES / 2 ? servers[a] : servers[b])?.url ?? '', id)))
      ).flat();
      expect(failures).toEqual([]);
      const changes = await env.db.labelChange.count({ where: { reason: 'race test' } });
      expect(changes).toBeGreaterThanOrEqual(IMAGES * CHAIN);
    },
    CLI_TIMEOUT,
  );
});

describe('useDbErrors: what the database refuses is a typed error, not an internal one', () => {
  /** A yoga with one mutation that writes through the test database, masked as in production. */
  const app = (write: () => Promise<void>) =>
    createYoga({
      schema: createSchema({
        typeDefs: 'type Query { ok: Boolean } type Mutation { write: Boolean }',
        resolvers: {
          Mutation: {
            write: async () => {
              await write();
              return true;
            },
          },
        },
      }),
      plugins: [useDbErrors()],
      maskedErrors: true,
      logging: false,
    });
  const send = async (yoga: ReturnType<typeof app>) => {
    const res = await yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { write }' }),
    });
    return ((await res.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] }).errors;
  };

  it.runIf(testProvider === 'sqlite')(
    'SQLite: a write that finds the file locked by another process past the wait is SERVICE_UNAVAILABLE, retry',
    async () => {
      const other = new BetterSqlite3(sqlitePath(env.url));
      other.exec('BEGIN IMMEDIATE');
      try {
        const yoga = app(async () => {
          await env.db.setting.upsert({
            where: { key: 'h5' },
            create: { key: 'h5', value: '1' },
            update: { value: '2' },
          });
        });
        const errors = await send(yoga);
        expect(errors?.map((e) => e.extensions)).toEqual([{ code: 'SERVICE_UNAVAILABLE', retry: true }]);
        expect(errors?.[0]?.message).toMatch(/busy with another writer: try again/);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      expect(await env.db.setting.findUnique({ where: { key: 'h5' } })).toBeNull();
    },
    CLI_TIMEOUT,
  );

  it.runIf(testProvider === 'postgresql')(
    'PostgreSQL: of two serializable transactions writing the same row, the loser is CONFLICT',
    async () => {
      await env.db.setting.create({ data: { key: 'h5-race', value: '0' } });
      let arrived = 0;
      let both!: () => void;
      const barrier = new Promise<void>((r) => {
        both = r;
      });
      const yoga = app(() =>
        env.db.$transaction(
          async (tx) => {
            const row = await tx.setting.findUniqueOrThrow({ where: { key: 'h5-race' } });
            if (++arrived === 2) both();
            await barrier;
            await tx.setting.update({ where: { key: 'h5-race' }, data: { value: String(Number(row.value) + 1) } });
          },
          { isolationLevel: 'Serializable' },
        ),
      );
      const results = await Promise.all([send(yoga), send(yoga)]);
      const codes = results.map((errors) => errors?.[0]?.extensions?.code ?? 'OK').sort();
      expect(codes).toEqual(['CONFLICT', 'OK']);
      expect((await env.db.setting.findUniqueOrThrow({ where: { key: 'h5-race' } })).value).toBe('1');
    },
    CLI_TIMEOUT,
  );
});
