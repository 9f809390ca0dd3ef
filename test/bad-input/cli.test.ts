// Bad input to the command line, run as a user runs it (a child process against the test
// database): `blobs sweep` with bad flags, `import` with missing, empty or malformed files and bad
// options, bad environment values, `token` commands with bad arguments, unknown commands. Each is
// a non-zero exit with one clear line on stderr, nothing on stdout, and no table, blob or export
// changed.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../../src/db/current.ts';
import { createPipeline } from '../../src/ingest/pipeline.ts';
import { createToken } from '../../src/resolvers/tokens.ts';
import { CLI_TIMEOUT, dermaset } from '../helpers/cli.ts';
import { createTestEnv, type TestEnv, testProvider } from '../helpers/database.ts';
import { lesion, record } from '../helpers/images.ts';
import { snapshot } from '../helpers/snapshot.ts';

let env: TestEnv;
/** Input files live outside the data folder: they are not state. */
let inputs: string;
let activeTokenId: number;

const HEADER = Object.keys(record()).join(',');

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  useDatabase(env.db); // the services below read the ambient database
  const result = await createPipeline(env.config, env.db).ingest({
    bytes: await lesion(1, { width: 96, height: 72, exif: false }),
    record: record(),
    source: 'test',
  });
  if (result.outcome !== 'ACCEPTED') throw new Error(JSON.stringify(result));
  activeTokenId = (await createToken('kept', 'VIEWER')).id;
  inputs = join(env.dataDir, '..', `${env.dataDir.split('/').at(-1)}-inputs`);
  mkdirSync(join(inputs, 'images'), { recursive: true });
  writeFileSync(join(inputs, 'empty.csv'), '');
  writeFileSync(join(inputs, 'not-ours.csv'), 'name,colour\nfoo,red\n');
  writeFileSync(join(inputs, 'twice.csv'), `${HEADER},patient_id\n`);
  writeFileSync(join(inputs, 'binary.csv'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]));
  writeFileSync(join(inputs, 'ok.csv'), `file_name,${HEADER}\nnone.jpg,${Object.values(record()).join(',')}\n`);
}, CLI_TIMEOUT);
afterAll(async () => {
  if (inputs) rmSync(inputs, { recursive: true, force: true });
  await env?.dispose();
});

const file = (name: string) => join(inputs, name);
const folder = () => join(inputs, 'images');

interface Case {
  name: string;
  args: () => string[];
  env?: Record<string, string>;
  /** What the one line must say. */
  says: RegExp;
}

