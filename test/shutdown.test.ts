// Graceful shutdown of a real `dermaset serve` process on the demo cohort: SIGTERM with an export in
// flight lets the export finish (its file then served by another instance on the same data), refuses
// new connections at once, and exits 0; with DERMASET_SHUTDOWN_TIMEOUT=0 the export cannot finish,
// so it is marked FAILED with the shutdown's reason and its partial file is removed.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { createToken } from '../src/resolvers/tokens.ts';
import { SHUTDOWN_REASON } from '../src/server/start.ts';
import { createDermasetYoga } from '../src/server/yoga.ts';
import { CLI_TIMEOUT, cliEnv, ROOT } from './helpers/cli.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

let env: TestEnv;
let viewer: string;

beforeAll(async () => {
  env = await createCohortEnv();
  useDatabase(env.db);
  viewer = (await createToken('shutdown test', 'VIEWER')).token;
}, CLI_TIMEOUT);
afterAll(() => env?.dispose());

interface Served {
  child: ChildProcess;
  url: string;
  /** The JSON log lines written so far. */
  lines(): Record<string, unknown>[];
  /** Resolves with the first log line matching, as it is written. */
  line(match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function serve(extra: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'dermaset.mjs'), 'serve'], {
    cwd: ROOT,
    env: cliEnv(env, { PORT: '0', DERMASET_SEED_DEMO: 'false', LOG_LEVEL: 'info', ...extra }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  const waiting: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] =
    [];
  const lines = () =>
    text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      for (const w of [...waiting]) {
        const found = lines().find(w.match);
        if (found) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(found);
        }
      }
      const url = /GraphQL at (http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(text)?.[1];
      if (url)
        resolve({
          child,
          url,
          lines,
          exited,
          line: (match) =>
            new Promise((r) => {
              const found = lines().find(match);
              if (found) r(found);
              else waiting.push({ match, resolve: r });
            }),
        });
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}:\n${text.slice(-800)}`)));
  });
}

async function startExport(url: string, format: string): Promise<string> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: `mutation { startExport(format: "${format}") { id status } }` }),
  });
  const body = (await res.json()) as { data?: { startExport: { id: string; status: string } }; errors?: unknown };
  expect(body.errors).toBeUndefined();
  expect(body.data?.startExport.status).toBe('RUNNING');
  return body.data?.startExport.id ?? '';
}

/** A request on a new connection (no keep-alive agent): its error code, or its status. */
const connect = (url: string) =>
  new Promise<string | number>((resolve) => {
    const req = request(`${url}/livez`, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    req.end();
  });

describe('SIGTERM', () => {
  it(
    'lets a running export finish, refuses new connections, exits 0; another instance serves the file',
    async () => {
      const server = await serve({});
      expect(await connect(server.url)).toBe(200);
      const id = await startExport(server.url, 'imagefolder');
      server.child.kill('SIGTERM');
      const stopping = await server.line((l) => l.msg === 'shutting down');
      expect(stopping.exportsRunning).toBe(1);
      // refused, or reset by the kernel when it had queued the connection as the socket closed:
      // either way no new connection is served (an accepted one would get /livez's 200)
      expect(['ECONNREFUSED', 'ECONNRESET']).toContain(await connect(server.url));
      expect(await server.exited).toBe(0);
      const stopped = server.lines().find((l) => l.msg === 'stopped');
      expect(stopped).toMatchObject({ exportsFinished: [id], exportsFailed: [], timedOut: false });

      const row = await env.db.export.findUniqueOrThrow({ where: { id } });
      expect(row.status).toBe('DONE');
      // another instance (this process) on the same database and data folder serves the file
      const other = createDermasetYoga(env.config);
      const file = await other.fetch(`http://test/exports/${id}/file`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(file.status).toBe(200);
      const bytes = Buffer.from(await file.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(row.sha256);
      expect(readdirSync(join(env.dataDir, 'exports')).filter((n) => n.startsWith(id))).toEqual([`${id}.zip`]);
    },
    CLI_TIMEOUT,
  );

  it(
    'marks an export that cannot finish within DERMASET_SHUTDOWN_TIMEOUT failed, removes its partial file, exits 0',
    async () => {
      const server = await serve({ DERMASET_SHUTDOWN_TIMEOUT: '0' });
      const id = await startExport(server.url, 'imagefolder');
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const stopped = server.lines().find((l) => l.msg === 'stopped');
      expect(stopped).toMatchObject({ exportsFinished: [], exportsFailed: [id], timedOut: true });
      const row = await env.db.export.findUniqueOrThrow({ where: { id } });
      expect(row.status).toBe('FAILED');
      expect(row.error).toBe(SHUTDOWN_REASON);
      expect(readdirSync(join(env.dataDir, 'exports')).filter((n) => n.startsWith(id))).toEqual([]);
    },
    CLI_TIMEOUT,
  );
});
