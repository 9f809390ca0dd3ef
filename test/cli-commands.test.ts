// The dataset commands as a user runs them (`dermaset export|split|policy|release`, child processes
// against a copy of the demo cohort): what they write matches the database, they record what the
// mutations record, and every user mistake is one line on stderr, exit code 2, nothing changed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TIMEOUT, dermaset, STACK } from './helpers/cli.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import { type TestEnv, testProvider } from './helpers/database.ts';
import { snapshot } from './helpers/snapshot.ts';

let env: TestEnv;
// The dataset commands on SQLite only, for CI time: the services they call (the same as the
// mutations') run on both databases in the API suites.
const CLI_DB = testProvider === 'sqlite';

beforeAll(async () => {
  env = await createCohortEnv();
});
afterAll(() => env?.dispose());

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A value anywhere in a nested jsonl record (its blocks nest the fields). */
function field(record: Record<string, unknown>, name: string): unknown {
  if (name in record) return record[name];
  for (const v of Object.values(record))
    if (v && typeof v === 'object' && !Array.isArray(v) && name in v) return (v as Record<string, unknown>)[name];
  return undefined;
}

describe.runIf(CLI_DB)('dermaset policy', { timeout: CLI_TIMEOUT }, () => {
  it('shows the active policy and every policy, switches it and records the switch as the CLI actor', async () => {
    const shown = await dermaset(env, ['policy', 'show']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^active: screening-binary$/m);
    expect(shown.stdout).toMatch(/^\* screening-binary\t/m);
    expect(shown.stdout).toMatch(/^ {2}three-tier\t/m);

    const set = await dermaset(env, ['policy', 'set', 'three-tier']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout.trim()).toBe('active policy: screening-binary → three-tier');
    const change = await env.db.policyChange.findFirst({ orderBy: { id: 'desc' } });
    expect(change).toMatchObject({ fromPolicy: 'screening-binary', toPolicy: 'three-tier', actor: 'dermaset-cli' });
    expect((await env.db.setting.findUnique({ where: { key: 'active_policy' } }))?.value).toBe('three-tier');

    const after = await dermaset(env, ['policy', 'show']);
    expect(after.stdout).toMatch(/^active: three-tier$/m);
    expect(after.stdout).toMatch(/switched .*: screening-binary → three-tier by dermaset-cli/);

    // back, so the other tests read the default
    expect((await dermaset(env, ['policy', 'set', 'screening-binary'])).code).toBe(0);
  });
});

describe.runIf(CLI_DB)('dermaset export', { timeout: CLI_TIMEOUT }, () => {
  it('writes the rows of a filter under a policy, as many as the database holds', async () => {
    const out = join(env.dataDir, 'melanoma.jsonl');
    const r = await dermaset(env, [
      'export',
      'jsonl',
      '--filter',
      '{"diagnosisClass":["MELANOMA"]}',
      '--policy',
      'nine-class',
      '--out',
      out,
    ]);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code, r.stderr).toBe(0);
    const rows = lines(out);
    const melanomas = await env.db.image.count({ where: { diagnosisClass: 'MELANOMA' } });
    expect(melanomas).toBeGreaterThan(0);
    expect(rows).toHaveLength(melanomas);
    for (const row of rows) expect(row.label).toMatchObject({ policy: 'nine-class', value: 'melanoma' });
    expect(r.stdout).toContain(`wrote ${out}: ${melanomas} rows, jsonl`);
    // the progress bar (plain lines off a terminal) reached the end
    expect(r.stderr).toMatch(new RegExp(`${melanomas}/${melanomas}`));
  });
});

