import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../src/gql/index.ts';
import { TOKEN_CACHE_MS } from '../src/resolvers/tokens.ts';
import { createApi } from './helpers/api.ts';
import { CLI_TIMEOUT, dermaset } from './helpers/cli.ts';
import { createTestEnv, type TestEnv, testProvider } from './helpers/database.ts';
import { execute } from './helpers/graphql.ts';

let env: TestEnv;
/** `dermaset token <args>`; rejects on a non-zero exit, as the tests of failures expect. */
const cli = async (...args: string[]) => {
  const r = await dermaset(env, ['token', ...args]);
  if (r.code !== 0) throw Object.assign(new Error(r.stderr), r);
  return r;
};

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.dispose());

// on PostgreSQL only, for CI time (README, "Where each runs"); the token service runs on both in the API suites
describe.runIf(testProvider === 'postgresql')('dermaset token', { timeout: CLI_TIMEOUT }, () => {
  it('creates a token that the API accepts with its role, lists it without the secret, revokes it', async () => {
    const created = await cli('create', '--role', 'annotator', '--name', 'ward laptop');
    const token = created.stdout.trim();
    expect(token).toMatch(/^dst_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/token \d+ \(annotator, "ward laptop"\)/);

    const api = await createApi(env);
    const Intake = graphql(`query CliIntake { intakeLog(first: 1) { totalCount } }`);
    expect(
      (await execute(api.yoga, Intake, undefined, { authorization: `Bearer ${token}` })).data?.intakeLog.totalCount,
    ).toBe(0);

    const listed = await cli('list');
    expect(listed.stdout).toMatch(/\tannotator\tdst_\S{6}…\tward laptop\tactive/);
    expect(listed.stdout).not.toContain(token);

    const id = /token (\d+)/.exec(created.stderr)?.[1] ?? '';
    expect((await cli('revoke', id)).stdout).toContain(`token ${id} revoked`);
    expect((await cli('list')).stdout).toMatch(/ward laptop\trevoked /);
    // a fresh server (no cached lookup) refuses it at once; running ones within TOKEN_CACHE_MS
    const fresh = await createApi(env);
    const refused = await execute(fresh.yoga, Intake, undefined, { authorization: `Bearer ${token}` });
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(TOKEN_CACHE_MS).toBeLessThanOrEqual(10_000);
  });

  it('refuses an unknown role', async () => {
    const failed = await cli('create', '--role', 'superuser', '--name', 'x').catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect('code' in failed && failed.code).toBe(2);
    expect('stderr' in failed && failed.stderr).toMatch(/--role must be one of viewer, annotator, reviewer, admin/);
  });
});
