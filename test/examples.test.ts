// The examples for the three user groups run against a real HTTP server on 127.0.0.1.
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

const run = promisify(execFile);

/**
 * The Python interpreters to run the client with: python3 on the PATH, and one that has pandas if
 * there is one (Debian's python3-pandas installs into /usr/bin/python3, which pyenv may shadow).
 */
function pythons(): [string, boolean][] {
  const has = (py: string) => spawnSync(py, ['-c', 'import pandas'], { stdio: 'ignore' }).status === 0;
  const found: [string, boolean][] = [['python3', has('python3')]];
  if (!found[0]?.[1] && has('/usr/bin/python3')) found.push(['/usr/bin/python3', true]);
  return found;
}
const root = join(import.meta.dirname, '..');
let env: TestEnv;
let api: Api;
let server: Server;
let url: string;

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  server = createServer(api.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 300_000);
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await env?.dispose();
});

describe('examples', () => {
  it('notebook.py fetches every consensus-verified image into rows (stdlib HTTP)', async () => {
    const { stdout } = await run('python3', [join(root, 'examples', 'notebook.py')], {
      env: { ...process.env, DERMASET_URL: url, DERMASET_TOKEN: api.tokens.VIEWER },
    });
    expect(stdout).toMatch(/^NEVUS\s+733$/m);
    expect(stdout).toMatch(/^MELANOMA\s+18$/m);
    expect(stdout).toContain('1026 images from 443 patients');
  });

  describe.each(pythons())('examples/python/walkthrough.py with %s', (python, hasPandas) => {
    let out = '';
    beforeAll(async () => {
      const { stdout } = await run(python, [join(root, 'examples', 'python', 'walkthrough.py')], {
        env: { ...process.env, DERMASET_URL: url, DERMASET_TOKEN: api.tokens.VIEWER },
      });
      out = stdout;
    }, 120_000);

    it('creates a split, certified clean, and reads back every image once with no patient in two parts', async () => {
      const id = /^split ([0-9a-f-]{36}): 1026 images from 443 patients under three-tier 1\.1\.0$/m.exec(out)?.[1];
      expect(id, out).toBeTruthy();
      const stored = await env.db.split.findUniqueOrThrow({ where: { id } });
      expect(out).toContain(`manifest sha256 ${stored.manifestHash}`);
      expect(out).toMatch(
        /^leak certificate: clean=True \(443 patients, \d+ lesions, \d+ near-duplicate clusters checked\)$/m,
      );
      expect(out).toContain('rows 1026; parts per patient at most 1');
      const test = await env.db.splitAssignment.count({ where: { splitId: id, part: 'test' } });
      expect(out).toMatch(new RegExp(`^test part: ${test} images from \\d+ patients$`, 'm'));
      expect(out).toContain(
        hasPandas ? 'DataFrame 1026 rows x 18 columns' : 'pandas not installed: 1026 rows as dicts',
      );
    });

    it('audits: clean as stored, a PATIENT leak after moving one image; same seed same manifest; typed refusal', () => {
      expect(out).toContain('manifest.csv: 1026 lines, same images, parts and labels as the pages: True');
      expect(out).toContain('audit of the manifest: clean=True');
      expect(out).toMatch(/^audit after moving one image: clean=False, leaks: (LESION, )?PATIENT$/m);
      expect(out).toContain('same seed, same manifest: True');
      expect(out).toMatch(/^refused: BAD_USER_INPUT: fractions must add up to 1/m);
      expect(out).toMatch(/^thumbnail \d+ bytes, webp$/m);
    });
  });

  it('admin-check.mjs prints the funnel, the stages and the refusals', async () => {
    const { stdout } = await run(process.execPath, [join(root, 'examples', 'admin-check.mjs')], {
      env: { ...process.env, DERMASET_URL: url, DERMASET_TOKEN: api.tokens.ADMIN },
    });
    expect(stdout).toContain('images 1026 from 443 patients');
    expect(stdout).toContain('intake: 1076 attempts, 32 refused by the SOP gate, 18 duplicates (1.7 %), 0 invalid');
    expect(stdout).toContain('stages: initial 0, consensus 987, histology 39');
    expect(stdout).toContain('refused attempts: 32');
  });

  it('admin-check.mjs reports a viewer token’s FORBIDDEN instead of data', async () => {
    const failed = await run(process.execPath, [join(root, 'examples', 'admin-check.mjs')], {
      env: { ...process.env, DERMASET_URL: url, DERMASET_TOKEN: api.tokens.VIEWER },
    }).catch((e: { stderr: string; code: number }) => e);
    expect('code' in failed && failed.code).toBe(1);
    expect('stderr' in failed && failed.stderr).toMatch(
      /FORBIDDEN: Query\.intakeLog is not available to the VIEWER role/,
    );
  });

  it('gallery.html sends the same queries as the committed examples', async () => {
    const { readFileSync } = await import('node:fs');
    const html = readFileSync(join(root, 'examples', 'gallery.html'), 'utf8');
    const gallery = /const GALLERY = `([^`]+)`/.exec(html)?.[1] ?? '';
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...api.headers('VIEWER') },
      body: JSON.stringify({
        query: gallery,
        variables: { first: 48, filter: { verificationStageAtLeast: 'HISTOLOGY' } },
      }),
    });
    const body = (await res.json()) as {
      data: { images: { totalCount: number; edges: { node: { thumbnail: string } }[] } };
    };
    expect(body.data.images.totalCount).toBe(39);
    const thumb = await fetch(body.data.images.edges[0]?.node.thumbnail ?? '', { headers: api.headers('VIEWER') });
    expect(thumb.headers.get('content-type')).toBe('image/webp');
  });
});