describe.runIf(CLI_DB)('dermaset split and an export of one part', { timeout: CLI_TIMEOUT }, () => {
  let id: string;

  it('creates a split as createSplit does, lists it and shows its parts', async () => {
    const r = await dermaset(env, [
      'split',
      'create',
      '--name',
      'cli 70/15/15',
      '--fractions',
      '0.7,0.15,0.15',
      '--seed',
      '7',
      '--stratify-by',
      'sex,fitzpatrick_type',
    ]);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code, r.stderr).toBe(0);
    const stored = await env.db.split.findFirstOrThrow({ where: { name: 'cli 70/15/15' } });
    id = stored.id;
    expect(stored).toMatchObject({ seed: 7, createdBy: 'dermaset-cli', policyId: 'screening-binary' });
    expect(JSON.parse(stored.input)).toMatchObject({ stratifyBy: ['FITZPATRICK_TYPE', 'SEX'] });
    expect(r.stdout).toContain(`split ${id} "cli 70/15/15"`);
    expect(r.stdout).toContain(`manifest  sha256 ${stored.manifestHash}`);
    const test = await env.db.splitAssignment.count({ where: { splitId: id, part: 'test' } });
    expect(r.stdout).toMatch(new RegExp(`^ {2}test {7}${test} images`, 'm'));
    // a progress bar per phase on stderr, the last one storing every assignment
    expect(r.stderr).toMatch(new RegExp(`storing .*${stored.imageCount}/${stored.imageCount}`));

    const list = await dermaset(env, ['split', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^${id}\\t.*\\t${stored.imageCount} images\\ttrain,validation,test\\tcli 70/15/15$`, 'm'),
    );

    const shown = await dermaset(env, ['split', 'show', id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toBe(r.stdout);
  });

  it('exports the test part: exactly its images, each row with its part', async () => {
    const out = join(env.dataDir, 'test-part.jsonl');
    const r = await dermaset(env, ['export', 'jsonl', '--split', id, '--part', 'test', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const rows = lines(out);
    const assigned = await env.db.splitAssignment.findMany({
      where: { splitId: id, part: 'test' },
      select: { image: { select: { sha256: true } } },
    });
    expect(rows.map((row) => field(row, 'sha256')).sort()).toEqual(assigned.map((a) => a.image.sha256).sort());
    for (const row of rows) expect(field(row, 'split')).toBe('test');
  });

  it('makes a k-fold split', async () => {
    const r = await dermaset(env, ['split', 'create', '--folds', '5', '--seed', '3']);
    expect(r.code, r.stderr).toBe(0);
    const split = await env.db.split.findFirstOrThrow({ where: { seed: 3 } });
    expect(JSON.parse(split.parts)).toEqual(['fold-1', 'fold-2', 'fold-3', 'fold-4', 'fold-5']);

    // a part the split lacks is the API's refusal, as one line
    const before = await snapshot(env);
    const wrong = await dermaset(env, ['export', 'jsonl', '--split', split.id, '--part', 'validation']);
    expect(wrong.code, wrong.stderr).toBe(2);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/^dermaset export: .*(fold|part)/);
    expect(wrong.stderr).not.toMatch(STACK);
    expect(await snapshot(env)).toEqual(before);
  });
});

describe.runIf(CLI_DB)('dermaset release', { timeout: CLI_TIMEOUT }, () => {
  it('freezes the images of a filter and lists the release', async () => {
    const r = await dermaset(env, [
      'release',
      'create',
      'cli-release',
      '--version',
      '1.0.0',
      '--filter',
      '{"diagnosisClass":["NEVUS","MELANOMA"]}',
    ]);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code, r.stderr).toBe(0);
    const release = await env.db.release.findFirstOrThrow({ where: { name: 'cli-release' } });
    const images = await env.db.image.count({ where: { diagnosisClass: { in: ['NEVUS', 'MELANOMA'] } } });
    expect(release).toMatchObject({ version: '1.0.0', imageCount: images, createdBy: 'dermaset-cli' });
    expect(r.stdout.trim()).toBe(
      `release ${release.id} "cli-release" 1.0.0: ${images} images, sha256 ${release.contentHash}`,
    );
    const list = await dermaset(env, ['release', 'list', '--name', 'cli-release']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${release.id}\\t.*\\tcli-release\\t1\\.0\\.0\\t${images} images$`, 'm'));
  });
});

// on the SQLite suite only: 18 child processes checking the commands' own argument rules and one-line
// refusals; the services' refusals behind them run on both databases in the API suites
describe.runIf(testProvider === 'sqlite')(
  'user mistakes are one line on stderr, exit code 2, and change nothing',
  { timeout: CLI_TIMEOUT },
  () => {
    const cases: [string, string[], RegExp][] = [
      ['an unknown format', ['export', 'tarball'], /^dermaset export: unknown export format "tarball"; known: .*jsonl/],
      [
        'an unknown policy',
        ['export', 'jsonl', '--policy', 'nope'],
        /^dermaset export: unknown policy "nope"; known: /,
      ],
      ['an unknown split', ['export', 'jsonl', '--split', 'no-such-split'], /^dermaset export: no split no-such-split/],
      [
        'an unknown part',
        ['export', 'jsonl', '--split', 'x', '--part', 'holdout'],
        /unknown --part "holdout"; the parts/,
      ],
      ['a part without a split', ['export', 'jsonl', '--part', 'test'], /--part and --fold select a part of a split/],
      [
        'JSON that does not parse',
        ['export', 'jsonl', '--filter', '{"diagnosisClass":'],
        /^dermaset export: --filter is not JSON/,
      ],
      [
        'a filter value the schema refuses',
        ['export', 'jsonl', '--filter', '{"diagnosisClass":["NEVU"]}'],
        /--filter at "diagnosisClass\[0\]": .*Did you mean the enum value "NEVUS"\?/,
      ],
      [
        'a filter field that does not exist',
        ['export', 'jsonl', '--filter', '{"anatomical_site":["HEAD_NECK"]}'],
        /--filter: Field "anatomical_site" is not defined by type "ImageFilter"/,
      ],
      [
        'a filter the services refuse',
        ['export', 'jsonl', '--filter', '{"ageMin":60,"ageMax":20}'],
        /^dermaset export: .*age/,
      ],
      ['an unknown profile', ['export', 'jsonl', '--profile', 'open'], /unknown de-identification profile/],
      ['bad export options', ['export', 'jsonl', '--options', '{"zip":1}'], /jsonl has no option "zip"/],
      ['an unknown policy to set', ['policy', 'set', 'nope'], /^dermaset policy set: unknown policy "nope"/],
      ['an unknown split to show', ['split', 'show', 'nope'], /^dermaset split show: no split nope/],
      [
        'split fractions that do not add up',
        ['split', 'create', '--fractions', '0.5,0.2,0.2'],
        /^dermaset split create: .*add up to 1/,
      ],
      [
        'both fractions and folds',
        ['split', 'create', '--fractions', '0.8,0.1,0.1', '--folds', '5'],
        /^dermaset split create: /,
      ],
      [
        'an unknown stratifier',
        ['split', 'create', '--folds', '5', '--stratify-by', 'age'],
        /split at "stratifyBy\[0\]": Value "AGE"/,
      ],
      ['a release with an empty version', ['release', 'create', 'x', '--version', ' '], /^dermaset release create: /],
    ];

    // side by side: none of them writes anything, so each one's snapshot still holds
    it.concurrent.for(cases)('%s', async ([, args, message], { expect }) => {
      const before = await snapshot(env);
      const r = await dermaset(env, args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK);
      expect(await snapshot(env)).toEqual(before);
    });
  },
);