const cases: Case[] = [
  // blobs sweep
  { name: 'blobs sweep --grace abc', args: () => ['blobs', 'sweep', '--grace', 'abc'], says: /--grace.*duration/ },
  { name: 'blobs sweep --grace -1h', args: () => ['blobs', 'sweep', '--grace', '-1h'], says: /--grace.*duration/ },
  { name: 'blobs sweep --grace 1.5h', args: () => ['blobs', 'sweep', '--grace', '1.5h'], says: /--grace.*duration/ },
  {
    name: 'blobs sweep --grace (no value)',
    args: () => ['blobs', 'sweep', '--grace'],
    says: /--grace.*argument missing/,
  },
  {
    name: 'blobs sweep --force (unknown option)',
    args: () => ['blobs', 'sweep', '--force'],
    says: /unknown option '--force'/,
  },
  { name: 'blobs shred (unknown subcommand)', args: () => ['blobs', 'shred'], says: /unknown command 'shred'/ },
  // import
  { name: 'import without --metadata', args: () => ['import', folder()], says: /--metadata <file.csv> is required/ },
  {
    name: 'import with a metadata file that does not exist',
    args: () => ['import', folder(), '--metadata', file('missing.csv')],
    says: /missing\.csv/,
  },
  {
    name: 'import with an empty metadata file',
    args: () => ['import', folder(), '--metadata', file('empty.csv')],
    says: /empty/i,
  },
  {
    name: 'import with a CSV that is not ours',
    args: () => ['import', folder(), '--metadata', file('not-ours.csv')],
    says: /column/i,
  },
  {
    name: 'import with a column named twice',
    args: () => ['import', folder(), '--metadata', file('twice.csv')],
    says: /patient_id/,
  },
  {
    name: 'import with a binary file as metadata',
    args: () => ['import', folder(), '--metadata', file('binary.csv')],
    says: /import/,
  },
  {
    name: 'import --concurrency 0',
    args: () => ['import', folder(), '--metadata', file('ok.csv'), '--concurrency', '0'],
    says: /--concurrency/,
  },
  {
    name: 'import --concurrency abc',
    args: () => ['import', folder(), '--metadata', file('ok.csv'), '--concurrency', 'abc'],
    says: /--concurrency/,
  },
  {
    name: 'import --concurrency 65',
    args: () => ['import', folder(), '--metadata', file('ok.csv'), '--concurrency', '65'],
    says: /--concurrency/,
  },
  {
    name: 'import --format nope',
    args: () => ['import', folder(), '--metadata', file('ok.csv'), '--format', 'nope'],
    says: /unknown --format "nope"/,
  },
  // environment
  { name: 'PORT=abc', args: () => ['token', 'list'], env: { PORT: 'abc' }, says: /PORT.*"abc"/ },
  {
    name: 'DATABASE_URL=mysql://…',
    args: () => ['token', 'list'],
    env: { DATABASE_URL: 'mysql://root@127.0.0.1/x' },
    says: /DATABASE_URL must start with file: .* or postgresql:\/\//,
  },
  {
    name: 'DERMASET_PSEUDONYM_KEY too short',
    args: () => ['token', 'list'],
    env: { DERMASET_PSEUDONYM_KEY: 'short' },
    says: /DERMASET_PSEUDONYM_KEY must be at least 16 characters/,
  },
  {
    name: 'DERMASET_DEMO_SIZE=huge',
    args: () => ['blobs', 'sweep'],
    env: { DERMASET_DEMO_SIZE: 'huge' },
    says: /DERMASET_DEMO_SIZE.*WIDTHxHEIGHT/,
  },
  {
    name: 'DERMASET_NEAR_DUPLICATE_DISTANCE=65',
    args: () => ['blobs', 'sweep', '--dry-run'],
    env: { DERMASET_NEAR_DUPLICATE_DISTANCE: '65' },
    says: /DERMASET_NEAR_DUPLICATE_DISTANCE.*"65"/,
  },
  // tokens
  {
    name: 'token create --role god',
    args: () => ['token', 'create', '--role', 'god', '--name', 'x'],
    says: /--role must be one of viewer, annotator, reviewer, admin/,
  },
  {
    name: 'token create without --name',
    args: () => ['token', 'create', '--role', 'admin'],
    says: /required option '--name <name>' not specified/,
  },
  { name: 'token create without options', args: () => ['token', 'create'], says: /required option/ },
  { name: 'token revoke abc', args: () => ['token', 'revoke', 'abc'], says: /token id is a whole number above 0/ },
  { name: 'token revoke 0', args: () => ['token', 'revoke', '0'], says: /token id is a whole number above 0/ },
  { name: 'token revoke (no id)', args: () => ['token', 'revoke'], says: /missing required argument 'id'/ },
  {
    name: 'token revoke 99999 (no such token)',
    args: () => ['token', 'revoke', '99999'],
    says: /no active token 99999/,
  },
  // commands
  {
    name: 'an unknown command',
    args: () => ['frobnicate'],
    says: /unknown command 'frobnicate'; the commands are serve, /,
  },
  { name: 'demo --seed abc', args: () => ['demo', '--seed', 'abc'], says: /the seed is a whole number/ },
  { name: 'datasheet without --out', args: () => ['datasheet'], says: /required option '--out <file>'/ },
];

// On PostgreSQL only, for CI time (each case is a child process): the dataset commands' own mistakes
// run on SQLite in test/cli-commands.test.ts.
describe.runIf(testProvider === 'postgresql')(
  'bad command-line input: a non-zero exit, one clear line, nothing changed',
  () => {
    it('the cases are distinct', () => {
      expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
      expect(cases.length).toBeGreaterThanOrEqual(15);
    });

    it.concurrent.each(cases)(
      '$name',
      async ({ args, env: extra, says }) => {
        const before = await snapshot(env);
        const r = await dermaset(env, args(), extra);
        expect(r.code).not.toBe(0);
        const out = `${r.stdout}${r.stderr}`.trim();
        const lines = out.split('\n');
        expect(lines, out).toHaveLength(1);
        expect(lines[0]).toMatch(says);
        expect(out).not.toMatch(/^\s+at /m);
        expect(await snapshot(env)).toEqual(before);
        // the token made before is untouched (the revoke cases name other ids)
        expect((await env.db.apiToken.findUniqueOrThrow({ where: { id: activeTokenId } })).revokedAt).toBeNull();
      },
      CLI_TIMEOUT,
    );
  },
);
