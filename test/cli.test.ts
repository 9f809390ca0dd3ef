// The commands exactly as the README gives them: `npx dermaset …` in a clone of the repository, and
// `npm start` on an empty database, watched from outside over HTTP.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TIMEOUT, cliEnv, ROOT as root, run, STACK } from './helpers/cli.ts';
import { createTestEnv, type TestEnv, testProvider } from './helpers/database.ts';

const exec = promisify(execFile);
let clone: string;
let env: TestEnv;

/** Runs `npx …` in a folder against the test database; resolves with the exit code, never rejects. */
const npx = (cwd: string, args: string[], extra: Record<string, string> = {}) => run(env, 'npx', args, { cwd, extra });

/**
 * A clone of the work tree: the files git tracks, plus those it would (untracked, not ignored), and
 * what `npm install` makes (node_modules linked, the generated code copied), so the clone's own
 * package.json, bin and sources are what runs.
 */
async function makeClone(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dermaset-clone-'));
  const { stdout } = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    try {
      cpSync(join(root, file), join(dir, file));
    } catch (e) {
      // a file git knows that the work tree has deleted
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  // copied, not linked: npm exec in the clone runs its postinstall, which writes the generated code
  // again, and other test files load the work tree's copy at the same time
  for (const generated of ['src/db/generated', 'src/gql'])
    cpSync(join(root, generated), join(dir, generated), { recursive: true });
  return dir;
}

beforeAll(async () => {
  env = await createTestEnv();
  clone = await makeClone();
});
afterAll(async () => {
  await env?.dispose();
  if (clone) rmSync(clone, { recursive: true, force: true });
});

// npx in a clone and the mistakes in the environment on PostgreSQL only, npm start on SQLite only:
// each file of child processes runs on one suite, for CI time (README, "Where each runs")
describe.runIf(testProvider === 'postgresql')('npx dermaset in a clone', { timeout: CLI_TIMEOUT }, () => {
  it('answers --help without installing anything', async () => {
    const r = await npx(clone, ['--no-install', 'dermaset', '--help']);
    expect(r.stderr).not.toMatch(/not found/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: dermaset/);
    for (const command of ['serve', 'import', 'datasheet', 'export', 'split', 'policy', 'release', 'token'])
      expect(r.stdout).toContain(command);
  });

  it('creates a token as the README shows', async () => {
    const r = await npx(clone, ['dermaset', 'token', 'create', '--role', 'viewer', '--name', 'gallery frontend']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^dst_[A-Za-z0-9_-]{43}$/);
    expect(await env.db.apiToken.count({ where: { name: 'gallery frontend' } })).toBe(1);
  });
});

describe.runIf(testProvider === 'postgresql')(
  'mistakes in the environment are one line that says what to do',
  { timeout: CLI_TIMEOUT },
  () => {
    let busy: Server;
    let busyPort: number;
    beforeAll(async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      busyPort = (busy.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

    it('a port in use', async () => {
      const r = await npx(root, ['dermaset', 'serve'], { PORT: String(busyPort), DERMASET_SEED_DEMO: 'false' });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).toMatch(
        new RegExp(`port ${busyPort} on 127\\.0\\.0\\.1 is already in use.*PORT=${busyPort + 1}`),
      );
    });

    it('PORT=abc', async () => {
      const r = await npx(root, ['dermaset', 'serve'], { PORT: 'abc' });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/PORT: must be a whole number from 0 to 65535, got "abc"/);
    });

    it('token revoke abc', async () => {
      const r = await npx(root, ['dermaset', 'token', 'revoke', 'abc']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/token id is a whole number/);
    });
  },
);

// On SQLite only, for CI time: the quick start's database; the demo seed itself builds the PostgreSQL
// test cohort (test/helpers/cohort.ts) in every PostgreSQL run.
describe.runIf(testProvider === 'sqlite')('npm start on an empty database, in the clone', () => {
  let child: ChildProcess | undefined;
  let stderr = '';
  let served: TestEnv;
  afterAll(async () => {
    // npm runs the server in a child of its own: stop the whole process group
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    await served?.dispose();
  });

  it('listens at once, says "seeding" with progress until the demo is in, then hands out a working token', async () => {
    served = await createTestEnv({}, { migrate: false });
    // drawn at 96×72 px: the full-size drawings are checked in test/demo-cohort.test.ts
    const size = { DERMASET_DEMO_SIZE: '96x72', DERMASET_MIN_SIDE: '32' };
    child = spawn('npm', ['start'], {
      cwd: clone,
      detached: true,
      env: cliEnv(served, { PORT: '0', ...size }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const server = child;
    server.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const until = async (what: () => boolean | Promise<boolean>, label: string) => {
      const deadline = Date.now() + 420_000;
      while (!(await what())) {
        if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}):\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until(() => /GraphQL at http:\/\/127\.0\.0\.1:\d+\/graphql/.test(stderr), 'the address');
    const origin = /GraphQL at (http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(stderr)?.[1] as string;
    const query = (q: string, authorization?: string) =>
      fetch(`${origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query: q }),
      });

    // listening before the seed is done: /health tells the progress, the API says why it cannot answer
    const health = await fetch(`${origin}/health`);
    expect(health.status).toBe(503);
    const seeding = (await health.json()) as { status: string; seed: { phase: string; done: number; total: number } };
    expect(seeding.status).toBe('seeding');
    expect(seeding.seed.phase).toMatch(/^(acquisition|verification)$/);
    const early = await query('{ datasetSummary { images } }');
    expect(early.status).toBe(503);
    expect(((await early.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
      'SERVICE_UNAVAILABLE',
    );

    // a kept-alive connection may be reset while the seed keeps the server's event loop busy: ask again
    const healthy = () =>
      fetch(`${origin}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
    await until(healthy, 'the demo cohort');
    await until(() => /"Authorization": ?"Bearer dst_/.test(stderr), 'the token');
    // the header is printed ready to paste: the JSON parses and carries the real token
    const headerJson = /add the headers? (\{.*\})/.exec(stderr)?.[1] as string;
    const header = JSON.parse(headerJson) as { Authorization: string };
    expect(header.Authorization).toMatch(/^Bearer dst_[A-Za-z0-9_-]{43}$/);
    expect(stderr).not.toContain('<token>');
    type Answer = {
      data: {
        datasetSummary: { images: number; nearDuplicatePairs: number };
        images: { edges: { node: { url: string; width: number } }[] };
      };
    };
    const answer = (await (
      await query(
        '{ datasetSummary { images nearDuplicatePairs } images(first: 1) { edges { node { url width } } } }',
        header.Authorization,
      )
    ).json()) as Answer;
    expect(answer.data.datasetSummary.images).toBe(1026);
    // a few near-duplicate pairs (two shots of one lesion): 2 at 96×72 px, as in the run's cohort
    expect(answer.data.datasetSummary.nearDuplicatePairs).toBeGreaterThanOrEqual(2);
    expect(answer.data.datasetSummary.nearDuplicatePairs).toBeLessThanOrEqual(12);
    // the original is served as stored: the drawn size, no EXIF (the demo's phone writes some)
    const node = answer.data.images.edges[0]?.node as { url: string; width: number };
    const original = Buffer.from(
      await (await fetch(node.url, { headers: { authorization: header.Authorization } })).arrayBuffer(),
    );
    const meta = await sharp(original).metadata();
    expect(meta.width).toBe(96);
    expect(meta.exif).toBeUndefined();
    expect(original.includes(Buffer.from('DemoPhone'))).toBe(false);
    // the trail phase has its own progress, drawn to the end
    expect(stderr).toMatch(/verification.*100%.*1026\/1026/);
  }, 480_000);
});
